"""`export --format=chrome` (issue 14, point 1): Chrome's trace event JSON,
for ui.perfetto.dev and chrome://tracing. Checked by parsing it: the fields
each phase needs, slices that nest on their thread, tasks as async tracks
with a begin and an end, flow arrows to a task's work on other threads,
names as the trace has them, escaped."""

import json
import subprocess
from collections import defaultdict

from conftest import BUILD, assemble, run, run_ok
from test_export_perfetto import STRADDLE, TIES, needs_libctrace, staircases

LANE = 1 << 22  # an extra lane's tid: its thread's plus N * LANE

ORDER = BUILD / "tests" / "suites" / "order_test"  # a test named Test\x1b[31mEscape


def export(trace, tmp_path):
    out = tmp_path / "trace.json"
    run_ok("export", "--format=chrome", "-o", out, trace)
    doc = json.loads(out.read_text())
    assert doc["displayTimeUnit"] == "ns"
    return doc["traceEvents"]


def assert_well_formed(events):
    for e in events:
        assert e["ph"] in {"M", "X", "i", "b", "e", "s", "f"}, e
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
        if e["ph"] != "M":
            assert isinstance(e["ts"], float) and e["ts"] >= 0, e
        if e["ph"] == "X":
            assert e["dur"] >= 0, e
        if e["ph"] == "i":
            assert e["s"] in {"t", "p"}, e


def assert_nested_per_thread(events):
    """Complete slices of one thread nest: each lies inside the one open
    around it, or after it."""
    lanes = defaultdict(list)
    for e in events:
        if e["ph"] == "X":
            begin = round(e["ts"] * 1000)  # exact ns: no sums of floats
            lanes[(e["pid"], e["tid"])].append((begin, begin + round(e["dur"] * 1000),
                                                 e["name"]))
    for lane, slices in lanes.items():
        open_ = []
        for begin, end, name in sorted(slices, key=lambda s: (s[0], -s[1])):
            while open_ and open_[-1][1] <= begin:
                open_.pop()
            assert not open_ or end <= open_[-1][1], (lane, name, open_[-1])
            open_.append((begin, end, name))


def test_the_pipeline_example_nests_and_holds_its_names(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    events = export(trace, tmp_path)
    assert_well_formed(events)
    assert_nested_per_thread(events)
    names = {e["name"] for e in events}
    assert {"TestPipeline", "request", "fetch", "render"} <= names, names
    # tasks are async tracks: a begin and an end, one id each, the end after it
    spans = defaultdict(dict)
    for e in events:
        if e["ph"] in "be":
            spans[(e["cat"], e["id"])][e["ph"]] = e
    assert spans and all(set(s) == {"b", "e"} for s in spans.values()), spans
    assert all(s["b"]["ts"] <= s["e"]["ts"] and s["b"]["name"] == s["e"]["name"]
               for s in spans.values())
    assert any(s["b"]["name"] == "TestPipeline" for s in spans.values())
    # a lane per thread, named; the process named for its binary
    meta = [e for e in events if e["ph"] == "M"]
    assert any(e["name"] == "process_name" and "pipeline_test" in e["args"]["name"]
               for e in meta), meta
    assert any(e["name"] == "thread_name" for e in meta), meta
    # regions in a slice of their own, waits as slices by kind with a stack
    assert any(e["ph"] == "X" and e["cat"] == "region" and e["name"] == "fetch" for e in events)
    waits = [e for e in events if e["ph"] == "X" and e["cat"] in {"sync", "syscall", "net",
                                                                  "sched"}]
    assert waits and all(isinstance(e["args"]["stack"], list) for e in waits), waits
    # an arrow from the thread the task began on to its work on each other
    # thread: fetch and render run on workers of the request task
    arrows = defaultdict(dict)
    for e in events:
        if e["ph"] in "sf":
            arrows[e["id"]][e["ph"]] = e
    assert all(set(a) == {"s", "f"} and a["s"]["tid"] != a["f"]["tid"] for a in arrows.values())
    landed = {(a["f"]["tid"], a["f"]["ts"]) for a in arrows.values()}
    for name in ("fetch", "render"):
        region = next(e for e in events if e["ph"] == "X" and e["name"] == name)
        assert (region["tid"], region["ts"]) in landed, (name, arrows)


def lanes_named(events):
    """{tid: name} of the thread_name metadata."""
    return {e["tid"]: e["args"]["name"] for e in events
            if e["ph"] == "M" and e["name"] == "thread_name"}


@needs_libctrace
def test_a_wait_that_does_not_nest_goes_on_a_lane_beside_its_thread(tmp_path):
    """A scheduler wait summed at a poll after the syscall it followed
    straddles that syscall's end: it goes on an extra lane of its thread
    (tid 7 + 2^22, named for it), and every lane nests."""
    lines = TIES.splitlines()
    at = lines.index("  task_status +10 task=1 status=1 message=\"\"")
    body = ["  block +100 task=1 kind=2 wait=80 object=0",   # syscall [20, 100] ago
            "  block +30 task=1 kind=4 wait=60 object=0"]     # sched [70, 130]: straddles
    text, trace = tmp_path / "sum.txt", tmp_path / "sum.trace"
    text.write_text("\n".join(lines[:at] + body + lines[at:]) + "\n")
    assemble(text, trace)
    events = export(trace, tmp_path)
    assert_well_formed(events)
    assert_nested_per_thread(events)
    by_name = {e["name"]: e for e in events if e["ph"] == "X"}
    syscall, sched = by_name["syscall blocking"], by_name["sched wait"]
    assert syscall["ts"] < sched["ts"] < syscall["ts"] + syscall["dur"] < sched["ts"] + sched["dur"]
    assert syscall["tid"] == 7 and sched["tid"] == 7 + LANE, (syscall, sched)
    assert lanes_named(events)[7 + LANE] == "overlapping 1 (thread 7)"
    assert sched["args"]["stack"] == [] and sched["cat"] == "sched"


@needs_libctrace
def test_a_region_and_a_wait_that_straddle_split_lanes(tmp_path):
    """A wait beginning before a region and ending inside it, while the
    region's child runs: the child stays under its parent; the wait and the
    parent are on two lanes of thread 7."""
    text, trace = tmp_path / "straddle.txt", tmp_path / "straddle.trace"
    text.write_text(STRADDLE)
    assemble(text, trace)
    events = export(trace, tmp_path)
    assert_nested_per_thread(events)
    by_name = {e["name"]: e for e in events if e["ph"] == "X"}
    wait, parent, child = by_name["sched wait"], by_name["parent"], by_name["child"]
    assert child["tid"] == parent["tid"] and wait["tid"] != parent["tid"]
    assert {wait["tid"], parent["tid"]} == {7, 7 + LANE}


@needs_libctrace
def test_lanes_are_used_again_once_free(tmp_path):
    """Two staircases of 50 regions, each ending after the next began: 50
    lanes, not 100, each named once."""
    events = export(staircases(tmp_path), tmp_path)
    assert_nested_per_thread(events)
    stairs = [e for e in events if e["ph"] == "X" and e["name"] == "second" and e["dur"] == 0.05]
    assert len(stairs) == 100 and len({e["tid"] for e in stairs}) == 50
    named = lanes_named(events)
    extra = sorted(t for t in named if t > LANE)
    assert extra == [7 + n * LANE for n in range(1, 50)], extra
    meta = [e for e in events if e["ph"] == "M" and e["tid"] in extra]
    assert len(meta) == 49, meta


def test_slices_spilled_to_temporary_files_come_out_the_same(tmp_path):
    """Slices are sorted by begin within CTRACE_VIEW_MEMORY, then through
    $TMPDIR: the same bytes; without a $TMPDIR to write, exit 2 and no
    output."""
    trace = tmp_path / "gen.out"
    subprocess.run([BUILD / "bench" / "gen_trace", "-n", "30000", "-t", "3", "-o", trace],
                   check=True, capture_output=True, timeout=120)
    whole, spilled = tmp_path / "whole.json", tmp_path / "spilled.json"
    run_ok("export", "--format=chrome", "-o", whole, trace)
    run_ok("export", "--format=chrome", "-o", spilled, trace,
           env={"CTRACE_VIEW_MEMORY": "64KiB", "TMPDIR": str(tmp_path)})
    assert spilled.read_bytes() == whole.read_bytes()
    events = json.loads(whole.read_text())["traceEvents"]
    assert sum(e["ph"] == "X" for e in events) > 20000
    assert_nested_per_thread(events)
    missing, out = tmp_path / "no-such-dir", tmp_path / "none.json"
    result = run("export", "--format=chrome", "-o", out, trace,
                 env={"CTRACE_VIEW_MEMORY": "64KiB", "TMPDIR": str(missing)})
    assert result.returncode == 2 and f"cannot create a temporary file in {missing}" in \
        result.stderr and not out.exists(), result


def test_names_stay_text_and_escaped(tmp_path):
    trace = tmp_path / "t.out"
    run(f"--trace={trace}", ORDER)
    events = export(trace, tmp_path)
    assert_nested_per_thread(events)
    assert "Test\x1b[31mEscape" in {e["name"] for e in events}  # JSON-escaped, read back
    assert "\x1b" not in (tmp_path / "trace.json").read_text()  # never raw in the file


def test_what_no_thread_wrote_is_on_its_process(tmp_path):
    """A crashed test's status and end come from the runner (tid 0): the
    status is a process instant, and no event names a thread 0 (Perfetto's
    idle thread): the process's own id stands in."""
    trace = tmp_path / "crash.out"
    run(f"--trace={trace}", BUILD / "examples" / "crash_test")
    events = export(trace, tmp_path)
    assert_well_formed(events)
    assert all(e["tid"] > 0 for e in events), [e for e in events if e["tid"] <= 0]
    crash = [e for e in events if e["ph"] == "i" and e["name"] == "status: crash"]
    assert crash and all(e["s"] == "p" and e["tid"] == e["pid"] for e in crash), crash


def test_an_unknown_format_is_refused(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    out = tmp_path / "x"
    result = run("export", "--format=svg\x1b", "-o", out, trace)
    assert result.returncode == 2 and "unknown --format=svg\\x1b" in result.stderr, result
    assert "known: chrome, jsonl, otlp, perfetto" in result.stderr and not out.exists(), result
