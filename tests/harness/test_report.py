"""`ctest-trace report`: one self-contained HTML page (DESIGN.md §4).

What is checked without a browser: the page parses, names the tests, and
references nothing outside itself; bad input exits 2 with a message; a
damaged trace gives a page with a banner and exit 1."""

import re
from html.parser import HTMLParser

import pytest

from conftest import BUILD, run, run_ok

FAILING = BUILD / "examples" / "failing_test"

# Attributes whose value the browser loads or navigates to.
URL_ATTRS = {"src", "href", "action", "formaction", "poster", "data", "srcset", "background",
             "xlink:href", "ping", "manifest", "codebase", "cite", "longdesc", "usemap"}


class Page(HTMLParser):
    """The parts of a page the tests look at: every tag with its attributes,
    the text of <style> and <script> elements, the text outside them."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []      # (tag, {attr: value})
        self.styles = []
        self.scripts = []   # (attrs, text)
        self.text = []
        self._in = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("style", "script"):
            self._in = (tag, attrs, [])

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            body = "".join(self._in[2])
            if tag == "style":
                self.styles.append(body)
            else:
                self.scripts.append((self._in[1], body))
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._in[2].append(data)
        else:
            self.text.append(data)

    def all_text(self):
        return "".join(self.text)

    def section(self, name):
        return [a for t, a in self.tags if t == "section" and a.get("id") == name]


def report(trace, tmp_path, name="report.html"):
    out = tmp_path / name
    result = run("report", "-o", out, trace)
    return result, out


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
    assert "0x45f != 0x3e8\n../examples/failing/failing_test.c:43: error: Failure!" \
        in row.group(0)
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
