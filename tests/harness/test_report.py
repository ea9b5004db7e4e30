"""`ctest-trace report`: one self-contained HTML page (DESIGN.md §4).

Without a browser: the page parses, names the tests, references nothing
outside itself and runs only its own scripts (a CSP hash each); a test's
status is the last the trace gives; bad input (a bad CTRACE_REPORT_SPANS, an
-o that is the trace) exits 2 with a message; a damaged trace gives a page
with a banner and exit 1. In headless Chromium (report_page.py): the
pipeline's page after its scripts ran shows the names and its timeline
drew, a screenshot of the timeline is not blank, a script put into the page
does not run, and names that are markup or script (tests, tasks, regions,
logs, threads, the binary's path, the trace's name) come out as text and
run nothing."""

import re
import shutil
from html import unescape

import pytest

from conftest import BUILD, assemble, run, run_ok, sanitized
from report_page import (WINDOW, Dom, Page, chromium, csp, needs_chromium, png_pixels,
                         report, script_hash, with_script)

FAILING = BUILD / "examples" / "failing_test"
HOSTILE = BUILD / "tests" / "suites" / "hostile_names_test"

# Attributes whose value the browser loads or navigates to.
URL_ATTRS = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background",
             "xlink:href", "ping", "manifest", "codebase", "cite", "longdesc", "usemap"}


@pytest.fixture(scope="module")
def pipeline_page(pipeline_trace, tmp_path_factory):
    trace, _ = pipeline_trace
    out = tmp_path_factory.mktemp("report") / "pipeline.html"
    run_ok("report", "-o", out, trace)
    return out


def network_references(html):
    """Every reference to something outside the page: URL attributes that are
    not in-page anchors ('#...') or data: URLs, any http(s):// or '//'
    scheme-relative URL in an attribute, url() and @import in CSS (style
    elements and style attributes) other than data:, and loads in scripts
    (fetch, XMLHttpRequest, import(), WebSocket, EventSource, src= set)."""
    page = Page(html)
    found = []
    for tag, attrs in page.tags:
        for key, value in attrs.items():
            value = (value or "").strip()
            if key in URL_ATTRS and value and not value.startswith(("#", "data:")):
                found.append(f"<{tag} {key}={value!r}>")
            if re.search(r"(?i)(https?:|ftp:|wss?:)?//", value) and key != "content":
                found.append(f"<{tag} {key}={value!r}>")
            if key == "style" and re.search(r"(?i)url\(|@import", value):
                found.append(f"<{tag} style={value!r}>")
        if tag == "link":
            found.append(f"<link {attrs}>")
        if tag in ("iframe", "object", "embed", "base"):
            found.append(f"<{tag} {attrs}>")
    for css in page.styles:
        for m in re.finditer(r"(?i)url\(\s*['\"]?([^'\")]*)|@import[^;]*", css):
            if not m.group(0).lower().startswith("@import") and \
                    (m.group(1) or "").startswith("data:"):
                continue
            found.append(f"css: {m.group(0)}")
    for attrs, js in page.scripts:
        if attrs.get("src"):
            found.append(f"<script src={attrs['src']!r}>")
        if attrs.get("type") == "application/json":
            continue
        for m in re.finditer(r"\bfetch\(|XMLHttpRequest|\bimport\(|WebSocket|EventSource|"
                             r"sendBeacon|\.src\s*=|https?://", js):
            found.append(f"script: {m.group(0)}")
    return found


def test_the_pipeline_report_references_nothing_outside_itself(pipeline_page):
    html = pipeline_page.read_text()
    assert html.startswith("<!doctype html>")
    assert network_references(html) == []
    page = Page(html)
    csp = [a for t, a in page.tags if t == "meta" and
           a.get("http-equiv", "").lower() == "content-security-policy"]
    assert csp and "default-src 'none'" in csp[0]["content"], csp
    # the checker itself finds what it is meant to
    assert network_references('<img src="https://x.example/a.png">')
    assert network_references("<style>body{background:url(//cdn.example/x)}</style>")
    assert network_references("<script>fetch('/x')</script>")
    assert not network_references("<a href=\"#tests\">t</a><img src=\"data:image/png;base64,AA\">")


def test_the_csp_runs_only_the_pages_own_scripts(pipeline_page):
    """script-src lists a hash per script of ours, each the hash of exactly
    what is between its <script> and </script>, and nothing else: no
    'unsafe-inline'; no base or form target; no image source."""
    html = pipeline_page.read_text()
    policy = csp(html)
    assert policy["default-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
    assert "img-src" not in policy and "'unsafe-inline'" not in policy["script-src"]
    code = [body for attrs, body in Page(html).scripts if attrs.get("type") != "application/json"]
    assert len(code) >= 4  # one per file (meson.build's report_js): tests, timeline, ...
    assert sorted(script_hash(body) for body in code) == sorted(policy["script-src"])


def test_the_pipeline_report_names_its_tests_as_text(pipeline_page):
    page = Page(pipeline_page.read_text())
    assert page.section("tests")
    assert "TestPipeline" in page.all_text()
    title = [t for t, _ in page.tags if t == "title"]
    assert title


def test_a_failing_test_shows_its_status_and_message(tmp_path):
    trace = tmp_path / "t.out"
    run(f"--trace={trace}", FAILING)  # exits 1: tests fail
    result, out = report(trace, tmp_path)
    assert result.returncode == 0, result
    html = out.read_text()
    row = re.search(r'<tr class="st-fail" data-status="fail"><td class="tname">TestChecksum'
                    r'</td>.*?</tr>', html, re.S)
    assert row, html
    assert ">fail<" in row.group(0)
    # the message in full, both lines (the path is as the build directory saw it)
    assert re.search(r'<pre class="msg">0x45f != 0x3e8\n[./]*examples/failing/failing_test\.c:43: '
                     r'error: Failure!</pre>', row.group(0)), row.group(0)
    assert re.search(r'data-status="skip"><td class="tname">TestNetwork', html)
    assert re.search(r'data-status="error"><td class="tname">TestQuery', html)


def test_bad_input_exits_2_naming_what_is_wrong(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    r = run("report", trace)
    assert r.returncode == 2 and "report: missing -o" in r.stderr, r
    r = run("report", "-o", tmp_path / "r.html", tmp_path / "nope.out")
    assert r.returncode == 2 and "nope.out: no such file" in r.stderr, r
    assert not (tmp_path / "r.html").exists()
    r = run("report", "-o", tmp_path / "no" / "dir" / "r.html", trace)
    assert r.returncode == 2 and "r.html" in r.stderr, r
    not_trace = tmp_path / "not.out"
    not_trace.write_text("hello\n")
    r = run("report", "-o", tmp_path / "r.html", not_trace)
    assert r.returncode == 2 and "not.out" in r.stderr, r
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("value", ["10k", "-5", "", "99999999999999999999999", "100000001",
                                   " 7", "4M"])
def test_a_bad_ctrace_report_spans_exits_2_naming_it(pipeline_trace, tmp_path, value):
    trace, _ = pipeline_trace
    result, out = report(trace, tmp_path, env={"CTRACE_REPORT_SPANS": value})
    assert result.returncode == 2, result
    what = "too many" if value.isdigit() else "not a number"
    assert f'report: CTRACE_REPORT_SPANS="{value}": {what} (how many spans and logs the ' \
        "timeline keeps: a number from 0 to 100000000, digits only" in result.stderr, result
    assert not out.exists()


@pytest.mark.parametrize("view", [("report",), ("export", "--format=jsonl"),
                                  ("profile", "--type=sync", "--format=folded")])
def test_an_output_that_is_the_trace_itself_is_refused(pipeline_trace, tmp_path, view):
    """By its own name, another path, a symbolic or a hard link: exit 2,
    the trace as it was."""
    trace = tmp_path / "t.trace"
    trace.write_bytes(pipeline_trace[0].read_bytes())
    before = trace.read_bytes()
    (tmp_path / "sym.trace").symlink_to(trace)
    (tmp_path / "hard.trace").hardlink_to(trace)
    for out in (trace, tmp_path / "." / "t.trace", tmp_path / "sym.trace", tmp_path / "hard.trace"):
        result = run(*view, "-o", out, trace)
        assert result.returncode == 2, result
        assert f"{out}: -o names the trace being read ({trace})" in result.stderr, result
        assert trace.read_bytes() == before
    run_ok(*view, "-o", tmp_path / "other.out", trace)  # any other output is written


def test_a_damaged_trace_gives_the_page_with_a_banner_and_exit_1(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    data = trace.read_bytes()
    cut = tmp_path / "cut.out"
    cut.write_bytes(data[: len(data) * 2 // 3])
    result, out = report(cut, tmp_path)
    assert result.returncode == 1, result
    assert "cut.out" in result.stderr and "damaged" in result.stderr, result
    # once, though every section read the damaged trace
    assert result.stderr.count("\n") == 1, result.stderr
    html = out.read_text()
    assert re.search(r'<p class="banner" role="alert">This trace is damaged: [^<]*damaged', html)
    assert html.rstrip().endswith("</html>")


# Statuses in every order: fail then pass, pass then crash, one after its
# test's end, one of a test whose begin is not in the trace (its end neither
# counts), one of a task never begun nor ended.
STATUSES = """ctrace 1.4
trace_begin major=1 minor=4 writer="test" mono_ns=1000 realtime_ns=0
schema
process_begin proc=0 pid=7 exe="/t" clock=0 hz=1000000000 tsc0=1000 ns0=1000
batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000
  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0
  string id=1 bytes="TestFailThenPass"
  string id=2 bytes="TestPassThenCrash"
  string id=3 bytes="TestLate"
  task_begin +100 task=1 parent=0 name=1 kind=1
  task_status +1000 task=1 status=2 message="boom"
  task_status +10 task=1 status=1 message=""
  task_end +10 task=1
  task_begin +100 task=2 parent=0 name=2 kind=1
  task_status +1000 task=2 status=1 message=""
  task_status +10 task=2 status=5 message="killed"
  task_end +10 task=2
  task_begin +100 task=3 parent=0 name=3 kind=1
  task_status +1000 task=3 status=1 message=""
  task_end +10 task=3
  task_status +10 task=3 status=2 message="after its end"
  task_status +10 task=9 status=2 message="begin lost"
  task_end +10 task=9
  task_status +10 task=8 status=2 message="never begun nor ended"
process_end proc=0 how=0 code=0 dropped=0 end_ns=900000
trace_end batches=1 event_bytes=0
"""


@pytest.mark.skipif(sanitized(), reason="a sanitizer's libctrace.so cannot be loaded into Python")
def test_a_tests_status_is_the_last_as_in_the_tasks_view(tmp_path):
    (tmp_path / "statuses.txt").write_text(STATUSES)
    trace = tmp_path / "statuses.trace"
    assemble(tmp_path / "statuses.txt", trace)
    result, out = report(trace, tmp_path)
    assert result.returncode == 0, result
    html = out.read_text()
    shown = {name: status for status, name in
             re.findall(r'<tr class="st-\w+" data-status="(\w+)"><td class="tname">(\w+)<', html)}
    tasks = {t["name"]: t["status"] for t in run_ok("tasks", "--json", trace).json()["tasks"]}
    assert shown["TestFailThenPass"] == tasks["TestFailThenPass"] == "pass", shown
    assert shown["TestPassThenCrash"] == tasks["TestPassThenCrash"] == "crash", shown
    # after its end: the row was written already; said, with what the note counts
    assert shown["TestLate"] == "pass" and tasks["TestLate"] == "fail"
    note = re.search(r'<p class="note" id="tests-unplaced">(.*?)</p>', html).group(1)
    assert note.startswith("3 statuses of no test open at that point of the trace (after its "
                           "test's end, or of a test whose begin is not in the trace) are not "
                           "shown here"), note


# ---- in headless Chromium --------------------------------------------------

@pytest.fixture(scope="module")
def pipeline_in_chromium(pipeline_page, tmp_path_factory):
    """The pipeline's page loaded once: its DOM after the scripts ran, and a
    screenshot."""
    workdir = tmp_path_factory.mktemp("chromium")
    dom = chromium(workdir, pipeline_page, "--dump-dom")
    shot = workdir / "shot.png"
    chromium(workdir, pipeline_page, f"--screenshot={shot}")
    return dom, shot.read_bytes()


@needs_chromium
def test_chromium_shows_the_pipelines_names_and_draws_its_timeline(pipeline_in_chromium):
    dom, _ = pipeline_in_chromium
    page = Dom(dom)
    assert "TestPipeline" in page.by_id["tests-table"]
    names = page.by_id["timeline-names"]
    for name in ("TestPipeline", "request", "fetch", "render"):
        assert name in names, names
    canvas = [a for t, a in page.tags if t == "canvas"]
    assert len(canvas) == 1
    # the test, the request task, fetch and render, the log (and the waits, as many as
    # the build and the scheduler made): all in view at first
    assert int(canvas[0]["data-drawn"]) >= 5, canvas[0]
    body = [a for t, a in page.tags if t == "body"][0]
    assert int(body["data-first-draw-ms"]) > 0
    assert page.by_id["timeline-range"].startswith("0 ns")  # the whole trace at first


@needs_chromium
def test_a_screenshot_of_the_timeline_is_not_blank(pipeline_in_chromium):
    dom, png = pipeline_in_chromium
    rect = [a for t, a in Dom(dom).tags if t == "canvas"][0]["data-rect"]
    x, y, w, h = (int(v) for v in rect.split(","))
    width, height, rows = png_pixels(png)
    assert (width, height) == WINDOW
    assert y + h <= height, f"the timeline is below the screenshot: {rect}"
    colours = {}
    for row in rows[y:y + h]:
        for pixel in row[x:x + w]:
            colours[pixel] = colours.get(pixel, 0) + 1
    # background, text, grid lines, and the spans' colours (test, task,
    # regions, waits): far more than a blank or one-colour canvas has
    assert len(colours) >= 8, sorted(colours.items(), key=lambda c: -c[1])[:10]
    background = max(colours.values())
    assert background < 0.97 * w * h, "the canvas is (almost) one colour"


@needs_chromium
def test_a_script_put_into_the_page_does_not_run(pipeline_page, tmp_path):
    """What a bug of ours might let through: a <script> the page did not
    make (its hash is not in the CSP) does not run; with its hash added
    (as the tests' probes do) it does, so the first check can fail."""
    html = pipeline_page.read_text()
    script = "document.title = 'injected';"
    before = re.search(r"<title>(.*?)</title>", html).group(1)
    put = tmp_path / "put.html"
    put.write_text(html.replace("</main>", f"<script>{script}</script></main>", 1))
    title = re.search(r"<title>(.*?)</title>", chromium(tmp_path, put, "--dump-dom"), re.S)
    assert title.group(1) == before != "injected", title.group(1)
    allowed = tmp_path / "allowed.html"
    allowed.write_text(with_script(html, script))
    title = re.search(r"<title>(.*?)</title>", chromium(tmp_path, allowed, "--dump-dom"), re.S)
    assert title.group(1) == "injected"


@needs_chromium
def test_hostile_names_come_out_as_text_and_run_nothing(tmp_path):
    """Names of tests, tasks, regions, logs, threads, of the binary's path
    and of the trace file itself, all markup and script."""
    where = tmp_path / "\"><svg onload=\"document.title='pwned dir'\">"
    where.mkdir()
    binary = where / "hostile<b>x"
    shutil.copy(HOSTILE, binary)
    trace = tmp_path / "\"p<i>'.out"
    # the copy finds libctrace.so in the build, as the original does by its RUNPATH
    r = run(f"--trace={trace}", binary, env={"LD_LIBRARY_PATH": str(BUILD)})
    assert r.returncode == 1, r  # TestHostileFailure fails
    result, out = report(trace, tmp_path)
    assert result.returncode == 0, result
    dom = chromium(tmp_path, out, "--dump-dom")
    page = Dom(dom)
    # no script of theirs ran (each would have set the title) ...
    title = unescape(re.search(r"<title>(.*?)</title>", dom, re.S).group(1))
    assert title == "\"p<i>'.out - ctest-trace report", title
    # ... and nothing they hold became an element: no <img> or <svg onload>, no
    # handler anywhere, only our scripts
    assert not [a for t, a in page.tags if t in ("img", "iframe", "object", "embed")]
    assert not [(t, a) for t, a in page.tags if any(k.startswith("on") for k in a)]
    assert len([a for t, a in page.tags if t == "style"]) == 1
    code = [a for a, _ in page.scripts if a.get("type") != "application/json"]
    assert len(code) == len(csp(out.read_text())["script-src"]), page.scripts
    # the trace's name and the binary's path, as text and attribute values
    header = [a for t, a in page.tags if t == "span" and a.get("class") == "bin"]
    assert header and header[0]["title"] == str(binary), header
    assert "hostile<b>x" in page.by_class["bin"], page.by_class["bin"]
    assert f"{trace.name}\n" in page.all_text() and f"{trace} (format" in page.all_text()
    # thread names, in the thread table
    threads = page.by_id["threads-threads"]
    assert "<img src=x>" in threads and "</script><i>" in threads, threads
    # ... but text, as the program wrote it (control bytes and bad UTF-8 as U+FFFD)
    names = page.by_class["tname"]
    assert "</script><img src=x onerror=\"document.title='pwned name'\">" in names, names
    text = page.all_text()
    assert "</pre></td></tr></table><script>document.title='pwned message'</script> \"'&amp;" \
        in text
    listed = page.by_id["timeline-names"]
    assert "task \"quoted\" & 'single' <b>bold</b>" in listed
    assert "</style><script>document.title='pwned region'</script>" in listed
    assert "ctl\ufffd\ufffd[31m bad\ufffd\ufffd utf8 <!-- ]]>" in listed
    assert "\x1b" not in text and "\x01" not in text


# ---- --attach-report --------------------------------------------------------

def attachments(xml):
    return re.findall(r"\[\[ATTACHMENT\|([^\]]+)\]\]", xml.read_text())


def test_attach_report_attaches_each_failing_tests_page_beside_its_trace(tmp_path):
    from conftest import assert_valid_junit
    xml = tmp_path / "out" / "r.xml"
    r = run(f"--junit={xml}", "--attach-report", FAILING)
    assert r.returncode == 1, r  # TestChecksum fails, TestQuery errs
    assert_valid_junit(xml)
    attached = attachments(xml)
    traces = [a for a in attached if a.endswith(".trace")]
    pages = [a for a in attached if a.endswith(".html")]
    assert len(traces) == 2 and len(pages) == 2, attached
    for trace, page in zip(traces, pages):
        assert page == trace[: -len(".trace")] + ".html"
        html = Page(open(page).read())
        assert network_references(open(page).read()) == []
        test = "TestChecksum" if "TestChecksum" in trace else "TestQuery"
        assert test in "".join(html.text), page
    # each page is that test's trace: the other test is not in it
    checksum = [p for p in pages if "TestChecksum" in p][0]
    assert "TestQuery" not in open(checksum).read()


def test_attach_report_with_junit_dir_and_the_flight_recorder(tmp_path):
    from conftest import assert_valid_junit
    r = run(f"--junit-dir={tmp_path}", "--flight-recorder=1MiB", "--attach-report", FAILING)
    assert r.returncode == 1, r
    xml = tmp_path / "failing_test.xml"
    assert_valid_junit(xml)
    pages = [a for a in attachments(xml) if a.endswith(".html")]
    assert len(pages) == 2, attachments(xml)
    for page in pages:
        assert "<section id=\"tests\">" in open(page).read()


def test_attach_report_needs_junit(tmp_path):
    r = run("--attach-report", FAILING)
    assert r.returncode == 2 and "--attach-report" in r.stderr and "--junit" in r.stderr, r


def test_the_timeline_keeps_at_most_ctrace_report_spans_and_says_so(pipeline_trace, tmp_path):
    import json

    def meta(html):
        return json.loads(re.search(r'<script type="application/json" id="timeline-meta">'
                                    r'(.*?)</script>', html, re.S).group(1))
    trace, _ = pipeline_trace
    run_ok("report", "-o", tmp_path / "whole.html", trace)
    whole = (tmp_path / "whole.html").read_text()
    assert "left out" not in whole
    # the test, the request, fetch, render, their waits (how many: as the scheduler had it), a log
    total = meta(whole)["spans"] + meta(whole)["logs"]
    assert total >= 8 and meta(whole)["left_out"] == 0, meta(whole)
    run_ok("report", "-o", tmp_path / "cut.html", trace, env={"CTRACE_REPORT_SPANS": "3"})
    html = (tmp_path / "cut.html").read_text()
    assert meta(html)["spans"] + meta(html)["logs"] == 3, meta(html)
    assert meta(html)["left_out"] == total - 3, meta(html)
    assert re.search(rf'The timeline holds the first 3 spans and logs of the trace; {total - 3} '
                     r'more are left out, the earliest at [0-9.]+ [mu]?s', html), html
    # the names below it are of the whole trace
    names = re.search(r'<ul id="timeline-names">(.*?)</ul>', html, re.S).group(1)
    for name in ("TestPipeline", "request", "fetch", "render"):
        assert f">{name}</button>" in names
