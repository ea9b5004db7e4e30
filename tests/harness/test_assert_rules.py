"""The runner's side of --assert and --assert-file: every rule is read before anything
runs, a malformed one stops the run (exit 2) with where it goes wrong and a caret, and
the rules reach each test process in CTRACE_ASSERT. (Their evaluation, in the test
process, is the tracer's.)"""

import shutil

import pytest

from conftest import PIPELINE, run, run_ok


def stderr_lines(result):
    return result.stderr.splitlines()


def caret(chars_before):
    """The caret line under a rule echoed with two spaces before it."""
    return " " * (2 + chars_before) + "^"


def assert_ran_nothing(result, trace):
    assert result.returncode == 2, repr(result)
    assert "=== RUN" not in result.stdout and "PASS" not in result.stdout, repr(result)
    assert not trace.exists(), f"{trace} was created:\n{result!r}"


def test_malformed_assert_shows_column_and_caret(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "-v", "--assert=TestX:region(fetch).p95<25xs", PIPELINE)
    assert_ran_nothing(result, trace)
    assert stderr_lines(result) == [
        'ctest-trace: invalid --assert rule: column 27: invalid duration "25xs": '
        "unknown unit (ns, us, ms, s, m, h)",
        "  TestX:region(fetch).p95<25xs",
        caret(26),
    ], repr(result)


def test_echoed_rule_is_escaped_and_the_caret_follows(tmp_path):
    trace = tmp_path / "t.out"
    # A control byte is refused, and shown escaped; the caret stays under it.
    result = run(f"--trace={trace}", "--assert=sync.\x1bmax<1ms", PIPELINE)
    assert_ran_nothing(result, trace)
    assert stderr_lines(result)[1:] == ["  sync.\\x1bmax<1ms", caret(5)], repr(result)
    # A character of two bytes before the column takes one column (p90 is at byte 15).
    result = run(f"--trace={trace}", "--assert=region(caf\u00e9).p90<1ms", PIPELINE)
    assert_ran_nothing(result, trace)
    assert stderr_lines(result)[1:] == ["  region(caf\u00e9).p90<1ms", caret(13)]


def test_every_malformed_rule_is_shown(tmp_path):
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "--assert=sync.max=1ms", "--assert=sync.max<1ms",
                 "--assert", "net.max<", PIPELINE)
    assert_ran_nothing(result, trace)
    lines = stderr_lines(result)
    assert lines[0] == ('ctest-trace: invalid --assert rule: column 9: unknown operator "=": '
                        "expected <, <=, >, >= or =="), repr(result)
    assert lines[3] == 'ctest-trace: invalid --assert rule: column 9: missing value after "<"'
    assert len(lines) == 6, repr(result)


def test_malformed_line_in_a_file_names_file_line_column(tmp_path):
    trace = tmp_path / "t.out"
    rules = tmp_path / "budgets.rules"
    rules.write_text("# budgets of the pipeline\n"
                     "\n"
                     "   # indented comment\n"
                     "TestPipeline:region(fetch).max < 1h\n"
                     "  task(worker).p95 < 5ms\n"
                     "sync.max < 5\n")
    result = run(f"--trace={trace}", f"--assert-file={rules}", PIPELINE)
    assert_ran_nothing(result, trace)
    assert stderr_lines(result) == [
        f'ctest-trace: {rules}:5:16: unknown metric "task(worker).p95": expected max',
        "    task(worker).p95 < 5ms",
        caret(15),
        f'ctest-trace: {rules}:6:13: duration "5" needs a unit, e.g. 5ms',
        "  sync.max < 5",
        caret(12),
    ], repr(result)


def test_missing_or_unreadable_assert_file(tmp_path):
    trace = tmp_path / "t.out"
    missing = tmp_path / "no-such.rules"
    result = run(f"--trace={trace}", f"--assert-file={missing}", PIPELINE)
    assert_ran_nothing(result, trace)
    assert f"{missing}: --assert-file: No such file or directory" in result.stderr, repr(result)
    result = run(f"--trace={trace}", "--assert-file", tmp_path, PIPELINE)
    assert_ran_nothing(result, trace)
    assert f"{tmp_path}: --assert-file: Is a directory" in result.stderr, repr(result)


def test_valid_rules_run_the_suite(tmp_path):
    rules = tmp_path / "budgets.rules"
    rules.write_text("# generous: they hold however slow the machine\n"
                     "TestPipeline:test.duration < 10m\n")
    result = run_ok(f"--trace={tmp_path / 't.out'}", "-run", "TestPipeline",
                    f"--assert-file={rules}", "--assert", " TestPipeline:region(fetch).count >= 1 ",
                    PIPELINE)
    assert "ok  " in result.stdout, repr(result)


@pytest.mark.skipif(shutil.which("env") is None, reason="no env(1) to print the environment")
def test_rules_reach_the_test_process_one_a_line(tmp_path):
    rules = tmp_path / "budgets.rules"
    rules.write_text("# a comment\n  sync.max < 5ms  \r\n\nnet.max<1s\n")
    # env(1) stands for a test binary: it prints the environment it was given.
    # Nothing is preloaded, so only the runner's part is seen (and the run
    # fails: no cmocka group ran).
    result = run("-v", "--assert=  TestA|TestB:region(a:b).p99<=2ms ", f"--assert-file={rules}",
                 shutil.which("env"), env={"CTRACE_PRELOAD": "", "CTRACE_ASSERT": "stale"})
    assert result.returncode == 1 and "no test was traced" in result.stdout, repr(result)
    out = result.stdout
    start = out.index("CTRACE_ASSERT=")
    # Files first, then --assert; each rule trimmed; comments and blank lines gone.
    assert out[start:].startswith(
        "CTRACE_ASSERT=sync.max < 5ms\nnet.max<1s\nTestA|TestB:region(a:b).p99<=2ms\n"), out
    assert "stale" not in out, out


def test_no_rules_no_variable(tmp_path):
    if shutil.which("env") is None:
        pytest.skip("no env(1) to print the environment")
    result = run("-v", shutil.which("env"),
                 env={"CTRACE_PRELOAD": "", "CTRACE_ASSERT": "stale"})
    assert result.returncode == 1 and "no test was traced" in result.stdout, repr(result)
    assert "CTRACE_ASSERT" not in result.stdout, repr(result)


def test_many_malformed_rules_are_counted_past_ten(tmp_path):
    rules = tmp_path / "bad.rules"
    rules.write_text("sync.max=1ms\n" * 12)
    result = run(f"--assert-file={rules}", PIPELINE)
    assert result.returncode == 2, repr(result)
    lines = stderr_lines(result)
    assert len(lines) == 10 * 3 + 1, repr(result)
    assert lines[27] == f'ctest-trace: {rules}:10:9: unknown operator "=": expected <, <=, >, >= or =='
    assert lines[-1] == "ctest-trace: 2 more malformed rules not shown", repr(result)


def test_rules_too_long_for_the_environment(tmp_path):
    rules = tmp_path / "many.rules"
    rules.write_text("sync.max < 1ms\n" * 9000)  # 9000 * 15 bytes: over 128 KiB
    result = run(f"--assert-file={rules}", PIPELINE)
    assert result.returncode == 2, repr(result)
    assert "the rules take 134999 bytes, more than the CTRACE_ASSERT variable" in result.stderr


def test_bad_flag_after_rules(tmp_path):
    result = run("--assert=sync.max<1ms", "--assert-file=x", "--bogus", PIPELINE)
    assert result.returncode == 2, repr(result)
    assert "unknown flag: --bogus" in result.stderr, repr(result)
