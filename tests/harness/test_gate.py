"""The CI latency gate (issue 12; docs/BASELINE.md): --save-baseline,
--baseline, --max-regression, --alpha, and `ctest-trace compare`.

Timing makes these tests wide: unchanged code is compared with a limit far
above any noise (+400%); a regression is region "parse" made 10x slower
against a limit of +100%. How honest the gate is at its defaults on this
machine is measured by bench/gate_honesty.sh, not here.
"""

import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import BUILD, assert_valid_junit, run, run_ok

GATE = BUILD / "examples" / "gate" / "gate_test"
SLOW = {"GATE_SLOW": "10"}
WIDE = "--max-regression=400"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    path = tmp_path_factory.mktemp("gate") / "base.json"
    run_ok("-count", "3", f"--save-baseline={path}", GATE)
    return path


def metrics(path):
    doc = json.loads(path.read_text())
    return {(m["test"], m["metric"], m.get("region")): m for m in doc["metrics"]}


def test_saved_baseline_holds_every_sample_and_the_machine(base):
    doc = json.loads(base.read_text())
    assert doc["ctest_trace_baseline"] == 1
    assert doc["run"]["count"] == 3 and doc["run"]["test_runs"] == 9
    if os.access("/proc/pressure/cpu", os.R_OK):
        assert 0 <= doc["run"]["cpu_pressure_permille"] <= 1000
    assert doc["machine"]["cpus"] >= 1 and doc["machine"]["arch"]
    assert [b["name"] for b in doc["binaries"]] == ["gate_test"]
    assert re.fullmatch(r"[0-9a-f]{16,}", doc["binaries"][0]["build_id"])
    m = metrics(base)
    parse = m[("test_parse", "region", "parse")]
    assert parse["count"] == 150 == len(parse["samples_ns"])  # 50 a run, 3 runs
    assert parse["min_ns"] == min(parse["samples_ns"])
    assert parse["sum_ns"] == sum(parse["samples_ns"])
    assert len(m[("test_parse", "test.duration", None)]["samples_ns"]) == 3
    wait = m[("test_wait", "syscall.total", None)]["samples_ns"]
    assert len(wait) == 3 and all(w >= 5 * 2_000_000 for w in wait)  # five 2 ms sleeps
    for kind in ("sync.total", "net.total", "sched.total"):
        assert ("test_noisy", kind, None) in m


def test_unchanged_code_passes_and_prints_the_table(base):
    r = run_ok("-count", "3", f"--baseline={base}", WIDE, GATE)
    assert re.search(r"^gate: 0 regressions against .*base\.json \(alpha 0\.05, limit \+400%"
                     r"(; CPU pressure \d+\.\d%, the baseline's \d+\.\d%)?\)$", r.stdout, re.M), r
    assert "(gate)" not in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith("ok  \t")


def test_a_slower_region_fails_its_test_naming_it(base):
    r = run("-count", "3", f"--baseline={base}", "--max-regression=100", GATE, env=SLOW)
    assert r.returncode == 1, r
    lines = r.stdout.splitlines()
    assert re.search(r"^gate: [12] regressions? in 1 test against ", r.stdout, re.M), r
    at = lines.index("--- FAIL: test_parse (gate)")
    named = []
    for line in lines[at + 1:]:
        if not line.startswith("    "):
            break
        named.append(line)
    assert any(l.startswith('    region "parse" ') and "over the 100% limit" in l
               for l in named), r
    assert not any("steady" in l or "noisy" in l for l in named), r
    # The table, regressions first.
    rows = [l for l in lines if "REGRESSION" in l]
    assert rows and ('region "parse"' in rows[0] or "test.duration" in rows[0]), r
    assert lines.index(rows[0]) < at
    assert lines[-1].startswith("FAIL\t")


def test_alpha_and_limit_change_the_verdict(base):
    # A limit above the change: no regression, even at 10x.
    run_ok("-count", "3", f"--baseline={base}", "--max-regression=5000%", GATE, env=SLOW)
    # An alpha no test can reach with 150 samples a side: nothing is significant.
    r = run_ok("-count", "3", f"--baseline={base}", "--alpha=1e-300", GATE, env=SLOW)
    assert "gate: 0 regressions" in r.stdout


def test_too_few_samples_warn_instead_of_judging(tmp_path):
    base = tmp_path / "one.json"
    saved = run_ok("-count", "1", f"--save-baseline={base}", GATE)
    assert "warning: a baseline of -count 1 cannot judge" in saved.stderr, saved
    r = run("-count", "1", f"--baseline={base}", "--max-regression=100", GATE, env=SLOW)
    # One run a side cannot judge a test's duration; its 50 regions can.
    assert "with too few samples to judge" in r.stdout, r
    assert re.search(r"warning: gate_test: [1-9]\d* metrics? with too few samples to be judged", r.stderr), r
    assert r.returncode == 1 and 'region "parse"' in r.stdout
    assert not re.search(r"test\.duration.*over the", r.stdout), r


def test_json_stream_carries_the_regression_as_its_tests_output(base):
    r = run("-count", "3", f"--baseline={base}", "--max-regression=100", "--json", GATE,
            env=SLOW)
    assert r.returncode == 1, r
    events = [json.loads(l) for l in r.stdout.splitlines()]
    gate_lines = [e for e in events if e["Action"] == "output" and e.get("Test") == "test_parse"
                  and ("(gate)" in e["Output"] or 'region "parse"' in e["Output"])]
    assert any('region "parse"' in e["Output"] for e in gate_lines), r
    # The test's last action is a fail (after the pass of its last run).
    actions = [e["Action"] for e in events if e.get("Test") == "test_parse"
               and e["Action"] in ("pass", "fail")]
    assert actions[-1] == "fail" and actions[:-1] == ["pass"] * 3, actions
    assert events[-1]["Action"] == "fail" and "Test" not in events[-1]


def test_junit_fails_the_regressed_test_with_its_trace(base, tmp_path):
    xml = tmp_path / "junit.xml"
    r = run("-count", "2", f"--baseline={base}", "--max-regression=100", f"--junit={xml}",
            GATE, env=SLOW)
    assert r.returncode == 1, r
    assert_valid_junit(xml)
    root = ET.parse(xml).getroot()
    parse = [c for c in root.iter("testcase") if c.get("name") == "test_parse"]
    assert len(parse) == 2
    failed = [c for c in parse if c.find("failure") is not None]
    assert len(failed) == 1  # the last run carries the verdict
    failure = failed[0].find("failure")
    assert failure.get("type") == "regression"
    assert 'region "parse"' in failure.get("message")
    out = failed[0].find("system-out").text
    attachment = re.search(r"\[\[ATTACHMENT\|([^\]]+)\]\]", out).group(1)
    tasks = run_ok("tasks", "--json", attachment).json()["tasks"]
    assert [t["name"] for t in tasks if t["kind"] == "test"] == ["test_parse"]
    assert root.get("failures") == "1"


def test_compare_two_baselines_and_a_trace(base, tmp_path):
    slow_trace = tmp_path / "slow.trace"
    run_ok("-count", "3", f"--trace={slow_trace}", GATE, env=SLOW)
    r = run("compare", "--max-regression=100", base, slow_trace)
    assert r.returncode == 1, r
    assert re.search(r'^test_parse\s+region "parse"\s.*REGRESSION$', r.stdout, re.M), r
    assert re.search(r"^FAIL: [1-9]\d* regressions?$", r.stdout, re.M), r
    same = run_ok("compare", WIDE, base, base)
    assert "ok: 0 regressions" in same.stdout
    # -v shows every row, sched.total marked as not judged.
    every = run_ok("compare", "-v", WIDE, base, base)
    assert "(not judged)" in every.stdout and "net.total" in every.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--baseline=/nonexistent.json"], "/nonexistent.json: no such file"),
        (["--alpha=0"], "invalid value \"0\" for flag --alpha"),
        (["--baseline=B", "--max-regression=-3"], "invalid value \"-3\" for flag --max-regression"),
        (["--max-regression=5"], "--max-regression judges against a baseline"),
        (["--save-baseline="], "--save-baseline needs a file name"),
        (["--baseline=B", "--flight-recorder=2MiB"],
         "--baseline needs every event of the run; --flight-recorder keeps only the latest"),
    ],
)
def test_bad_gate_flags(base, args, message):
    args = [a.replace("=B", f"={base}") for a in args]
    r = run(*args, GATE)
    assert r.returncode == 2 and message in r.stderr, r


def test_bad_inputs_of_compare(base, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    newer = tmp_path / "newer.json"
    newer.write_text('{"ctest_trace_baseline": 7, "metrics": []}')
    cut = tmp_path / "cut.trace"
    run_ok("-count", "1", f"--trace={cut}", GATE)
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    for args, message in [
        ([base], "compare needs two files"),
        ([base, tmp_path / "absent.json"], "absent.json: no such file"),
        ([base, notes], "notes.txt: not a baseline"),
        ([base, newer], "baseline version 7: this ctest-trace reads version 1"),
        ([base, cut], "a damaged trace is not judged"),
    ]:
        r = run("compare", *args)
        assert r.returncode == 2 and message in r.stderr, r


def test_baseline_not_written_when_it_cannot_be(tmp_path):
    r = run("-count", "1", f"--save-baseline={tmp_path}/no/such/dir/b.json", GATE)
    assert r.returncode == 2 and "cannot write the baseline: no such directory" in r.stderr, r


def test_shards_baselines_merge_into_the_whole_suites(base, tmp_path):
    parts = []
    for k in (1, 2):
        part = tmp_path / f"base{k}.json"
        run_ok("-count", "3", f"--shard={k}/2", f"--save-baseline={part}", GATE)
        parts.append(part)
    merged = tmp_path / "merged.json"
    r = run_ok("merge", "-o", merged, *parts)
    assert r.stderr == "", r
    whole = metrics(base)
    got = metrics(merged)
    assert set(got) == set(whole)  # the shards' tests, each once
    tests = {t for (t, _, _) in got}
    assert tests == {"test_parse", "test_noisy", "test_wait"}
    for key, m in got.items():
        assert m["count"] == whole[key]["count"], key
    assert json.loads(merged.read_text())["run"]["test_runs"] == 9
    # The merged baseline gates as the whole run's would.
    run_ok("-count", "3", f"--baseline={merged}", WIDE, GATE)
    # A bad one among them writes nothing.
    bad = tmp_path / "bad.json"
    bad.write_text('{"ctest_trace_baseline": 1, "metrics": [{"binary": 1}]}')
    r = run("merge", "-o", tmp_path / "none.json", parts[0], bad)
    assert r.returncode == 2 and "bad.json: metrics[0]" in r.stderr, r
    assert not (tmp_path / "none.json").exists()


def test_no_baseline_from_a_failed_run(tmp_path):
    failing = BUILD / "examples" / "failing_test"
    out = tmp_path / "b.json"
    out.write_text("before\n")
    r = run("-count", "4", f"--save-baseline={out}", failing)
    assert r.returncode == 1, r
    assert "not saved: a baseline is taken from a run that passed" in r.stderr, r
    assert out.read_text() == "before\n"


def test_hostile_baseline_facts_are_shown_escaped(base, tmp_path):
    doc = json.loads(base.read_text())
    doc["machine"]["arch"] = "x86\u001b[2J"
    doc["machine"]["cpu"] = "evil\ncpu\u0007"
    doc["machine"]["cpus"] = -5
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps(doc))
    r = run("compare", WIDE, evil, base)
    assert r.returncode == 0, r
    assert "another machine" in r.stderr, r
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr and "evil\ncpu" not in r.stderr, r
    assert "-5 CPUs" not in r.stderr
    doc["metrics"][0]["count"] = 2**62
    evil.write_text(json.dumps(doc))
    r = run("compare", evil, base)
    assert r.returncode == 2 and "from 0 to 2^53" in r.stderr, r


@pytest.mark.skipif(not os.access("/proc/pressure/cpu", os.R_OK),
                    reason="no CPU pressure stall information (PSI) here")
def test_a_busier_machine_is_said(base, tmp_path):
    # A baseline saved on a quiet machine (pressure 0), judged while more
    # spinning processes than CPUs run: PSI says some task always waited.
    doc = json.loads(base.read_text())
    doc["run"]["cpu_pressure_permille"] = 0
    quiet = tmp_path / "quiet.json"
    quiet.write_text(json.dumps(doc))
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(max(3, (os.cpu_count() or 2) + 1))]
    try:
        time.sleep(0.5)
        r = run("-count", "3", f"--baseline={quiet}", "--max-regression=100", GATE, env=SLOW)
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    assert r.returncode == 1, r  # a 10x region still fails
    # (the spinners may slow another test past the limit too: "in 2 tests")
    assert re.search(r"^gate: \d+ regressions? in \d+ tests? against .*; CPU pressure "
                     r"\d+\.\d%, the baseline's 0\.0%\)$", r.stdout, re.M), r
    assert "the machine was busier than when the baseline was saved" in r.stdout, r
    assert "on a busier machine than the baseline's" in r.stderr, r
    assert "--- FAIL: test_parse (gate)" in r.stdout
