#!/usr/bin/env bash
# bench/flight.sh - the flight recorder against a full trace on the same long
# suite (tests/suites/flight_test: 400 tests of ~30 000 events, 12 M in all,
# one failing three quarters of the way through; and a test of 600 k events
# that fails, more than the window holds). For each way, in the same run,
# interleaved, median of 3: the runner's peak RSS (its VmHWM, sampled: not
# its test binary's), the bytes it wrote (trace, attachments, TMPDIR) and
# its wall time.
#
#   bash bench/flight.sh [BUILD_DIR] [SIZE] [TESTS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
size=${2:-2MiB}
tests=${3:-400}
runner=$build/runner/ctest-trace
suite=$build/tests/suites/flight_test
for f in "$runner" "$suite"; do
    [ -x "$f" ] || { echo "flight.sh: $f is not built" >&2; exit 2; }
done
runner=$(realpath "$runner")
suite=$(realpath "$suite")
work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-flight-XXXXXX")
trap 'rm -rf "$work"' EXIT
export FLIGHT_TESTS=$tests FLIGHT_HUGE=300000

/usr/bin/python3 - "$runner" "$suite" "$work" "$size" <<'PY'
import os, re, statistics, subprocess, sys, time

sys.path.insert(0, "tests/harness")
from rss import peak_rss_kib  # the runner's own peak, sampled

runner, suite, work, size = sys.argv[1:5]
cases = {
    "full trace": ["--trace=full.trace"],
    f"--flight-recorder={size}": [f"--flight-recorder={size}"],
    f"--flight-recorder={size} --trace": [f"--flight-recorder={size}", "--trace=last.trace"],
}

def written(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)

got = {name: [] for name in cases}
for i in range(3):
    for k, (name, args) in enumerate(cases.items()):
        d = os.path.join(work, f"{i}-{k}")
        os.makedirs(os.path.join(d, "tmp"))
        t0 = time.perf_counter()
        p = subprocess.Popen([runner, *args, suite], cwd=d, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             env={**os.environ, "TMPDIR": os.path.join(d, "tmp")})
        rss = peak_rss_kib(p)
        got[name].append((rss, written(d), time.perf_counter() - t0))

events = 0
out = subprocess.run([runner, "stats", os.path.join(work, "0-0", "full.trace")],
                     capture_output=True, text=True).stdout
m = re.search(r"^  region\s+(\d+)", out, re.M)
n = re.search(r"^  log\s+(\d+)", out, re.M)
if m and n:
    events = 2 * int(m.group(1)) + int(n.group(1))
print(f"suite: {os.environ['FLIGHT_TESTS']} tests, {events / 1e6:.1f} M events (regions' begins "
      f"and ends, logs); median of 3")
print(f"{'':40} {'runner RSS':>12} {'written':>12} {'time':>8}")
base = None
for name, runs in got.items():
    rss = statistics.median(r[0] for r in runs)
    wrote = statistics.median(r[1] for r in runs)
    secs = statistics.median(r[2] for r in runs)
    base = base or (rss, wrote, secs)
    print(f"{name:40} {rss / 1024:9.1f} MiB {wrote / 1048576:9.2f} MiB {secs:7.2f}s"
          + ("" if base == (rss, wrote, secs) else
             f"   ({rss / base[0]:.2f}x RSS, {wrote / base[1]:.3f}x bytes, {secs / base[2]:.2f}x time)"))
PY
