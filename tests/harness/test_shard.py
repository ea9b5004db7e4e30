"""--shard=K/N: a stable, disjoint K-th of N of the selected tests, decided
by each test's name alone (FNV-1a 64 of the name, mod N, is K-1), so shards
that never talk split a suite between them."""

import json
import os
import re
import subprocess

import pytest

from conftest import BUILD, run, run_ok, tasks_by_name

SUITE = BUILD / "tests" / "suites" / "shard_test"
NAMES = ["Test" + n for n in (
    "Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliett Kilo Lima Mike "
    "November Oscar Papa Quebec Romeo Sierra Tango").split()]
RESULT = re.compile(r"^--- (PASS|FAIL|SKIP): (\S+) ", re.M)


def fnv1a64(name):
    h = 0xcbf29ce484222325
    for byte in name.encode():
        h = ((h ^ byte) * 0x100000001b3) % 2**64
    return h


def shard_of(name, n):
    return fnv1a64(name) % n + 1


def results(stdout):
    return [m.group(2) for m in RESULT.finditer(stdout)]


def test_two_shards_are_disjoint_and_cover_the_suite(tmp_path):
    ran = {}
    for k in (1, 2):
        trace = tmp_path / f"s{k}.trace"
        result = run_ok("-v", f"--shard={k}/2", f"--trace={trace}", SUITE)
        ran[k] = results(result.stdout)
        assert len(ran[k]) == len(set(ran[k])), result  # each once
        traced = tasks_by_name(trace)
        tests = sorted(n for n, ts in traced.items() if ts[0]["kind"] == "test")
        assert tests == sorted(ran[k]), (tests, ran[k])  # the trace says the same
        assert all(len(traced[n]) == 1 for n in tests)
        # the shard is what the documented hash says: nothing else decides
        assert sorted(ran[k]) == sorted(n for n in NAMES if shard_of(n, 2) == k)
    assert not set(ran[1]) & set(ran[2])
    assert sorted(ran[1] + ran[2]) == sorted(NAMES)
    assert ran[1] and ran[2]


def test_a_test_stays_on_its_shard_across_runs_and_shard_counts():
    for n in (3, 5):
        first = {k: sorted(results(run_ok("-v", f"--shard={k}/{n}", SUITE).stdout))
                 for k in range(1, n + 1)}
        again = {k: sorted(results(run_ok("-v", f"--shard={k}/{n}", SUITE).stdout))
                 for k in range(1, n + 1)}
        assert first == again
        for k, names in first.items():
            assert all(shard_of(name, n) == k for name in names), (k, names)
        assert sorted(sum(first.values(), [])) == sorted(NAMES)


def test_repeats_of_count_stay_with_their_test(tmp_path):
    seen = {}
    for k in (1, 2):
        trace = tmp_path / f"c{k}.trace"
        result = run_ok("-v", "-count", "3", f"--shard={k}/2", f"--trace={trace}", SUITE)
        names = results(result.stdout)
        assert all(names.count(n) == 3 for n in names), result
        seen[k] = set(names)
        traced = tasks_by_name(trace)
        assert all(len(traced[n]) == 3 for n in seen[k])
    assert not seen[1] & seen[2] and seen[1] | seen[2] == set(NAMES)


def test_shards_split_what_run_and_skip_selected():
    picked = [n for n in NAMES if re.search("o", n)]  # -run o
    ran = []
    for k in (1, 2, 3):
        ran += results(run_ok("-v", "-run", "o", "-skip", "Tango", f"--shard={k}/3",
                              SUITE).stdout)
    assert sorted(ran) == sorted(n for n in picked if n != "TestTango")


def test_a_crash_in_a_shard_resumes_within_the_shard(tmp_path):
    """The process that resumes after a crash skips the runs done, counted over
    the shard's selected tests: each runs once, the crashed one included."""
    mine = [n for n in NAMES if shard_of(n, 2) == 1]
    victim = mine[len(mine) // 2]
    trace = tmp_path / "t.trace"
    result = run("-v", "-count", "2", "--shard=1/2", f"--trace={trace}", SUITE,
                 env={"SHARD_CRASH": victim})
    assert result.returncode == 1, result
    names = results(result.stdout)
    assert sorted(names) == sorted(mine * 2), result
    assert RESULT.findall(result.stdout).count(("FAIL", victim)) == 2
    assert "killed by signal 6" in run_ok("stats", trace).stdout


def empty_shard(n):
    used = {shard_of(name, n) for name in NAMES}
    return next(k for k in range(1, n + 1) if k not in used)


def test_a_shard_with_no_test_warns_and_passes(tmp_path):
    k = empty_shard(50)
    trace = tmp_path / "t.trace"
    result = run_ok(f"--shard={k}/50", f"--trace={trace}", SUITE)
    assert f"testing: warning: no tests to run in shard {k}/50\n" in result.stdout, result
    assert re.search(r"^ok  \t\S+shard_test\t[0-9.]+s \[no tests to run\]\ttrace: ",
                     result.stdout, re.M), result
    assert not any(t["kind"] == "test" for ts in tasks_by_name(trace).values() for t in ts)

    events = [json.loads(line) for line in
              run_ok("--json", f"--shard={k}/50", SUITE).stdout.splitlines()]
    outputs = "".join(e.get("Output", "") for e in events)
    assert f"testing: warning: no tests to run in shard {k}/50" in outputs
    assert "[no tests to run]" in outputs
    assert events[-1]["Action"] == "pass" and "Test" not in events[-1]


@pytest.mark.parametrize("value,why", [
    ("3/2", "K must not be greater than N"),
    ("0/2", "K must be at least 1"),
    ("1/0", "N must be at least 1"),
    ("a/b", "must be K/N"),
    ("2", "must be K/N"),
    ("", "must be K/N"),
])
def test_a_malformed_shard_is_refused(value, why):
    result = run(f"--shard={value}", SUITE)
    assert result.returncode == 2, result
    assert f'invalid value "{value}" for flag --shard: {why}' in result.stderr, result
    assert result.stdout == "", result


def test_ctrace_shard_applies_without_the_runner():
    """A binary that links libctrace, run by hand (or by another runner), with
    CTRACE_SHARD set runs its shard; a malformed value says so and runs all."""
    def ran(value):
        env = {**os.environ, "CTRACE_SHARD": value}
        proc = subprocess.run([str(SUITE)], env=env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc
        return sorted(re.findall(r"^\[       OK \] (\S+)$", proc.stdout, re.M)), proc.stderr
    names, _ = ran("2/2")
    assert names == sorted(n for n in NAMES if shard_of(n, 2) == 2)
    names, err = ran("2/x")
    assert names == sorted(NAMES)
    assert 'CTRACE_SHARD="2/x": must be K/N' in err
