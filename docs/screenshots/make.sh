#!/usr/bin/env bash
# docs/screenshots/make.sh BUILD_DIR - the README's screenshots of the HTML
# report, made from the examples: each example is run under ctest-trace, its
# report written, and a section of it shot in headless Chromium (shoot.py).
#   docs/screenshots/make.sh build
set -euo pipefail
build=$(realpath "${1:?usage: make.sh BUILD_DIR}")
here=$(dirname "$(realpath "$0")")
ct="$build/runner/ctest-trace"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

report() { # NAME BINARY [RUN FLAGS]: run BINARY's tests, write NAME.html
    local name=$1 bin=$2
    shift 2
    "$ct" --trace="$work/$name.trace" "$@" "$bin" >/dev/null || true # failing is shown
    "$ct" report -o "$work/$name.html" "$work/$name.trace"
}

report pipeline "$build/examples/pipeline/pipeline_test"
report contention "$build/examples/contention_test"
report failing "$build/examples/failing_test"

shot() { # NAME SELECTOR OUT
    python3 "$here/shoot.py" "$work/$1.html" "$here/$3" "$2"
    echo "docs/screenshots/$3"
}
shot pipeline '#timeline' report-timeline.png
shot failing '#tests' report-tests.png
shot pipeline '#latency' report-latency.png
shot contention '#threads' report-threads.png
shot contention '#profiles' report-profiles.png
