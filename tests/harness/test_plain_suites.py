"""The runner on plain cmocka suites that neither include nor link ctrace
(examples/failing, examples/crash): the preloaded tracer makes each test a
task; a process that dies in a test costs that test only; --timeout, -count,
-skip, several binaries, -- ARGS and --trace-dir."""

import os

import pytest

from conftest import BUILD, run, run_ok, tasks_by_name, only

FAILING = BUILD / "examples" / "failing_test"
CRASH = BUILD / "examples" / "crash_test"


def test_plain_suite_is_traced_test_by_test(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "-v", FAILING, "--", "--hello", "two words")
    assert result.returncode == 1, result
    assert "argument: --hello\n" in result.stdout and "argument: two words\n" in result.stdout
    for line in ("--- PASS: TestParse", "--- FAIL: TestChecksum", "--- SKIP: TestNetwork",
                 "--- FAIL: TestQuery", "parsed 2 chunks"):
        assert line in result.stdout, result
    tasks = tasks_by_name(trace)
    expect = {"TestParse": "pass", "TestChecksum": "fail", "TestNetwork": "skip",
              "TestQuery": "error"}
    for name, status in expect.items():
        task = only(tasks[name], name)
        assert task["kind"] == "test" and task["status"] == status, task
    checksum = only(tasks["TestChecksum"], "TestChecksum")
    assert "0x45f != 0x3e8" in checksum["message"], checksum
    assert "failing_test.c:" in checksum["message"], checksum  # file:line
    assert "Skipped" in only(tasks["TestNetwork"], "TestNetwork")["message"]
    # group fixtures are tasks, a test's own setup and teardown regions in its task
    for fixture in ("parsing setup", "storage teardown"):
        assert only(tasks[fixture], fixture)["kind"] == "fixture"
    parse = only(tasks["TestParse"], "TestParse")
    assert [r["name"] for r in parse["regions"]] == ["setup", "teardown"], parse
    assert parse["duration_ns"] >= 1_000_000, parse  # it waited for its thread


def test_skip_and_run_filters(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "-run", "Test(Parse|Checksum)", "-skip", "Checksum",
                 FAILING)
    assert result.returncode == 0, result
    assert set(tasks_by_name(trace)) >= {"TestParse"}
    assert not {"TestChecksum", "TestNetwork", "TestQuery"} & set(tasks_by_name(trace))


def test_count_runs_each_test_again(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "-v", "-count", "3", "-run", "TestParse", FAILING)
    assert result.returncode == 0, result
    assert result.stdout.count("--- PASS: TestParse") == 3, result
    runs = tasks_by_name(trace)["TestParse"]
    assert len(runs) == 3 and len({t["id"] for t in runs}) == 3, runs


@pytest.mark.parametrize("count", ["0", "-1", "x"])
def test_bad_count_is_refused(count):
    result = run("-count", count, FAILING)
    assert result.returncode == 2, result
    assert "-count" in result.stderr, result


@pytest.mark.parametrize(
    "how,why",
    [
        ("abort", "signal 6 (SIGABRT)"),
        ("segv", "signal 11 (SIGSEGV)"),
        ("kill", "signal 9 (SIGKILL)"),
        ("exit", "exited with code 3"),
    ],
)
def test_crash_costs_one_test(tmp_path, how, why):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "-v", CRASH, env={"CRASH_HOW": how})
    assert result.returncode == 1, result
    assert f"about to crash by {how}" in result.stdout, result  # not lost in a buffer
    assert "--- FAIL: TestCrash" in result.stdout, result
    assert "--- PASS: TestAfterCrash" in result.stdout, result
    assert "after the crash" in result.stdout, result
    tasks = tasks_by_name(trace)
    crash = only(tasks["TestCrash"], "TestCrash")
    assert crash["status"] == "crash" and why in crash["message"], crash
    assert crash["unended"], crash
    before = only(tasks["TestBeforeCrash"], "TestBeforeCrash")
    after = only(tasks["TestAfterCrash"], "TestAfterCrash")
    assert before["status"] == after["status"] == "pass"
    assert before["pid"] == crash["pid"] != after["pid"]  # resumed in a new process
    assert run("stats", trace).returncode == 0  # whole, finished by the runner


def test_timeout_kills_a_hung_test_and_goes_on(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "--timeout=1s", CRASH, env={"CRASH_HOW": "hang"})
    assert result.returncode == 1, result
    assert "test timed out after 1s" in result.stdout, result
    tasks = tasks_by_name(trace)
    hung = only(tasks["TestCrash"], "TestCrash")
    assert hung["status"] == "timeout", hung
    assert "timed out after 1s" in hung["message"], hung
    assert hung["duration_ns"] >= 900_000_000, hung
    assert only(tasks["TestAfterCrash"], "TestAfterCrash")["status"] == "pass"
    stats = run_ok("stats", trace)
    assert "timed out" in stats.stdout, stats


@pytest.mark.parametrize("value", ["10", "-1s", "soon"])
def test_bad_timeout_is_refused(value):
    result = run(f"--timeout={value}", CRASH)
    assert result.returncode == 2 and "--timeout" in result.stderr, result


def test_several_binaries_one_trace(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", FAILING, CRASH)
    assert result.returncode == 1, result
    assert result.stdout.count("trace: ") == 2, result  # a final line per binary
    tasks = tasks_by_name(trace)
    assert "TestParse" in tasks and "TestAfterCrash" in tasks, sorted(tasks)


def test_trace_dir_gives_a_trace_per_binary(tmp_path):
    result = run(f"--trace-dir={tmp_path}", FAILING, CRASH)
    assert result.returncode == 1, result
    names = sorted(os.listdir(tmp_path))
    assert names == ["crash_test.trace", "failing_test.trace"], names
    assert "TestParse" in tasks_by_name(tmp_path / "failing_test.trace")
    assert "TestAfterCrash" in tasks_by_name(tmp_path / "crash_test.trace")
    assert str(tmp_path / "failing_test.trace") in result.stdout, result


def test_trace_dir_misuse_is_refused(tmp_path):
    made = run(f"--trace-dir={tmp_path / 'made' / 'here'}", FAILING)  # as --attach-dir
    assert made.returncode == 1 and (tmp_path / "made" / "here" / "failing_test.trace").exists()
    (tmp_path / "file").write_text("")
    not_dir = run(f"--trace-dir={tmp_path / 'file' / 'sub'}", FAILING)
    assert not_dir.returncode == 2 and "--trace-dir: not a directory" in not_dir.stderr, not_dir
    both = run(f"--trace-dir={tmp_path}", f"--trace={tmp_path / 't'}", FAILING)
    assert both.returncode == 2 and "cannot be combined" in both.stderr, both


def test_progress_line_per_test_when_not_a_terminal(tmp_path):
    result = run(f"--trace={tmp_path / 't.out'}", FAILING)  # captured: not a terminal
    lines = result.stdout.splitlines()
    assert "--- PASS: TestParse (" in result.stdout, result
    assert any(l.startswith("--- SKIP: TestNetwork (") for l in lines), result
    assert "parsed 2 chunks" not in result.stdout  # a pass's output is not shown
    assert "=== RUN" not in result.stdout


def test_progress_counter_on_a_terminal(tmp_path):
    import pty
    import subprocess
    from conftest import CTEST_TRACE
    leader, follower = pty.openpty()
    proc = subprocess.run([str(CTEST_TRACE), f"--trace={tmp_path / 't.out'}", str(FAILING)],
                          stdin=subprocess.DEVNULL, stdout=follower, stderr=subprocess.PIPE,
                          timeout=300)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.returncode == 1, (proc, seen)
    text = seen.decode("utf-8", "replace")
    # a counter redrawn in place: the first group announces 3 tests, the second 1 more
    assert "[1/3] TestParse" in text and "[4/4] TestQuery" in text, text
    assert "\r\x1b[K" in text, text
    assert "--- PASS" not in text, text  # passes show only in the counter
    assert "--- FAIL: TestChecksum" in text, text


def test_meson_test_wrapper_gives_a_trace_per_test_binary(tmp_path):
    # what README shows: meson test --wrapper="ctest-trace --trace-dir=DIR"
    import shutil
    import subprocess
    from conftest import CTEST_TRACE
    meson = shutil.which("meson")
    if meson is None:
        import pytest
        pytest.skip("meson is not on PATH")
    junit = tmp_path.parent / (tmp_path.name + "-junit")
    proc = subprocess.run(
        [meson, "test", "-C", str(BUILD), "--no-rebuild", "--suite", "examples",
         f"--wrapper={CTEST_TRACE} --trace-dir={tmp_path} --junit-dir={junit}"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the example suites meson runs: a trace each, and a JUnit file each
    assert sorted(os.listdir(tmp_path)) == ["gate_test.trace", "pipeline_test.trace"], \
        os.listdir(tmp_path)
    assert sorted(os.listdir(junit)) == ["gate_test.xml", "pipeline_test.xml"], \
        os.listdir(junit)  # (all passed: no attachment directories)
    from conftest import assert_valid_junit
    for xml in junit.iterdir():
        assert_valid_junit(xml)
    assert "TestPipeline" in tasks_by_name(tmp_path / "pipeline_test.trace")


def test_contract_flags_not_built_yet_are_refused_as_such():
    # DESIGN.md §4 names them; this version says so rather than "unknown flag"
    for flag in ["--cpu-hz=99"]:
        r = run(flag, FAILING)
        name = flag.split("=")[0]
        assert r.returncode == 2 and f"{name}: not implemented in this version" in r.stderr, r
