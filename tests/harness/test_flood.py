"""The tracer under load (issue 11): a test that asks for more events than the
pool holds, tests/suites/flood_test (threads each ending N regions, a log every
fourth, a task every 4096 regions).

By default nothing is lost: the counts are exact, every thread's events are in
the order written, no warning, every thread's end is there, under the runner and
with ct_start. With --overflow=drop the loss is told, the same number
everywhere: the run's line for the test and its summary, --json, JUnit, stats.

Sizes: the issue's 16 threads x 1 M regions in a plain build; the sanitizer
builds run a scaled-down flood (the unit test test_overflow drives a tiny pool
under them, drop mode included).
"""

import json
import os
import re
import subprocess

import pytest

from conftest import BUILD, TIMEOUT_S, run, run_ok, sanitized

FLOOD = BUILD / "tests" / "suites" / "flood_test"
THREADS = 16
REGIONS = 50_000 if sanitized() else 1_000_000
TASK_EVERY = 4096


def flood_env(threads=THREADS, regions=REGIONS, **more):
    env = {
        "FLOOD_THREADS": str(threads),
        "FLOOD_REGIONS": str(regions),
        "FLOOD_TASK_EVERY": str(TASK_EVERY),
    }
    env.update(more)
    return env


def stat_line(stats, key):
    """The number after `key` (an event kind, or "lost:") in `stats` output."""
    m = re.search(rf"^\s*{re.escape(key)}\s+(\d+)", stats, re.M)
    assert m, f"no {key!r} line in:\n{stats}"
    return int(m.group(1))


def check_whole(stats, threads, regions):
    assert stat_line(stats, "region") == threads * regions, stats
    assert stat_line(stats, "log") == threads * regions // 4, stats
    tasks = -(-regions // TASK_EVERY)  # each thread's own, begun and ended
    assert stat_line(stats, "task_end") >= threads * tasks, stats
    assert stat_line(stats, "thread_end") >= threads, stats
    assert stat_line(stats, "lost:") == 0, stats
    assert re.search(r"^warnings:\s+0$", stats, re.M), stats
    assert re.search(r"^damage:\s+none$", stats, re.M), stats


def test_flood_keeps_every_event(tmp_path):
    trace = tmp_path / "flood.trace"
    r = run_ok(f"--trace={trace}", FLOOD, env=flood_env())
    assert "lost" not in r.stdout, r
    check_whole(run_ok("stats", trace).stdout, THREADS, REGIONS)


def test_flood_with_ct_start_keeps_every_event(tmp_path):
    """The drain thread of the process itself, not the runner's collector."""
    trace = tmp_path / "self.trace"
    env = dict(flood_env(FLOOD_TRACE=str(trace)))
    proc = subprocess.run([str(FLOOD)], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    check_whole(run_ok("stats", trace).stdout, THREADS, REGIONS)


def test_flood_order_within_threads(tmp_path):
    """Every thread's logs come out in the order it wrote them, none twice.
    (Too small to fill the pool: order under pressure, with threads waiting
    for room, is test_overflow's, on a pool of four chunks.)"""
    threads, regions = 4, 20_000
    trace = tmp_path / "order.trace"
    run_ok(f"--trace={trace}", FLOOD, env=flood_env(threads, regions))
    events = tmp_path / "events.jsonl"
    run_ok("export", "--format=jsonl", "-o", events, trace)
    seen = {}
    regions_by_tid = {}
    with open(events) as f:
        for line in f:
            ev = json.loads(line)
            if ev["kind"] == "region" and ev["name"].startswith("flood."):
                regions_by_tid[ev["tid"]] = regions_by_tid.get(ev["tid"], 0) + 1
            if ev["kind"] != "log" or ev["category"] != "flood":
                continue
            index, i = (int(x) for x in ev["message"].split())
            seen.setdefault((ev["tid"], index), []).append(i)
    assert len(seen) == threads
    for key, numbers in seen.items():
        assert numbers == list(range(3, regions, 4)), f"thread {key}: out of order or missing"
    assert sorted(regions_by_tid.values()) == [regions] * threads


@pytest.mark.skipif(sanitized(), reason="a sanitizer build is too slow to outrun its pool")
def test_drop_mode_tells_its_exact_loss_everywhere(tmp_path):
    trace, report = tmp_path / "drop.trace", tmp_path / "report.xml"
    r = run_ok("--overflow=drop", f"--trace={trace}", f"--junit={report}", FLOOD,
               env=flood_env())
    m = re.search(r"^    (\d+) events were lost in this test: the trace could not record them",
                  r.stdout, re.M)
    assert m, r
    lost = int(m.group(1))
    assert lost > 0
    assert re.search(rf"^ok  \t.*\ttrace: .*\({lost} events lost\)$", r.stdout, re.M), r
    stats = run_ok("stats", trace).stdout
    assert stat_line(stats, "lost:") == lost, stats  # once: per process = per test here
    assert re.search(rf"^  by test: TestFlood {lost}$", stats, re.M), stats
    assert re.search(r"^warnings:\s+0$", stats, re.M), stats  # no loss turned into misuse
    # Regions whose end was lost have no duration (test_stats_lost).
    kept = stat_line(stats, "region")
    assert kept < THREADS * REGIONS  # that kept + lost is exact: test_overflow, test_drop
    xml = report.read_text()
    assert f"ctest-trace: {lost} events were lost in this test" in xml
    js = run_ok("--json", "--overflow=drop", f"--trace={trace}", FLOOD, env=flood_env())
    lines = [json.loads(line) for line in js.stdout.splitlines()]
    said = [e["Output"] for e in lines
            if e["Action"] == "output" and e.get("Test") == "TestFlood" and "lost" in e["Output"]]
    assert len(said) == 1 and re.match(r"    \d+ events were lost in this test", said[0]), said


@pytest.mark.skipif(sanitized(), reason="a sanitizer build is too slow to outrun its pool")
def test_an_assertion_over_a_window_that_lost_events_fails(tmp_path):
    """ct_assert_region_count holds on the events kept? It cannot vouch for
    the rest: the test fails, naming the loss. A rule does the same."""
    r = run("--overflow=drop", FLOOD, env=flood_env(FLOOD_ASSERT="1"))
    assert r.returncode == 1, r
    assert re.search(r"events were lost in this test", r.stdout), r
    r = run("--overflow=drop", "--assert=region(flood.b).max<1h", FLOOD, env=flood_env())
    assert r.returncode == 1, r
    assert re.search(r'--assert "region\(flood.b\).max<1h": not judged: \d+ events were lost',
                     r.stdout), r


def test_wait_mode_assertion_holds_on_the_whole_trace(tmp_path):
    r = run_ok(FLOOD, env=flood_env(FLOOD_ASSERT="1"))
    assert "lost" not in r.stdout, r
