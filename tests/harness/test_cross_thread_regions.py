"""Regions ended on another thread, read from a real run: the runner drains
threads in no particular order, so the ending thread's events often come
after the test's end in the file. Each region reads as ended where it was,
with the one warning an end on another thread gets, never as "never ended"
and then "ended twice" (tests/golden/drain_order_foreign.txt is the same
case, written out)."""
import json
import re
from collections import Counter

from conftest import BUILD, run_ok

SUITE = BUILD / "tests" / "suites" / "handoff_test"
HANDOFFS = 20000


def test_regions_ended_on_another_thread_read_as_ended(tmp_path):
    trace = tmp_path / "t.out"
    run_ok(f"--trace={trace}", SUITE, env={"HANDOFFS": str(HANDOFFS)})
    out = tmp_path / "t.jsonl"
    run_ok("export", "--format=jsonl", "-o", out, trace)
    events = [json.loads(line) for line in out.read_text().splitlines()]
    said = Counter(re.sub(r"[0-9.]+", "N", e["message"]) for e in events
                   if e["kind"] == "warning")
    ended_elsewhere = 'region "handed over" begun at N ms on thread N was ended on thread N'
    assert said == {ended_elsewhere: HANDOFFS}, said
    regions = [e for e in events if e["kind"] == "region"]
    assert len(regions) == HANDOFFS, len(regions)
    assert all("unended" not in e.get("flags", []) for e in regions), \
        [e for e in regions if "unended" in e.get("flags", [])][:3]
