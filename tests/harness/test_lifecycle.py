"""The tracer follows cmocka exactly (tests/suites/lifecycle_test.c): a test
cmocka fails after its body returned, cmocka's own filters, output between
groups, a pool thread working for a test, a crash in a group setup; and
--trace-dir with two binaries of one name."""

import json
import os
import re
import shutil

from conftest import BUILD, run, tasks_by_name, only

SUITE = BUILD / "tests" / "suites" / "lifecycle_test"


def test_statuses_are_cmockas(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", SUITE)
    assert result.returncode == 1, result
    tasks = tasks_by_name(trace)
    leftover = only(tasks["t_leftover"], "t_leftover")
    assert leftover["status"] == "fail" and "remaining" in leftover["message"], leftover
    assert re.search(r"lifecycle_test\.c:\d+: note", leftover["message"]), leftover
    leak = only(tasks["t_leak"], "t_leak")
    assert leak["status"] == "fail" and "leaked 1 block" in leak["message"], leak
    assert leak["message"].count("Blocks allocated") == 1, leak  # said once
    assert [t["status"] for t in tasks["t_ok"]] == ["pass", "pass"]
    assert "t_filtered_out" not in tasks  # cmocka's skip filter is followed...
    assert only(tasks["t_kept"], "t_kept")["status"] == "pass"  # ...and the rest lines up
    assert "kept ran" not in result.stdout  # a pass's output stays hidden
    pool = only(tasks["t_pool"], "t_pool")["message"].splitlines()
    assert pool[0] == "failing so that the job is in an attachment", pool
    assert pool[1].endswith("error: Failure!") and "lifecycle_test.c:" in pool[1], pool


def test_output_outside_tests_is_nobodys(tmp_path):
    result = run("--json", f"--trace={tmp_path / 't.out'}", SUITE)
    assert result.returncode == 1, result
    owner = {}
    for line in result.stdout.splitlines():
        ev = json.loads(line)
        if ev["Action"] == "output":
            owner[ev["Output"]] = ev.get("Test")
    assert owner["teardown output\n"] is None, owner
    assert owner["between groups\n"] is None, owner
    assert owner["kept ran\n"] == "t_kept", owner


def test_crash_in_a_group_setup_costs_that_group(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "-v", SUITE, env={"LIFECYCLE": "gsetupcrash"})
    assert result.returncode == 1, result
    assert "ended outside any test, in a fixture of group crashy" in result.stdout, result
    assert "--- PASS: t_after" in result.stdout, result  # the groups after it ran
    tasks = tasks_by_name(trace)
    setup = only(tasks["crashy setup"], "crashy setup")
    assert setup["kind"] == "fixture" and setup["status"] == "crash", setup
    assert "SIGABRT" in setup["message"], setup
    assert only(tasks["t_after"], "t_after")["pid"] != setup["pid"]
    assert len(tasks["t_ok"]) == 1  # the crashy group's test never ran; mocks' did once


def test_exit_in_a_group_setup_costs_that_group(tmp_path):
    # an exit status is how cmocka binaries count failures, but not from
    # inside a group's setup: that ended the process there
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "-v", SUITE, env={"LIFECYCLE": "gsetupexit"})
    assert result.returncode == 1, result
    assert "in a fixture of group crashy: exit status 3" in result.stdout, result
    assert "--- PASS: t_after" in result.stdout, result
    setup = only(tasks_by_name(trace)["crashy setup"], "crashy setup")
    assert setup["status"] == "crash" and "exited with code 3" in setup["message"], setup


def test_attachment_keeps_a_pool_threads_work(tmp_path):
    xml = tmp_path / "deep" / "er" / "r.xml"  # directories are made
    # no scheduler waits: on a loaded machine one may come first or last longer
    result = run(f"--junit={xml}", "-run", "t_pool", SUITE, env={"CTRACE_SCHED": "off"})
    assert result.returncode == 1, result
    attachments = [p for p in os.listdir(xml.parent) if p.endswith(".trace")]
    assert len(attachments) == 1, attachments
    tasks = tasks_by_name(xml.parent / attachments[0])
    job = only(tasks["pool job"], "pool job")
    assert [r["name"] for r in job["regions"]] == ["pool work"], job
    assert [l["message"] for l in job["logs"]] == ["done"], job
    assert job["parent"] == only(tasks["t_pool"], "t_pool")["id"], job
    assert run("stats", xml.parent / attachments[0]).stdout.count("warnings:   0") == 1
    # the test waited for the job on a semaphore: in the attachment, and summed up
    exported = run("export", "--format=jsonl", "-o", "-", xml.parent / attachments[0]).stdout
    waits = [e for e in map(json.loads, exported.splitlines()) if e["kind"] == "block"]
    assert waits and waits[0]["block_kind"] == "sync", exported
    assert "longest blocking: sync " in xml.read_text(), xml.read_text()


def test_trace_dir_keeps_binaries_of_one_name_apart(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        shutil.copy(SUITE, tmp_path / d / "suite")
    traces = tmp_path / "traces"
    traces.mkdir()
    result = run(f"--trace-dir={traces}", "-run", "t_kept", tmp_path / "a" / "suite",
                 tmp_path / "b" / "suite")
    assert result.returncode == 0, result
    assert sorted(os.listdir(traces)) == ["suite.2.trace", "suite.trace"]
    for name in ("suite.trace", "suite.2.trace"):
        assert "t_kept" in tasks_by_name(traces / name)


def test_statuses_without_cmockas_verdict_lines(tmp_path):
    # other output formats print no "[  FAILED  ]" lines: what cmocka said
    # after a body returned still fails the test
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", SUITE, env={"CMOCKA_MESSAGE_OUTPUT": "XML"})
    assert result.returncode == 1, result
    tasks = tasks_by_name(trace)
    assert only(tasks["t_leftover"], "t_leftover")["status"] == "fail"
    assert only(tasks["t_leak"], "t_leak")["status"] == "fail"
    assert only(tasks["t_after"], "t_after")["status"] == "pass"


def test_a_long_name_is_one_test(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "-v", "-run", "^\u6d4b", SUITE)
    assert result.returncode == 0, result
    assert result.stdout.count("--- PASS: \u6d4b") == 1, result
    assert "--- FAIL" not in result.stdout, result
    (name, runs), = ((n, t) for n, t in tasks_by_name(trace).items() if n.startswith("\u6d4b"))
    assert len(runs) == 1 and runs[0]["status"] == "pass", runs


def test_junit_reports_a_crash_outside_tests(tmp_path):
    import xml.etree.ElementTree as ET
    xml = tmp_path / "r.xml"
    result = run(f"--junit={xml}", SUITE, env={"LIFECYCLE": "gsetupcrash"})
    assert result.returncode == 1, result
    cases = {(c.get("classname"), c.get("name")): c for c in ET.parse(xml).getroot().iter("testcase")}
    crash = cases[("lifecycle_test.crashy", "(outside tests)")].find("error")
    assert crash.get("type") == "crash", crash.attrib
    assert "ended outside any test, in a fixture of group crashy" in crash.get("message"), crash.attrib
