#!/usr/bin/env bash
# bench/flood.sh - the tracer under a flood it cannot keep in its pool: issue
# 11's load, tests/suites/flood_test (16 threads each ending 1 M regions and
# writing 250 k logs, a task every 4096 regions: 36 M events, ~200 MB before
# compression, the pool 64 MiB). Wall time of the binary bare (no tracer: each
# call a load and a branch) and traced: under the runner in wait mode (the
# default: nothing lost, threads wait for the collector), in drop mode (never
# blocks, loses what does not fit), and with ct_start (the process's own
# drain thread). Median of 5 interleaved runs each; for each traced run, the
# events kept and lost, and the time threads spent waiting for room.
#
#   bash bench/flood.sh [BUILD_DIR] [THREADS] [REGIONS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
threads=${2:-16}
regions=${3:-1000000}
runner=$build/runner/ctest-trace
flood=$build/tests/suites/flood_test
for f in "$runner" "$flood"; do
    [ -x "$f" ] || { echo "flood.sh: $f is not built" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-flood-XXXXXX")
trap 'rm -rf "$work"' EXIT
export FLOOD_THREADS=$threads FLOOD_REGIONS=$regions

/usr/bin/python3 - "$runner" "$flood" "$work" "$threads" "$regions" <<'PY'
import os, re, statistics, subprocess, sys, time

runner, flood, work, threads, regions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
runs = 5
cases = {
    "bare": ([flood], {}),
    "runner, wait": ([runner, f"--trace={work}/wait.out", flood], {}),
    "runner, drop": ([runner, "--overflow=drop", f"--trace={work}/drop.out", flood], {}),
    "ct_start, wait": ([flood], {"FLOOD_TRACE": f"{work}/self.out"}),
}
traces = {"runner, wait": "wait.out", "runner, drop": "drop.out", "ct_start, wait": "self.out"}
times = {name: [] for name in cases}
for _ in range(runs):
    for name, (cmd, env) in cases.items():
        t0 = time.perf_counter_ns()
        subprocess.run(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times[name].append(time.perf_counter_ns() - t0)

def stats(path):
    out = subprocess.run([runner, "stats", path], capture_output=True, text=True).stdout
    def num(pattern):
        m = re.search(pattern, out, re.M)
        return int(m.group(1)) if m else 0
    m = re.search(r"^stalls:\s+(\d+) .*\(([\d.]+) (ns|us|ms|s) in all\)", out, re.M)
    stall_s = float(m.group(2)) * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[m.group(3)] if m else 0.0
    return num(r"^\s+region\s+(\d+)"), num(r"^\s+log\s+(\d+)"), num(r"^lost:\s+(\d+)"), \
        num(r"^lost:\s+\d+ events of (\d+) written"), stall_s, os.path.getsize(path)

bare = statistics.median(times["bare"])
asked = 2 * threads * regions + threads * regions // 4  # region begins, ends, logs
print(f"flood: {threads} threads x {regions} regions, a log every 4th "
      f"({asked / 1e6:.1f} M region and log events), median of {runs} interleaved runs")
print(f"  {'bare':16} {bare / 1e6:9.1f} ms")
for name, file in traces.items():
    t = statistics.median(times[name])
    kept_regions, kept_logs, lost, written, stall_s, size = stats(f"{work}/{file}")
    extra = (t - bare) / asked
    print(f"  {name:16} {t / 1e6:9.1f} ms  {t / bare:6.1f}x bare  {extra:5.1f} ns an event more  "
          f"{asked / (t / 1e9) / 1e6:5.1f} M events/s")
    print(f"  {'':16} kept {kept_regions} of {threads * regions} regions, {kept_logs} of "
          f"{threads * regions // 4} logs; lost {lost} events"
          + (f" of {written}" if lost else "")
          + (f"; threads waited {stall_s:.2f} s in all" if stall_s else "")
          + f"; trace {size / 2**20:.1f} MiB")
PY
