#!/usr/bin/env bash
# bench/symbolize_vs.sh - the symbolizer before and after libdw (issue 13),
# measured in one run on one machine: the revision OLD (default fd94a5b, the
# last with our own ELF/DWARF reader) is built in a temporary directory,
# bench/symbolize.c is compiled against its libctrace.a as against this
# build's, and both look up the same addresses of FILE (default: this
# build's ctest-trace); then `ctest-trace profile --type=sync` of each
# revision reads one large trace from bench/gen_trace (EVENTS events).
# Prints each figure and new/old ratios. Figures, not a pass/fail test.
#
#   bash bench/symbolize_vs.sh [BUILD_DIR] [OLD] [FILE] [EVENTS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${1:-build}
old=${2:-fd94a5b}
file=${3:-$build/runner/ctest-trace}
events=${4:-20000000}
for exe in "$build/bench/symbolize" "$build/runner/ctest-trace" "$build/bench/gen_trace"; do
    [ -x "$exe" ] || { echo "symbolize_vs.sh: $exe is not built" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-symvs-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "building $old in $work (libctrace.a and ctest-trace only)..."
git archive "$old" | tar -x -C "$work"
meson setup "$work/build" "$work" >/dev/null
ninja -C "$work/build" -j2 libctrace.a runner/ctest-trace >/dev/null
cc -O2 -D_GNU_SOURCE -I "$work" -I "$work/include" bench/symbolize.c "$work/build/libctrace.a" \
   $(pkg-config --libs libzstd cmocka) -lpthread -ldl -lm -o "$work/symbolize_old"

figure() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
echo "== symbolizer on $file"
echo "-- $old (own ELF and .debug_line reader)"
"$work/symbolize_old" "$file" | tee "$work/old.txt"
echo "-- this build (libdw)"
"$build/bench/symbolize" "$file" | tee "$work/new.txt"
for what in first_ms warm_ms; do
    o=$(figure $what < "$work/old.txt"); n=$(figure $what < "$work/new.txt")
    awk -v o="$o" -v n="$n" -v w="$what" 'BEGIN { printf "ratio new/old %-8s %.2f (%s ms -> %s ms)\n", w, n / o, o, n }'
done

echo "== profile --type=sync of a $events-event trace (bench/gen_trace)"
"$build/bench/gen_trace" -n "$events" -o "$work/big.trace" >/dev/null
cat "$work/big.trace" >/dev/null
for side in old new; do
    runner=$build/runner/ctest-trace
    [ "$side" = old ] && runner=$work/build/runner/ctest-trace
    start=$(date +%s%N)
    "$runner" profile --type=sync -o "$work/$side.pb.gz" "$work/big.trace"
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "$side: $ms ms"
    echo "$ms" > "$work/$side.ms"
done
awk -v o="$(cat "$work/old.ms")" -v n="$(cat "$work/new.ms")" \
    'BEGIN { printf "ratio new/old profile %.2f\n", n / o }'
