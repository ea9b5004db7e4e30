"""What the report's timeline holds and shows (report_timeline.c, timeline.js).

Its data (the flat records and the tables of the page) are decoded and
compared with `export --format=jsonl` of the same trace: every region, task,
wait and log, on its thread, with its exact begin, duration and name. The
names listed below it are the 500 most used, and say how many more. In
headless Chromium: 70 000 tasks open at once on one thread are all placed,
in a bounded number of rows; zoomed in to microseconds past 1 s, the ruler's
ticks and the range read apart, and a span's details give its times to the
nanosecond."""

import json
import re
import subprocess
from collections import Counter

import pytest

from conftest import BUILD, assemble, run_ok, sanitized
from report_page import (DRAW_AT_ONCE, Dom, chromium, needs_chromium, report_text, timeline_records,
                         with_script)

GEN_TRACE = BUILD / "bench" / "gen_trace"
OVERLAP = BUILD / "tests" / "suites" / "overlap_test"

# Record types (report_timeline.c)
TEST, FIXTURE, USER, REGION, SYNC, SYSCALL, NET, SCHED, LOG, UNENDED = 0, 1, 2, 3, 4, 5, 6, 7, 8, 16
TASK_TYPE = {"test": TEST, "fixture": FIXTURE, "user": USER}
WAIT_TYPE = {"sync": SYNC, "syscall": SYSCALL, "net": NET, "sched": SCHED}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A gen_trace trace of 200 000 events (1.3 s of 4 workers and a main
    thread) and its page."""
    where = tmp_path_factory.mktemp("timeline")
    trace = where / "g.trace"
    gen = subprocess.run([str(GEN_TRACE), "-n", "200000", "-t", "4", "-o", str(trace)],
                         capture_output=True, text=True, timeout=120)
    assert gen.returncode == 0, gen.stderr
    return trace, report_text(trace, where, "g.html")


def page_spans(html):
    """Counter of the page's records as (pid, tid, type, begin, duration,
    name) for spans (a wait's name: its stack's frame count) and (pid, tid,
    LOG, ts, category, message) for logs; and the tables."""
    records, meta = timeline_records(html)
    names, lanes, procs = meta["names"], meta["lanes"], meta["processes"]

    def thread(lane):
        return procs[2 * lanes[3 * lane]], lanes[3 * lane + 1]

    got = Counter()
    for lane, kind, name, begin, fifth, sixth in records:
        pid, tid = thread(lane)
        if kind == LOG:
            got[(pid, tid, LOG, begin, names[name], sixth)] += 1
        elif kind & 15 >= SYNC:
            frames = len(meta["stacks"][name - 1]) if name else 0
            got[(pid, tid, kind, begin, fifth, frames)] += 1
        else:
            got[(pid, tid, kind, begin, fifth, names[name])] += 1
    return got, meta


def jsonl_spans(trace):
    """The same tuples from `export --format=jsonl`: a task on the thread
    it began on."""
    lines = run_ok("export", "--format=jsonl", "-o", "-", trace).stdout.splitlines()
    want, began = Counter(), {}
    for line in lines:
        e = json.loads(line)
        kind = e["kind"]
        if kind == "task_begin":
            began[e["task"]] = (e["tid"], TASK_TYPE[e["task_kind"]])
        elif kind == "task_end":
            tid, t = began.pop(e["task"])
            want[(e["pid"], tid, t | (UNENDED if e.get("unended") else 0), e["begin_ns"],
                  e["duration_ns"], e["name"])] += 1
        elif kind == "region":
            want[(e["pid"], e["tid"], REGION | (UNENDED if e.get("unended") else 0),
                  e["begin_ns"], e["duration_ns"], e["name"])] += 1
        elif kind == "block" and e["block_kind"] in WAIT_TYPE:
            want[(e["pid"], e["tid"], WAIT_TYPE[e["block_kind"]], e["begin_ns"],
                  e["duration_ns"], min(len(e.get("stack") or []), 64))] += 1
        elif kind == "log":
            want[(e["pid"], e["tid"], LOG, e["ts_ns"], e["category"],
                  e["message"].encode()[:300].decode(errors="ignore"))] += 1
    return want


def test_the_timeline_holds_every_span_and_log_of_the_trace(generated):
    trace, html = generated
    got, meta = page_spans(html)
    want = jsonl_spans(trace)
    assert meta["left_out"] == 0 and meta["duration_ns"] > 1_000_000_000, meta["duration_ns"]
    by_kind = Counter()
    for key, n in want.items():
        by_kind[key[2] & 15] += n
    # counts by kind: the trace has all of them, and the page as many
    assert all(by_kind[k] for k in (TEST, USER, REGION, SYNC, SYSCALL, NET, SCHED, LOG)), by_kind
    page_kinds = Counter()
    for key, n in got.items():
        page_kinds[key[2] & 15] += n
    assert page_kinds == by_kind
    assert meta["spans"] + meta["logs"] == sum(by_kind.values()) > 100_000
    # and each one exactly: thread, begin, duration, name (a wait: its stack)
    missing, extra = want - got, got - want
    assert not missing and not extra, (list(missing.items())[:5], list(extra.items())[:5])


def many_names_trace(tmp_path, names):
    """A trace of one thread with a region per name, region `rK` used
    1 + K % 3 times."""
    lines = ["ctrace 1.4", 'trace_begin major=1 minor=4 writer="test" mono_ns=1000 realtime_ns=0',
             "schema",
             'process_begin proc=0 pid=7 exe="/t" clock=0 hz=1000000000 tsc0=1000 ns0=1000',
             "batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000",
             "  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0"]
    for k in range(names):
        lines.append(f'  string id={k + 1} bytes="r{k}"')
        for _ in range(1 + k % 3):
            lines += [f"  region_begin +10 task=0 name={k + 1}", "  region_end +10 back=0"]
    lines += ["  thread_end +10", "process_end proc=0 how=0 code=0 dropped=0",
              "trace_end batches=1 event_bytes=0"]
    (tmp_path / "names.txt").write_text("\n".join(lines) + "\n")
    assemble(tmp_path / "names.txt", tmp_path / "names.trace")
    return tmp_path / "names.trace"


@pytest.mark.skipif(sanitized(), reason="a sanitizer's libctrace.so cannot be loaded into Python")
def test_the_names_list_holds_the_500_most_used(tmp_path):
    html = report_text(many_names_trace(tmp_path, 700), tmp_path)
    listed = re.findall(r'<li><button type="button" data-name="\d+">(r\d+)</button> '
                        r'<span class="note">region, (\d+)</span></li>', html)
    assert len(listed) == 500
    counts = [int(c) for _, c in listed]
    assert counts == sorted(counts, reverse=True)
    # the cut is right: every name used 3 times (k % 3 == 2: 233 of them) and
    # 267 of those used twice, the first seen first
    assert {n for n, c in listed if c == "3"} == {f"r{k}" for k in range(2, 700, 3)}
    assert [n for n, c in listed if c == "2"] == [f"r{k}" for k in range(1, 700, 3)][:267]
    note = re.search(r'<p class="note" id="timeline-names-more">(.*?)</p>', html).group(1)
    assert note.startswith("The 500 most used of 700 names; 200 more: "), note
    # the timeline itself holds every region
    records, _ = timeline_records(html)
    assert len(records) == sum(1 + k % 3 for k in range(700))


# ---- in headless Chromium ---------------------------------------------------------


# Scroll the timeline to its end and click the tasks' last row (the deeper
# one: below the ruler, the process, the logs and 255 rows of 16 px) in the
# middle of the last task to begin.
CLICK_DEEPEST = """(function () {
  var view = document.getElementById("timeline-view");
  var canvas = document.getElementById("timeline-canvas");
  var flat = JSON.parse(document.getElementById("timeline-spans").textContent);
  var meta = JSON.parse(document.getElementById("timeline-meta").textContent);
  var begin = 0, mid = 0;
  for (var i = 0; i < flat.length; i += 6) {
    begin += flat[i + 3];
    if (flat[i + 1] === 2) mid = Math.max(mid, begin + flat[i + 4] / 2);
  }
  view.scrollTop = view.scrollHeight;
  var box = canvas.getBoundingClientRect();
  var at = {bubbles: true, clientX: box.left + 180 + mid / meta.duration_ns * (box.width - 180),
            clientY: box.top + 22 + 20 + 7 + 255 * 16 + 8 - view.scrollTop};
  canvas.dispatchEvent(new MouseEvent("mousedown", at));
  window.dispatchEvent(new MouseEvent("mouseup", at));
  canvas.dispatchEvent(new MouseEvent("click", at));
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = document.getElementById("timeline-details").textContent;
  document.body.appendChild(pre);
})();"""


@needs_chromium
def test_70000_overlapping_tasks_on_a_thread_are_all_placed_in_bounded_rows(tmp_path):
    trace = tmp_path / "overlap.trace"
    run_ok(f"--trace={trace}", OVERLAP)
    html = report_text(trace, tmp_path, "overlap.html")
    records, meta = timeline_records(html)
    tasks = sum(1 for r in records if r[1] & 15 <= USER)
    assert tasks == 70_001, tasks  # the test and its 70 000 tasks (and waits, as they came)
    page = tmp_path / "probed.html"
    page.write_text(with_script(html, CLICK_DEEPEST))
    dom = Dom(chromium(tmp_path, page, "--dump-dom"))
    canvas = [a for t, a in dom.tags if t == "canvas"][0]
    spans, placed, deeper = (int(v) for v in canvas["data-spans"].split())
    # every span has a row: none lost to a depth that wrapped (a 16-bit one lost
    # 70 001 - 65 536 of them and put the rest in the wrong rows)
    assert spans == placed == meta["spans"], canvas["data-spans"]
    # 255 rows of tasks (the test, then 254 tasks), the rest merged in the 256th
    assert deeper == 70_001 - 255, canvas["data-spans"]
    # so the lanes are some 256 rows of 16 px high, not 70 000
    assert int(canvas["data-rows-height"]) < 256 * 16 + 200, canvas["data-rows-height"]
    assert f"{deeper} spans on 1 thread(s) are nested deeper than 255 rows" in \
        dom.by_id["timeline-deeper"], dom.by_id["timeline-deeper"]
    # the last row, clicked where the deepest task is: what it merges
    clicked = dom.by_id["probe"]
    assert re.match(rf"\d+ spans nested deeper than 255 rows, drawn as one block \({deeper} "
                    r"on this row", clicked), clicked


# Zoom in at the end of the trace, past 1 s, to under a microsecond; then
# back to the whole trace, and click the middle of the longest test (the first
# row of the first lane: the main thread's tasks). Frames are drawn at once
# (DRAW_AT_ONCE).
ZOOM = """(function () {
  var view = document.getElementById("timeline-view");
  var canvas = document.getElementById("timeline-canvas");
  function key(k) { view.dispatchEvent(new KeyboardEvent("keydown", {key: k, bubbles: true})); }
  for (var i = 0; i < 40; i++) { key("+"); key("ArrowRight"); key("ArrowRight"); }
  var out = {ticks: canvas.getAttribute("data-ticks"),
             range: document.getElementById("timeline-range").textContent};
  key("0");
  /* the middle of the longest test, in the whole trace's view */
  var flat = JSON.parse(document.getElementById("timeline-spans").textContent);
  var meta = JSON.parse(document.getElementById("timeline-meta").textContent);
  var begin = 0, mid = 0, longest = 0;
  for (var j = 0; j < flat.length; j += 6) {
    begin += flat[j + 3];
    if (flat[j + 1] === 0 && flat[j + 4] > longest) {
      longest = flat[j + 4];
      mid = begin + longest / 2;
    }
  }
  var box = canvas.getBoundingClientRect(), plot = box.width - 180;
  var at = {bubbles: true, clientX: box.left + 180 + mid / meta.duration_ns * plot,
            clientY: box.top + 22 + 20 + 7 + 8};
  canvas.dispatchEvent(new MouseEvent("mousedown", at));
  window.dispatchEvent(new MouseEvent("mouseup", at));
  canvas.dispatchEvent(new MouseEvent("click", at));
  out.details = document.getElementById("timeline-details").textContent;
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();"""

UNITS = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


def ns_of(text):
    """'1.2600001 s' -> 1260000100 (exact: decimal digits, no float)."""
    number, unit = text.split(" ")
    whole, _, frac = number.partition(".")
    scale = UNITS[unit]
    return int(whole) * scale + (int(frac) * scale // 10 ** len(frac) if frac else 0)


@needs_chromium
def test_zoomed_in_past_a_second_the_ticks_and_times_read_apart(generated, tmp_path):
    trace, html = generated
    page = tmp_path / "zoom.html"
    page.write_text(with_script(html, ZOOM, before=DRAW_AT_ONCE))
    dom = Dom(chromium(tmp_path, page, "--dump-dom"))
    probe = json.loads(dom.by_id["probe"])
    ticks = probe["ticks"].split("|")
    # each tick its own text, a step apart exactly, past 1 s
    assert len(ticks) >= 3 and len(set(ticks)) == len(ticks), ticks
    values = [ns_of(t) for t in ticks]
    steps = {b - a for a, b in zip(values, values[1:])}
    assert len(steps) == 1 and 0 < steps.pop() <= 1000, ticks
    assert values[0] > 1_000_000_000, ticks
    start, end, span = re.fullmatch(r"(.+) \u2013 (.+) \((.+)\)", probe["range"]).groups()
    assert ns_of(start) < ns_of(end) and 0 < ns_of(span) < 2000, probe["range"]
    assert abs(ns_of(end) - ns_of(start) - ns_of(span)) <= ns_of(span) // 100, probe["range"]
    # the test's span, clicked: its begin, end and duration to the nanosecond
    records, _ = timeline_records(html)
    tests = [(r[3], r[4]) for r in records if r[1] == TEST]
    m = re.search(r"begin (\S+ \S+), end (\S+ \S+), duration (\S+ \S+)", probe["details"])
    assert m, probe["details"]
    begin, end, duration = (ns_of(g) for g in m.groups())
    assert (begin, duration) in tests and end == begin + duration, (m.group(0), tests[:3])
