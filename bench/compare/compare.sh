#!/usr/bin/env bash
# bench/compare/compare.sh - ctrace side by side with Go's runtime/trace and
# LTTng-UST, on the same workloads in one run (issue 15, point 5):
#
#   region pair   ns per traced begin+end (thread CPU time, best of 3 rounds of
#                 7 runs, peers interleaved)
#   log           ns per short traced log
#   bytes/event   trace size / events for EVENTS events written as fast as each
#                 can (a region is two events, its begin and its end, as Go and
#                 LTTng count them); ctrace's is zstd-compressed, the others not
#   mutex storm   8 threads (goroutines) on one mutex (bench/mutex_storm.c and
#                 its Go twin): traced wall time / untraced, best of 5
#                 interleaved; ctrace records its waits with stacks, LTTng
#                 traces every lock call (liblttng-ust-pthread-wrapper.so), Go
#                 its blocking events
#   analysis      wall time and peak RSS (/usr/bin/time) of reading the
#                 EVENTS-event trace: ctest-trace stats and profile
#                 --type=sync, go tool trace -pprof=sync, babeltrace2 into its
#                 counter sink (the cheapest full decode it has)
#
# The workloads: bench/compare/workload.c (one source: built with libctrace
# by meson as build/bench/compare_ctrace, with LTTng tracepoints here) and
# bench/compare/goworkload (built here with the Go toolchain, offline).
# A peer that is not installed is skipped, saying so. To have them all:
#
#   apt-get install golang-go liblttng-ust-dev lttng-tools babeltrace2
#
# LTTng needs a session daemon: one already running is used, otherwise one is
# started here (--no-kernel: user space only) and stopped at the end.
# Not run by CI (a 20 M-event Go trace takes go tool trace minutes and GBs).
#
#   bash bench/compare/compare.sh [BUILD_DIR] [EVENTS]    (EVENTS: 20000000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
build=${1:-build}
events=${2:-20000000}
case $events in
    ''|*[!0-9]*|0) echo "compare.sh: EVENTS '$events' is not a positive count" >&2; exit 2 ;;
esac
for exe in "$build/runner/ctest-trace" "$build/bench/compare_ctrace" \
           "$build/bench/mutex_storm" /usr/bin/time; do
    [ -x "$exe" ] || { echo "compare.sh: $exe is not built (or not installed)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-compare-XXXXXX")
sessiond_pid=
cleanup() {
    if [ -n "$sessiond_pid" ]; then kill "$sessiond_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

go_bin= lttng_bin= lttng_wrapper=
if command -v go > /dev/null; then
    if (cd bench/compare/goworkload && GOCACHE="$work/gocache" GOPROXY=off GOFLAGS=-mod=mod \
            go build -o "$work/goworkload" .) > "$work/go-build.log" 2>&1; then
        go_bin=$work/goworkload
    else
        echo "compare.sh: Go skipped: goworkload does not build:" >&2
        cat "$work/go-build.log" >&2
    fi
else
    echo "compare.sh: Go skipped: no go on PATH (apt-get install golang-go)" >&2
fi

if command -v lttng > /dev/null && command -v lttng-sessiond > /dev/null &&
   command -v babeltrace2 > /dev/null; then
    if cc -O2 -DCOMPARE_LTTNG -Ibench/compare bench/compare/workload.c \
            -o "$work/lttng_workload" -llttng-ust -ldl > "$work/lttng-build.log" 2>&1; then
        lttng_bin=$work/lttng_workload
        lttng_wrapper=$(ldconfig -p | awk '/liblttng-ust-pthread-wrapper\.so / {print $NF; exit}')
        if ! lttng list > /dev/null 2>&1; then
            lttng-sessiond --daemonize --no-kernel --pidfile="$work/sessiond.pid" \
                > "$work/sessiond.log" 2>&1 || true
            [ -s "$work/sessiond.pid" ] && sessiond_pid=$(cat "$work/sessiond.pid")
            if ! lttng list > /dev/null 2>&1; then
                echo "compare.sh: LTTng skipped: no session daemon would start:" >&2
                cat "$work/sessiond.log" >&2
                lttng_bin=
            fi
        fi
    else
        echo "compare.sh: LTTng skipped: the tracepoints do not build (liblttng-ust-dev?):" >&2
        cat "$work/lttng-build.log" >&2
    fi
else
    echo "compare.sh: LTTng skipped: lttng, lttng-sessiond or babeltrace2 missing" \
         "(apt-get install liblttng-ust-dev lttng-tools babeltrace2)" >&2
fi

/usr/bin/python3 bench/compare/compare.py "$build" "$work" "$events" \
    "$go_bin" "$lttng_bin" "$lttng_wrapper"
