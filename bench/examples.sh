#!/usr/bin/env bash
# bench/examples.sh - what tracing costs whole test binaries: each example
# suite, and an 8-thread contended-mutex storm (bench/mutex_storm.c), run
# bare and under ctest-trace (traced, waits recorded with their stacks),
# best of 7 interleaved wall times. Goal (issue 4): traced at most 5% slower.
# A suite of one empty test measures what the runner costs a binary before
# its tests run (start, preload, the pool, writing the trace): the ratios
# are shown with and without it.
#
#   bash bench/examples.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
runner=$build/runner/ctest-trace
[ -x "$runner" ] || { echo "examples.sh: $runner is not built" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-examples-XXXXXX")
trap 'rm -rf "$work"' EXIT

bins=("$build/bench/empty_suite")
for b in examples/contention_test examples/io_test examples/oversubscribed_test \
         bench/mutex_storm; do
    [ -x "$build/$b" ] && bins+=("$build/$b")
done
/usr/bin/python3 - "$runner" "$work/t.out" "${bins[@]}" <<'PY'
import os, subprocess, sys, time
runner, trace, bins = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = 7
best = {b: [float("inf"), float("inf")] for b in bins}
for _ in range(runs):
    for b in bins:
        for i, cmd in enumerate(([b], [runner, f"--trace={trace}", b])):
            t0 = time.perf_counter_ns()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            best[b][i] = min(best[b][i], time.perf_counter_ns() - t0)
empty = bins.pop(0)
fixed = best[empty][1] - best[empty][0]
print(f"whole suites, bare vs traced (best of {runs} interleaved wall times)")
print(f"  the runner's fixed cost per binary (one empty test): {fixed / 1e6:.1f} ms "
      f"({best[empty][0] / 1e6:.1f} ms bare, {best[empty][1] / 1e6:.1f} ms traced)")
total = [0, 0]
for b in bins:
    bare, traced = best[b]
    total[0] += bare
    total[1] += traced
    print(f"  {os.path.basename(b):22} bare {bare / 1e6:8.1f} ms   traced {traced / 1e6:8.1f} ms"
          f"   {traced / bare:5.3f}x   without the fixed cost {(traced - fixed) / bare:5.3f}x")
ratio = total[1] / total[0]
tests_only = (total[1] - fixed * len(bins)) / total[0]
print(f"  {'all':22} bare {total[0] / 1e6:8.1f} ms   traced {total[1] / 1e6:8.1f} ms"
      f"   {ratio:5.3f}x   without the fixed cost {tests_only:5.3f}x  (goal <= 1.05x)  "
      f"{'meets' if tests_only <= 1.05 else 'misses'}")
PY
