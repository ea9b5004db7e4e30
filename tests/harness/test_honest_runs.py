"""Runs that never lie (issue 11, point 4), on suites built for it in
tests/suites: a binary in which no cmocka group ran fails, saying why and
what to do, unless it exited 77 first: a skip (no_group_main, old_api_test,
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
OLD_API = SUITES / "old_api_test"
STATIC_CMOCKA = SUITES / "static_cmocka_test"
FAILING = BUILD / "examples" / "failing_test"


def junit_cases(xml):
    return {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}


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
    assert "exit status 3\n" in result.stdout and "no cmocka group ran" in result.stdout, result


@pytest.mark.parametrize("suite,test", [(OLD_API, "t_old_style"), (STATIC_CMOCKA, "t_static")])
def test_cmocka_tests_the_tracer_never_saw_fail(tmp_path, suite, test):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", suite)
    assert result.returncode == 1, result
    assert f"[ RUN      ] {test}" in result.stdout, result  # cmocka's own report, as printed
    assert "no test was traced: cmocka ran tests, but no cmocka group the tracer hooks" \
        in result.stdout, result
    assert "run_tests()" in result.stdout and "links cmocka statically" in result.stdout, result
    assert "cmocka_run_group_tests()" in result.stdout, result  # what to do
    assert test not in tasks_by_name(trace)


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
