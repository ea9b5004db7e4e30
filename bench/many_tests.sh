#!/usr/bin/env bash
# bench/many_tests.sh - the runner's per-test cost: a generated plain cmocka
# suite of 10 000 tiny tests, run bare and under ctest-trace (traced, each
# test a task, markers parsed), best of 9 interleaved wall times each. Goal: traced
# within 1.2x of bare. Also the same suite with libctrace preloaded and no session
# (what the library costs idle: its cmocka interposers only). A suite of one test, run the same way, shows what a run
# costs whatever its tests (start-up and finish), and so what is left a test.
#
#   bash bench/many_tests.sh [BUILD_DIR] [TESTS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
tests=${2:-10000}
runner=$build/runner/ctest-trace
[ -x "$runner" ] || { echo "many_tests.sh: $runner is not built" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-many-XXXXXX")
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 bench/gen_tiny_suite.py "$tests" > "$work/tiny.c"
cc -O2 -o "$work/tiny" "$work/tiny.c" $(pkg-config --cflags --libs cmocka)
/usr/bin/python3 bench/gen_tiny_suite.py 1 > "$work/one.c"
cc -O2 -o "$work/one" "$work/one.c" $(pkg-config --cflags --libs cmocka)

# Best wall time of 9 runs each, the three interleaved so that a change in
# the machine's load hits them alike.
runs=9
lib=$(readlink -f "$build/libctrace.so")
read -r bare traced verbose one_bare one_traced preloaded env_bare < <(
    /usr/bin/python3 - "$runs" "$work/tiny" "$runner" "$work/t.out" "$work/one" "$lib" <<'PY'
import subprocess, sys, time
runs, tiny, runner, trace, one, lib = sys.argv[1:]
runs = int(runs)
cmds = [[tiny], [runner, f"--trace={trace}", tiny], [runner, f"--trace={trace}", "-v", tiny],
        [one], [runner, f"--trace={trace}", one], ["env", f"LD_PRELOAD={lib}", tiny], ["env", tiny]]
best = [float("inf")] * len(cmds)
for _ in range(runs):
    for i, cmd in enumerate(cmds):
        t0 = time.perf_counter_ns()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best[i] = min(best[i], time.perf_counter_ns() - t0)
print(*best)
PY
)
"$runner" --trace="$work/t.out" "$work/tiny" > /dev/null || true
size=$(stat -c %s "$work/t.out")
/usr/bin/python3 - "$tests" "$bare" "$traced" "$verbose" "$size" "$one_bare" "$one_traced" \
    "$preloaded" "$env_bare" <<'PY'
import sys
n, bare, traced, verbose, size, one_bare, one_traced, preloaded, env_bare = (
    int(x) for x in sys.argv[1:])
fixed = one_traced - one_bare
print(f"ctest-trace on {n} tiny tests (plain cmocka suite, best of 9 interleaved wall times)")
print(f"  bare binary                 {bare / 1e6:9.1f} ms   {bare / n:8.0f} ns/test")
print(f"  ctest-trace --trace         {traced / 1e6:9.1f} ms   {traced / n:8.0f} ns/test"
      f"   {traced / bare:5.2f}x bare  (goal <= 1.2x)  "
      f"{'meets' if traced <= 1.2 * bare else 'misses'}")
print(f"  ctest-trace --trace -v      {verbose / 1e6:9.1f} ms   {verbose / n:8.0f} ns/test"
      f"   {verbose / bare:5.2f}x bare")
print(f"  preloaded, no session       {preloaded / 1e6:9.1f} ms   {preloaded / n:8.0f} ns/test"
      f"   {preloaded / env_bare:5.2f}x bare through env(1)  (idle: the cmocka interposers)")
print(f"  per-test bookkeeping        {(traced - bare) / n:9.0f} ns/test (task, status, markers, output)")
print(f"  a run's own cost            {fixed / 1e6:9.1f} ms   (a 1-test suite: {one_bare / 1e6:.1f} ms bare,"
      f" {one_traced / 1e6:.1f} ms traced)")
print(f"  per test, that cost apart   {(traced - bare - fixed) / n:9.0f} ns/test")
print(f"  trace size                  {size / 1024:9.1f} KiB  {size / n:8.1f} B/test")
PY
