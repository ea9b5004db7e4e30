"""Trace assertions inside tests (ctrace_cmocka.h, DESIGN.md §3): a test that
keeps its budgets passes; one that breaks a budget fails with a message
naming the offender, its measured value and the limit (and for blocking, the
function and file:line that waited); the run exits 1; the JUnit report and
the trace carry the same message."""

import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import BUILD, PIPELINE, REPO, TIMEOUT_S, only, run, run_ok, tasks_by_name

BUDGETS = BUILD / "examples" / "budgets" / "budgets_test"
SUITE = BUILD / "tests" / "suites" / "assertions_test"
MS = r"([0-9.]+) ms"


def at(snippet, source="tests/suites/assertions_test.c"):
    """'FILE.c:LINE' of the one line of `source` holding snippet."""
    path = REPO / source
    lines = path.read_text().splitlines()
    found = [i + 1 for i, line in enumerate(lines) if snippet in line]
    assert len(found) == 1, (snippet, found)
    return f"{path.name}:{found[0]}"


@pytest.fixture(scope="module")
def budgets(tmp_path_factory):
    """The whole budgets example, traced, with a JUnit report."""
    tmp = tmp_path_factory.mktemp("budgets")
    result = run(f"--trace={tmp / 't.out'}", f"--junit={tmp / 'r.xml'}", BUDGETS)
    assert result.returncode == 1, result
    return tmp / "t.out", tmp / "r.xml", result


def block_of(output, test):
    """The lines the runner printed for `test`'s failure."""
    match = re.search(rf"^--- FAIL: {test} .*?\n((?:    .*\n)+)", output, re.M)
    assert match, f"no failure block for {test}:\n{output}"
    return match.group(1)


def test_a_test_keeping_its_budgets_passes():
    result = run_ok("-run", "TestWithinBudget", "-v", BUDGETS)
    assert "--- PASS: TestWithinBudget" in result.stdout, result


def test_a_slow_region_fails_naming_it_and_its_duration(budgets):
    _, _, result = budgets
    block = block_of(result.stdout, "TestSlowQuery")
    match = re.search(rf'region "db\.query" took {MS} > 10 ms \(1 of 1 instance\), '
                      r"thread \d+ \(tid \d+\), began .* into the test", block)
    assert match, block
    assert 29.5 <= float(match.group(1)) < 10000, block  # it sleeps 30 ms
    caller = at('ct_assert_region_max("db.query"', "examples/budgets/budgets_test.c")
    assert f"{caller}: error: Failure!" in block, block  # the caller's line


def test_a_lock_wait_fails_naming_the_function_that_waited(budgets):
    _, _, result = budgets
    block = block_of(result.stdout, "TestLockWait")
    match = re.search(rf"budgets_test\.c:\d+: sync blocking {MS} > 2 ms in cache_get "
                      r"\(budgets_test\.c:\d+\), thread \d+ \(tid \d+\), began .* into the "
                      r"test \(\d+ of \d+ waits over 2 ms\)", block)
    assert match, block
    assert 20 <= float(match.group(1)) < 10000, block  # the writer holds it 25 ms


def test_the_trace_and_junit_carry_the_message(budgets):
    trace, xml, _ = budgets
    slow = only(tasks_by_name(trace)["TestSlowQuery"], "TestSlowQuery")
    assert slow["status"] == "fail", slow
    assert slow["message"].startswith('region "db.query" took '), slow
    cases = {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}
    failure = cases["TestLockWait"].find("failure")
    assert failure is not None and "sync blocking" in failure.get("message"), ET.tostring(
        cases["TestLockWait"])
    assert "[[ATTACHMENT|" in cases["TestLockWait"].find("system-out").text
    assert cases["TestWithinBudget"].find("failure") is None


@pytest.fixture(scope="module")
def suite():
    result = run(SUITE)
    assert result.returncode == 1, result
    return result.stdout + result.stderr


def test_an_assertion_after_the_body_fails_the_test(suite):
    block = block_of(suite, "TestAssertAfterBody")
    assert (f'{at("ct_assert_task_max(")}: no instance of task "never.begun" finished in this '
            "test (on another thread, after the test body)") in block, block


def test_an_assertion_in_a_fixture_thread_is_said(suite):
    assert (f'{at("fixture.step")}: trace assertion failed outside a test, on a thread cmocka '
            'does not run: no instance of region "fixture.step" finished in this test') in suite, \
        suite


def test_an_assertion_on_another_thread_fails_the_test(suite):
    block = block_of(suite, "TestAssertOnWorker")
    where = at('ct_assert_region_count("worker.step"')
    assert (f'{where}: region "worker.step" finished 1 time in this test, '
            "expected exactly 2 (on another thread)") in block, block
    assert f"{where}: error: Failure!" in block, block


def test_every_failed_expectation_is_listed(suite):
    block = block_of(suite, "TestTwoExpectationsFail")
    first = at('ct_expect_region_max("never.runs"')
    assert f'{first}: no instance of region "never.runs" finished in this test' in block, block
    assert (f'{at("ct_expect_log_seen")}: no log in category "audit" containing "written" in '
            "this test (1 log)") in block, block
    assert f"{first}: error: Failure!" in block, block  # the first one's place


def test_a_failed_assertion_stops_the_test_and_others_go_on(suite):
    assert "--- PASS: TestKeepsBudgets" in suite
    block = block_of(suite, "TestAssertStopsTheTest")
    assert 'no instance of region "absent" finished in this test' in block, block
    assert "--- PASS: TestNothingRanAfterTheFailure" in suite


def test_without_a_tracer_assertions_say_they_check_nothing():
    proc = subprocess.run([str(BUDGETS)], capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc  # the budgets are not judged: nothing fails
    notice = "ctrace: trace assertions check nothing without a tracer"
    assert proc.stderr.count(notice) == 1, proc.stderr


# ---- --assert rules, judged in the test process when each test body returns ----

def test_rules_that_hold_pass(tmp_path):
    rules = tmp_path / "budgets.rules"
    rules.write_text("# budgets of the cache\nregion(cache.get).p99 < 60s\n\nsync.total<60s\n")
    run_ok("-run", "TestWithinBudget", f"--assert-file={rules}",
           "--assert=TestWithin:region(db.query).count==4", "--assert=test.duration<10m",
           "--assert=syscall.max<60s", "--assert=net.max<=60s", "--assert=sched.max<60s",
           BUDGETS)


def test_a_broken_rule_fails_the_test_naming_the_rule(tmp_path):
    xml = tmp_path / "r.xml"
    result = run("-run", "TestWithinBudget|TestLockWait", f"--junit={xml}",
                 "--assert=TestWithinBudget:region(cache.get).count>=21",
                 "--assert=TestLockWait:sync.max<1ms", BUDGETS)
    assert result.returncode == 1, result
    within = block_of(result.stdout, "TestWithinBudget")
    assert ('--assert "TestWithinBudget:region(cache.get).count>=21": region "cache.get" '
            "finished 20 times in this test, not >= 21") in within, within
    assert "--assert:1: error: Failure!" in within, within  # the first broken rule
    lock = block_of(result.stdout, "TestLockWait")
    match = re.search(rf'--assert "TestLockWait:sync.max<1ms": sync blocking {MS}, not < 1 ms '
                      r"\(\d+ of \d+ waits over 1 ms; longest [0-9.]+ ms in cache_get "
                      r"\(budgets_test\.c:\d+\), thread \d+", lock)
    assert match and float(match.group(1)) >= 20, lock
    cases = {c.get("name"): c for c in ET.parse(xml).getroot().iter("testcase")}
    assert "--assert" in cases["TestWithinBudget"].find("failure").get("message")


def test_a_rule_on_a_region_applies_where_it_finished_unless_tests_are_named():
    # For every test: tests without the region are not judged by it.
    run_ok("-run", "TestWithinBudget", "--assert=region(db.query).max<60s", BUDGETS)
    # Named tests must have it (a typo fails loudly).
    result = run("-run", "TestWithinBudget", "--assert=Within:region(db.qurey).max<60s", BUDGETS)
    assert result.returncode == 1, result
    assert 'no instance of region "db.qurey" finished in this test' in result.stdout, result


# ---- a rule that judged no test is warned about after the run; the status stays ----

OUTCOMES = BUILD / "tests" / "suites" / "outcomes_test"


def unjudged(rule, why):
    return f'ctest-trace: warning: --assert "{rule}" judged no test: {why}'


def test_a_rule_on_a_region_no_test_finished_is_warned_about():
    result = run_ok("-run", "TestWithinBudget", "--assert=region(fecth).max<1s", BUDGETS)
    warning = unjudged("region(fecth).max<1s", 'no selected test finished a region "fecth"')
    assert warning in result.stderr.splitlines(), result
    # A failing run fails as before, with the warning all the same.
    result = run("--assert=region(fecth).max<1s", BUDGETS)
    assert result.returncode == 1, result
    assert warning in result.stderr.splitlines(), result


def test_a_rule_that_judged_a_test_is_not_warned_about():
    result = run_ok("-run", "TestWithinBudget", "--assert=region(db.query).max<60s", BUDGETS)
    assert "judged no test" not in result.stderr, result


def test_a_rule_whose_regex_matches_no_test_that_ran_is_warned_about():
    result = run_ok("-run", "TestWithinBudget", "--assert=TestNope:sync.max<1s", BUDGETS)
    assert unjudged("TestNope:sync.max<1s", 'no test that ran matches "TestNope"') in \
        result.stderr.splitlines(), result


def test_a_rule_on_a_task_no_test_finished_is_warned_about():
    result = run_ok("-run", "TestWithinBudget", "--assert=task(nope).max<1s", BUDGETS)
    assert unjudged("task(nope).max<1s", 'no selected test finished a task "nope"') in \
        result.stderr.splitlines(), result


def test_a_rule_whose_tests_failed_before_their_bodies_returned_is_no_typo():
    # TestSlowQuery fails inside its body: no rule judges it, and none is warned about.
    result = run("-run", "TestSlowQuery", "--assert=TestSlowQuery:region(db.query).max<60s",
                 "--assert=region(fecth).max<1s", BUDGETS)
    assert result.returncode == 1, result
    assert "judged no test" not in result.stderr, result


def test_what_a_rule_judged_before_its_process_died_counts():
    # TestPasses judges the rule, then TestDies kills the process: what was judged
    # reached the runner already. The process started after it has nothing to judge.
    result = run("-run", "TestPasses|TestDies|TestInThirdGroup", "--assert=region(work).max<60s",
                 OUTCOMES, env={"OUTCOMES_DEATH": "kill"})
    assert result.returncode == 1, result
    assert "--- PASS: TestPasses" in result.stdout, result
    assert "--- PASS: TestInThirdGroup" in result.stdout, result
    assert "judged no test" not in result.stderr, result


def test_a_rule_judged_in_any_binary_of_the_run_is_not_warned_about():
    result = run_ok("-run", "TestWithinBudget|TestPipeline", "--assert=region(db.query).max<60s",
                    "--assert=TestPipeline:test.duration<10m", BUDGETS, PIPELINE)
    assert "judged no test" not in result.stderr, result



ARMED = BUILD / "tests" / "suites" / "armed_test"
ARMED_MODULE = BUILD / "tests" / "suites" / "libarmed_module.so"


def test_an_assertion_reached_by_dlsym_says_its_first_test_was_not_judged():
    # The binary records regions but imports no assertion: the tracer keeps
    # no numbers for them until the first one runs, and says so.
    result = run(ARMED, env={"ARMED_HOW": "dlsym"})
    assert result.returncode == 1, result
    first = block_of(result.stdout, "TestFirstAssertion")
    assert "not judged: the tracer began keeping what trace assertions read during this test" \
        in first, result
    assert "--- PASS: TestLaterAssertion" in result.stdout, result  # judged: one region


def test_assertions_in_a_module_loaded_later_are_judged_from_its_first_test():
    result = run(ARMED, env={"ARMED_HOW": "module", "ARMED_MODULE": str(ARMED_MODULE)})
    assert result.returncode == 1, result
    assert "--- PASS: TestOneStep" in result.stdout, result
    assert 'region "module.step" finished 2 times in this test, expected exactly 1' in \
        block_of(result.stdout, "TestTwoSteps"), result


def test_assertions_in_a_module_a_group_setup_loads_are_judged_from_the_first_test():
    result = run(ARMED, env={"ARMED_HOW": "fixture", "ARMED_MODULE": str(ARMED_MODULE)})
    assert result.returncode == 1, result
    assert "--- PASS: TestStepOnce" in result.stdout, result
    assert 'region "module.step" finished 2 times in this test, expected exactly 1' in \
        block_of(result.stdout, "TestStepTwice"), result


def test_a_binary_without_pie_that_takes_the_assertions_address_is_judged():
    result = run(BUILD / "tests" / "suites" / "armed_address_test")
    assert result.returncode == 1, result
    assert 'region "address.step" finished 3 times in this test, expected exactly 1' in \
        block_of(result.stdout, "TestThreeSteps"), result


def test_a_statically_linked_copy_of_libctrace_never_passes_an_assertion(tmp_path):
    # The preloaded copy traces; the binary's own copy sees nothing of it.
    # Its assertion once judged the first test's log in the second (a pass
    # of the wrong window, its copy attached as a second process of the same
    # pid): now it says it cannot judge, and the trace has one process.
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", BUILD / "tests" / "suites" / "static_copy_test")
    assert result.returncode == 1, result
    assert "not judged: this binary holds its own copy of libctrace" in \
        block_of(result.stdout, "TestSeesOnlyItsOwn"), result
    stats = run_ok("stats", trace).stdout
    assert "processes:  1\n" in stats, stats
