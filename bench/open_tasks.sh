#!/usr/bin/env bash
# bench/open_tasks.sh - what a reader pays for tasks left open, and the
# Perfetto export for regions that overlap without nesting: each shape at N
# and 4 N, the wall time of a view over it and the ratio (about 4: linear;
# about 16: quadratic). Shapes (text traces assembled with libctrace):
#   tests     N tests that never end (closed at their process's end)
#   rootless  N user tasks begun in no test, left open, while N/2 tests end
#   stair     N regions on a thread, each ending after the next began
#             (one "overlapping" track each in the Perfetto export)
# Figures, not a pass/fail test.
#
#   bash bench/open_tasks.sh [BUILD_DIR] [N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
n=${2:-10000}
runner=$build/runner/ctest-trace
[ -x "$runner" ] || { echo "open_tasks.sh: $runner is not built" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-open-tasks-XXXXXX")
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$build" "$work" "$n" <<'PY'
import ctypes, subprocess, sys, time

build, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lib = ctypes.CDLL(f"{build}/libctrace.so")
HEAD = ["ctrace 1.2", 'trace_begin major=1 minor=2 writer="bench" mono_ns=1000 realtime_ns=0',
        "schema", 'process_begin proc=0 pid=7 exe="/bench" clock=0 hz=1000000000 tsc0=1000 '
        "ns0=1000", "batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000",
        "  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0",
        '  string id=1 bytes="Test"', '  string id=2 bytes="open"']
TAIL = ["process_end proc=0 how=0 code=0 dropped=0", "trace_end batches=1 event_bytes=0"]

def tests(k):
    return [f"  task_begin +1 task={i} parent=0 name=1 kind=1" for i in range(1, k + 1)]

def rootless(k):
    body = [f"  task_begin +1 task={i} parent=0 name=2 kind=0" for i in range(1, k + 1)]
    for i in range(k + 1, k + 1 + k // 2):
        body += [f"  task_begin +1 task={i} parent=0 name=1 kind=1",
                 f'  task_status +1 task={i} status=1 message=""', f"  task_end +1 task={i}"]
    return body

def stair(k, step=2000):
    body = ["  task_begin +1 task=1 parent=0 name=1 kind=1"]
    for _ in range(k // step):
        body += ["  region_begin +1 task=1 name=2"] * step
        body += [f"  region_end +1 back={step - 1 - i}" for i in range(step)]
    return body

def trace(name, body):
    text, path = f"{work}/{name}.txt", f"{work}/{name}.trace"
    with open(text, "w") as f:
        f.write("\n".join(HEAD + body + TAIL) + "\n")
    err = ctypes.create_string_buffer(512)
    if lib.ctr_text_assemble(text.encode(), path.encode(), err, len(err)) != 0:
        sys.exit(f"open_tasks.sh: {err.value.decode()}")
    return path

def seconds(*args):
    start = time.monotonic()
    subprocess.run([f"{build}/runner/ctest-trace", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start

print(f"{'shape':10} {'view':26} {'N':>8} {'s':>8} {'4 N':>8} {'s':>8} {'ratio':>6}")
for shape, make, view in (("tests", tests, ["tasks"]), ("rootless", rootless, ["tasks"]),
                          ("stair", stair, ["export", "--format=perfetto", "-o",
                                            f"{work}/out.pb"])):
    t = [seconds(*view, trace(f"{shape}{k}", make(k))) for k in (n, 4 * n)]
    print(f"{shape:10} {' '.join(view[:2]):26} {n:8} {t[0]:8.2f} {4 * n:8} {t[1]:8.2f} "
          f"{t[1] / max(t[0], 1e-3):6.1f}")
PY
