"""Files a run writes (--trace, --trace-dir, --junit and its attachments) are
replaced only when complete: written beside as NAME.partial, then renamed. A
runner killed with SIGKILL takes its test process along and leaves the old
files as they were; symbolic links are written through; FIFOs and devices
are written directly, never replaced; a full disk is an error naming the
file."""

import os
import re
import signal
import stat
import subprocess
import threading
import time

import pytest

from conftest import BUILD, CTEST_TRACE, PIPELINE, TIMEOUT_S, in_full_tmpfs, run, run_ok, tasks_by_name

CRASH = BUILD / "examples" / "crash_test"
FAILING = BUILD / "examples" / "failing_test"
MAGIC = b"\x89CTRACE\n"


def alive(pid):
    """Whether `pid` runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X", "x")


def children(pid):
    kids = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            kids += [int(k) for k in f.read().split()]
    return kids


@pytest.mark.parametrize("where", ["trace", "trace-dir"])
def test_runner_killed_takes_its_test_along_and_keeps_the_old_files(tmp_path, where):
    trace = tmp_path / ("crash_test.trace" if where == "trace-dir" else "t.out")
    trace.write_text("the trace before\n")
    xml = tmp_path / "r.xml"
    xml.write_text("the report before\n")
    flag = f"--trace-dir={tmp_path}" if where == "trace-dir" else f"--trace={trace}"
    proc = subprocess.Popen([str(CTEST_TRACE), flag, f"--junit={xml}", "-v", str(CRASH)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env={**os.environ, "CRASH_HOW": "hang"})
    try:
        seen = b""
        while b"about to crash by hang" not in seen:  # the test is running
            line = proc.stdout.readline()
            assert line, seen
            seen += line
        test_pids = children(proc.pid)
        assert test_pids, "the runner has no test process"
        # each drain (every 10 ms) ends in the file, where the test before is
        # soon to be read
        partial = trace.parent / (trace.name + ".partial")
        deadline = time.monotonic() + 60
        while "TestBeforeCrash" not in task_names(partial) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=TIMEOUT_S)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in test_pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(p) for p in test_pids), "the test process outlived its runner"
    finally:
        proc.kill()
        proc.stdout.close()
    assert trace.read_text() == "the trace before\n"
    assert xml.read_text() == "the report before\n"
    assert not (tmp_path / "r.xml.partial").exists()
    # what the runner wrote before it died: a trace cut short, read up to the cut
    stats = run("stats", partial)
    assert stats.returncode == 1 and "damaged at byte" in stats.stderr, stats
    assert "TestBeforeCrash" in task_names(partial)


def task_names(trace):
    """The task names of a trace that may be cut short (exit status 1)."""
    import json
    result = run("tasks", "--json", trace)
    assert result.returncode in (0, 1), result
    return {t["name"] for t in json.loads(result.stdout)["tasks"]}


def test_complete_files_leave_no_partial(tmp_path):
    result = run(f"--trace-dir={tmp_path}", f"--junit={tmp_path / 'r.xml'}", FAILING)
    assert result.returncode == 1, result
    names = os.listdir(tmp_path)
    assert "failing_test.trace" in names and "r.xml" in names, names
    assert not [n for n in names if "partial" in n or n.endswith(".txt")], names
    attachments = [n for n in names if n.startswith("failing_test.") and n.count(".") > 2]
    assert attachments, names
    for name in attachments:
        assert (tmp_path / name).read_bytes().startswith(MAGIC), name


def test_symlinks_are_written_through(tmp_path):
    (tmp_path / "real").mkdir()
    real_trace, real_xml = tmp_path / "real" / "t.out", tmp_path / "real" / "r.xml"
    real_trace.write_text("old")
    os.symlink("real/t.out", tmp_path / "t.link")           # relative
    os.symlink(tmp_path / "real" / "r.xml", tmp_path / "r.link")  # absolute, dangling
    result = run(f"--trace={tmp_path / 't.link'}", f"--junit={tmp_path / 'r.link'}",
                 "--attach-dir", tmp_path / "att", FAILING)
    assert result.returncode == 1, result
    for link in ("t.link", "r.link"):
        assert os.path.islink(tmp_path / link), link
    assert real_trace.read_bytes().startswith(MAGIC)
    assert "TestParse" in tasks_by_name(tmp_path / "t.link")
    assert real_xml.read_text().startswith("<?xml"), real_xml.read_text()
    assert not [n for n in os.listdir(tmp_path / "real") if "partial" in n]


def test_fifo_gets_the_trace_and_the_report(tmp_path):
    got = {}

    def drain(name):
        with open(tmp_path / name, "rb") as f:
            got[name] = f.read()

    readers = []
    for name in ("trace.fifo", "xml.fifo"):
        os.mkfifo(tmp_path / name)
        readers.append(threading.Thread(target=drain, args=(name,), daemon=True))
        readers[-1].start()
    result = run(f"--trace={tmp_path / 'trace.fifo'}", f"--junit={tmp_path / 'xml.fifo'}",
                 "--attach-dir", tmp_path / "att", FAILING)
    for r in readers:
        r.join(timeout=TIMEOUT_S)
    assert result.returncode == 1, result
    for name in ("trace.fifo", "xml.fifo"):
        assert stat.S_ISFIFO(os.lstat(tmp_path / name).st_mode), name
    assert got["trace.fifo"].startswith(MAGIC), got["trace.fifo"][:16]
    assert got["xml.fifo"].startswith(b"<?xml"), got["xml.fifo"][:64]
    # the attachments were cut from the run's own copy of the trace
    assert b"[[ATTACHMENT|" in got["xml.fifo"], got["xml.fifo"]
    copy = tmp_path / "copy.out"
    copy.write_bytes(got["trace.fifo"])
    assert "TestParse" in tasks_by_name(copy)


def test_devices_are_written_never_replaced(tmp_path):
    before = os.stat("/dev/null")
    result = run("--trace=/dev/null", "--junit=/dev/null", "--attach-dir", tmp_path,
                 "-run", "TestPipeline", PIPELINE)
    assert result.returncode == 0, result
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert not os.path.exists("/dev/null.partial")
    xml = run("--junit=/dev/stdout", "-run", "TestPipeline", PIPELINE)
    assert xml.returncode == 0 and "<testsuites" in xml.stdout, xml


@pytest.mark.parametrize("flag", ["--trace", "--junit"])
def test_full_device_is_an_error_naming_it(flag):
    result = run(f"{flag}=/dev/full", "-run", "TestPipeline", PIPELINE)
    assert result.returncode == 2, result
    assert "ctest-trace: /dev/full: no space left on device" in result.stderr, result
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)


def test_full_disk_trace_is_an_error_and_the_old_one_stays(tmp_path):
    proc = in_full_tmpfs(tmp_path, (
        'rm -f "$FULL/filler"; echo old > "$FULL/t.out"; '
        'dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null; '
        f'"$CT" --trace="$FULL/t.out" -run TestPipeline {PIPELINE}; echo "exit=$?"; '
        'cat "$FULL/t.out"; ls "$FULL"'))
    assert "exit=2" in proc.stdout, proc
    assert f"ctest-trace: {tmp_path}/full/t.out: cannot create the trace: no space left on device" \
        in proc.stderr, proc
    assert "\nold\n" in proc.stdout, proc  # untouched
    assert "t.out.partial" not in proc.stdout, proc


def test_full_disk_attachments_are_an_error_never_empty(tmp_path):
    xml = tmp_path / "r.xml"
    proc = in_full_tmpfs(tmp_path, (
        f'"$CT" --junit={xml} --attach-dir="$FULL" {FAILING}; echo "exit=$?"; '
        'ls -l "$FULL" | grep -c trace'))
    assert "exit=2" in proc.stdout, proc
    assert "no space left on device (2 attachments not written" in proc.stderr, proc
    assert f"ctest-trace: {tmp_path}/full/failing_test." in proc.stderr, proc
    assert proc.stdout.strip().endswith("\n0"), proc  # no attachment, not even empty
    report = xml.read_text()
    assert "<failure" in report and "[[ATTACHMENT|" not in report, report


def test_full_disk_junit_is_an_error_and_the_old_one_stays(tmp_path):
    proc = in_full_tmpfs(tmp_path, (
        'rm -f "$FULL/filler"; echo old > "$FULL/r.xml"; '
        'dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null; '
        f'"$CT" --junit="$FULL/r.xml" --attach-dir={tmp_path} {FAILING}; echo "exit=$?"; '
        'cat "$FULL/r.xml"; ls "$FULL"'))
    assert "exit=2" in proc.stdout, proc
    assert f"ctest-trace: {tmp_path}/full/r.xml: no space left on device" in proc.stderr, proc
    assert "\nold\n" in proc.stdout and "r.xml.partial" not in proc.stdout, proc


def test_parallel_runs_claim_trace_dir_names(tmp_path):
    # meson runs two tests of one binary at once with one --trace-dir: each
    # run claims a name of its own; a later run replaces the first name.
    import subprocess
    from conftest import CTEST_TRACE
    gate = BUILD / "examples" / "gate" / "gate_test"
    traces = tmp_path / "made" / "here"  # made if missing
    args = [str(CTEST_TRACE), f"--trace-dir={traces}", "-count", "20", str(gate)]  # ~0.4 s: they overlap
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    names = sorted(os.listdir(traces))
    assert names == ["gate_test.2.trace", "gate_test.3.trace", "gate_test.trace"], names
    shown = sorted(re.search(r"trace: (\S+)$", o, re.M).group(1) for o, _ in outs)
    assert shown == sorted(str(traces / n) for n in names), shown
    for n in names:
        assert run_ok("stats", traces / n).returncode == 0
    # Every run is over: the next replaces the first name.
    run_ok(f"--trace-dir={traces}", "-run", "test_noisy", gate)
    assert sorted(os.listdir(traces)) == names
    tasks = tasks_by_name(traces / "gate_test.trace")
    assert set(tasks) == {"test_noisy"}, tasks


def test_trace_and_junit_directories_are_made_if_missing(tmp_path):
    trace, xml = tmp_path / "t" / "u" / "run.trace", tmp_path / "j" / "report.xml"
    result = run(f"--trace={trace}", f"--junit={xml}", FAILING)
    assert result.returncode == 1, result
    run_ok("stats", trace)
    assert xml.read_text().startswith("<?xml"), xml
    (tmp_path / "file").write_text("")
    refused = run(f"--trace={tmp_path / 'file' / 'run.trace'}", FAILING)
    assert refused.returncode == 2, refused
    assert f"{tmp_path / 'file'}: --trace: not a directory" in refused.stderr, refused
