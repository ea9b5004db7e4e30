"""Regions (and tasks) ended on another thread, read from a real run: the runner writes
what threads wrote in passes, so the ending thread's events may come after
the test's end in the file. Each region reads as ended where it was, with
the one warning an end on another thread gets, never as "never ended" and
then "ended twice" (tests/golden/drain_order_foreign.txt is the same case,
written out)."""
import json
import re
from collections import Counter

from conftest import BUILD, run, run_ok

SUITE = BUILD / "tests" / "suites" / "handoff_test"
ENDED_ELSEWHERE = 'region "{}" begun at N ms on thread N was ended on thread N'


def said_of(tmp_path, trace):
    out = tmp_path / "t.jsonl"
    run_ok("export", "--format=jsonl", "-o", out, trace)
    events = [json.loads(line) for line in out.read_text().splitlines()]
    said = Counter(re.sub(r"[0-9.]+", "N", e["message"]) for e in events
                   if e["kind"] == "warning")
    regions = [e for e in events if e["kind"] == "region"]
    unended = [e for e in events if e["kind"] in ("region", "task_end") and
               "unended" in e.get("flags", [])]
    return said, regions, unended


def read_run(tmp_path, env):
    trace = tmp_path / "t.out"
    run_ok(f"--trace={trace}", SUITE, env=env)
    return said_of(tmp_path, trace)


def test_regions_a_worker_ends_read_as_ended(tmp_path):
    said, regions, unended = read_run(tmp_path, {"HANDOFFS": "20000"})
    assert said == {ENDED_ELSEWHERE.format("handed over"): 20000}, said
    assert len(regions) == 20000 and not unended, unended[:3]


def test_regions_a_test_s_own_thread_ends_read_as_ended(tmp_path):
    """Tiny tests, each with a thread of its own that ends the test's
    region and a task it began: that thread is new to the reader when the
    test ends (and its end of the task comes before the task's begin)."""
    said, regions, unended = read_run(tmp_path, {"HANDOFFS": "10", "HELPER_TESTS": "2000"})
    assert said == {ENDED_ELSEWHERE.format("handed over"): 10,
                    ENDED_ELSEWHERE.format("ended by a helper"): 2000}, said
    assert len(regions) == 2010 and not unended, unended[:3]


def test_a_flight_recorder_s_window_reads_them_as_ended(tmp_path):
    """The same tiny tests, the last failing, under a flight recorder: the
    run's window (--trace-dir), which holds them all, writes each drain
    pass's batches as a trace would (recorder/window_write.c)."""
    result = run("--flight-recorder=8MiB", f"--trace-dir={tmp_path}",
                 f"--attach-dir={tmp_path / 'a'}", SUITE,
                 env={"HANDOFFS": "10", "HELPER_TESTS": "2000", "HELPERS_FAIL": "1"})
    assert result.returncode == 1 and "the last of 2000 tests fails" in result.stdout, result
    said, regions, unended = said_of(tmp_path, tmp_path / "handoff_test.trace")
    assert said == {ENDED_ELSEWHERE.format("handed over"): 10,
                    ENDED_ELSEWHERE.format("ended by a helper"): 2000}, said
    assert len(regions) == 2010 and not unended, unended[:3]
    attached = list((tmp_path / "a").iterdir())
    assert len(attached) == 1, attached  # the failing test's, which holds it alone
    said, regions, unended = said_of(tmp_path, attached[0])
    assert said == {ENDED_ELSEWHERE.format("ended by a helper"): 1}, said
