"""`ctest-trace merge -o OUT FILE...`: the traces and JUnit files of the
shards of a suite merged back into one, each kind by what its files hold;
and what it says of inputs it cannot merge."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import assert_valid_junit, run, run_ok
from test_shard import NAMES, SUITE, shard_of



@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Both shards of the suite run, each with a trace and a JUnit file; one
    test of shard 1 fails (it gets an attachment)."""
    d = tmp_path_factory.mktemp("shards")
    failing = next(n for n in NAMES if shard_of(n, 2) == 1)
    out = {"dir": d, "failing": failing}
    for k in (1, 2):
        result = run(f"--shard={k}/2", f"--trace={d / f's{k}.trace'}",
                     f"--junit={d / f's{k}.xml'}", SUITE, env={"SHARD_FAIL": failing})
        assert result.returncode == (1 if k == 1 else 0), result
    return out


def traced_tests(trace, status=0):
    """The test tasks of `trace` by name, as `tasks --json` has them (exiting
    `status`: 1 for a trace that is not whole)."""
    result = run("tasks", "--json", trace)
    assert result.returncode == status, result
    by_name = {}
    for task in result.json()["tasks"]:
        if task["kind"] == "test":
            by_name.setdefault(task["name"], []).append(task)
    return by_name


def test_two_shards_traces_merge_into_one(shards):
    d = shards["dir"]
    merged = d / "all.trace"
    result = run_ok("merge", "-o", merged, d / "s1.trace", d / "s2.trace")
    assert result.stdout == "" and result.stderr == "", result
    tests = traced_tests(merged)
    assert sorted(tests) == sorted(NAMES)  # every test, once
    assert all(len(ts) == 1 for ts in tests.values())
    assert tests[shards["failing"]][0]["status"] == "fail"
    # timings unchanged: each test and region as its own shard's trace has it
    for k in (1, 2):
        for name, ts in traced_tests(d / f"s{k}.trace").items():
            mine, theirs = ts[0], tests[name][0]
            assert mine["duration_ns"] == theirs["duration_ns"], name
            assert [r["duration_ns"] for r in mine["regions"]] == \
                [r["duration_ns"] for r in theirs["regions"]], name
            assert [lg["message"] for lg in theirs["logs"]] == [name]
    # the two processes stay apart, and every view reads the whole of it
    stats = run_ok("stats", merged).stdout
    assert "processes:  2" in stats and "tests:      20 (19 pass, 1 fail)" in stats, stats
    regions = run_ok("regions", "--json", merged).json()["regions"]
    assert [(r["name"], r["count"]) for r in regions] == [("step", 20)]
    threads = run_ok("threads", "--json", merged).json()["threads"]
    assert len(threads) == 2
    run_ok("tasks", merged)
    run_ok("export", "--format=jsonl", "-o", d / "all.jsonl", merged)
    run_ok("profile", "--type=syscall", "-o", d / "all.pb.gz", merged)


def test_the_merged_clock_is_the_wall_clock_whatever_the_order(shards):
    """Shard 2 ran after shard 1: its tests start after shard 1's ended, and
    the merge puts each test at the same time in either order."""
    d = shards["dir"]
    run_ok("merge", "-o", d / "ab.trace", d / "s1.trace", d / "s2.trace")
    run_ok("merge", "-o", d / "ba.trace", d / "s2.trace", d / "s1.trace")
    ab, ba = traced_tests(d / "ab.trace"), traced_tests(d / "ba.trace")
    assert {n: t[0]["start_ns"] for n, t in ab.items()} == \
        {n: t[0]["start_ns"] for n, t in ba.items()}
    first = [t[0] for n, t in ab.items() if shard_of(n, 2) == 1]
    second = [t[0] for n, t in ab.items() if shard_of(n, 2) == 2]
    assert max(t["end_ns"] for t in first) < min(t["start_ns"] for t in second)


def test_one_trace_merges_to_a_copy(shards):
    d = shards["dir"]
    run_ok("merge", "-o", d / "one.trace", d / "s1.trace")
    assert run_ok("tasks", "--json", d / "one.trace").json() == \
        run_ok("tasks", "--json", d / "s1.trace").json()


def test_two_shards_junit_merge_into_one_that_validates(shards):
    d = shards["dir"]
    merged = d / "all.xml"
    run_ok("merge", "-o", merged, d / "s1.xml", d / "s2.xml")
    assert_valid_junit(merged)
    root = ET.parse(merged).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("20", "1", "0")
    suites = root.findall("testsuite")
    assert len(suites) == 2
    assert [s.get("tests") for s in suites] == [
        str(sum(shard_of(n, 2) == k for n in NAMES)) for k in (1, 2)]
    names = [c.get("name") for c in root.iter("testcase")]
    assert sorted(names) == sorted(NAMES)
    total = sum(float(s.get("time")) for s in suites)
    assert abs(float(root.get("time")) - total) < 0.002
    failed = next(c for c in root.iter("testcase") if c.get("name") == shards["failing"])
    assert failed.find("failure") is not None
    attachment = re.search(r"^\[\[ATTACHMENT\|(/.*)\]\]$", failed.find("system-out").text, re.M)
    assert attachment, ET.tostring(failed)  # the line kept as it was
    assert traced_tests(attachment.group(1)).keys() == {shards["failing"]}


def test_any_junit_the_schema_allows_is_merged(tmp_path):
    lone = tmp_path / "lone.xml"
    lone.write_text(
        '<?xml version="1.0"?>\n<!-- another tool -->\n'
        '<testsuite name="other &amp; co" tests="9" failures="9" errors="9" time="1,000.5">'
        '<properties><property name="os" value="linux"/></properties>'
        '<testcase name="a" classname="x" time="0.25"><skipped message="later"/></testcase>'
        '<testcase name="b" time="0.5"><error type="E" message="boom">trace\n  here</error>'
        '<system-out><![CDATA[<raw> & text]]></system-out></testcase>'
        '<testsuite name="inner"><testcase name="c" time="0.125">'
        '<failure message="no"/></testcase></testsuite>'
        '<system-err>err</system-err></testsuite>\n')
    suites = tmp_path / "suites.xml"
    suites.write_text('<testsuites><bogus/><testsuite name="s" tests="0" failures="0" '
                      'errors="0"><testcase name="d"/></testsuite></testsuites>')
    merged = tmp_path / "m.xml"
    run_ok("merge", "-o", merged, lone, suites)
    assert_valid_junit(merged)
    root = ET.parse(merged).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    other, inner, s = root.iter("testsuite")
    assert other.get("name") == "other & co"
    assert (other.get("tests"), other.get("failures"), other.get("errors"),
            other.get("skipped"), other.get("time")) == ("3", "1", "1", "1", "1000.500")
    assert (inner.get("tests"), inner.get("failures"), inner.get("time")) == ("1", "1", "0.125")
    assert (s.get("tests"), s.get("time")) == ("1", "0.000")  # its testcases' time
    assert other.find("properties/property").get("value") == "linux"
    b = next(c for c in root.iter("testcase") if c.get("name") == "b")
    assert b.find("error").text == "trace\n  here"
    assert b.find("system-out").text == "<raw> & text"
    assert root.find("bogus") is None  # not allowed there: left out
    assert float(root.get("time")) == pytest.approx(1000.5, abs=0.001)


def test_a_damaged_trace_is_merged_up_to_the_damage(shards, tmp_path):
    d = shards["dir"]
    whole = (d / "s2.trace").read_bytes()
    cut = tmp_path / "cut.trace"
    cut.write_bytes(whole[: len(whole) - 60])
    merged = tmp_path / "m.trace"
    result = run("merge", "-o", merged, d / "s1.trace", cut)
    assert result.returncode == 1, result
    assert re.search(rf"^ctest-trace: {re.escape(str(cut))}: damaged at byte \d+: .*; merged "
                     r"the \d+ records before it$", result.stderr, re.M), result
    # what was read is there, and the merged trace says it is not whole
    tests = traced_tests(merged, status=1)
    assert set(n for n in NAMES if shard_of(n, 2) == 1) <= set(tests)
    stats = run("stats", merged)
    assert stats.returncode == 1 and "no end record" in stats.stderr, stats

    garbled = tmp_path / "garbled.trace"
    garbled.write_bytes(whole[:16] + bytes(b ^ 0xFF for b in whole[16:]))
    result = run("merge", "-o", tmp_path / "g.trace", d / "s1.trace", garbled)
    assert result.returncode == 1, result
    assert f"{garbled}: damaged at byte 16: " in result.stderr
    assert "nothing in it to merge" in result.stderr
    assert sorted(traced_tests(tmp_path / "g.trace", status=1)) == sorted(
        n for n in NAMES if shard_of(n, 2) == 1)
    result = run("merge", "-o", tmp_path / "none.trace", garbled)
    assert result.returncode == 2 and "no input could be read" in result.stderr, result
    assert not (tmp_path / "none.trace").exists()


def test_inputs_it_cannot_merge(shards, tmp_path):
    d = shards["dir"]
    out = tmp_path / "out"
    out.write_text("before\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    baseline = tmp_path / "base.json"
    baseline.write_text('{"version": 1}\n')
    badxml = tmp_path / "bad.xml"
    badxml.write_text('<testsuite name="x"><testcase name="a">\n')
    html = tmp_path / "page.xml"
    html.write_text("<html/>")
    cases = [
        ([d / "s1.trace", d / "s1.xml", d / "s2.trace"],
         f"{d / 's1.xml'}: is a JUnit XML file, but {d / 's1.trace'} is a trace: "
         "merge one kind at a time"),
        ([d / "s1.xml", baseline], f"{baseline}: is a baseline (JSON), but "),
        ([d / "s1.trace", tmp_path / "missing"], f"{tmp_path / 'missing'}: no such file"),
        ([notes], f"{notes}: not a trace, a JUnit XML file or a baseline"),
        ([empty], f"{empty}: empty file"),
        ([baseline], f"{baseline}: not a baseline (no \"ctest_trace_baseline\" version"),
        ([d / "s1.xml", badxml], f"{badxml}: not well-formed XML at line 2"),
        ([html], f"{html}: not a JUnit report: its root element is <html>"),
    ]
    for files, message in cases:
        result = run("merge", "-o", out, *files)
        assert result.returncode == 2, result
        assert message in result.stderr, result
        assert out.read_text() == "before\n", result  # left as it was
    for args, message in [([d / "s1.trace"], "missing -o OUT"),
                          (["-o", out], "no FILE to merge")]:
        result = run("merge", *args)
        assert result.returncode == 2 and message in result.stderr, result
