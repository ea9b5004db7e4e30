"""--json: the event stream of `go test -json`, one JSON object a line, which
tools written for Go's (test2json consumers, gotestsum, CI plugins) read."""

import json
import re

from conftest import BUILD, run

FAILING = BUILD / "examples" / "failing_test"
CRASH = BUILD / "examples" / "crash_test"
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def events(result):
    out = []
    for line in result.stdout.splitlines():
        ev = json.loads(line)  # every line is one object
        assert TIME.match(ev["Time"]), ev
        assert set(ev) <= {"Time", "Action", "Package", "Test", "Elapsed", "Output"}, ev
        out.append(ev)
    return out


def test_json_stream_of_a_run(tmp_path):
    result = run("--json", f"--trace={tmp_path / 't.out'}", FAILING, CRASH)
    assert result.returncode == 1, result
    evs = events(result)
    assert evs[0]["Action"] == "start" and evs[0]["Package"] == str(FAILING)
    final = {(e["Package"], e.get("Test")): e["Action"] for e in evs
             if e["Action"] in ("pass", "fail", "skip")}
    assert final == {
        (str(FAILING), "TestParse"): "pass",
        (str(FAILING), "TestChecksum"): "fail",
        (str(FAILING), "TestNetwork"): "skip",
        (str(FAILING), "TestQuery"): "fail",
        (str(FAILING), None): "fail",
        (str(CRASH), "TestBeforeCrash"): "pass",
        (str(CRASH), "TestCrash"): "fail",
        (str(CRASH), "TestAfterCrash"): "pass",
        (str(CRASH), None): "fail",
    }, final
    runs = [e["Test"] for e in evs if e["Action"] == "run"]
    assert runs[:4] == ["TestParse", "TestChecksum", "TestNetwork", "TestQuery"], runs
    out = {}
    for e in evs:
        if e["Action"] == "output":
            out.setdefault(e.get("Test"), []).append(e["Output"])
    assert "parsed 2 chunks\n" in out["TestParse"]  # a test's output is its own
    assert any("failing_test.c:43" in line for line in out["TestChecksum"])
    assert any("the binary ended during this test" in line for line in out["TestCrash"])
    assert any(line.startswith("FAIL\t") for line in out[None])
    for e in evs:
        if e["Action"] in ("pass", "fail", "skip"):
            assert isinstance(e["Elapsed"], (int, float)) and e["Elapsed"] >= 0, e
