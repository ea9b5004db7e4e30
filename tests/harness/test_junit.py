"""--junit: the XML CI systems read, checked by parsing it, and the trace
attached to each failed, errored, crashed or timed-out test, read back with
`ctest-trace stats` and `tasks`."""

import os
import re
import xml.etree.ElementTree as ET

from conftest import assert_valid_junit, BUILD, run, run_ok, tasks_by_name, only

FAILING = BUILD / "examples" / "failing_test"
CRASH = BUILD / "examples" / "crash_test"
OUTCOMES = BUILD / "tests" / "suites" / "outcomes_test"
ATTACHMENT = re.compile(r"^\[\[ATTACHMENT\|(.*)\]\]$", re.M)


def cases(xml_path):
    root = ET.parse(xml_path).getroot()
    assert root.tag == "testsuites", root.tag
    return root, {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}


def attachment_of(case):
    out = case.find("system-out")
    found = ATTACHMENT.findall(out.text if out is not None and out.text else "")
    assert len(found) == 1, ET.tostring(case)
    return found[0]


def test_junit_reports_every_status_with_attachments(tmp_path):
    xml = tmp_path / "report.xml"
    result = run(f"--trace={tmp_path / 't.out'}", f"--junit={xml}", FAILING, CRASH)
    assert result.returncode == 1, result
    assert_valid_junit(xml)
    root, by = cases(xml)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "1", "2"), \
        root.attrib
    assert root.get("skipped") is None  # the schema has it on <testsuite> only
    assert sum(int(s.get("skipped")) for s in root.findall("testsuite")) == 1
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(FAILING), str(CRASH)]
    assert suites[0].get("tests") == "4" and suites[1].get("errors") == "1"

    passed = by[("failing_test.parsing", "TestParse")]
    assert len(passed) == 0 and float(passed.get("time")) > 0  # no attachment when passing

    failure = by[("failing_test.parsing", "TestChecksum")].find("failure")
    assert failure.get("type") == "fail" and failure.get("message") == "0x45f != 0x3e8"
    assert "failing_test.c:43" in failure.text  # file:line
    # said once: not again in <system-out> as cmocka framed it
    out = by[("failing_test.parsing", "TestChecksum")].find("system-out").text
    assert "0x45f != 0x3e8" not in out and "[   LINE   ]" not in out, out
    # times with at most 3 decimals, as the schema wants
    assert all(re.fullmatch(r"\d+(\.\d{1,3})?", c.get("time")) for c in root.iter("testcase"))

    skipped = by[("failing_test.parsing", "TestNetwork")].find("skipped")
    assert "Skipped" in skipped.get("message")

    error = by[("failing_test.storage", "TestQuery")].find("error")
    assert error.get("type") == "error" and "setup failed" in error.get("message")

    crash = by[("crash_test.tests", "TestCrash")]
    assert crash.find("error").get("type") == "crash"
    assert "SIGABRT" in crash.find("error").get("message")
    assert "about to crash by abort" in crash.find("system-out").text

    # each failure's trace sits beside the XML, absolute, and holds that test alone
    for key, status in [(("failing_test.parsing", "TestChecksum"), "fail"),
                        (("failing_test.storage", "TestQuery"), "error"),
                        (("crash_test.tests", "TestCrash"), "crash")]:
        path = attachment_of(by[key])
        assert os.path.isabs(path) and os.path.dirname(path) == str(tmp_path), path
        stats = run_ok("stats", path)
        assert "tests:      1 (1 " + status + ")" in stats.stdout, stats
        tasks = tasks_by_name(path)
        assert list(tasks) == [key[1]], tasks
        assert only(tasks[key[1]], key[1])["status"] == status
    query = tasks_by_name(attachment_of(by[("failing_test.storage", "TestQuery")]))
    assert [r["name"] for r in query["TestQuery"][0]["regions"]] == ["setup"]
    assert "trace of this test:" in by[("crash_test.tests", "TestCrash")].find("system-out").text


def test_attachment_keeps_the_regions_of_a_dying_test(tmp_path):
    xml = tmp_path / "r.xml"
    result = run(f"--junit={xml}", "-run", "TestDies", OUTCOMES,
                 env={"OUTCOMES_DEATH": "abort"})  # no --trace: a temporary one
    assert result.returncode == 1, result
    _, by = cases(xml)
    case = by[("outcomes_test.first", "TestDies")]
    path = attachment_of(case)
    dies = only(tasks_by_name(path)["TestDies"], "TestDies")
    assert dies["status"] == "crash" and "SIGABRT" in dies["message"], dies
    region = only(dies["regions"], "region of TestDies")
    assert region["name"] == "open when the process died" and region["unended"], region
    assert "slowest regions: open when the process died" in case.find("system-out").text


def test_hostile_names_are_escaped_and_confined(tmp_path):
    xml = tmp_path / "r.xml"
    attach = tmp_path / "att"
    result = run(f"--junit={xml}", f"--attach-dir={attach}", "-run", "evil", OUTCOMES)
    assert result.returncode == 1, result
    _, by = cases(xml)  # parses: the names are escaped
    (key, case), = by.items()
    assert key == ("outcomes_test.../grp<&>", '../../evil <&"\'>\n/name\ufffd[31m'), key
    assert 'failed <&> "here"' in case.find("failure").get("message")
    assert "hostile <output> & \"quotes\"" in case.find("system-out").text
    path = attachment_of(case)
    assert os.path.dirname(path) == str(attach), path  # no way out of the directory
    assert os.listdir(attach) == [os.path.basename(path)]
    assert re.fullmatch(r"[A-Za-z0-9._-]+", os.path.basename(path)), path
    assert run("stats", path).returncode == 0


def test_junit_with_a_trace_per_binary(tmp_path):
    xml = tmp_path / "r.xml"
    traces = tmp_path / "traces"
    traces.mkdir()
    result = run(f"--trace-dir={traces}", f"--junit={xml}", FAILING, CRASH)
    assert result.returncode == 1, result
    _, by = cases(xml)
    for key in [("failing_test.parsing", "TestChecksum"), ("crash_test.tests", "TestCrash")]:
        assert run("stats", attachment_of(by[key])).returncode == 0


def test_junit_flag_misuse(tmp_path):
    alone = run(f"--attach-dir={tmp_path}", FAILING)
    assert alone.returncode == 2 and "--junit" in alone.stderr, alone
    empty = run("--junit=", FAILING)
    assert empty.returncode == 2 and "--junit" in empty.stderr, empty
    (tmp_path / "file").write_text("not a directory")
    nowhere = run(f"--junit={tmp_path / 'file' / 'r.xml'}", FAILING)
    assert nowhere.returncode == 2, nowhere  # said before anything runs
    assert f"{tmp_path / 'file'}: --junit: not a directory" in nowhere.stderr, nowhere
    assert "TestChecksum" not in nowhere.stdout, nowhere


def test_junit_dir_writes_a_report_per_binary(tmp_path):
    reports = tmp_path / "made" / "junit"  # made if missing
    result = run(f"--junit-dir={reports}", FAILING, CRASH)
    assert result.returncode == 1, result
    names = sorted(p.name for p in reports.iterdir())
    assert names == ["crash_test", "crash_test.xml", "failing_test", "failing_test.xml"], names
    for xml, cases_expected in [("failing_test.xml", 4), ("crash_test.xml", 3)]:
        assert_valid_junit(reports / xml)
        root, by = cases(reports / xml)
        assert [s.get("name") for s in root.findall("testsuite")] == \
            [str(FAILING if xml.startswith("failing") else CRASH)]
        assert len(by) == cases_expected, by.keys()
    # each failure's attachment in DIR/NAME/, holding that test
    path = attachment_of(cases(reports / "crash_test.xml")[1][("crash_test.tests", "TestCrash")])
    assert path.startswith(str(reports / "crash_test") + "/"), path
    assert list(tasks_by_name(path)) == ["TestCrash"]
    # two runs of one binary at once (meson): a report each
    import subprocess
    from conftest import CTEST_TRACE
    gate = BUILD / "examples" / "gate" / "gate_test"
    par = tmp_path / "par"
    procs = [subprocess.Popen([str(CTEST_TRACE), f"--junit-dir={par}", "-count", "20", str(gate)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert sorted(p.name for p in par.iterdir()) == ["gate_test.2.xml", "gate_test.xml"]
    for bad, message in [([f"--junit-dir={tmp_path / 'j'}", f"--junit={tmp_path / 'j.xml'}"],
                          "--junit and --junit-dir cannot be combined"),
                         (["--junit-dir="], "--junit-dir needs a directory")]:
        r = run(*bad, FAILING)
        assert r.returncode == 2 and message in r.stderr, r
