"""Tests killed for time (README, *Timeouts*): before the kill every thread
writes its stack into the trace (THREAD_STACK, format/FORMAT.md), and the
runner shows them under the test, in --json output events and in JUnit, as
go test shows every goroutine; --timeout-total stops the whole run; a process
that blocks the request still gets killed. Short limits, and no assertion on
how long anything took: the machine may be loaded."""

import json
import os
import re

import pytest

from conftest import (BUILD, assert_valid_junit, only, run, run_ok, tasks_by_name,
                      thread_sanitized)

TIMEOUT = BUILD / "examples" / "timeout_test"
CRASH = BUILD / "examples" / "crash_test"
FAILING = BUILD / "examples" / "failing_test"


def hang(how):
    """The environment that makes timeout_test hang `how`. The deadlock is
    deliberate: TSan builds are told not to report it (and end the test)."""
    tsan = os.environ.get("TSAN_OPTIONS", "")
    return {"TIMEOUT_HOW": how, "TSAN_OPTIONS": tsan + ":detect_deadlocks=0"}


def thread_blocks(text):
    """The stacks shown: {header line: [frame lines]}."""
    blocks, current = {}, None
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"thread \d+ .*:$", line):
            current = blocks.setdefault(line, [])
        elif not line:
            current = None
        elif current is not None:
            current.append(line)
    return blocks


# TSan delivers a signal to a thread blocked in its pthread_mutex_lock
# interceptor only once the lock is taken, which a deadlock never does.
needs_signals_in_locks = pytest.mark.skipif(
    thread_sanitized(), reason="TSan holds signals back from a thread blocked in a mutex")


def stack_events(trace):
    jsonl = run_ok("export", "--format=jsonl", "-o", "-", trace).stdout
    return [e for e in map(json.loads, jsonl.splitlines()) if e.get("kind") == "thread_stack"]


@needs_signals_in_locks
def test_a_deadlock_shows_both_threads_where_they_block(tmp_path):
    trace, junit = tmp_path / "trace.out", tmp_path / "junit.xml"
    result = run(f"--trace={trace}", f"--junit={junit}", "--timeout=1s", TIMEOUT,
                 env=hang("deadlock"))
    assert result.returncode == 1, result
    assert "test timed out after 1s: killed" in result.stdout, result
    blocks = thread_blocks(result.stdout)
    test_thread = [f for h, f in blocks.items() if "(main)" in h and "in TestHang" in h]
    worker = [f for h, f in blocks.items() if '"worker"' in h]
    assert len(test_thread) == 1 and len(worker) == 1, result
    # Each blocks in the lock the other holds, called from its own function.
    for frames, fn in ((test_thread[0], "take_a_then_b"), (worker[0], "take_b_then_a")):
        names = [f.split(" ")[0] for f in frames]
        # libc's lock, by its ELF name or (with libc's debug file) its DWARF one
        assert fn in names and any("pthread_mutex_lock" in n for n in names[:names.index(fn)]), \
            frames
        assert any(f.startswith(fn + " (") and "timeout_test.c:" in f for f in frames), frames
    assert "--- PASS: TestAfterHang" in result.stdout, result  # the run goes on after it
    hung = only(tasks_by_name(trace)["TestHang"], "TestHang")
    assert hung["status"] == "timeout", hung
    stacks = stack_events(trace)
    assert {e["tid"] for e in stacks} >= {hung["pid"]} and len(stacks) >= 2, stacks
    assert_valid_junit(junit)
    xml = junit.read_text()
    assert "take_b_then_a" in xml and 'type="timeout"' in xml, xml


@needs_signals_in_locks
def test_json_output_carries_the_stacks_as_the_test_s_output(tmp_path):
    result = run("--json", "--timeout=1s", "-run", "TestHang", TIMEOUT,
                 env=hang("deadlock"))
    assert result.returncode == 1, result
    events = [json.loads(line) for line in result.stdout.splitlines()]
    output = "".join(e.get("Output", "") for e in events
                     if e.get("Test") == "TestHang" and e["Action"] == "output")
    assert "take_a_then_b" in output and "take_b_then_a" in output, output
    assert any(e["Action"] == "fail" and e.get("Test") == "TestHang" for e in events), events


def test_a_process_that_blocks_the_request_is_still_killed(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "--timeout=1s", TIMEOUT, env=hang("masked"))
    assert result.returncode == 1, result
    assert "test timed out after 1s: killed" in result.stdout, result
    assert "(no stack from 1 of its 1 thread: asked with signal SIGRTMAX" in result.stdout, result
    assert "--- PASS: TestAfterHang" in result.stdout, result
    assert only(tasks_by_name(trace)["TestHang"], "TestHang")["status"] == "timeout"
    assert stack_events(trace) == []


def test_a_child_that_resets_its_signals_leaves_the_request_alone(tmp_path):
    """A child forked by the test sets every signal back to its default (as
    before an exec): the stack signal named in the pool it shares is still
    the test process's, which is asked and answers."""
    result = run("--timeout=2s", TIMEOUT, env=hang("child_resets"))
    assert result.returncode == 1 and "test timed out after 2s" in result.stdout, result
    main = [f for h, f in thread_blocks(result.stdout).items() if "in TestHang" in h]
    # its stack, in the sleep (a tail call: TestHang's own frame may be gone)
    assert len(main) == 1 and any("sleep" in f for f in main[0]), result
    assert "no stack" not in result.stdout, result
    assert "handles SIGPROF itself" not in result.stdout + result.stderr, result


def test_the_total_timeout_stops_the_run(tmp_path):
    trace = tmp_path / "trace.out"
    result = run(f"--trace={trace}", "--timeout-total=1s", "-v", CRASH, FAILING,
                 env={"CRASH_HOW": "hang"})
    assert result.returncode == 1, result
    assert "--- PASS: TestBeforeCrash" in result.stdout, result
    assert "test timed out: the run took longer than --timeout-total=1s: killed" in result.stdout
    main = [f for h, f in thread_blocks(result.stdout).items() if "in TestCrash" in h]
    assert len(main) == 1 and any(f.startswith("TestCrash (") for f in main[0]), result
    assert "TestAfterCrash" not in result.stdout, result  # nothing after it runs
    assert "TestParse" not in result.stdout, result       # nor the next binary
    assert "1 binary did not run" in result.stderr, result
    tasks = tasks_by_name(trace)
    assert only(tasks["TestCrash"], "TestCrash")["status"] == "timeout"
    assert "TestAfterCrash" not in tasks


def test_a_run_within_its_total_time_is_untouched():
    result = run("--timeout-total=5m", TIMEOUT, env=hang(""))
    assert result.returncode == 0, result


@pytest.mark.parametrize("value", ["10", "-1s", "soon"])
def test_a_bad_total_timeout_is_refused(value):
    result = run(f"--timeout-total={value}", TIMEOUT)
    assert result.returncode == 2 and "--timeout-total" in result.stderr, result


def test_the_total_timeout_holds_for_binaries_run_at_once():
    # -p: each runner gets what is left of the run's time; none starts after it
    result = run("-p", "2", "--timeout-total=1s", CRASH, CRASH, FAILING,
                 env={"CRASH_HOW": "hang"})
    assert result.returncode == 1, result
    said = "test timed out: the run took longer than --timeout-total=1s: killed"
    assert result.stdout.count(said) == 2, result  # the limit as given, not what was left
    assert "TestParse" not in result.stdout, result  # FAILING never started
    assert "--timeout-total=1s: 1 binary did not run" in result.stderr, result


@pytest.mark.parametrize("how", ["sleep", "reset"])
def test_a_test_out_of_time_times_out_however_the_request_ends(tmp_path, how):
    # sleep: the request interrupts it, and sleep() is not restarted: the
    # test must not go on (and pass); reset: the program made the request's
    # signal fatal: the timeout kills it without asking
    trace = tmp_path / "t.out"
    result = run(f"--trace={trace}", "--timeout=1s", TIMEOUT, env=hang(how))
    assert result.returncode == 1, result
    assert "test timed out after 1s" in result.stdout, result
    assert "--- FAIL: TestHang" in result.stdout and "--- PASS: TestAfterHang" in result.stdout
    assert only(tasks_by_name(trace)["TestHang"], "TestHang")["status"] == "timeout"
    if how == "reset":
        # the program took the signal through signal(): the runner knew at
        # once, and did not send it (its default action would have killed)
        assert "(no stacks: the binary's tracer takes no request for them" in result.stdout, \
            result
