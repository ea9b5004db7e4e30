"""The flight recorder (issue 12, point 5): --flight-recorder=SIZE keeps only
the most recent SIZE of each process's events, writes no full trace, and
writes each failing test's trace (its attachment) from that window as the test
fails.

tests/suites/flight_test runs 400 tests of ~30 000 events each (12 M in all),
one failing three quarters of the way through (TestFailsLate), then TestHuge,
which fails after more events than a 2 MiB window holds, then TestCrash, whose
process dies, and one more test in a new process. One run of it under
--flight-recorder=2MiB (with --junit and --trace) serves most tests here; the
sanitizer builds run a tenth of it with a smaller window.
"""

import ctypes
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, CTEST_TRACE, run, run_ok, sanitized
from rss import peak_rss_kib

FLIGHT = BUILD / "tests" / "suites" / "flight_test"
SMALL = sanitized()
TESTS = 40 if SMALL else 400
WINDOW = "256KiB" if SMALL else "2MiB"
HUGE = 50_000 if SMALL else 300_000  # regions: ~100 k (600 k) events, beyond the window
ENV = {"FLIGHT_TESTS": str(TESTS), "FLIGHT_HUGE": str(HUGE), "FLIGHT_CRASH": "1"}


@pytest.fixture(scope="module")
def flight_run(tmp_path_factory):
    """The long suite under --flight-recorder, in a fresh directory with a
    fresh TMPDIR: what it printed, where, and how much memory it took."""
    work = tmp_path_factory.mktemp("flight")
    tmp = work / "tmp"
    tmp.mkdir()
    env = {**os.environ, **ENV, "TMPDIR": str(tmp)}
    args = [f"--flight-recorder={WINDOW}", f"--junit={work / 'report.xml'}",
            f"--trace={work / 'last.trace'}", FLIGHT]
    logs = tmp_path_factory.mktemp("flight-output")
    with open(logs / "out", "w+") as out, open(logs / "err", "w+") as err:
        proc = subprocess.Popen([str(CTEST_TRACE), *map(str, args)], cwd=work, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        peak = peak_rss_kib(proc)
        out.seek(0)
        err.seek(0)
        return {"work": work, "tmp": tmp, "stdout": out.read(), "stderr": err.read(),
                "status": proc.returncode, "rss_kib": peak}


def attachment_of(stdout, test):
    """The path the run's output names under `test`'s FAIL line."""
    m = re.search(rf"^--- FAIL: {re.escape(test)} .*?\n((?:    .*\n)*)", stdout, re.M)
    assert m, f"no FAIL line for {test}:\n{stdout[-3000:]}"
    found = re.search(r"^    attachment: (\S+)$", m.group(1), re.M)
    assert found, f"no attachment under {test}:\n{m.group(0)}"
    return found.group(1), m.group(1)


def tasks_of(trace):
    return run_ok("tasks", "--json", trace).json()["tasks"]


def test_long_suite_runs_small_and_writes_little(flight_run):
    r = flight_run
    assert r["status"] == 1, r["stderr"]  # three tests fail
    assert "--- PASS: TestAfterCrash" in r["stdout"], r["stdout"][-2000:]
    if not SMALL:  # a sanitizer's shadow memory says nothing of the window
        assert 0 < r["rss_kib"] < 64 * 1024, f"peak RSS {r['rss_kib']} KiB"
        print(f"runner peak RSS {r['rss_kib']} KiB")
    assert list(r["tmp"].iterdir()) == []  # no full trace in TMPDIR
    written = {p.name: p.stat().st_size for p in r["work"].iterdir() if p.is_file()}
    assert set(written) == {"report.xml", "last.trace", "flight_test.flight.TestFailsLate.1.trace",
                            "flight_test.flight.TestHuge.2.trace",
                            "flight_test.flight.TestCrash.3.trace"}, written
    # Each trace holds a window at most (zstd makes it smaller still).
    window = 256 << 10 if SMALL else 2 << 20
    assert all(size < window for size in written.values()), written


def test_the_failing_test_gets_its_own_events(flight_run):
    path, under = attachment_of(flight_run["stdout"], "TestFailsLate")
    assert "cut" not in under, under  # it fits: whole
    tasks = tasks_of(path)
    assert [t["name"] for t in tasks] == ["TestFailsLate"], tasks
    test = tasks[0]
    assert test["status"] == "fail" and not test.get("cut"), test
    assert "fails on purpose" in test["message"]
    names = [g["name"] for g in test["regions"]]
    assert names.count("late.step") == 200 and names.count("late.worker") == 100, names
    assert names.count("late.outer") == 1 and "steady.step" not in names
    assert len(test["threads"]) == 2, test  # the test's thread and the one it started
    assert [g["message"] for g in test["logs"] if g["category"] == "late"] == ["about to fail"]
    stats = run_ok("stats", path).stdout
    assert re.search(r"^warnings:\s+0$", stats, re.M), stats
    assert "every task here is whole" in stats, stats


def test_a_test_larger_than_the_window_says_it_was_cut(flight_run):
    path, under = attachment_of(flight_run["stdout"], "TestHuge")
    assert re.search(r"\(cut: the flight recorder's window of .* held the last .* of the "
                     r"test's .*; what came before, \d+ events of its process", under), under
    test = only_task(path, "TestHuge")
    assert test["cut"] is True and test["status"] == "fail", test
    outer = [g for g in test["regions"] if g["name"] == "huge.outer"]
    # Open across the cut: said again at its own time, ended in the window.
    assert len(outer) == 1 and not outer[0]["unended"], outer
    kept = [g["start_ns"] for g in test["regions"] if g["name"] == "huge.step"]
    assert 0 < len(kept) < HUGE, len(kept)
    # its own begin, with the test's, not the window's first event: before
    # the first step kept, with the steps the cut took in between (no clock
    # margin: a loaded sanitizer build may take ms to its first region)
    assert test["start_ns"] <= outer[0]["start_ns"] < min(kept), (outer, min(kept))
    assert min(kept) - outer[0]["start_ns"] > outer[0]["start_ns"] - test["start_ns"]
    stats = run_ok("stats", path).stdout
    assert re.search(r"^cut:\s+\d+ events recorded before the window", stats, re.M), stats
    assert "cut into: TestHuge" in stats, stats
    assert re.search(r"^lost:\s+0 events", stats, re.M) and re.search(r"^warnings:\s+0$", stats, re.M)


def only_task(trace, name):
    tasks = [t for t in tasks_of(trace) if t["name"] == name]
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_a_crash_in_a_test_still_attaches_it(flight_run):
    path, under = attachment_of(flight_run["stdout"], "TestCrash")
    test = only_task(path, "TestCrash")
    assert test["status"] == "crash", test
    assert sum(g["name"] == "crash.step" for g in test["regions"]) == 50, test
    assert [g["message"] for g in test["logs"] if g["category"] == "crash"] == ["about to die"]


def test_junit_names_the_attachments(flight_run):
    xml = (flight_run["work"] / "report.xml").read_text()
    for test in ("TestFailsLate", "TestHuge", "TestCrash"):
        path, _ = attachment_of(flight_run["stdout"], test)
        assert f"[[ATTACHMENT|{path}]]" in xml, xml
    assert "(cut: the flight recorder's window" in xml


def test_trace_gets_the_last_windows(flight_run):
    trace = flight_run["work"] / "last.trace"
    assert trace.stat().st_size < (2 << 20)
    stats = run_ok("stats", trace).stdout  # exit 0: whole
    assert re.search(r"^processes:\s+2$", stats, re.M), stats  # the one that died, the next
    assert re.search(r"^warnings:\s+0$", stats, re.M) and "damage:     none" in stats, stats
    names = {t["name"] for t in tasks_of(trace)}
    assert {"TestHuge", "TestCrash", "TestAfterCrash"} <= names, names
    assert "TestSteady/0000" not in names  # long gone from the window


def test_json_names_the_attachment_in_an_output_event(tmp_path):
    r = run(f"--flight-recorder={WINDOW}", "--json", f"--attach-dir={tmp_path / 'a'}", FLIGHT,
            env={"FLIGHT_TESTS": "8"})
    assert r.returncode == 1, r
    events = [json.loads(line) for line in r.stdout.splitlines()]
    said = [e for e in events if e["Action"] == "output" and "attachment:" in e.get("Output", "")]
    assert len(said) == 1 and said[0]["Test"] == "TestFailsLate", said
    path = said[0]["Output"].split("attachment: ", 1)[1].strip()
    assert path.startswith(str(tmp_path / "a")) and os.path.exists(path)


def test_markers_lost_the_window_tells_what_it_can(tmp_path):
    """No marker comes (stdout on /dev/null): the window of the process that
    died tells its last tests; those it no longer held are said unknown."""
    r = run("--flight-recorder=64KiB", f"--attach-dir={tmp_path}", FLIGHT,
            env={"FLIGHT_TESTS": "20", "FLIGHT_CRASH": "1", "FLIGHT_LOSE_STDOUT": "1"})
    assert r.returncode == 1, r
    m = re.search(r"^(\d+) tests ended whose results are not known: the binary's output was "
                  r"lost, and the flight recorder's window no longer held them$", r.stdout, re.M)
    assert m and 0 < int(m.group(1)) < 21, r
    assert "--- FAIL: TestCrash" in r.stdout, r


def text_of(trace, out):
    """The trace in its text form (format/FORMAT.md), through libctrace."""
    lib = ctypes.CDLL(str(BUILD / "libctrace.so"))
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    f = libc.fopen(str(out).encode(), b"w")
    err = ctypes.create_string_buffer(512)
    lib.ctr_text_dump.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_char_p,
                                  ctypes.c_size_t]
    rc = lib.ctr_text_dump(str(trace).encode(), f, err, len(err))
    libc.fclose(f)
    assert rc == 0, err.value.decode()
    return Path(out).read_text(errors="replace")


def test_many_quick_failures_each_get_their_own_events(tmp_path):
    """More failures come than the runner attaches as they come (past 32
    waiting, attachments once held the window's later tests instead of
    their own): each attachment holds its test alone."""
    n = 40 if SMALL else 100
    r = run("--flight-recorder=256KiB", f"--attach-dir={tmp_path}", FLIGHT,
            env={"FLIGHT_TESTS": "0", "FLIGHT_FAILING": str(n)})
    assert r.returncode == 1, r
    for i in range(n):
        test = f"TestFails/{i:04d}"
        path, under = attachment_of(r.stdout, test)
        assert "none of its events" not in under and "cut" not in under, under
        tasks = tasks_of(path)
        assert [t["name"] for t in tasks] == [test], (test, [t["name"] for t in tasks])
        assert {g["name"] for g in tasks[0]["regions"]} == {f"mine.{i:04d}"}, test
    # Its prelude names only what its events use, though the thread defined a
    # name per test before it (it once said them all again: 6.1 KB at the
    # 1000th failing test, 10.9 KB at the 2000th).
    if not sanitized():  # the text form comes through libctrace, with ctypes
        last = attachment_of(r.stdout, f"TestFails/{n - 1:04d}")[0]
        text = text_of(last, tmp_path / "last.txt")
        names = set(re.findall(r"mine\.\d{4}", text))
        assert names == {f"mine.{n - 1:04d}"}, sorted(names)[:5]


def background_run(tmp_path, window, test="TestFailsLate", env=None):
    """Eight tests (TestFailsLate fails) while a thread begun in the group's
    setup holds bg.session open: `test`'s attachment, the line under it, and
    its events (export)."""
    r = run(f"--flight-recorder={window}", f"--attach-dir={tmp_path}", FLIGHT,
            env={"FLIGHT_TESTS": "8", "FLIGHT_REGIONS": "2000", "FLIGHT_BACKGROUND": "1",
                 **(env or {})})
    assert r.returncode == 1, r
    path, under = attachment_of(r.stdout, test)
    out = tmp_path / "events.jsonl"
    run_ok("export", "--format=jsonl", "-o", out, path)
    return path, under, [json.loads(line) for line in out.read_text().splitlines()]


def test_what_another_thread_holds_open_is_cut_off_not_misuse(tmp_path):
    """The attachment ends at the test's end while the process goes on: a
    region still open there on another thread is cut off by the window, not
    a region the program never ended."""
    path, _, events = background_run(tmp_path, "2MiB")
    session = [e for e in events if e["kind"] == "region" and e["name"] == "bg.session"]
    assert len(session) == 1 and set(session[0]["flags"]) == {"unended", "cut"}, session
    end = [e for e in events if e["kind"] == "process_end"]
    assert len(end) == 1 and end[0]["flags"] == ["cut"], end
    stats = run_ok("stats", path).stdout
    assert re.search(r"^warnings:\s+0$", stats, re.M), stats
    assert "ran on past the window" in stats, stats


def duration_ns(text):
    """ns of a duration as the runner prints it: '457 us', '1.15 ms'."""
    number, unit = text.split()
    return float(number) * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]


def test_the_cut_note_says_what_the_attachment_holds_of_the_test(tmp_path):
    """TestHuge is cut while the background thread idles between its ticks:
    the note's 'held the last X' is the span the attachment holds of the
    test (its first huge.step kept to its end), not the idle thread's cut."""
    path, under, _ = background_run(tmp_path, "64KiB", "TestHuge", {"FLIGHT_HUGE": "20000"})
    m = re.search(r"held the last (\S+ \S+) of the test's (\S+ \S+);", under)
    assert m, under
    test = only_task(path, "TestHuge")
    first = min(g["start_ns"] for g in test["regions"] if g["name"] == "huge.step")
    held = test["end_ns"] - first
    assert 0.8 * held <= duration_ns(m.group(1)) <= 1.25 * held + 1000, (m.group(0), held)


@pytest.mark.parametrize("args, why", [
    (["--flight-recorder=1KiB"], "at least 64KiB"),
    (["--flight-recorder=lots"], "invalid value"),
    (["--attach-dir=d"], "give one of them too"),
])
def test_bad_flags_are_refused(tmp_path, args, why):
    r = run(*args, FLIGHT)
    assert r.returncode == 2 and why in r.stderr, r
