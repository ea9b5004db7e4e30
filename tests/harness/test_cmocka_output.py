"""What cmocka says, as the runner tells it (issue 13, point 4), on
tests/suites/formats_test.c: a signal cmocka catches is a crash wherever it
comes (output, --json, JUnit, trace); under CMOCKA_MESSAGE_OUTPUT=tap|xml|
subunit the statuses are the same, cmocka's end-of-group output is no test's,
and a binary cmocka ran untraced still says so; a failed group setup's
`--- FAIL` line follows cmocka's own error line; the exit status printed is
the binary's."""

import json
import xml.etree.ElementTree as ET

import pytest

import conftest
from conftest import BUILD, CMOCKA_CATCHES_SIGNALS, tasks_by_name, only


def run(*args, env=None):
    """conftest.run, for suites where cmocka catches signals."""
    return conftest.run(*args, env={**CMOCKA_CATCHES_SIGNALS, **(env or {})})

SUITES = BUILD / "tests" / "suites"
FORMATS = SUITES / "formats_test"
STATIC_CMOCKA = SUITES / "static_cmocka_test"
CRASHED = "crash: died of a signal, which cmocka caught"


def statuses(trace):
    return {name: [t["status"] for t in tasks] for name, tasks in tasks_by_name(trace).items()}


def json_events(result):
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_signal_cmocka_caught_is_a_crash(tmp_path):
    trace, xml = tmp_path / "t.out", tmp_path / "r.xml"
    result = run(f"--trace={trace}", f"--junit={xml}", FORMATS)
    assert result.returncode == 1, result
    assert f"Segmentation fault(11)\n    {CRASHED}\n--- FAIL: t_pass" in result.stdout, result
    assert statuses(trace)["t_segv"] == ["crash"]
    assert statuses(trace)["t_pass"] == ["pass", "crash"]  # the second: in its setup
    cases = [c for c in ET.parse(xml).getroot().iter("testcase")]
    segv = [c for c in cases if c.get("name") == "t_segv"][0]
    assert segv.find("error").get("type") == "crash", ET.tostring(segv)
    events = json_events(run("--json", "-run", "t_segv", FORMATS))
    said = [e["Output"] for e in events if e.get("Test") == "t_segv" and "Output" in e]
    assert CRASHED + "\n" in said, events
    assert [e["Action"] for e in events if e.get("Test") == "t_segv"][-1] == "fail"


def test_a_group_setup_cmocka_caught_a_signal_in_is_a_crash(tmp_path):
    trace, xml = tmp_path / "t.out", tmp_path / "r.xml"
    result = run(f"--trace={trace}", f"--junit={xml}", FORMATS, env={"BROKEN": "segv"})
    assert result.returncode == 1, result
    assert only(tasks_by_name(trace)["broken setup"], "fixture")["status"] == "crash"
    case = [c for c in ET.parse(xml).getroot().iter("testcase") if c.get("name") == "broken setup"]
    assert case[0].find("error").get("type") == "crash", ET.tostring(case[0])


def test_fail_line_of_a_group_setup_follows_cmockas_error_line():
    result = run(FORMATS)
    out = result.stdout
    assert "ERROR: the database is down\n" in out, result
    assert "[  ERROR   ] broken\n--- FAIL: broken setup (" in out, result


def test_the_exit_status_shown_is_the_binarys():
    result = run(FORMATS)
    assert result.returncode == 1, result
    assert "FAIL\nbinary exited with status 4\nFAIL\t" in result.stdout, result


@pytest.mark.parametrize("fmt", ["tap", "xml", "subunit"])
def test_other_output_formats_keep_statuses(tmp_path, fmt):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", FORMATS, env={"CMOCKA_MESSAGE_OUTPUT": fmt})
    assert result.returncode == 1, result
    assert statuses(trace) == {"t_pass": ["pass", "crash"], "t_fail": ["fail"],
                               "t_segv": ["crash"], "t_last": ["pass"],
                               "broken setup": ["error"]}, result


# What cmocka prints when its group is over, in each format, and a line
# that starts a test (subunit): never another test's output.
GROUP_END = {"tap": "# not ok - formats\n", "xml": "<testsuites>\n", "subunit": "test: t_fail\n"}


@pytest.mark.parametrize("fmt", ["tap", "xml", "subunit"])
def test_end_of_group_output_is_no_tests(fmt):
    result = run("--json", "-v", FORMATS, env={"CMOCKA_MESSAGE_OUTPUT": fmt})
    events = json_events(result)
    lines = [e for e in events if e.get("Output") == GROUP_END[fmt]]
    assert lines, result
    assert all(e.get("Test") in (None, "t_fail") for e in lines), lines
    last = [e["Output"] for e in events if e.get("Test") == "t_last" and "Output" in e]
    assert last[:2] == ["=== RUN   t_last\n", "t_last body\n"], last
    assert last[-1].startswith("--- PASS: t_last ("), last
    assert all("t_last" in line for line in last[2:-1]), last  # cmocka's verdict on it, if any


@pytest.mark.parametrize("fmt", ["tap", "xml", "subunit"])
def test_cmocka_tests_run_untraced_are_said_in_every_format(fmt):
    result = run(STATIC_CMOCKA, env={"CMOCKA_MESSAGE_OUTPUT": fmt})
    assert result.returncode == 1, result
    assert "no test was traced: cmocka ran tests, but no cmocka group the tracer hooks" \
        in result.stdout, result
