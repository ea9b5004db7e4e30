"""Runs that never lie (issue 11, point 4), on suites built for it in
tests/suites: a process a test leaves behind holding the output adds nothing
to what comes after (lingering_test)."""

import re
import xml.etree.ElementTree as ET

import pytest

from conftest import BUILD, run, tasks_by_name, only

SUITES = BUILD / "tests" / "suites"
LINGERING = SUITES / "lingering_test"

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
