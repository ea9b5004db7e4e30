"""What the tests of `ctest-trace report` share (test_report*.py): making a
page, reading it (a flat parser, the DOM as a tree, the timeline's data),
loading it in headless Chromium (Debian's, which ci/deps.sh installs), a
PNG reader for its screenshots, and the page's Content-Security-Policy."""

import base64
import hashlib
import json
import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import run, run_ok

CHROMIUM = Path("/usr/bin/chromium")
WINDOW = (1400, 1000)
VOID = {"meta", "input", "br", "img", "link", "hr", "wbr", "source", "col", "area", "base"}

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="no /usr/bin/chromium (ci/deps.sh installs it)")


def report(trace, where, name="report.html", env=None):
    """Run `report -o WHERE/NAME TRACE`. @return (Run, the page's path)."""
    out = Path(where) / name
    return run("report", "-o", out, trace, env=env), out


def report_text(trace, where, name="report.html"):
    """The page of `trace`, which must be made with exit 0, as text."""
    out = Path(where) / name
    run_ok("report", "-o", out, trace)
    return out.read_text(errors="strict")


# ---- reading a page ---------------------------------------------------------------


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


class Dom(Page):
    """A DOM Chromium dumped: also each element's text by id and class."""

    def __init__(self, text):
        self.stack, self.by_id, self.by_class = [], {}, {}
        super().__init__(text)

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        if tag in VOID:
            return
        attrs = dict(attrs)
        self.stack.append((tag, attrs.get("id"), (attrs.get("class") or "").split(), []))

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        while self.stack:
            t, ident, classes, text = self.stack.pop()
            body = "".join(text)
            if ident:
                self.by_id[ident] = body
            for c in classes:
                self.by_class.setdefault(c, []).append(body)
            if self.stack:
                self.stack[-1][3].append(body)
            if t == tag:
                break

    def handle_data(self, data):
        super().handle_data(data)
        if self.stack:
            self.stack[-1][3].append(data)


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children = []  # Nodes and strings

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag=None, **attrs):
        """Every element below with this tag and these attribute values."""
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and \
                        all(c.attrs.get(k.rstrip("_")) == v for k, v in attrs.items()):
                    yield c
                yield from c.all(tag, **attrs)

    def one(self, tag=None, **attrs):
        found = list(self.all(tag, **attrs))
        assert len(found) == 1, (tag, attrs, len(found))
        return found[0]

    def kids(self, tag):
        return [c for c in self.children if isinstance(c, Node) and c.tag == tag]


class Tree(HTMLParser):
    """The page as a tree of elements (what the browser would build for this
    well-formed page), to check what is inside what."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.root = self.at = Node("#document", {}, None)
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_startendtag(self, tag, attrs):
        self.at.children.append(Node(tag, dict(attrs), self.at))

    def handle_endtag(self, tag):
        n = self.at
        while n is not None and n.tag != tag:
            n = n.parent
        assert n is not None, f"</{tag}> closes nothing"
        self.at = n.parent

    def handle_data(self, data):
        self.at.children.append(data)


def section(html, name):
    return Tree(html).root.one("section", id=name)


def json_script(html, ident):
    """The JSON in the page's <script type="application/json" id=IDENT>."""
    m = re.search(rf'<script type="application/json" id="{ident}">(.*?)</script>', html, re.S)
    assert m, f"no #{ident} in the page"
    return json.loads(m.group(1))


def timeline_records(html):
    """The timeline's records (report_timeline.c) with absolute times:
    spans as (lane, type, name, begin_ns, duration_ns, task), logs as
    (lane, 8, category, ts_ns, task, message); and its tables."""
    flat, meta = json_script(html, "timeline-spans"), json_script(html, "timeline-meta")
    records, at, prev = [], 0, 0
    while at < len(flat):
        prev += flat[at + 3]
        records.append((flat[at], flat[at + 1], flat[at + 2], prev, flat[at + 4], flat[at + 5]))
        at += 6
    return records, meta


# ---- the Content-Security-Policy --------------------------------------------------


def csp(html):
    """The page's CSP as {directive: [sources]}."""
    metas = [a for t, a in Page(html).tags if t == "meta" and
             a.get("http-equiv", "").lower() == "content-security-policy"]
    assert len(metas) == 1, metas
    policy = {}
    for part in metas[0]["content"].split(";"):
        words = part.split()
        if words:
            policy[words[0]] = words[1:]
    return policy


def script_hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# Put before the page's scripts: frames are drawn at once, not at the next
# animation frame (which headless Chromium may not reach before it dumps).
DRAW_AT_ONCE = "window.requestAnimationFrame = function (f) { f(performance.now()); return 0; };"


def with_script(html, js, before=None):
    """The page with `js` run after its own scripts (and `before` before
    them), each one's hash added to the CSP's script-src (the page runs no
    script the CSP does not name)."""
    for code, where in ((js, "</body>"), (before, "<script>")):
        if code is None:
            continue
        body = "\n" + code + "\n"
        html = html.replace("script-src ", "script-src " + script_hash(body) + " ", 1)
        at = html.index(where, html.index("</footer>"))
        html = html[:at] + "<script>" + body + "</script>\n" + html[at:]
    return html


# ---- in headless Chromium ---------------------------------------------------------


def chromium(workdir, page, *what):
    """Load `page` in a fresh headless Chromium (its own profile in
    `workdir`), with time for its scripts, and do `what` (--dump-dom, or
    --screenshot=FILE). @return stdout: the DOM after the scripts ran."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (ci/deps.sh installs it)")
    args = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-extensions", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={Path(workdir) / 'profile'}", "--virtual-time-budget=20000",
            f"--window-size={WINDOW[0]},{WINDOW[1]}", *what, Path(page).as_uri()]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=240,
                          stdin=subprocess.DEVNULL, cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def png_pixels(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA PNG
    (what Chromium writes): chunks, zlib, and the five row filters."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows
