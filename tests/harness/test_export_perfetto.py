"""`export --format=perfetto` (issue 14, point 2): Perfetto's TrackEvent
protobuf. Checked with Perfetto's own schema (a copy in protos/, compiled by
protoc for python3-protobuf) and read the way trace_processor reads it:
interned names resolved per sequence, packets sorted by timestamp keeping
the file's order for equal ones, and slices nested as a stack per track.
"""

import importlib
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import BUILD, assemble, run, run_ok, sanitized

PROTOS = Path(__file__).with_name("protos")
ORDER = BUILD / "tests" / "suites" / "order_test"  # a test named Test\x1b[31mEscape

SEQ_INCREMENTAL_STATE_CLEARED, SEQ_NEEDS_INCREMENTAL_STATE = 1, 2
BEGIN, END, INSTANT = 1, 2, 3
WAIT_CATEGORIES = {"sync", "syscall", "net", "sched"}

needs_libctrace = pytest.mark.skipif(sanitized(), reason="a sanitizer's libctrace.so cannot "
                                     "be loaded into Python")


@pytest.fixture(scope="session")
def schema(tmp_path_factory):
    """perfetto_trace.proto compiled to Python (python3-protobuf)."""
    out = tmp_path_factory.mktemp("perfetto_pb2")
    subprocess.run(["protoc", f"-I{PROTOS}", f"--python_out={out}", "perfetto_trace.proto"],
                   check=True, timeout=120)
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("perfetto_trace_pb2")
    finally:
        sys.path.remove(str(out))


class Slice:
    def __init__(self, event, parent):
        self.name, self.categories = event["name"], event["categories"]
        self.begin = self.end = event["ts"]
        self.track, self.parent = event["track"], parent
        self.annotations, self.event = event["annotations"], event


class Trace:
    """An export read as trace_processor reads it."""

    def __init__(self, data, schema):
        trace = schema.Trace()
        trace.ParseFromString(data)
        self.packets = trace.packet
        self.tracks = {}  # uuid -> TrackDescriptor fields, merged
        self.events = []
        self.defined = defaultdict(int)  # (seq, generation, kind, string) -> times
        self.used = defaultdict(int)  # (seq, generation, string) -> event names used
        self.clears = defaultdict(int)  # seq -> times its state was cleared
        state = {}
        for index, packet in enumerate(trace.packet):
            seq = packet.trusted_packet_sequence_id
            assert seq > 0, packet
            if packet.HasField("track_descriptor"):
                self.describe(packet.track_descriptor)
            if packet.HasField("track_event"):
                if packet.sequence_flags & SEQ_INCREMENTAL_STATE_CLEARED:
                    self.clears[seq] += 1
                    state[seq] = {"generation": self.clears[seq], 1: {}, 2: {}, 3: {}}
                assert seq in state, "an event before its sequence's state was cleared"
                assert packet.sequence_flags & SEQ_NEEDS_INCREMENTAL_STATE, packet
                assert packet.HasField("timestamp"), packet
                self.intern(seq, state[seq], packet.interned_data)
                self.events.append(self.event(index, seq, state[seq], packet))

    def describe(self, d):
        """A track described again may be named (a thread names itself
        late), never moved: trace_processor keeps where it was first put."""
        track = self.tracks.setdefault(d.uuid, {"uuid": d.uuid})
        where = {"parent": d.parent_uuid if d.HasField("parent_uuid") else None}
        if d.HasField("name"):
            track["name"] = d.name
        if d.HasField("process"):
            where["pid"] = d.process.pid
            track["process_name"] = d.process.process_name or track.get("process_name")
        if d.HasField("thread"):
            where["pid"], where["tid"] = d.thread.pid, d.thread.tid
            if d.thread.thread_name:
                track["thread_name"] = d.thread.thread_name
        first = track.setdefault("where", where)
        assert first == where, ("a track described two ways", d.uuid, first, where)
        for key, value in where.items():
            if value is not None:
                track[key] = value

    def intern(self, seq, st, data):
        for kind, entries in ((1, data.event_categories), (2, data.event_names),
                              (3, data.debug_annotation_names)):
            for e in entries:
                assert e.iid not in st[kind], ("iid defined twice", seq, e)
                st[kind][e.iid] = e.name
                self.defined[(seq, st["generation"], kind, e.name)] += 1

    def event(self, index, seq, st, packet):
        te = packet.track_event
        name = st[2][te.name_iid] if te.name_iid else None
        if name is not None:
            self.used[(seq, st["generation"], name)] += 1
        annotations = {}
        for a in te.debug_annotations:
            value = a.WhichOneof("value")
            annotations[st[3][a.name_iid]] = (
                [v.pointer_value for v in a.array_values] if a.array_values
                else getattr(a, value) if value else None)
        assert te.track_uuid in self.tracks, ("an event on an undescribed track", te)
        return {"i": index, "ts": packet.timestamp, "track": te.track_uuid, "type": te.type,
                "name": name, "categories": [st[1][c] for c in te.category_iids],
                "annotations": annotations, "flows": list(te.flow_ids),
                "ends_flows": list(te.terminating_flow_ids)}

    def slices(self):
        """Every slice and instant, nested per track as trace_processor nests
        them: events sorted by (timestamp, position in the file); an END
        closes the innermost open slice of its track."""
        by_track = defaultdict(list)
        for e in self.events:
            by_track[e["track"]].append(e)
        out = []
        for track, events in by_track.items():
            stack = []
            for e in sorted(events, key=lambda e: (e["ts"], e["i"])):
                if e["type"] == END:
                    assert stack, ("an END with no slice open", self.tracks[track], e)
                    stack.pop().end = e["ts"]
                    continue
                s = Slice(e, stack[-1] if stack else None)
                out.append(s)
                if e["type"] == BEGIN:
                    stack.append(s)
            assert not stack, ("slices never ended", [s.name for s in stack])
        return out

    def thread_of(self, s):
        return self.tracks[s.track].get("tid")

    def lane_of(self, s):
        """(tid, N) of an extra track "overlapping N" of a thread, else
        (tid, 0) of a thread's own, else None."""
        track = self.tracks[s.track]
        name = track.get("name") or ""
        if "tid" not in track and name.startswith("overlapping "):
            parent = self.tracks.get(track.get("parent"), {})
            return (parent["tid"], int(name.split()[1])) if "tid" in parent else None
        return (track["tid"], 0) if "tid" in track else None


def export(trace, tmp_path, schema, name="trace.pb"):
    out = tmp_path / name
    run_ok("export", "--format=perfetto", "-o", out, trace)
    return Trace(out.read_bytes(), schema)


def test_the_pipeline_example_decodes_with_perfettos_schema(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    out = tmp_path / "trace.pb"
    run_ok("export", "--format=perfetto", "-o", out, trace)
    decoded = subprocess.run(
        ["protoc", "--decode=perfetto.protos.Trace", f"-I{PROTOS}", "perfetto_trace.proto"],
        stdin=out.open("rb"), capture_output=True, check=True, timeout=120).stdout.decode()
    for name in ("TestPipeline", "request", "fetch", "render"):
        assert f'name: "{name}"' in decoded, name


def test_the_pipeline_example_nests_and_holds_its_names(pipeline_trace, tmp_path, schema):
    trace, _ = pipeline_trace
    t = export(trace, tmp_path, schema)
    slices = t.slices()
    names = {s.name for s in slices}
    assert {"TestPipeline", "request", "fetch", "render"} <= names, names

    # a process track named for its binary, a thread track per thread, named
    processes = [tr for tr in t.tracks.values() if "process_name" in tr]
    assert len(processes) == 1 and processes[0]["process_name"].endswith("pipeline_test")
    threads = [tr for tr in t.tracks.values() if "tid" in tr]
    assert len(threads) >= 3 and all(tr["pid"] == processes[0]["pid"] for tr in threads)
    assert all(tr.get("thread_name") for tr in threads), threads

    # tasks: a track each, one slice on it; request's track under its test's
    tasks = {s.name: s for s in slices if s.categories == ["task"]}
    assert {"TestPipeline", "request"} <= set(tasks), tasks
    for s in tasks.values():
        track = t.tracks[s.track]
        assert track.get("name") == s.name and "tid" not in track, track
        assert s.begin <= s.end and s.parent is None
    assert t.tracks[tasks["request"].track]["parent"] == tasks["TestPipeline"].track
    assert t.tracks[tasks["TestPipeline"].track]["parent"] == processes[0]["uuid"]

    # regions on their thread's track, inside the task's time
    regions = {s.name: s for s in slices if s.categories == ["region"]}
    for name in ("fetch", "render"):
        r = regions[name]
        assert t.thread_of(r) is not None
        assert tasks["request"].begin <= r.begin <= r.end <= tasks["request"].end
    # waits are slices by kind with their stack, where one was taken
    waits = [s for s in slices if s.categories[0] in WAIT_CATEGORIES]
    stacks = [s.annotations["stack"] for s in waits if "stack" in s.annotations]
    assert stacks and all(all(isinstance(a, int) and a for a in st) for st in stacks), waits
    assert all(s.name.endswith(("blocking", "wait")) for s in waits)

    # an arrow from the thread the task began on to its work on each other
    # thread: fetch and render run on workers of the request task
    starts = {f: e for e in t.events for f in e["flows"]}
    ends = {f: e for e in t.events for f in e["ends_flows"]}
    assert starts and set(starts) == set(ends), (starts, ends)
    for flow, end in ends.items():
        start = starts[flow]
        assert t.tracks[start["track"]]["tid"] != t.tracks[end["track"]]["tid"]
        assert start["ts"] <= end["ts"] and start["i"] < end["i"]
    landed = {ends[f]["name"] for f in ends}
    assert {"fetch", "render"} <= landed, landed


def test_interned_names_are_written_once(pipeline_trace, tmp_path, schema):
    trace, _ = pipeline_trace
    t = export(trace, tmp_path, schema)
    assert t.defined and max(t.defined.values()) == 1, t.defined
    assert max(t.used.values()) >= 2, t.used  # names used again are not written again
    assert all(n == 1 for n in t.clears.values())  # small: no reset


def test_the_same_content_as_the_chrome_export(pipeline_trace, tmp_path, schema):
    """Regions and waits at the same nanoseconds on the same threads, and
    the same lanes of them: both exports count time from the start of the
    trace, and place what does not nest alike (Chrome: tid + N * 2^22)."""
    trace, _ = pipeline_trace
    t = export(trace, tmp_path, schema)
    chrome_out = tmp_path / "trace.json"
    run_ok("export", "--format=chrome", "-o", chrome_out, trace)
    chrome = json.loads(chrome_out.read_text())["traceEvents"]
    ns = lambda us: round(us * 1000)  # noqa: E731 (three decimals: exact ns)
    lane = 1 << 22
    want = sorted(((e["tid"] % lane, e["tid"] // lane), ns(e["ts"]), ns(e["dur"]), e["name"])
                  for e in chrome if e["ph"] == "X")
    got = sorted((t.lane_of(s), s.begin, s.end - s.begin, s.name) for s in t.slices()
                 if s.event["type"] == BEGIN and t.lane_of(s) is not None)
    assert got == want
    chrome_instants = sorted((e["tid"], ns(e["ts"]), e["name"]) for e in chrome
                             if e["ph"] == "i" and e["s"] == "t")
    instants = sorted((t.thread_of(s), s.begin, s.name) for s in t.slices()
                      if s.event["type"] == INSTANT and s.categories != ["flow"]
                      and t.thread_of(s) is not None)
    assert instants == chrome_instants


# Equal timestamps, every way they come: a region and its first child begin
# at the same ns, a zero-length region at that ns too, a wait beginning
# with them and ending with the child; a sibling beginning as the child
# ends and ending with its parent; two regions begun at the same ns and left
# open, closed together at the test's end (the reader gives the outer one
# first there). Clock 0: ticks are nanoseconds; `back` counts regions begun
# since the one ended.
TIES = """\
ctrace 1.2
trace_begin major=1 minor=2 writer="ties" mono_ns=1000 realtime_ns=0
schema
process_begin proc=0 pid=7 exe="/ties" clock=0 hz=1000000000 tsc0=1000 ns0=1000
batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000
  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0
  string id=1 bytes="TestTies"
  string id=2 bytes="outer"
  string id=3 bytes="first"
  string id=4 bytes="second"
  string id=5 bytes="empty"
  string id=6 bytes="open"
  string id=7 bytes="inner"
  task_begin +100 task=1 parent=0 name=1 kind=1
  region_begin +100 task=1 name=2
  region_begin +0 task=1 name=3
  region_begin +0 task=1 name=5
  region_end +0 back=0
  block +100 task=1 kind=1 wait=100 object=1
  region_end +0 back=1
  region_begin +0 task=1 name=4
  region_end +200 back=0
  region_end +0 back=3
  region_begin +0 task=1 name=6
  region_begin +0 task=1 name=7
  task_status +10 task=1 status=1 message=""
  task_end +10 task=1
process_end proc=0 how=0 code=0 dropped=0
trace_end batches=1 event_bytes=0
"""


@needs_libctrace
def test_equal_timestamps_nest_as_the_program_nested(tmp_path, schema):
    text, trace = tmp_path / "ties.txt", tmp_path / "ties.trace"
    text.write_text(TIES)
    assemble(text, trace)
    slices = {s.name: s for s in export(trace, tmp_path, schema).slices()
              if s.categories in (["region"], ["sync"])}
    parent = {name: s.parent.name if s.parent else None for name, s in slices.items()}
    assert parent == {"outer": None, "first": "outer", "empty": "first",
                      "sync blocking": "first", "second": "outer", "open": None,
                      "inner": "open"}, parent
    t0 = slices["outer"].begin
    assert [(slices[n].begin - t0, slices[n].end - t0) for n in
            ("outer", "first", "empty", "sync blocking", "second")] == [
        (0, 300), (0, 100), (0, 0), (0, 100), (100, 300)]
    assert (slices["open"].begin, slices["open"].end) == (slices["inner"].begin,
                                                          slices["inner"].end)
    assert slices["inner"].annotations.get("unended") is True


@needs_libctrace
def test_a_wait_that_does_not_nest_goes_beside_its_thread(tmp_path, schema):
    """A scheduler wait straddling a region's end (its clock is not the
    thread's): on an extra track of the thread, never breaking the nesting."""
    lines = TIES.splitlines()
    at = lines.index("  task_status +10 task=1 status=1 message=\"\"")
    body = ["  region_begin +10 task=1 name=4", "  region_end +100 back=0",
            "  block +50 task=1 kind=4 wait=100 object=0"]
    text, trace = tmp_path / "sched.txt", tmp_path / "sched.trace"
    text.write_text("\n".join(lines[:at] + body + lines[at:]) + "\n")
    assemble(text, trace)
    t = export(trace, tmp_path, schema)
    slices = t.slices()  # nests everywhere
    wait = next(s for s in slices if s.name == "sched wait")
    region = next(s for s in slices if s.name == "second" and s.begin > wait.begin - 100)
    assert region.begin < wait.begin < region.end < wait.end
    lane, thread = t.tracks[wait.track], t.tracks[region.track]
    assert lane["name"] == "overlapping 1" and lane["parent"] == region.track, lane
    assert thread["tid"] == 7 and wait.parent is None


@needs_libctrace
def test_interning_starts_again_past_its_limit(tmp_path, schema):
    """5000 distinct names, each used twice: the table is dropped at 4096,
    the state cleared, and every name still resolves."""
    lines = TIES.splitlines()
    body = [f'  string id={100 + i} bytes="r{i}"' for i in range(5000)]
    for _ in range(2):
        for i in range(5000):
            body += [f"  region_begin +1 task=1 name={100 + i}", "  region_end +1 back=0"]
    at = lines.index("  task_status +10 task=1 status=1 message=\"\"")
    text, trace = tmp_path / "many.txt", tmp_path / "many.trace"
    text.write_text("\n".join(lines[:at] + body + lines[at:]) + "\n")
    assemble(text, trace)
    t = export(trace, tmp_path, schema)
    assert max(t.clears.values()) >= 2, t.clears
    assert max(t.defined.values()) == 1  # once per state
    names = [s.name for s in t.slices() if s.categories == ["region"]]
    assert all(names.count(f"r{i}") == 2 for i in range(5000))


@needs_libctrace
def test_names_that_are_not_utf8_are_repaired(tmp_path, schema):
    text, trace = tmp_path / "bad.txt", tmp_path / "bad.trace"
    text.write_text(TIES.replace('bytes="outer"', 'bytes="out\\xffer\\xc3"'))
    assemble(text, trace)
    names = {s.name for s in export(trace, tmp_path, schema).slices()}
    assert "out\ufffder\ufffd" in names, names


def test_names_stay_text(tmp_path, schema):
    trace = tmp_path / "t.out"
    run(f"--trace={trace}", ORDER)
    t = export(trace, tmp_path, schema)
    assert "Test\x1b[31mEscape" in {s.name for s in t.slices()}
    assert "Test\x1b[31mEscape" in {tr.get("name") for tr in t.tracks.values()}


@needs_libctrace
def test_a_damaged_trace_gives_what_came_before(tmp_path, schema):
    """A writer that died: no process_end, no trace_end."""
    text, trace = tmp_path / "cut.txt", tmp_path / "cut.trace"
    text.write_text(TIES.split("process_end")[0])
    assemble(text, trace)
    out = tmp_path / "cut.pb"
    result = run("export", "--format=perfetto", "-o", out, trace)
    assert result.returncode == 1 and "cut.trace: damaged at byte" in result.stderr, result
    names = {s.name for s in Trace(out.read_bytes(), schema).slices()}  # nests, all ended
    assert {"TestTies", "outer", "first", "second", "open", "inner"} <= names, names


def test_slices_spilled_to_temporary_files_come_out_the_same(tmp_path, schema):
    """Past CTRACE_VIEW_MEMORY the slices are sorted through $TMPDIR: the
    same bytes; without a $TMPDIR to write, exit 2 and no output."""
    trace = tmp_path / "gen.out"
    subprocess.run([BUILD / "bench" / "gen_trace", "-n", "30000", "-t", "3", "-o", trace],
                   check=True, capture_output=True, timeout=120)
    whole = tmp_path / "whole.pb"
    run_ok("export", "--format=perfetto", "-o", whole, trace)
    spilled = tmp_path / "spilled.pb"
    run_ok("export", "--format=perfetto", "-o", spilled, trace,
           env={"CTRACE_VIEW_MEMORY": "64KiB", "TMPDIR": str(tmp_path)})
    assert spilled.read_bytes() == whole.read_bytes()
    assert len(Trace(whole.read_bytes(), schema).slices()) > 20000
    missing, out = tmp_path / "no-such-dir", tmp_path / "none.pb"
    result = run("export", "--format=perfetto", "-o", out, trace,
                 env={"CTRACE_VIEW_MEMORY": "64KiB", "TMPDIR": str(missing)})
    assert result.returncode == 2 and f"cannot create a temporary file in {missing}" in \
        result.stderr and not out.exists(), result


def test_bad_arguments_are_refused(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    out = tmp_path / "x.pb"
    result = run("export", "--format=perfetto2", "-o", out, trace)
    assert result.returncode == 2 and "known: chrome, jsonl, otlp, perfetto" in result.stderr
    result = run("export", "--format=perfetto", trace)
    assert result.returncode == 2 and "missing -o" in result.stderr, result
    result = run("export", "--format=perfetto", "-o", out, tmp_path / "none.out")
    assert result.returncode == 2 and not out.exists(), result


# A scheduler wait (another clock) beginning before a region and ending
# inside it, while a child region runs: [90, 200] beside parent [100, 300]
# and its child [110, 120] (ns from the thread's start).
STRADDLE = "\n".join(TIES.splitlines()[:6] + [
    '  string id=1 bytes="TestStraddle"',
    '  string id=2 bytes="parent"',
    '  string id=3 bytes="child"',
    "  task_begin +10 task=1 parent=0 name=1 kind=1",
    "  region_begin +90 task=1 name=2",
    "  region_begin +10 task=1 name=3",
    "  region_end +10 back=0",
    "  block +80 task=1 kind=4 wait=110 object=0",
    "  region_end +100 back=1",
] + TIES.splitlines()[-4:]) + "\n"


@needs_libctrace
def test_a_region_never_nests_in_a_wait(tmp_path, schema):
    """The child nests under its true parent (the latest-begun slice around
    it), not under the wait that began first; the wait and the parent do
    not nest, so one of them goes beside the thread."""
    text, trace = tmp_path / "straddle.txt", tmp_path / "straddle.trace"
    text.write_text(STRADDLE)
    assemble(text, trace)
    t = export(trace, tmp_path, schema)
    slices = {s.name: s for s in t.slices() if s.categories != ["task"]}
    wait, parent, child = slices["sched wait"], slices["parent"], slices["child"]
    assert wait.begin < parent.begin < child.begin < child.end < wait.end < parent.end
    assert child.parent is parent and child.track == parent.track
    assert wait.parent is None and parent.parent is None and wait.track != parent.track
    thread = [tr["uuid"] for tr in t.tracks.values() if tr.get("tid") == 7]
    assert {wait.track, parent.track} <= set(thread) | {
        tr["uuid"] for tr in t.tracks.values() if tr.get("parent") in thread
        and tr.get("name", "").startswith("overlapping ")}


def staircases(tmp_path):
    """A trace with two staircases of 50 regions "second" of 50 ns, each
    ending after the next began, in no other region."""
    lines = TIES.splitlines()
    at = lines.index("  region_begin +0 task=1 name=6")  # before "open": in no region
    body = []
    for _ in range(2):
        body += ["  region_begin +1 task=1 name=4"] * 50
        body += [f"  region_end +1 back={49 - i}" for i in range(50)]
    text, trace = tmp_path / "stair.txt", tmp_path / "stair.trace"
    text.write_text("\n".join(lines[:at] + body + lines[at:]) + "\n")
    assemble(text, trace)
    return trace


@needs_libctrace
def test_a_staircase_of_regions_ended_out_of_order(tmp_path, schema):
    """Each region ends after the next began: none nests, each goes on the
    lowest track of its thread that is free, and tracks are used again once
    free (two steps of 50: 50 tracks, not 100)."""
    t = export(staircases(tmp_path), tmp_path, schema)
    stairs = [s for s in t.slices() if s.name == "second" and s.end - s.begin == 50]
    assert len(stairs) == 100 and all(s.parent is None for s in stairs)
    assert len({s.track for s in stairs}) == 50
    lanes = [tr for tr in t.tracks.values() if tr.get("name", "").startswith("overlapping ")]
    assert len(lanes) == 49, lanes


def test_what_no_thread_wrote_is_on_its_process(tmp_path, schema):
    """A crashed test's status comes from the runner (tid 0): on the
    process's track, never on a thread 0 (Perfetto's idle thread)."""
    trace = tmp_path / "crash.out"
    run(f"--trace={trace}", BUILD / "examples" / "crash_test")
    t = export(trace, tmp_path, schema)
    assert all(tr.get("tid", 1) > 0 for tr in t.tracks.values()), t.tracks
    crash = [s for s in t.slices() if s.name == "status: crash"]
    assert crash and all("process_name" in t.tracks[s.track] for s in crash), crash
    assert any("signal" in s.annotations.get("message", "") for s in crash)


@needs_libctrace
def test_a_task_track_is_described_once_among_many_tasks(tmp_path, schema):
    """A user task open while more tasks than the export remembers (65536)
    come and go keeps its first parent: described once, under its test."""
    lines = TIES.splitlines()
    at = lines.index("  region_begin +100 task=1 name=2")
    body = ['  string id=8 bytes="long"', '  string id=9 bytes="short"',
            "  task_begin +1 task=2 parent=1 name=8 kind=0"]
    for task in range(3, 3 + 66000):
        body += [f"  task_begin +1 task={task} parent=1 name=9 kind=0",
                 f"  task_end +1 task={task}"]
    body.append("  task_end +1 task=2")
    text, trace = tmp_path / "many.txt", tmp_path / "many.trace"
    text.write_text("\n".join(lines[:at] + body + lines[at:]) + "\n")
    assemble(text, trace)
    t = export(trace, tmp_path, schema)  # (describe() fails on a track moved)
    tasks = {s.name: s for s in t.slices() if s.name in ("TestTies", "long")}
    assert t.tracks[tasks["long"].track]["parent"] == tasks["TestTies"].track
