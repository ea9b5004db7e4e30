"""`export --format=chrome` (issue 14, point 1): Chrome's trace event JSON,
for ui.perfetto.dev and chrome://tracing. Checked by parsing it: the fields
each phase needs, slices that nest on their thread, tasks as async tracks
with a begin and an end, flow arrows to a task's work on other threads,
names as the trace has them, escaped."""

import json
from collections import defaultdict

from conftest import BUILD, run, run_ok

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
            lanes[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], e["name"]))
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
