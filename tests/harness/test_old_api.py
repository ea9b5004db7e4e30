"""cmocka's older runners (issue 13, point 4): run_tests(), run_group_tests()
and a program's own run_test() calls are traced like cmocka_run_group_tests():
each test a task with cmocka's status, its setups and teardowns (UnitTest
entries of their own) regions in it, never tests; -run, -skip, --shard and
-count select from them as from a group (tests/suites/old_api_test.c)."""

import json
import xml.etree.ElementTree as ET

import conftest
from conftest import BUILD, CMOCKA_CATCHES_SIGNALS, tasks_by_name, only


def run(*args, env=None):
    """conftest.run, for suites where cmocka catches signals."""
    return conftest.run(*args, env={**CMOCKA_CATCHES_SIGNALS, **(env or {})})

OLD_API = BUILD / "tests" / "suites" / "old_api_test"
TESTS = ["t_pass", "t_fail", "t_crash", "t_skip", "t_fixtures", "t_shared_a", "t_shared_b",
         "t_teardown_fails", "t_setup_fails", "t_never_runs"]
STATUS = {"t_pass": "pass", "t_fail": "fail", "t_crash": "crash", "t_skip": "fail",
          "t_fixtures": "pass", "t_shared_a": "pass", "t_shared_b": "pass",
          "t_teardown_fails": "error", "t_setup_fails": "error", "t_never_runs": "error"}


def region_names(task):
    return [r["name"] for r in task["regions"]]


def test_each_test_is_a_task_with_cmockas_status(tmp_path):
    trace, xml = tmp_path / "t.out", tmp_path / "r.xml"
    result = run(f"--trace={trace}", f"--junit={xml}", OLD_API)
    assert result.returncode == 1, result
    assert "no test was traced" not in result.stdout, result
    tasks = tasks_by_name(trace)
    # the tests and nothing else: their setups and teardowns are their own
    assert sorted(tasks) == sorted(TESTS), tasks
    for name, status in STATUS.items():
        task = only(tasks[name], name)
        assert (task["kind"], task["status"]) == ("test", status), (name, task)
    assert region_names(tasks["t_fixtures"][0]) == ["setup", "teardown"]
    assert region_names(tasks["t_shared_a"][0]) == ["setup"]  # the setup both share
    assert region_names(tasks["t_shared_b"][0]) == ["teardown"]
    assert tasks["t_crash"][0]["message"].startswith("Test failed with exception: Segmentation")
    assert "Skipped!" in tasks["t_skip"][0]["message"]  # a failure to run_tests()
    assert tasks["t_teardown_fails"][0]["message"].startswith("teardown could not close")
    assert tasks["t_never_runs"][0]["message"] == "not run: a setup before it failed"
    cases = {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}
    assert sorted(cases) == sorted(TESTS), cases
    assert cases["t_pass"].find("failure") is None and cases["t_pass"].find("error") is None
    assert cases["t_fail"].find("failure").get("type") == "fail"
    assert cases["t_crash"].find("error").get("type") == "crash"
    assert cases["t_setup_fails"].find("error").get("type") == "error"
    assert cases["t_pass"].get("classname") == "old_api_test.run_tests"


def test_fixtures_print_inside_their_tests():
    result = run("-v", OLD_API)
    out = result.stdout
    assert "=== RUN   t_fixtures\nopen_state\nt_fixtures body\nclose_state\n--- PASS: t_fixtures" \
        in out, result
    assert "=== RUN   t_shared_a\nshared_setup\nt_shared_a body\n--- PASS: t_shared_a" in out
    assert "=== RUN   t_shared_b\nt_shared_b body\nshared_teardown\n--- PASS: t_shared_b" in out
    assert "crash: died of a signal, which cmocka caught\n--- FAIL: t_crash" in out, result
    assert "not run: a setup before it failed" in out, result
    assert "[ RUN      ]" not in out and "[==========]" not in out, result  # cmocka's framing


def test_run_skip_and_count_select_tests_with_their_setups(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "-v", "-run", "t_shared_b|t_fixtures", "-count", "2",
                 OLD_API)
    assert result.returncode == 0, result
    tasks = tasks_by_name(trace)
    assert sorted(tasks) == ["t_fixtures", "t_shared_b"], tasks
    assert len(tasks["t_fixtures"]) == 2 and len(tasks["t_shared_b"]) == 2, tasks
    # the setup t_shared_b shares with t_shared_a runs for it, in its task
    assert result.stdout.count("shared_setup\nt_shared_b body\nshared_teardown\n") == 2, result
    assert region_names(tasks["t_shared_b"][0]) == ["setup", "teardown"]
    skipped = run(f"--trace={trace}", "-skip", "t_fail|t_crash|t_skip|fails|never", OLD_API)
    assert skipped.returncode == 0, skipped
    assert sorted(tasks_by_name(trace)) == ["t_fixtures", "t_pass", "t_shared_a", "t_shared_b"]


def test_shards_split_the_tests(tmp_path):
    seen = []
    for k in (1, 2):
        trace = tmp_path / f"s{k}.out"
        run(f"--trace={trace}", f"--shard={k}/2", OLD_API)
        seen.append(set(tasks_by_name(trace)))
    assert seen[0] and seen[1] and not seen[0] & seen[1], seen
    assert seen[0] | seen[1] == set(TESTS), seen


def test_a_test_that_kills_its_process_costs_that_test(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", OLD_API, env={"OLD_ABORT": "1"})
    assert result.returncode == 1, result
    assert "the binary ended during this test: signal: aborted" in result.stdout, result
    tasks = tasks_by_name(trace)
    assert sorted(tasks) == sorted(TESTS), tasks  # each once: resumed after it
    assert only(tasks["t_crash"], "t_crash")["status"] == "crash"
    assert tasks["t_skip"][0]["pid"] != tasks["t_crash"][0]["pid"]


def test_run_group_tests_fixtures_are_tasks(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "-v", OLD_API, env={"OLD_GROUP": "1"})
    assert result.returncode == 1, result
    assert "group_open\n=== RUN   t_pass\n" in result.stdout, result
    tasks = tasks_by_name(trace)
    assert only(tasks["run_group_tests setup"], "setup")["kind"] == "fixture"
    assert only(tasks["run_group_tests teardown"], "teardown")["kind"] == "fixture"
    assert tasks["t_pass"][0]["status"] == "pass" and tasks["t_fail"][0]["status"] == "fail"
    events = [json.loads(l) for l in run("--json", "-run", "t_pass", OLD_API,
                                         env={"OLD_GROUP": "1"}).stdout.splitlines()]
    assert [e["Test"] for e in events if e["Action"] == "pass" and "Test" in e] == ["t_pass"]


def test_run_test_calls_are_tests_too(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "-count", "2", OLD_API, env={"OLD_ONE": "1"})
    assert result.returncode == 1, result
    tasks = tasks_by_name(trace)
    assert [t["status"] for t in tasks["t_pass"]] == ["pass", "pass"], tasks
    assert [t["status"] for t in tasks["t_fail"]] == ["fail", "fail"], tasks
    only_pass = run(f"--trace={trace}", "-run", "t_pass", OLD_API, env={"OLD_ONE": "1"})
    assert only_pass.returncode == 0, only_pass
    assert sorted(tasks_by_name(trace)) == ["t_pass"]


def test_list_names_the_tests_and_runs_none():
    result = run("-list", "t_", OLD_API)
    assert result.returncode == 0, result
    assert result.stdout.splitlines()[:-1] == TESTS, result  # no body, setup or teardown said
    assert result.stdout.splitlines()[-1].startswith("ok"), result


def test_failfast_starts_nothing_after_the_first_failure():
    result = run("-failfast", "-v", OLD_API)
    assert result.returncode == 1, result
    assert "--- PASS: t_pass" in result.stdout and "--- FAIL: t_fail" in result.stdout, result
    assert "=== RUN   t_crash" not in result.stdout, result
    # the setups after it do not run, nor the teardowns that pair with them
    for fixture in ("open_state", "close_state", "shared_setup", "shared_teardown"):
        assert fixture not in result.stdout, result


def shuffled_order(seed):
    result = run(f"-shuffle={seed}", "-v", OLD_API, env={"OLD_GROUP": "1"})
    assert f"-test.shuffle {seed}" in result.stdout, result
    return tuple(l.split()[-1] for l in result.stdout.splitlines() if l.startswith("=== RUN"))


def test_shuffle_draws_run_group_tests_order_from_the_seed():
    orders = {seed: shuffled_order(seed) for seed in range(1, 9)}
    assert set(orders.values()) == {("t_pass", "t_fail"), ("t_fail", "t_pass")}, orders
    assert all(shuffled_order(seed) == order for seed, order in list(orders.items())[:3])


def test_shuffle_keeps_run_tests_order_around_setups_and_says_so():
    result = run("-shuffle=3", "-v", OLD_API)
    runs = [l.split()[-1] for l in result.stdout.splitlines() if l.startswith("=== RUN")]
    assert runs == TESTS[:len(runs)], result
    assert "keeps its order (a setup serves the tests after it)" in result.output, result
