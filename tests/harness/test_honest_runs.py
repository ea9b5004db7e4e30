"""Runs that never lie (issue 11, point 4), on suites built for it in
tests/suites: a test that loses the binary's stdout (and the markers on it)
is reported as its trace knows it, and no test runs twice (stdout_lost_test);
a binary in which no cmocka group ran fails, saying why and
what to do, unless it exited 77 first: a skip (no_group_main,
static_cmocka_test); a process a test leaves behind holding the output adds
nothing to what comes after (lingering_test)."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import BUILD, PIPELINE, run, tasks_by_name, only

SUITES = BUILD / "tests" / "suites"
LINGERING = SUITES / "lingering_test"
NO_GROUP = SUITES / "no_group_main"
STATIC_CMOCKA = SUITES / "static_cmocka_test"
FAILING = BUILD / "examples" / "failing_test"
STDOUT_LOST = SUITES / "stdout_lost_test"
ALL_LOST = ["t_before", "t_lose", "t_after", "t_fails", "t_crash", "t_last", "t_second_a",
            "t_second_b", "t_third_crash", "t_third_after"]


def junit_cases(xml):
    return {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}


# ---- a test that loses stdout --------------------------------------------------------


def lost_run(tmp_path, *flags, **env):
    """Run stdout_lost_test; also return the tests that ran, as they logged
    themselves (a test run twice shows twice), and the trace."""
    log, trace = tmp_path / "runs.log", tmp_path / "t.out"
    result = run(f"--trace={trace}", "-v", *flags, STDOUT_LOST, env={"RUNS_LOG": str(log), **env})
    return result, log.read_text().split(), trace


@pytest.mark.parametrize("how", ["dup2", "closeall"])
def test_a_test_that_loses_stdout_passes_and_the_next_run_once(tmp_path, how):
    result, runs, trace = lost_run(tmp_path, LOSE=how)
    assert result.returncode == 0, result
    assert sorted(runs) == sorted(ALL_LOST), runs  # each once
    for test in ALL_LOST:
        assert result.stdout.count(f"--- PASS: {test} (") == 1, result
    assert "--- FAIL" not in result.stdout and f"ok  \t{STDOUT_LOST}" in result.stdout, result
    assert "its output was lost in t_lose" in result.stderr, result
    assert "the results of 9 tests from there on come from its trace" in result.stderr, result
    tasks = tasks_by_name(trace)
    assert len({only(tasks[t], t)["pid"] for t in ALL_LOST}) == 1  # never started again


def test_results_after_the_output_was_lost_are_the_traces(tmp_path):
    xml = tmp_path / "r.xml"
    result, runs, trace = lost_run(tmp_path, f"--junit={xml}", LOSE="dup2", FAIL_AFTER="1",
                                   CRASH_AFTER="1")
    assert result.returncode == 1, result
    assert sorted(runs) == sorted(ALL_LOST), runs  # the crash cost one test, run once
    out = result.stdout
    assert "--- FAIL: t_fails" in out and "failed with its output gone" in out, result
    assert "the binary ended during this test: signal: aborted\n--- FAIL: t_crash" in out, result
    assert "--- PASS: t_last" in out, result
    tasks = tasks_by_name(trace)
    assert only(tasks["t_crash"], "t_crash")["status"] == "crash"
    assert only(tasks["t_last"], "t_last")["pid"] != only(tasks["t_crash"], "t_crash")["pid"]
    cases = junit_cases(xml)
    failure = cases["t_fails"].find("failure")
    assert "failed with its output gone" in failure.get("message"), ET.tostring(failure)
    assert cases["t_crash"].find("error").get("type") == "crash"


def test_output_lost_between_groups(tmp_path):
    result, runs, _ = lost_run(tmp_path, LOSE_BETWEEN="1")
    assert result.returncode == 0, result
    assert sorted(runs) == sorted(ALL_LOST), runs
    for test in ("t_second_a", "t_second_b", "t_third_crash", "t_third_after"):
        assert f"--- PASS: {test} (" in result.stdout, result
    assert "its output was lost before t_second_a" in result.stderr, result


def test_where_to_go_on_unknown_is_said_not_guessed(tmp_path):
    # the second group's setup failed after the output was lost: its tests'
    # ordinals are unknown, so after the crash nothing runs again rather
    # than a test twice
    result, runs, _ = lost_run(tmp_path, LOSE="dup2", SECOND_SETUP="fail", CRASH_THIRD="1")
    assert result.returncode == 1, result
    assert len(runs) == len(set(runs)) and "t_third_after" not in runs, runs
    assert "--- FAIL: second setup" in result.stdout, result
    assert "--- FAIL: t_third_crash" in result.stdout, result
    assert "the tests after this point did not run" in result.stdout, result


def test_timeout_sees_progress_the_trace_saw(tmp_path):
    # after the output was lost each of the last two tests takes 1.2 s: the
    # runner's markers show nothing for 2.4 s, the trace shows the first end
    result, runs, _ = lost_run(tmp_path, "--timeout=2s", LOSE="dup2", SLOW_MS="1200")
    assert result.returncode == 0, result
    assert "timed out" not in result.stdout, result
    assert sorted(runs) == sorted(ALL_LOST), runs


def test_timeout_after_the_output_was_lost(tmp_path):
    result, runs, trace = lost_run(tmp_path, "--timeout=1s", LOSE="dup2", HANG_THIRD="1")
    assert result.returncode == 1, result
    # Then the stacks its threads wrote (the trace has them, lost output or not).
    shown = re.search(r"test timed out after 1s: killed\n((?:\n|thread .*\n|    .*\n)*)"
                      r"--- FAIL: t_third_crash", result.stdout)
    assert shown and "    t_third_crash (" in shown.group(1), result
    assert sorted(runs) == sorted(ALL_LOST), runs  # resumed after it, exactly
    assert only(tasks_by_name(trace)["t_third_crash"], "t")["status"] == "timeout"


# ---- a binary in which no cmocka group ran ----------------------------------------


def test_a_program_that_is_no_cmocka_suite_fails(tmp_path):
    xml = tmp_path / "r.xml"
    result = run(f"--junit={xml}", NO_GROUP)
    assert result.returncode == 1, result
    out = result.stdout
    assert "not a cmocka suite\n" in out, result  # what it printed: all we know of it
    assert "no cmocka group ran: ctest-trace runs cmocka test binaries" in out, result
    assert "exits 77 before any group" in out, result  # what to do if it meant to skip
    assert f"FAIL\t{NO_GROUP}\t" in out and "ok  \t" not in out, result
    error = junit_cases(xml)["(no cmocka group ran)"].find("error")
    assert error is not None and error.get("message").startswith("no cmocka group ran:"), \
        ET.tostring(error)
    events = [json.loads(l) for l in run("--json", NO_GROUP).stdout.splitlines()]
    assert events[-1]["Action"] == "fail", events


def test_exit_77_before_any_group_is_a_skip(tmp_path):
    xml = tmp_path / "r.xml"
    result = run(f"--junit={xml}", NO_GROUP, "--", "77")
    assert result.returncode == 77, result
    assert "exit status 77 before any cmocka group ran: the binary skipped itself" \
        in result.stdout, result
    assert f"SKIP\t{NO_GROUP}\t" in result.stdout, result
    assert "not a cmocka suite" in result.stdout, result  # why it skipped, if it said
    skipped = junit_cases(xml)["(no cmocka group ran)"].find("skipped")
    assert skipped is not None and "skipped itself" in skipped.get("message"), ET.tostring(skipped)
    events = [json.loads(l) for l in run("--json", NO_GROUP, "--", "77").stdout.splitlines()]
    assert events[-1]["Action"] == "skip", events


def test_a_skip_yields_to_the_other_binaries(tmp_path):
    both_skip = run(NO_GROUP, NO_GROUP, "--", "77")
    assert both_skip.returncode == 77, both_skip
    with_a_pass = run("-run", "TestPipeline", NO_GROUP, PIPELINE, "--", "77")
    assert with_a_pass.returncode == 0, with_a_pass
    with_a_failure = run("-run", "TestChecksum", NO_GROUP, FAILING, "--", "77")
    assert with_a_failure.returncode == 1, with_a_failure


def test_other_exit_statuses_without_a_group_fail(tmp_path):
    result = run(NO_GROUP, "--", "3")
    assert result.returncode == 1, result
    assert "binary exited with status 3\n" in result.stdout, result
    assert "no cmocka group ran" in result.stdout, result


def test_cmocka_tests_the_tracer_never_saw_fail(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", STATIC_CMOCKA)
    assert result.returncode == 1, result
    assert "[ RUN      ] t_static" in result.stdout, result  # cmocka's own report, as printed
    assert "no test was traced: cmocka ran tests, but no cmocka group the tracer hooks" \
        in result.stdout, result
    assert "links cmocka statically" in result.stdout, result
    assert "cmocka_run_group_tests()" in result.stdout, result  # what to do
    assert "t_static" not in tasks_by_name(trace)


def test_a_group_with_no_test_selected_still_ran():
    result = run("-run", "NoSuchTest", PIPELINE)
    assert result.returncode == 0, result
    assert "testing: warning: no tests to run" in result.stdout, result
    assert "no cmocka group ran" not in result.stdout, result


def test_nothing_preloaded_is_said(tmp_path):
    result = run(FAILING, env={"CTRACE_PRELOAD": ""})
    assert result.returncode == 1, result
    assert "libctrace.so was not preloaded (CTRACE_PRELOAD is empty)" in result.stdout, result


# ---- a process left behind holding the output -------------------------------------

# The sleeper holds the output 3 s; the runner waits up to 2 s for it after
# the binary exits. Whatever paid for either would take well over 1.5 s.
SLOW = 1.5


def final_line_seconds(stdout, binary):
    """The elapsed time on the binary's final `ok`/`FAIL` line."""
    m = re.search(r"^(?:ok  |FAIL)\t" + re.escape(str(binary)) + r"\t([0-9.]+)s\t", stdout, re.M)
    assert m, stdout
    return float(m.group(1))


def shown_seconds(stdout, test):
    m = re.search(r"^--- (?:PASS|FAIL): " + re.escape(test) + r" \(([0-9.]+)s\)$", stdout, re.M)
    assert m, stdout
    return float(m.group(1))


def test_a_lingering_process_adds_nothing_after_a_crash(tmp_path):
    trace, xml = tmp_path / "t.out", tmp_path / "r.xml"
    result = run(f"--trace={trace}", f"--junit={xml}", "-v", LINGERING,
                 env={"LINGERING": "abort"})
    assert result.returncode == 1, result
    assert "the binary ended during this test: signal: aborted" in result.stdout, result
    assert "last ran" in result.stdout, result  # resumed after it
    assert shown_seconds(result.stdout, "t_ends") < SLOW, result
    assert final_line_seconds(result.stdout, LINGERING) < SLOW, result
    tasks = tasks_by_name(trace)
    for name in ("t_next", "t_ends", "t_last"):
        assert only(tasks[name], name)["duration_ns"] < SLOW * 1e9, tasks[name]
    root = ET.parse(xml).getroot()
    times = {c.get("name"): float(c.get("time")) for c in root.iter("testcase")}
    assert times["t_ends"] < SLOW and float(root.find("testsuite").get("time")) < SLOW, times


def test_a_lingering_process_adds_nothing_to_a_timeout(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "--timeout=1s", "-v", LINGERING, env={"LINGERING": "hang"})
    assert result.returncode == 1, result
    assert "test timed out after 1s" in result.stdout, result
    # killed a second after it began; the 2 s waited for the output come after
    assert shown_seconds(result.stdout, "t_ends") < 1 + SLOW, result
    hung = only(tasks_by_name(trace)["t_ends"], "t_ends")
    assert hung["status"] == "timeout" and hung["duration_ns"] < (1 + SLOW) * 1e9, hung


def test_a_lingering_process_is_named_not_timed(tmp_path):
    result = run(f"--trace={tmp_path / 't.out'}", LINGERING)
    assert result.returncode == 0, result
    assert "output still open 2s after the binary exited" in result.stdout, result
    assert final_line_seconds(result.stdout, LINGERING) < SLOW, result


def test_a_crashed_tests_time_is_never_negative():
    # A resumed process's output may be read after it died: its test's run
    # marker is then stamped after the death (seen: "(18446744073.71s)").
    crash = BUILD / "examples" / "crash_test"
    for _ in range(4):
        r = run("-count", "2", crash)
        assert r.returncode == 1, r
        times = [float(t) for t in re.findall(r"--- FAIL: TestCrash \(([0-9.]+)s\)", r.stdout)]
        assert len(times) == 2 and all(t < 60 for t in times), r
