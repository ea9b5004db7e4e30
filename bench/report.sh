#!/usr/bin/env bash
# bench/report.sh - `ctest-trace report` on a large trace (issue 14): the
# page's size, the time and peak RSS to write it, and in headless Chromium
# the time from navigation start to the timeline's first full draw
# (data-first-draw-ms on <body>), then the cost of frames as the view zooms
# in step by step, pans and zooms out to the whole trace again (each with
# the spans and logs it stood for, data-drawn), beside the goals: a page of
# 1 M events well under 100 MB (aim: 40 MB), a first draw in a few seconds.
#
# The trace comes from bench/gen_trace (EVENTS events, default 1 M; THREADS
# workers, default 8) in a temporary directory, removed at the end. Frames
# are timed in a copy of the page whose requestAnimationFrame draws at once
# and to which a script is added that presses the keys (+, arrows, 0, -):
# figures, not a test. Needs /usr/bin/chromium and /usr/bin/time.
#
#   bash bench/report.sh [BUILD_DIR] [EVENTS] [THREADS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
events=${2:-1000000}
threads=${3:-8}
runner=$build/runner/ctest-trace
gen=$build/bench/gen_trace
for exe in "$runner" "$gen" /usr/bin/time /usr/bin/chromium; do
    [ -x "$exe" ] || { echo "report.sh: $exe is missing (build, or ci/deps.sh)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-report-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$gen" -n "$events" -t "$threads" -o "$work/big.trace"
/usr/bin/time -f "%e %M" -o "$work/time" "$runner" report -o "$work/big.html" "$work/big.trace"
read -r seconds rss_kb < "$work/time"

/usr/bin/python3 - "$work" "$seconds" "$rss_kb" <<'PY'
import base64, hashlib, os, re, subprocess, sys
work, seconds, rss_kb = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
page = os.path.join(work, "big.html")
size = os.path.getsize(page)
print(f"report of {os.path.getsize(os.path.join(work, 'big.trace')) / 1e6:.1f} MB trace: "
      f"{size / 1e6:.1f} MB page (goal < 40 MB), {seconds:.2f} s, peak RSS {rss_kb / 1024:.0f} MB")

KEYS = ["+"] * 12 + ["ArrowRight", "ArrowRight", "0", "-"]
html = open(page, encoding="utf-8").read()
probe = ("\n(function () {\n"
         "  var view = document.getElementById('timeline-view');\n"
         "  var canvas = document.getElementById('timeline-canvas');\n"
         f"  var keys = {KEYS!r}, out = [];\n"
         "  keys.forEach(function (key) {\n"
         "    var t = performance.now();\n"
         "    view.dispatchEvent(new KeyboardEvent('keydown', {key: key, bubbles: true}));\n"
         "    out.push(key + ' ' + (performance.now() - t).toFixed(1) + ' ' +\n"
         "             canvas.getAttribute('data-drawn'));\n"
         "  });\n"
         "  document.body.setAttribute('data-frames', out.join(';'));\n"
         "})();\n")
now = "\nwindow.requestAnimationFrame = function (f) { f(performance.now()); return 0; };\n"
# The page runs only the scripts its CSP names by hash: these two are added.
def sha(js):
    return "'sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode() + "' "
code = html.index("</footer>\n") + len("</footer>\n")  # before the page's own scripts
timed = html[:code] + "<script>" + now + "</script>\n" + html[code:]
timed = timed[:timed.rindex("</body>")] + "<script>" + probe + "</script>\n</body>\n</html>\n"
timed = timed.replace("script-src ", "script-src " + sha(now) + sha(probe), 1)
with open(os.path.join(work, "timed.html"), "w", encoding="utf-8") as f:
    f.write(timed)

def load(name):
    proc = subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={os.path.join(work, 'profile')}", "--virtual-time-budget=60000",
         "--window-size=1400,1000", "--dump-dom", "file://" + os.path.join(work, name)],
        capture_output=True, text=True, timeout=600)
    return re.search(r"<body[^>]*>", proc.stdout).group(0)

body = load("big.html")
first = re.search(r'data-first-draw-ms="(\d+)"', body)
print(f"Chromium: first draw {first.group(1) if first else '?'} ms after navigation start")
frames = re.search(r'data-frames="([^"]*)"', load("timed.html"))
if frames:
    print("frames (key, ms, spans and logs drawn):")
    for frame in frames.group(1).split(";"):
        key, ms, drawn = frame.split(" ")
        print(f"  {key:>10} {float(ms):7.1f} ms {int(drawn):9d}")
PY
