"""The report's pages after `go tool trace`'s (issue 14, point 4): latency
histograms per task and region name, the thread analysis table and the four
blocking profiles as flame graphs. Their numbers are checked against the
views that compute the same things (`regions`, `tasks`, `threads --json`,
`profile --format=folded`), and untrusted names must come out as text."""

import json
import re

import pytest

from conftest import BUILD, run, run_ok
from report_page import Tree, chromium, needs_chromium, section, with_script
from report_page import report_text as report  # the page's text, made with exit 0

SUITES = BUILD / "tests" / "suites"
HOSTILE = SUITES / "hostile_names_test"  # names made of markup (hostile_names_test.c)
ORDER = SUITES / "order_test"  # a test named Test\x1b[31mEscape
MANY = SUITES / "many_names_test"  # more names, threads and start routines than a table shows
SHOWN_NAMES, SHOWN_THREADS = 200, 500  # rows a latency table, a threads table shows at most
KINDS = ("sync", "syscall", "net", "sched")


def rows_of(table):
    """{row head text: [cells]} of a table's body."""
    rows = {}
    for tr in table.one("tbody").kids("tr"):
        rows[tr.kids("th")[0].text()] = tr.kids("td")
    return rows


def value(cell):
    return int(cell.attrs["data-v"])


@pytest.fixture(scope="module")
def pipeline_page(pipeline_trace, tmp_path_factory):
    trace, _ = pipeline_trace
    return report(trace, tmp_path_factory.mktemp("pages"), "pipeline.html")


@pytest.fixture(scope="module")
def contention_page(contention_trace, tmp_path_factory):
    return report(contention_trace, tmp_path_factory.mktemp("pages"), "contention.html")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    where = tmp_path_factory.mktemp("hostile")
    trace = where / "t.out"
    # twice: a test that ran once has no latency row, and its name must be there too
    result = run(f"--trace={trace}", "-count", "2", HOSTILE)
    assert result.returncode == 1, result  # one of its tests fails, on purpose
    return trace, report(trace, where)


@pytest.fixture(scope="module")
def many_names(tmp_path_factory):
    where = tmp_path_factory.mktemp("many")
    trace = where / "t.out"
    run_ok(f"--trace={trace}", "-count", "2", MANY)
    return trace, report(trace, where)


# ---- latency ----------------------------------------------------------------------

HEADS = ["count", "unended", "min", "p50", "p90", "p99", "max", "total", "histogram"]


def latency_rows(html, table_id):
    table = section(html, "latency").one("table", id=table_id)
    heads = [th.text() for th in table.one("thead").all("th")]
    return heads, rows_of(table)


def bars(cell):
    """(first ns, last ns, count) of each bar of the cell's histogram, from
    its data- attributes; its one path draws a bar for each count."""
    svg = cell.one("svg")
    lo = [int(v) for v in svg.attrs["data-lo"].split(" ")]
    counts = [int(v) for v in svg.attrs["data-counts"].split(" ")]
    hi = [n - 1 for n in lo[1:]] + [int(svg.attrs["data-hi"])]
    assert len(lo) == len(counts) and all(a <= b for a, b in zip(lo, hi)), svg.attrs
    assert svg.one("path").attrs["d"].count("M") == sum(1 for n in counts if n)
    return list(zip(lo, hi, counts))


def cut_note(part, table_id):
    """The counts of the note below a table cut to its largest rows (None: not cut)."""
    found = list(part.all("p", id=f"{table_id}-more"))
    return {k: int(found[0].attrs[f"data-{k}"]) for k in ("names", "more", "more-ns", "all-ns")} \
        if found else None


def ran_once(tasks):
    """Test and fixture names of `tasks --json` that ran once (they have no latency row)."""
    seen = {}
    for t in tasks:
        if t["kind"] in ("test", "fixture"):
            seen[(t["kind"], t["name"])] = seen.get((t["kind"], t["name"]), 0) + 1
    return {name for (_, name), n in seen.items() if n == 1}


def test_region_rows_are_the_regions_view(pipeline_page, pipeline_trace):
    trace, _ = pipeline_trace
    heads, rows = latency_rows(pipeline_page, "latency-regions")
    assert heads == ["region"] + HEADS
    want = {r["name"]: r for r in run_ok("regions", "--json", trace).json()["regions"]}
    assert set(rows) == set(want) and {"fetch", "render"} <= set(rows)
    check_region_rows(rows, want)
    assert cut_note(section(pipeline_page, "latency"), "latency-regions") is None


def check_region_rows(rows, want):
    for name, cells in rows.items():
        w = want[name]
        count, unended, lo, p50, _p90, p99, hi, total = (value(c) for c in cells[:8])
        assert (count, unended, lo, p50, p99, hi, total) == (
            w["count"], w["unended"], w["min_ns"], w["p50_ns"], w["p99_ns"], w["max_ns"],
            w["total_ns"]), (name, w)
        assert sum(n for _, _, n in bars(cells[8])) == count


def test_task_rows_are_the_tasks_view(pipeline_page, pipeline_trace):
    trace, _ = pipeline_trace
    heads, rows = latency_rows(pipeline_page, "latency-tasks")
    assert heads == ["task", "kind"] + HEADS
    tasks = run_ok("tasks", "--json", trace).json()["tasks"]
    check_task_row(rows, tasks, "request")
    # TestPipeline ran once: the tests section has it, the latency table only says so
    once = ran_once(tasks)
    assert "TestPipeline" in once and not once & set(rows), rows
    note = section(pipeline_page, "latency").one("p", id="latency-tasks-once")
    assert int(note.attrs["data-count"]) == len(once)


def check_task_row(rows, tasks, name):
    mine = [t for t in tasks if t["name"] == name and not t["unended"]]
    cells = rows[name]
    assert cells[0].text() == mine[0]["kind"]
    assert value(cells[1]) == len(mine)
    durations = sorted(t["duration_ns"] for t in mine)
    assert value(cells[3]) == durations[0] and value(cells[7]) == durations[-1]
    assert value(cells[8]) == sum(durations)
    assert sum(n for _, _, n in bars(cells[9])) == len(mine)


def test_latency_tables_show_the_names_with_the_most_time(many_names):
    """More names than a table shows: the rows are those with the most total
    time, each the views' numbers, and the note below says the rest true."""
    trace, html = many_names
    part = section(html, "latency")
    regions = run_ok("regions", "--json", trace).json()["regions"]
    assert len(regions) > SHOWN_NAMES
    _, rows = latency_rows(html, "latency-regions")
    check_region_rows(rows, {r["name"]: r for r in regions})
    check_cut(part, "latency-regions", rows, {r["name"]: r["total_ns"] for r in regions},
              SHOWN_NAMES)

    tasks = run_ok("tasks", "--json", trace).json()["tasks"]
    totals = {}
    for t in tasks:
        totals[t["name"]] = totals.get(t["name"], 0) + (0 if t["unended"] else t["duration_ns"])
    assert len(totals) > SHOWN_NAMES and not ran_once(tasks)  # -count 2: tests ran twice
    _, rows = latency_rows(html, "latency-tasks")
    check_cut(part, "latency-tasks", rows, totals, SHOWN_NAMES)
    for name in rows:
        check_task_row(rows, tasks, name)
    assert {"TestManyRegions", "TestManyTasks", "TestManyThreads"} <= set(rows)


def check_cut(part, table_id, rows, totals, shown):
    """`rows` (keyed as `totals`) are `shown` of the largest `totals`, and the
    note's counts are those of the others."""
    assert len(rows) == shown and set(rows) <= set(totals)
    left = [n for key, n in totals.items() if key not in rows]
    assert min(totals[key] for key in rows) >= max(left)
    assert cut_note(part, table_id) == {"names": len(totals), "more": len(left),
                                        "more-ns": sum(left), "all-ns": sum(totals.values())}


def test_histogram_bars_hold_every_value(full_trace, tmp_path):
    """Every region's bars sum to its count; "lookup" (a hit and a miss,
    octaves apart) has its octaves of empty bars between them."""
    trace, _ = full_trace
    _, rows = latency_rows(report(trace, tmp_path), "latency-regions")
    assert {"fetch", "render", "lookup"} <= set(rows)
    for name, cells in rows.items():
        b = bars(cells[8])
        assert sum(n for _, _, n in b) == value(cells[0]), name
        svg = cells[8].one("svg")
        assert svg.attrs.get("role") == "img", name
        assert re.fullmatch(r"\d+ durations?, .+ to .+: p50 .+, p99 .+; \d+ log-scale buckets",
                            svg.attrs["aria-label"]), svg.attrs["aria-label"]
    lookup = [n for _, _, n in bars(rows["lookup"][8])]
    if value(rows["lookup"][6]) >= 2 * value(rows["lookup"][2]):  # an octave apart or more
        filled = [i for i, n in enumerate(lookup) if n]
        assert len(filled) >= 2 and 0 in lookup[filled[0]:filled[-1]], lookup


# ---- threads ----------------------------------------------------------------------

WAITS = ["running_ns", "sync_block_ns", "syscall_block_ns", "net_block_ns", "sched_wait_ns"]


def test_thread_rows_are_the_threads_view(contention_page, contention_trace):
    want = run_ok("threads", "--json", contention_trace).json()
    part = section(contention_page, "threads")
    table = part.one("table", id="threads-threads")
    rows = {(int(tr.attrs["data-pid"]), int(tr.attrs["data-tid"])): tr.kids("td")
            for tr in table.one("tbody").kids("tr")}
    assert len(rows) == len(want["threads"]) > 1
    for t in want["threads"]:
        cells = rows[(t["pid"], t["tid"])]
        assert [value(c) for c in cells[2:7]] == [t[k] for k in WAITS], t
        assert cells[7].one("svg").attrs.get("role") == "img"
    groups = rows_of(part.one("table", id="threads-groups"))
    assert len(groups) == len(want["groups"])
    for g in want["groups"]:
        fn = g["start_fn"] or "main (no start routine)"
        head = next(h for h in groups if h == fn or h.startswith(fn + " "))
        cells = groups[head]
        assert value(cells[0]) == g["threads"]
        assert [value(c) for c in cells[1:6]] == [g[k] for k in WAITS], g


def test_threads_tables_show_the_threads_with_the_most_time(many_names):
    """More threads and start routines than a table shows: the rows are
    those with the most time, each the view's numbers; the notes say the rest."""
    trace, html = many_names
    want = run_ok("threads", "--json", trace).json()
    assert len(want["groups"]) > SHOWN_THREADS and len(want["threads"]) > SHOWN_THREADS
    part = section(html, "threads")
    table = part.one("table", id="threads-threads")
    rows = {(int(tr.attrs["data-pid"]), int(tr.attrs["data-tid"])): tr.kids("td")
            for tr in table.one("tbody").kids("tr")}
    by_key = {(t["pid"], t["tid"]): t for t in want["threads"]}
    for key, cells in rows.items():
        assert [value(c) for c in cells[2:7]] == [by_key[key][k] for k in WAITS], key
    check_cut(part, "threads-threads", rows,
              {key: sum(t[k] for k in WAITS) for key, t in by_key.items()}, SHOWN_THREADS)
    groups = rows_of(part.one("table", id="threads-groups"))
    # each start routine has a function of its own here: its name heads its row
    by_fn = {g["start_fn"] or "main (no start routine)": g for g in want["groups"]}
    named = {next(fn for fn in by_fn if h == fn or h.startswith(fn + " ")): cells
             for h, cells in groups.items()}
    for fn, cells in named.items():
        assert [value(c) for c in cells[1:6]] == [by_fn[fn][k] for k in WAITS], fn
    check_cut(part, "threads-groups", named,
              {fn: sum(g[k] for k in WAITS) for fn, g in by_fn.items()}, SHOWN_THREADS)


def test_stacked_bar_parts_are_the_shares(contention_page):
    table = section(contention_page, "threads").one("table", id="threads-threads")
    for tr in table.one("tbody").kids("tr"):
        cells = tr.kids("td")
        times = [value(c) for c in cells[2:7]]
        rects = list(cells[7].all("rect"))
        assert len(rects) == sum(1 for t in times if t)
        assert abs(sum(float(r.attrs["width"]) for r in rects) - 1000) < 1
        for r in rects:
            assert r.kids("title")[0].text().split(" ")[0] in (
                "running", "sync", "syscall", "net", "sched")


# ---- profiles ---------------------------------------------------------------------


def folded_total(trace, kind, tmp_path):
    out = tmp_path / f"{kind}.folded"
    run_ok("profile", f"--type={kind}", "--format=folded", "-o", out, trace)
    lines = out.read_text().splitlines()
    return sum(int(line.rsplit(" ", 1)[1]) for line in lines), lines


def frames(graph):
    return list(graph.all("li"))


def test_flame_graph_roots_hold_the_folded_totals(contention_page, contention_trace, tmp_path):
    part = section(contention_page, "profiles")
    for kind in KINDS:
        total, lines = folded_total(contention_trace, kind, tmp_path)
        one = part.one("div", id=f"profiles-{kind}")
        assert int(one.attrs["data-total-ns"]) == total, kind
        if total == 0:
            assert "No waits of this kind." in one.text(), kind
            assert not list(one.all("ul")), kind
            continue
        root = one.one("ul", class_="profiles-fg").kids("li")[0]
        assert int(root.attrs["data-ns"]) == total, kind
        assert root.attrs["style"] == "width:100.0000%"
    assert folded_total(contention_trace, "sync", tmp_path)[0] > 0


def test_flame_graph_frames_nest_by_value_and_name_known_functions(contention_page,
                                                                    contention_trace, tmp_path):
    graph = section(contention_page, "profiles").one("div", id="profiles-sync").one(
        "ul", class_="profiles-fg")
    names = {li.kids("span")[0].text() for li in frames(graph)}
    _, lines = folded_total(contention_trace, "sync", tmp_path)
    assert "TestHotMutex" in names, names  # a frame of the contention example
    folded_names = {f for line in lines for f in line.rsplit(" ", 1)[0].split(";")}
    assert names - {"all sync waits"} <= folded_names | {
        n for n in names if re.fullmatch(r"\(\d+ smaller frames?\)", n)}
    root_total = int(graph.kids("li")[0].attrs["data-ns"])
    for li in frames(graph):
        ns = int(li.attrs["data-ns"])
        kids = [k for ul in li.kids("ul") for k in ul.kids("li")]
        assert sum(int(k.attrs["data-ns"]) for k in kids) <= ns
        for k in kids:  # widths are shares of the parent
            width = float(re.fullmatch(r"width:([\d.]+)%", k.attrs["style"]).group(1))
            assert abs(width - 100 * int(k.attrs["data-ns"]) / ns) < 0.001
            if "profiles-small" not in k.attrs["class"]:  # narrow ones are summed
                assert int(k.attrs["data-ns"]) >= root_total // 1000
        assert li.attrs["title"].startswith(li.kids("span")[0].text() + ": ")


# ---- untrusted names --------------------------------------------------------------


def test_hostile_names_come_out_as_text(hostile):
    _, html = hostile
    for name in ("latency", "threads", "profiles"):  # no element of the trace's making
        part = section(html, name)
        assert not list(part.all("img")) and not list(part.all("b")) and \
            not list(part.all("script")), name
    _, tasks = latency_rows(html, "latency-tasks")
    assert "task \"quoted\" & 'single' <b>bold</b>" in tasks, list(tasks)
    assert "</script><img src=x onerror=\"document.title='pwned name'\">" in tasks  # ran twice
    _, regions = latency_rows(html, "latency-regions")
    assert value(regions["</style><script>document.title='pwned region'</script>"][0]) == 2
    # control bytes and invalid UTF-8 are U+FFFD
    assert "ctl\ufffd\ufffd[31m bad\ufffd\ufffd utf8 <!-- ]]>" in regions, list(regions)
    assert "\x1b" not in html and "\x01" not in html


def test_an_escape_in_a_test_name_is_not_passed_through(tmp_path):
    trace = tmp_path / "order.out"
    run_ok(f"--trace={trace}", "-count", "2", ORDER)  # twice: a latency row of its own
    html = report(trace, tmp_path)
    assert "\x1b" not in html
    _, tasks = latency_rows(html, "latency-tasks")
    assert "Test\ufffd[31mEscape" in tasks


# ---- in a browser -----------------------------------------------------------------

# Run after the page's own scripts: zoom into a frame, search, sort, and
# write down what the page then shows.
PROBE = """(function () {
  var out = {};
  var graph = document.querySelector("#profiles-sync .profiles-fg");
  var frames = graph.querySelectorAll("li");
  var target = null;
  for (var i = 0; i < frames.length; i++)
    if (frames[i].firstElementChild.textContent === "TestHotMutex") target = frames[i];
  target.firstElementChild.click();
  out.zoomedWidth = target.style.width;
  var hidden = graph.querySelectorAll(".profiles-hide");
  out.hidden = [];
  for (var h = 0; h < hidden.length; h++) out.hidden.push(hidden[h].firstElementChild.textContent);
  target.firstElementChild.click();   /* zoomed already: out to its parent */
  out.parentWidth = target.parentElement.closest("li").style.width;
  graph.querySelector("li > span").click();   /* the root: all back */
  graph.querySelector("li > span").click();
  out.hiddenAfter = graph.querySelectorAll(".profiles-hide").length;
  var search = document.getElementById("profiles-search");
  search.value = "hotmutex";
  search.dispatchEvent(new Event("input"));
  out.matched = document.getElementById("profiles-matched").textContent;
  out.marked = graph.querySelectorAll(".profiles-match").length;
  var th = document.querySelector("#threads-threads thead th:nth-child(5)");
  th.click();
  var rows = document.querySelectorAll("#threads-threads tbody tr");
  out.sorted = [];
  for (var r = 0; r < rows.length; r++) out.sorted.push(Number(rows[r].cells[4].getAttribute("data-v")));
  out.sort = th.getAttribute("aria-sort");
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();"""


# Point at the first and the last bar of the first latency histogram, then
# away: what the tooltip said.
HOVER_PROBE = """(function () {
  var out = {};
  var svg = document.querySelector("svg.latency-hist");
  var box = svg.getBoundingClientRect();
  var n = svg.getAttribute("data-counts").split(" ").length;
  out.tips = [];
  [0, n - 1].forEach(function (i) {
    svg.dispatchEvent(new MouseEvent("mousemove", {bubbles: true,
      clientX: box.left + box.width * (i + 0.5) / n, clientY: box.top + 5}));
    var tip = document.getElementById("latency-tip");
    out.tips.push(tip.hidden ? null : tip.textContent);
  });
  out.hover = svg.querySelectorAll(".latency-hover").length;
  out.ends = [svg.querySelectorAll("text")[0].textContent,
              svg.querySelectorAll("text")[1].textContent];
  out.counts = [svg.getAttribute("data-counts").split(" ")[0],
                svg.getAttribute("data-counts").split(" ")[n - 1]];
  document.body.dispatchEvent(new MouseEvent("mousemove", {bubbles: true}));
  out.tipAfter = document.getElementById("latency-tip").hidden;
  var pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();"""

def chromium_dom(html, probe, tmp_path):
    """The document headless Chromium builds of the page with the script
    `probe` added at its end (its hash in the CSP), as a Tree."""
    page = tmp_path / "page.html"
    page.write_text(with_script(html, probe))
    return Tree(chromium(tmp_path, page, "--dump-dom")).root


@needs_chromium
def test_histogram_tooltips_in_headless_chromium(pipeline_page, tmp_path):
    probe = json.loads(chromium_dom(pipeline_page, HOVER_PROBE, tmp_path).one(
        "pre", id="probe").text())
    # latency.js: the range and count of the bar pointed at, its durations
    # written as the page writes them; gone when the pointer leaves
    first, last = probe["tips"]
    assert first.startswith(probe["ends"][0] + " to ") and \
        first.endswith(": " + probe["counts"][0]), probe
    assert last.endswith(" to " + probe["ends"][1] + ": " + probe["counts"][1]), probe
    assert probe["hover"] == 1 and probe["tipAfter"] is True, probe


@needs_chromium
def test_sections_render_in_headless_chromium(contention_page, tmp_path):
    dom = chromium_dom(contention_page, PROBE, tmp_path)
    for name in ("latency", "threads", "profiles"):
        assert dom.one("section", id=name)
    # sort.js ran: every sortable table's heads answer clicks
    for table in dom.all("table", **{"data-sortable": ""}):
        assert all("data-sort" in th.attrs for th in table.one("thead").all("th"))
    assert "TestHotMutex" in dom.one("div", id="profiles-sync").text()
    probe = json.loads(dom.one("pre", id="probe").text())
    # zoom: the frame fills the graph, the frames beside it and its ancestors' hide
    assert probe["zoomedWidth"] == "100%", probe
    assert "TestReadWriteLock" in probe["hidden"], probe
    assert probe["parentWidth"] == "100%" and probe["hiddenAfter"] == 0, probe
    # search: the frame is marked and its share said, for each profile the
    # run filled (sched and cpu are empty when no thread waited for a CPU
    # or no sample fell, as on a loaded machine): sync only holds the frame
    shares = {"sync": r"\d+\.\d", "syscall": "0\\.0", "sched": "0\\.0", "cpu": r"\d+\.\d"}
    filled = [d.attrs["data-kind"] for d in dom.all("div", class_="profiles-one")
              if int(d.attrs["data-total-ns"]) > 0]
    assert filled[0] == "sync", filled
    assert probe["marked"] >= 1 and re.fullmatch(
        "matched: " + ", ".join(f"{k} {shares[k]} %" for k in filled),
        probe["matched"]), (probe, filled)
    # sort: sync block, largest first
    assert probe["sort"] == "descending" and probe["sorted"] == sorted(probe["sorted"],
                                                                      reverse=True), probe
