"""go test's habits (DESIGN.md §4): -list, -failfast, -shuffle and -p, on a
plain cmocka suite that logs what ran (tests/suites/order_test.c)."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import BUILD, CTEST_TRACE, TIMEOUT_S, run, run_ok, tasks_by_name

SUITE = BUILD / "tests" / "suites" / "order_test"
SHARDS = BUILD / "tests" / "suites" / "shard_test"
FAILING = BUILD / "examples" / "failing_test"
ALL = ["TestA", "TestB", "TestC", "TestD", "TestE", "TestF", "Test\x1b[31mEscape", "TestG"]
SECOND_GROUP = {"TestMike", "TestNovember", "TestOscar", "TestPapa", "TestQuebec", "TestRomeo",
                "TestSierra", "TestTango"}
RESULT = re.compile(r"^--- (PASS|FAIL|SKIP): (\S+) ", re.M)


def ran(stdout):
    return [m.group(2) for m in RESULT.finditer(stdout)]


def log_of(path):
    return path.read_text().splitlines() if path.exists() else []


# ---- -list -------------------------------------------------------------------

def test_list_names_the_matching_tests_in_order_and_runs_nothing(tmp_path):
    log = tmp_path / "log"
    result = run_ok("-list", "A$|F|G$", SUITE, env={"ORDER_LOG": str(log)})
    lines = result.stdout.splitlines()
    assert lines[:3] == ["TestA", "TestF", "TestG"], result
    assert re.fullmatch(r"ok  \t\S*order_test\t\d+\.\d{3}s", lines[3]), result
    assert len(lines) == 4, result
    assert log_of(log) == []  # no body, no test fixture, no group setup


def test_list_escapes_names_and_ignores_run(tmp_path):
    result = run_ok("-list", "Esc", "-run", "TestA", SUITE)
    assert result.stdout.splitlines()[0] == "Test\\x1b[31mEscape", result
    assert "\x1b" not in result.stdout


def test_list_with_json_is_go_test_json(tmp_path):
    result = run_ok("-list", ".", "--json", SUITE)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["Action"] == "start"
    names = [e["Output"] for e in events[1:-2]]
    assert names == [n + "\n" for n in ALL], events
    assert events[-2]["Output"].startswith("ok  \t")
    assert events[-1]["Action"] == "pass" and "Elapsed" in events[-1]
    assert all(e["Package"] == str(SUITE) for e in events)


def test_list_of_each_binary_in_turn():
    result = run_ok("-list", "Alpha|Mike", SHARDS, SUITE)
    lines = result.stdout.splitlines()
    assert lines[0:2] == ["TestAlpha", "TestMike"], result
    assert lines[2].startswith("ok  \t") and lines[3].startswith("ok  \t")


def test_list_fails_a_binary_that_runs_no_group():
    result = run("-list", ".", BUILD / "tests" / "suites" / "no_group_main")
    assert result.returncode == 1, result
    assert "no cmocka group ran: its tests cannot be listed" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("FAIL\t")


def test_list_refuses_a_bad_regex():
    result = run("-list", "(", SUITE)
    assert result.returncode == 2, result
    assert "invalid regular expression for -list" in result.stderr


# ---- -failfast ---------------------------------------------------------------

def test_failfast_starts_nothing_after_the_first_failure(tmp_path):
    log = tmp_path / "log"
    result = run("-failfast", "-v", SUITE, SUITE, env={"ORDER_LOG": str(log), "ORDER_FAIL": "TestB"})
    assert result.returncode == 1, result
    assert ran(result.stdout) == ["TestA", "TestB"], result
    # the group's teardown still cleans up; the second group does not begin
    assert log_of(log) == ["first setup", "TestA setup", "TestA", "TestA teardown", "TestB",
                           "first teardown"]
    assert "-failfast: no test was started after the first failure" in result.stdout
    assert "-failfast: 1 binary not run after the first failure: " in result.stdout
    assert "SKIP" not in result.stdout  # the rest are not reported at all


def test_failfast_does_not_resume_after_a_crash(tmp_path):
    log = tmp_path / "log"
    trace = tmp_path / "t.trace"
    result = run("-failfast", f"--trace={trace}", SUITE,
                 env={"ORDER_LOG": str(log), "ORDER_CRASH": "TestC"})
    assert result.returncode == 1, result
    assert log_of(log)[-1] == "TestC", log_of(log)
    tests = {n for n, ts in tasks_by_name(trace).items() if ts[0]["kind"] == "test"}
    assert tests == {"TestA", "TestB", "TestC"}


def test_without_failfast_everything_runs(tmp_path):
    result = run("-v", SUITE, env={"ORDER_FAIL": "TestB"})
    assert result.returncode == 1
    assert len(ran(result.stdout)) == len(ALL), result


# ---- -shuffle ----------------------------------------------------------------

def shuffled(seed, *args, env=None):
    result = run_ok("-v", f"-shuffle={seed}", *args, SHARDS, env=env)
    assert result.stdout.splitlines()[0] == f"-test.shuffle {seed}", result
    return ran(result.stdout)


def test_a_seed_gives_one_order_every_time():
    unshuffled = ran(run_ok("-v", SHARDS).stdout)
    first = shuffled(42)
    assert shuffled(42) == first
    assert sorted(first) == sorted(unshuffled) and first != unshuffled
    assert shuffled(7) != first  # 20 tests: another seed, another order
    # each group is shuffled within itself: the first group's twelve come first
    assert set(first[:12]) == {"TestAlpha", "TestBravo", "TestCharlie", "TestDelta", "TestEcho",
                               "TestFoxtrot", "TestGolf", "TestHotel", "TestIndia",
                               "TestJuliett", "TestKilo", "TestLima"}


def test_shuffle_on_prints_the_seed_that_reproduces_it():
    result = run_ok("-v", "-shuffle=on", SHARDS)
    seed = re.match(r"-test\.shuffle (-?\d+)\n", result.stdout)
    assert seed, result
    assert shuffled(seed.group(1)) == ran(result.stdout)
    assert run_ok("-v", "-shuffle=off", SHARDS).stdout.startswith("=== RUN   TestAlpha")


def test_shuffle_composes_with_run_count_and_shard():
    order = shuffled(3, "-run", "o", "-count", "2", "--shard=1/2")
    FIRST_OF_SECOND_GROUP = next(n for n in order if n in SECOND_GROUP)
    assert order and all(order.count(n) == 2 for n in order)
    for group in (order[:order.index(FIRST_OF_SECOND_GROUP)],
                  order[order.index(FIRST_OF_SECOND_GROUP):]):
        half = len(group) // 2
        assert group[:half] == group[half:], order  # each round in one order, as go test
    assert set(order) < set(ran(run_ok("-v", "-run", "o", SHARDS).stdout))
    again = shuffled(3, "-run", "o", "-count", "2", "--shard=1/2")
    assert again == order


def test_shuffle_resumes_in_the_same_order_after_a_crash(tmp_path):
    order = shuffled(11)
    victim = order[5]
    result = run("-v", "-shuffle=11", SHARDS, env={"SHARD_CRASH": victim})
    assert result.returncode == 1, result
    assert ran(result.stdout) == order, result  # each once, in the seed's order


def test_shuffle_seed_in_json_and_bad_values():
    result = run_ok("--json", "-shuffle=99", SHARDS)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[1]["Action"] == "output" and events[1]["Output"] == "-test.shuffle 99\n"
    assert "Test" not in events[1]
    for bad in ("maybe", "1.5", " 3", "99999999999999999999"):
        result = run(f"-shuffle={bad}", SHARDS)
        assert result.returncode == 2, result
        assert "for flag -shuffle: must be on, off or a whole number" in result.stderr


# ---- -p ----------------------------------------------------------------------

def two_copies(tmp_path, names=("a_test", "b_test")):
    bins = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(SUITE.read_bytes())
        path.chmod(0o755)
        bins.append(path)
    return bins


def blocks(stdout, bins):
    """The lines of each binary's output, split at their last lines, in order."""
    out, current = [], []
    for line in stdout.splitlines():
        current.append(line)
        if re.match(r"(ok  |FAIL|SKIP)\t", line):
            out.append(current)
            current = []
    assert [b[-1].split("\t")[1] for b in out] == [str(b) for b in bins], stdout
    return out


def test_p_runs_binaries_at_once_into_one_trace_and_report(tmp_path):
    a, b = two_copies(tmp_path)
    meet = tmp_path / "meet"
    meet.mkdir()
    trace, junit = tmp_path / "t.trace", tmp_path / "r.xml"
    # each binary's first test waits until both have begun: only -p 2 passes
    result = run_ok("-p", "2", "-v", f"--trace={trace}", f"--junit={junit}", a, b,
                    env={"ORDER_MEET": f"{meet}:2"})
    for block in blocks(result.stdout, [a, b]):  # whole, in the order given
        assert ran("\n".join(block)) == ["TestA", "TestB", "TestC", "TestD", "TestE", "TestF",
                                         "Test\\x1b[31mEscape", "TestG"], result
        assert block[-1].endswith(f"trace: {trace}")
    stats = run_ok("stats", trace)
    assert "processes:  2" in stats.stdout and str(a) in stats.stdout and str(b) in stats.stdout
    tasks = tasks_by_name(trace)
    assert len(tasks["TestA"]) == 2 and len(tasks["TestG"]) == 2
    assert {t["status"] for ts in tasks.values() for t in ts if t["kind"] == "test"} == {"pass"}
    for view in ("regions", "threads"):
        run_ok(view, "--json", trace)
    from conftest import assert_valid_junit
    assert_valid_junit(junit)
    xml = junit.read_text()
    assert xml.count("<testsuite ") == 2 and xml.count("<testcase ") == 16, xml


def test_p_one_runs_them_in_turn(tmp_path):
    a, b = two_copies(tmp_path)
    log = tmp_path / "log"
    result = run_ok("-p", "1", "-v", a, b, env={"ORDER_LOG": str(log)})
    assert len(blocks(result.stdout, [a, b])) == 2
    one = log_of(log)[:len(log_of(log)) // 2]
    assert log_of(log) == one + one and one[0] == "first setup" and one[-1] == "TestG"


def test_p_json_keeps_each_binary_together(tmp_path):
    a, b = two_copies(tmp_path)
    result = run_ok("-p", "2", "--json", a, b)
    packages = [json.loads(line)["Package"] for line in result.stdout.splitlines()]
    first_b = packages.index(str(b))
    assert set(packages[:first_b]) == {str(a)} and set(packages[first_b:]) == {str(b)}


def test_p_with_failfast_starts_no_binary_after_a_failure(tmp_path):
    a, b, c = two_copies(tmp_path, ("a_test", "b_test", "c_test"))
    result = run("-p", "2", "-failfast", a, b, c, env={"ORDER_FAIL": "TestB"})
    assert result.returncode == 1, result
    assert f"-failfast: 1 binary not run after the first failure: {c}" in result.stdout
    assert len(blocks(result.stdout.replace(
        f"-failfast: 1 binary not run after the first failure: {c}\n", ""), [a, b])) == 2


def test_p_with_trace_dir_junit_dir_and_shuffle(tmp_path):
    a, _ = two_copies(tmp_path)
    traces, junits = tmp_path / "traces", tmp_path / "junit"
    result = run_ok("-p", "2", "-v", "-shuffle=5", f"--trace-dir={traces}",
                    f"--junit-dir={junits}", a, a)
    assert sorted(p.name for p in traces.iterdir()) == ["a_test.2.trace", "a_test.trace"]
    assert sorted(p.name for p in junits.iterdir()) == ["a_test.2.xml", "a_test.xml"]
    one, two = blocks(result.stdout, [a, a])
    assert one[0] == two[0] == "-test.shuffle 5"
    assert ran("\n".join(one)) == ran("\n".join(two)) == shuffled_order(5)


def shuffled_order(seed):
    return ran(run_ok("-v", f"-shuffle={seed}", SUITE).stdout)


def test_p_warns_once_about_a_rule_no_binary_judged(tmp_path):
    a, b = two_copies(tmp_path)
    result = run_ok("-p", "2", "--assert=region(nowhere).max<1s", a, b)
    assert result.stderr.count('judged no test') == 1, result


def test_p_refuses_zero():
    result = run("-p", "0", SUITE)
    assert result.returncode == 2 and "for flag -p: must be at least 1" in result.stderr


def test_p_keeps_the_attachments_of_one_binary_run_twice(tmp_path):
    # each runner numbers its attachments from 1: the second gets a directory of its own
    xml = tmp_path / "r.xml"
    result = run("-p", "2", f"--junit={xml}", FAILING, FAILING)
    assert result.returncode == 1, result
    attached = re.findall(r"\[\[ATTACHMENT\|([^\]]+)\]\]", xml.read_text())
    assert len(attached) == 4 and len(set(attached)) == 4, attached
    for path in attached:
        run_ok("stats", path)
    assert sum("/failing_test.2/" in p for p in attached) == 2, attached


def test_p_runs_a_binary_named_like_a_command(tmp_path):
    # each runner is handed "-- BINARY": ./version is a binary, not the command
    named = tmp_path / "version"
    shutil.copy(FAILING, named)
    result = run("-p", "2", named, named)
    assert result.returncode == 1, result
    assert result.stdout.count(f"FAIL\t{named}\t") == 2, result


def test_p_a_runner_killed_from_outside_loses_its_binary_only(tmp_path):
    hang = BUILD / "examples" / "timeout_test"
    proc = subprocess.Popen([str(CTEST_TRACE), "-p", "2", "--timeout=60s", hang, FAILING],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TIMEOUT_HOW": "sleep"})
    try:
        runner = None
        for _ in range(500):  # the runner of the hanging binary, once it runs it
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
            for pid in children:
                # its own command line, "... -- HANG" (not ours, which a
                # child has until it execs)
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1]
                if cmdline[-2:] == [b"--", str(hang).encode()]:
                    runner = int(pid)
            if runner:
                break
            time.sleep(0.01)
        assert runner, "no runner of the hanging binary"
        time.sleep(0.3)
        os.kill(runner, signal.SIGKILL)
        out, err = proc.communicate(timeout=TIMEOUT_S)
    finally:
        proc.kill()
    assert proc.returncode == 2, (out, err)
    assert f"{hang}: its runner died of signal 9 (Killed): its results are lost" in err, err
    assert f"FAIL\t{FAILING}\t" in out, out  # the other binary's results are still told


def test_a_count_too_large_to_select_runs_nothing_and_says_so():
    # no memory to select a group's tests: none runs (all of them would
    # ignore -run and a resume), said, and the binary fails
    env = {name: os.environ.get(name, "") + ":allocator_may_return_null=1"
           for name in ("ASAN_OPTIONS", "TSAN_OPTIONS")}  # sanitizers: NULL, not a report
    result = run("-count", "100000000000", FAILING, env=env)
    assert result.returncode == 1, result
    assert "out of memory selecting the 3 tests of group parsing (-count 100000000000): " \
        "none of them is run" in result.output, result
    assert "=== RUN" not in result.stdout and "--- " not in result.stdout, result
