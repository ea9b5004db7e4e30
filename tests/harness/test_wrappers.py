"""A command that wraps the test binary (README, *Running tests*): env, a
shell that execs it or starts it as its child, timeout(1). The wrapper's
tracer leaves the pool to the test binary, which the trace then names (its
pid and executable); a timeout asks its threads for their stacks and kills
it, not only the wrapper."""

import json
import os
import re
import shutil

import pytest

from conftest import BUILD, PIPELINE, only, run, run_ok, tasks_by_name, thread_sanitized

TIMEOUT = BUILD / "examples" / "timeout_test"

WRAPPERS = {
    "env": ["env", "CTRACE_WRAPPED=1"],
    "sh exec": ["sh", "-c", 'exec "$0" "$@"'],
    "sh child": ["sh", "-c", 'cd / && "$0" "$@"; status=$?; echo wrapper done; exit $status'],
    "timeout": ["timeout", "600"],
}


def processes(trace):
    """The trace's process_begin events (export jsonl), and its main threads' tids."""
    jsonl = run_ok("export", "--format=jsonl", "-o", "-", trace).stdout
    events = [json.loads(line) for line in jsonl.splitlines()]
    return ([e for e in events if e["kind"] == "process_begin"],
            {e["tid"] for e in events if e["kind"] == "thread_begin" and e["parent_tid"] == 0})


@pytest.mark.parametrize("wrapper", sorted(WRAPPERS))
def test_a_wrapped_binary_is_traced_as_itself(tmp_path, wrapper):
    argv = WRAPPERS[wrapper]
    if shutil.which(argv[0]) is None:
        pytest.skip(f"no {argv[0]}")
    trace = tmp_path / "t.out"
    result = run_ok(f"--trace={trace}", "-v", "-run", "TestPipeline", "--", *argv, PIPELINE)
    assert "--- PASS: TestPipeline" in result.stdout, result
    task = only(tasks_by_name(trace)["TestPipeline"], "TestPipeline")
    assert task["status"] == "pass", task
    begins, main_tids = processes(trace)
    begin = only(begins, "process")
    # The process that ran the tests, not the wrapper: its own pid (its main
    # thread's tid), its own executable.
    assert begin["pid"] == task["pid"] and begin["pid"] in main_tids, (begin, task)
    assert begin["name"] == os.path.realpath(PIPELINE), begin
    if wrapper == "sh child":
        assert "wrapper done" in result.stdout, result


def test_a_binary_run_as_given_keeps_its_name(tmp_path):
    trace = tmp_path / "t.out"
    os.symlink(PIPELINE, tmp_path / "suite")
    run_ok(f"--trace={trace}", "-run", "TestPipeline", tmp_path / "suite")
    begin = only(processes(trace)[0], "process")
    assert begin["name"] == str(tmp_path / "suite"), begin  # not its link's target


def test_a_wrapper_that_runs_no_test_binary_still_fails(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "--", "sh", "-c", "echo no suite here")
    assert result.returncode == 1, result
    assert "no cmocka group ran" in result.stdout, result
    begin = only(processes(trace)[0], "process")
    assert begin["name"] == shutil.which("sh"), begin  # no process took the pool: the command


@pytest.mark.skipif(thread_sanitized(),
                    reason="TSan holds signals back from a thread blocked in a mutex")
def test_a_timeout_reaches_the_binary_a_wrapper_started(tmp_path):
    trace = tmp_path / "t.out"
    tsan = os.environ.get("TSAN_OPTIONS", "")
    result = run(f"--trace={trace}", "--timeout=1s", "-run", "TestHang", "--",
                 *WRAPPERS["sh child"], TIMEOUT,
                 env={"TIMEOUT_HOW": "deadlock", "TSAN_OPTIONS": tsan + ":detect_deadlocks=0"})
    assert result.returncode == 1, result
    assert "test timed out after 1s: killed" in result.stdout, result
    # Its threads were asked, not the shell's: both show where they block.
    assert "take_a_then_b" in result.stdout and "take_b_then_a" in result.stdout, result
    hung = only(tasks_by_name(trace)["TestHang"], "TestHang")
    assert hung["status"] == "timeout", hung
    stat = f"/proc/{hung['pid']}/stat"
    if os.path.exists(stat):  # killed: gone, or a zombie its new parent did not reap yet
        with open(stat) as f:
            assert f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"), hung


def test_a_flight_recorders_window_names_the_wrapped_binary(tmp_path):
    trace = tmp_path / "t.out"
    run_ok(f"--trace={trace}", "--flight-recorder=4MiB", "-run", "TestPipeline", "--",
           *WRAPPERS["sh child"], PIPELINE)
    task = only(tasks_by_name(trace)["TestPipeline"], "TestPipeline")
    begin = only(processes(trace)[0], "process")
    assert begin["pid"] == task["pid"] and begin["name"] == os.path.realpath(PIPELINE), begin


def test_a_driver_that_loads_its_suite_with_dlopen_is_traced(tmp_path):
    # No module of the driver links cmocka at its start: it takes the pool
    # as the loaded suite's first group begins, and that suite's trace
    # assertions are judged from its first test on.
    trace = tmp_path / "t.out"
    suites = BUILD / "tests" / "suites"
    result = run(f"--trace={trace}", "--", suites / "dlopen_driver",
                 suites / "libarmed_module.so", "armed_module_run")
    assert result.returncode == 1, result
    assert "--- PASS: TestOneStep" in result.stdout, result
    assert "--- FAIL: TestTwoSteps" in result.stdout, result
    assert "finished 2 times in this test, expected exactly 1" in result.stdout, result
    assert only(tasks_by_name(trace)["TestOneStep"], "TestOneStep")["status"] == "pass"


def test_a_failing_tests_trace_is_attached_through_a_wrapper(tmp_path):
    # The runner asks for each failure's trace by the pid its markers give,
    # the wrapped binary's.
    failing = BUILD / "examples" / "failing_test"
    result = run("--flight-recorder=4MiB", f"--junit={tmp_path / 'r.xml'}", "--",
                 *WRAPPERS["sh child"], failing)
    assert result.returncode == 1, result
    assert "--- FAIL:" in result.stdout and "no trace attached" not in result.stdout, result
    attached = re.findall(r"^    attachment: (\S+)$", result.stdout, re.M)
    assert attached and all(os.path.getsize(p) > 0 for p in attached), result


def test_a_baseline_saved_through_a_wrapper_holds_the_tests(tmp_path):
    base = tmp_path / "b.json"
    run_ok("-count", "2", f"--save-baseline={base}", "-run", "TestPipeline", "--",
           *WRAPPERS["sh child"], PIPELINE)
    assert json.loads(base.read_text())["run"]["test_runs"] == 2


def test_a_second_binary_a_wrapper_runs_fails_the_run(tmp_path):
    # The first binary takes the trace; cmocka's lines from the second are
    # tests nothing traced: the run cannot vouch for them.
    result = run(f"--trace={tmp_path / 't.out'}", "-run", "TestPipeline", "--",
                 "sh", "-c", '"$0" "$@"; "$0" "$@"', PIPELINE, "-run", "TestPipeline")
    assert result.returncode == 1, result
    assert "cmocka ran tests the tracer did not see, after the traced ones" in result.stdout, result
    assert "--- PASS: TestPipeline" in result.stdout, result  # the first binary's, traced
