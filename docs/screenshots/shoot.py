#!/usr/bin/env python3
"""shoot.py - screenshots of parts of a page, in headless Chromium.

    shoot.py PAGE.html OUT.png [CSS_SELECTOR] [--width=PX]

Loads PAGE.html (file://), waits for its scripts to draw, and writes a PNG of
the element CSS_SELECTOR matches (the whole page without one). Talks to
Chromium over --remote-debugging-pipe (the DevTools protocol as NUL-ended JSON
on fds 3 and 4), so it needs nothing but python3 and /usr/bin/chromium.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class Browser:
    def __init__(self, width):
        self.profile = tempfile.TemporaryDirectory(ignore_cleanup_errors=True)
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def give_fds():  # the browser reads fd 3, writes fd 4
            # dup first: a pipe end may already be fd 3 or 4, and dup2 onto
            # itself would leave it close-on-exec.
            r, w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}",
             f"--window-size={width},1000", "about:blank"],
            preexec_fn=give_fds, close_fds=False,  # fds 3, 4 made in give_fds
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.pending = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def read(self):
        while b"\0" not in self.pending:
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.pending += chunk
        msg, self.pending = self.pending.split(b"\0", 1)
        return json.loads(msg)

    def wait_event(self, method, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self.read())
        raise TimeoutError(method)

    def close(self):
        try:  # a clean exit: the browser's helpers leave its profile alone
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.profile.cleanup()


def shoot(page, out, selector, width):
    b = Browser(width)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        b.send("Page.enable", session=s)
        b.send("Page.navigate", {"url": "file://" + os.path.abspath(page)}, session=s)
        b.wait_event("Page.loadEventFired")
        # The timeline draws on the first animation frames after load.
        b.send("Runtime.evaluate", {"expression": "new Promise(r => requestAnimationFrame("
                                    "() => requestAnimationFrame(r)))", "awaitPromise": True},
               session=s)
        rect = "document.documentElement.getBoundingClientRect()"
        if selector:
            rect = f"document.querySelector({json.dumps(selector)}).getBoundingClientRect()"
        box = b.send("Runtime.evaluate", {
            "expression": f"(() => {{ const r = {rect}; return [r.left + scrollX, r.top + scrollY,"
                          " r.width, r.height]; })()", "returnByValue": True}, session=s)
        if "exceptionDetails" in box or "value" not in box["result"]:
            raise RuntimeError(f"cannot measure {selector or 'the page'}: {box}")
        x, y, w, h = box["result"]["value"]
        pad = 8
        shot = b.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": max(0, x - pad), "y": max(0, y - pad), "width": w + 2 * pad,
                     "height": h + 2 * pad, "scale": 1}}, session=s)
        with open(out, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    finally:
        b.close()


def main(argv):
    width = 1280
    args = []
    for a in argv[1:]:
        if a.startswith("--width="):
            width = int(a.split("=", 1)[1])
        else:
            args.append(a)
    if len(args) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    shoot(args[0], args[1], args[2] if len(args) == 3 else None, width)


if __name__ == "__main__":
    main(sys.argv)
