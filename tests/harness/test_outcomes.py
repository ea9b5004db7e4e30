"""How the run and the trace report each way a test ends (tests/suites/outcomes_test.c):
pass, fail with cmocka's message, skip, a signal cmocka caught (crash), a failing
setup (error), a death of the whole process (crash, with the signal or exit code),
a failing group setup; and what a test prints, in order, never taken for a marker."""

import pytest

from conftest import BUILD, assemble, only, run, sanitized, tasks_by_name

SUITE = BUILD / "tests" / "suites" / "outcomes_test"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    trace = tmp_path_factory.mktemp("outcomes") / "trace.out"
    result = run(f"--trace={trace}", "-v", SUITE)
    assert result.returncode == 1, result
    return trace, result


def status_of(trace, name):
    return only(tasks_by_name(trace)[name], f"task {name}")


def test_each_status_and_message(outcomes):
    trace, _ = outcomes
    expect = {
        "TestPasses": ("pass", None),
        "TestFails": ("fail", "0x2 != 0x3\n"),
        "TestFailsWithMessage": ("fail", "custom message 7\n"),
        "TestSkips": ("skip", "Skipped!"),
        "TestSegfaultCaught": ("crash", "Segmentation fault"),
        "TestWithFailingSetup": ("error", "setup failed"),
    }
    for name, (status, words) in expect.items():
        task = status_of(trace, name)
        if task["status"] == "skip" and "ThreadSanitizer" in (task["message"] or ""):
            continue  # the suite says why it cannot fault under TSan
        assert task["kind"] == "test", task
        assert task["status"] == status, task
        if words:
            assert words in task["message"], task
            # cmocka's decoration is gone, file:line stays
            assert "[  ERROR   ]" not in task["message"], task
    assert "outcomes_test.c:" in status_of(trace, "TestFails")["message"]


def test_failure_closes_what_the_test_left_open(outcomes):
    trace, _ = outcomes
    failed = status_of(trace, "TestFails")
    region = only(failed["regions"], "region of TestFails")
    assert region["name"] == "left open by the failure" and region["unended"], region
    assert region["start_ns"] + region["duration_ns"] <= failed["end_ns"], (region, failed)
    never = only(tasks_by_name(trace)["never ended"], "task never ended")
    leaves = status_of(trace, "TestLeavesTaskOpen")
    assert never["parent"] == leaves["id"] and never["unended"], never
    assert never["end_ns"] <= leaves["end_ns"], (never, leaves)
    stats = run("stats", trace)
    assert 'task "never ended"' in stats.stdout and "never ended; closed at the end of test" in stats.stdout


def test_output_keeps_its_order(outcomes):
    _, result = outcomes
    out = result.stdout
    positions = [out.index(s) for s in ("A-printf", "B-write", "C-stderr", "D-printf")]
    assert positions == sorted(positions), out


def test_printed_markers_are_only_output(outcomes):
    trace, result = outcomes
    assert "Forged" not in tasks_by_name(trace)
    assert "--- FAIL: Forged" not in result.stdout
    assert "--- PASS: TestPrintsForgedMarkers" in result.stdout


@pytest.mark.parametrize(
    "death, why",
    [
        ("abort", "signal 6 (SIGABRT)"),
        ("kill", "signal 9 (SIGKILL)"),
        ("exit", "exited with code 3"),
    ],
)
def test_process_death_is_a_crash(tmp_path, death, why):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "-v", "-run", "TestPasses|TestDies", SUITE,
                 env={"OUTCOMES_DEATH": death})
    assert result.returncode == 1, result
    assert f"about to die by {death}" in result.stdout, result  # not lost in a buffer
    assert "--- FAIL: TestDies" in result.stdout, result
    dies = status_of(trace, "TestDies")
    assert dies["status"] == "crash", dies
    assert why in dies["message"], dies
    region = only(dies["regions"], "region of TestDies")
    assert region["unended"], region
    # closed when the process died, at or after its last event
    assert dies["end_ns"] >= region["start_ns"] + region["duration_ns"], dies
    assert status_of(trace, "TestPasses")["status"] == "pass"
    assert run("stats", trace).returncode == 0  # the runner finished the trace


def test_group_setup_failure_is_reported(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "-run", "TestInSecondGroup", SUITE,
                 env={"OUTCOMES_GROUP_SETUP": "fail"})
    assert result.returncode == 1, result
    assert "--- FAIL: second setup" in result.stdout, result
    assert "no tests to run" not in result.stdout, result
    fixture = only(tasks_by_name(trace)["second setup"], "fixture task")
    assert fixture["kind"] == "fixture" and fixture["status"] == "error", fixture
    assert "returned -1" in fixture["message"], fixture


def test_group_setup_failing_assert_is_closed(tmp_path):
    # fail_msg() in a group setup leaves it by longjmp: the fixture must still
    # end, with cmocka's message, and not swallow the groups after it
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "-v", "-run", "TestInSecondGroup|TestInThirdGroup", SUITE,
                 env={"OUTCOMES_GROUP_SETUP": "assert"})
    assert result.returncode == 1, result
    assert "--- FAIL: second setup" in result.stdout, result
    assert "--- PASS: TestInThirdGroup" in result.stdout, result
    tasks = tasks_by_name(trace)
    fixture = only(tasks["second setup"], "fixture task")
    assert fixture["status"] == "error" and not fixture["unended"], fixture
    assert "database db7 not reachable" in fixture["message"], fixture
    # the group's teardown still runs: its own task, after the setup's end
    teardown = only(tasks["second teardown"], "teardown task")
    assert teardown["status"] == "pass" and teardown["start_ns"] >= fixture["end_ns"], teardown
    assert "GROUP SETUP" not in fixture["message"], fixture  # no cmocka summary in it
    third = only(tasks["TestInThirdGroup"], "test task")
    assert third["status"] == "pass" and third["parent"] is None, third


# A user task whose parent already ended, in a test still open: left open, it
# is closed at its test's end like any other task of the test (its root is
# found through the ended parent).
ORPHAN = """\
ctrace 1.2
trace_begin major=1 minor=2 writer="orphan" mono_ns=1000 realtime_ns=0
schema
process_begin proc=0 pid=7 exe="/orphan" clock=0 hz=1000000000 tsc0=1000 ns0=1000
batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000
  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0
  string id=1 bytes="TestOrphan"
  string id=2 bytes="parent"
  string id=3 bytes="child of an ended parent"
  string id=4 bytes="TestLater"
  task_begin +100 task=1 parent=0 name=1 kind=1
  task_begin +100 task=2 parent=1 name=2 kind=0
  task_end +100 task=2
  task_begin +100 task=3 parent=2 name=3 kind=0
  task_status +100 task=1 status=1 message=""
  task_end +10 task=1
  task_begin +100000 task=4 parent=0 name=4 kind=1
  task_status +100 task=4 status=1 message=""
  task_end +10 task=4
process_end proc=0 how=0 code=0 dropped=0
trace_end batches=1 event_bytes=0
"""


@pytest.mark.skipif(sanitized(), reason="a sanitizer's libctrace.so cannot be loaded into Python")
def test_a_task_under_an_ended_parent_closes_with_its_test(tmp_path):
    text, trace = tmp_path / "orphan.txt", tmp_path / "orphan.trace"
    text.write_text(ORPHAN)
    assemble(text, trace)
    tasks = tasks_by_name(trace)
    test = only(tasks["TestOrphan"], "TestOrphan")
    child = only(tasks["child of an ended parent"], "child task")
    assert child["unended"] and child["end_ns"] <= test["end_ns"], (child, test)
    stats = run("stats", trace)
    assert "never ended; closed at the end of test" in stats.stdout, stats
