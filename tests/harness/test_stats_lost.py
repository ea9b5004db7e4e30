"""What `stats` says of lost events (issue 11): the number once, by thread and
by test, what no thread could tell, what the loss left unended, and how long
threads waited for room instead; no misuse warning. The trace is
tests/golden/lost.txt, assembled through libctrace's ctr_text_assemble (with
ctypes: not in a sanitizer build, whose runtime must load first; test_golden
reads the same traces there)."""

import re

import pytest

from conftest import REPO, assemble, run, run_ok, sanitized

pytestmark = pytest.mark.skipif(sanitized(), reason="a sanitizer's libctrace.so cannot be "
                                "loaded into Python")


def test_stats_tells_a_loss_once_by_thread_and_test(tmp_path):
    trace = tmp_path / "lost.trace"
    assemble(REPO / "tests" / "golden" / "lost.txt", trace)
    out = run_ok("stats", trace).stdout
    assert re.search(r"^lost:\s+45 events of \d+ written", out, re.M), out
    assert re.search(r"^  by thread: tid 8 40$", out, re.M), out
    assert re.search(r"^  untold:\s+5 \(lost by threads that ended or died", out, re.M), out
    assert re.search(r"^  by test: TestA 45$", out, re.M), out
    assert re.search(r"^  unended:\s+1 region and 0 tasks whose end may be among them", out,
                     re.M), out
    assert re.search(r"^stalls:\s+3 times a thread waited for room in the pool rather than "
                     r"lose events \(2 ms in all\)$", out, re.M), out
    assert re.search(r"^warnings:\s+0$", out, re.M), out


def test_repeated_batch_is_damage(tmp_path):
    trace = tmp_path / "repeated.trace"
    assemble(REPO / "tests" / "golden" / "repeated.txt", trace)
    r = run("stats", trace)
    assert r.returncode == 1, r
    assert "comes again (batches repeated" in r.stderr, r
    assert re.search(r"^tests:\s+1 \(1 pass\)$", r.stdout, re.M), r  # once, not twice


def test_tasks_shows_no_duration_for_an_end_lost(tmp_path):
    """A region whose end may be among lost events has no duration: the
    tree says so, and --json gives null, not the time until the trace
    closed it."""
    trace = tmp_path / "lost.trace"
    assemble(REPO / "tests" / "golden" / "lost.txt", trace)
    tree = run_ok("tasks", trace).stdout
    assert re.search(r"region open: duration unknown at \+[\d.]+ \w+, tid 8, unended, events lost",
                     tree), tree
    assert re.search(r"region after: 10 ns at", tree), tree
    tasks = run_ok("tasks", "--json", trace).json()["tasks"]
    regions = {r["name"]: r for t in tasks for r in t["regions"]}
    assert regions["open"]["duration_ns"] is None and regions["open"]["events_lost"], regions
    assert regions["after"]["duration_ns"] == 10 and "events_lost" not in regions["after"]
