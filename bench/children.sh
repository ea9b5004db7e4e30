#!/usr/bin/env bash
# bench/children.sh - what following the processes a test starts costs: a
# test that forks N children at once (each a region, then exit) and then N
# in turn, each waited for at once (tests/suites/children_test,
# t_many_at_once, CHILDREN_PAUSE_US=0: every one traced for N <= 31),
# run under the runner with --follow-children=on and =off, and on with
# CTRACE_SCHED=off (no perf ring per thread); the median wall time of R runs
# of each, the ratio on/off, and what one more traced child costs.
# Figures, not a pass/fail test.
#
#   bash bench/children.sh [BUILD_DIR] [N (at most 31: the process table)] [R]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
n=${2:-30}
runs=${3:-9}
runner=$build/runner/ctest-trace
suite=$build/tests/suites/children_test
[ -x "$runner" ] && [ -x "$suite" ] || { echo "children.sh: build $build first" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-children-XXXXXX")
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$runner" "$suite" "$work" "$n" "$runs" <<'PY'
import os, statistics, subprocess, sys, time

runner, suite, work, n, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
env = dict(os.environ, CHILDREN_MANY=str(n), CHILDREN_PAUSE_US="0")

def wall(argv, extra_env=None):
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        subprocess.run(argv, env={**env, **(extra_env or {})}, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.monotonic() - t0)
    return statistics.median(times)

trace = f"{work}/t.trace"
on = wall([runner, "-run", "t_many_at_once", f"--trace={trace}", suite])
procs = subprocess.run([runner, "stats", trace], capture_output=True, text=True).stdout
procs = next(l for l in procs.splitlines() if l.startswith("processes:")).split()[1]
off = wall([runner, "-run", "t_many_at_once", "--follow-children=off", f"--trace={trace}",
            suite])
no_sched = wall([runner, "-run", "t_many_at_once", f"--trace={trace}", suite],
                {"CTRACE_SCHED": "off"})
print(f"{2 * n} children ({n} at once, {n} in turn), median of {runs} runs")
print(f"  --follow-children=off             {off * 1e3:8.1f} ms")
print(f"  --follow-children=on              {on * 1e3:8.1f} ms   ({procs} processes traced)")
print(f"  on, CTRACE_SCHED=off              {no_sched * 1e3:8.1f} ms")
print(f"  ratio on/off                      {on / off:8.2f}")
print(f"  per traced child                  {(on - off) / (2 * n) * 1e6:8.1f} us")
print(f"  per traced child, CTRACE_SCHED=off {(no_sched - off) / (2 * n) * 1e6:7.1f} us")
PY
