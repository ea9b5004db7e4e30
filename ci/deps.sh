#!/usr/bin/env bash
# ci/deps.sh - install the Debian 12 packages ctest-trace needs, if missing.
#
# Idempotent and fast: when everything is installed it only asks dpkg and
# exits. Otherwise it runs `apt-get update` once and installs what is missing,
# as root or through sudo.
set -euo pipefail

# What each package is for:
#   gcc             the C compiler (its libgcc-12-dev brings ASan, UBSan, TSan)
#   libc6-dev       C headers and crt files: gcc only recommends it, and we
#                   install without recommends
#   meson           the build system
#   ninja-build     meson's backend
#   pkg-config      finds cmocka and libzstd, and is how users find ctrace
#   libcmocka-dev   the unit-test framework ctest-trace plugs into
#   libzstd-dev     trace files are zstd-compressed
#   libjansson-dev  the runner reads baselines (--baseline, compare, merge)
#   libexpat1-dev   `ctest-trace merge` reads JUnit XML files with expat
#   libdw-dev       elfutils' libdw/libdwfl name stack frames (functions,
#                   file:line, inlined calls, -gz sections, debug files);
#                   its headers at build time, libdw.so.1 (libdw1) opened
#                   with dlopen when something is first named
#   zlib1g-dev      pprof profiles (`ctest-trace profile`) are gzipped with zlib
#   python3-pytest  tests/harness (end-to-end tests of the command)
#   golang-go       `go tool pprof`, the real client the harness reads our
#                   pprof profiles with (tests only)
#   libxml2-utils   xmllint: the harness checks JUnit XML against Jenkins'
#                   junit-10.xsd with it (tests only)
#   time            /usr/bin/time: wall time and peak RSS of each view in
#                   bench/views.sh (benchmarks only)
#   cmake           the harness builds examples/cmake and runs its tests with
#                   ctest through ctest-trace (tests only)
#   groff-base      groff: the harness checks docs/ctest-trace.1 for warnings
#                   (tests only)
#   libcurl4-openssl-dev  `--otlp-endpoint` posts spans to an OpenTelemetry
#                   Collector over HTTP(S) with libcurl (the runner only; never
#                   in the preloaded library; headers at build time, the
#                   runner dlopen()s libcurl.so.4 when the flag is given)
#   chromium        the harness opens `ctest-trace report` pages in headless
#                   Chromium and checks their DOM and a screenshot (tests only)
#   protobuf-compiler  protoc: the harness decodes our Perfetto export with
#                   Perfetto's schema and compiles OTLP's (tests only)
#   python3-protobuf   the harness parses OTLP/JSON exports as an
#                   ExportTraceServiceRequest (tests only)
#   curl            the curl command: the harness fetches a live capture with
#                   it, as users do (`curl -o trace.out .../debug/pprof/trace`;
#                   libcurl4-openssl-dev brings the library, not the command;
#                   tests only)
PACKAGES=(gcc libc6-dev meson ninja-build pkg-config libcmocka-dev libzstd-dev libjansson-dev
          libexpat1-dev libdw-dev zlib1g-dev
          libcurl4-openssl-dev
          python3-pytest golang-go libxml2-utils time cmake groff-base
          chromium protobuf-compiler python3-protobuf curl)

say() { printf 'deps: %s\n' "$*"; }

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" == ii* ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    say "all ${#PACKAGES[@]} packages present (${PACKAGES[*]})"
    exit 0
fi

say "missing: ${missing[*]}"

SUDO=()
if [[ "$(id -u)" != 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
        say "error: not root and sudo is not installed; run as root:" >&2
        say "  apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
     -o Dpkg::Use-Pty=0)

# A mirror can hiccup: try the update a few times before giving up.
for attempt in 1 2 3; do
    say "apt-get update (attempt $attempt)"
    if "${apt[@]}" update; then
        break
    fi
    if ((attempt == 3)); then
        say "error: apt-get update failed" >&2
        exit 1
    fi
    sleep 5
done

say "installing: ${missing[*]}"
"${apt[@]}" install --no-install-recommends "${missing[@]}"

still=()
for pkg in "${missing[@]}"; do
    is_installed "$pkg" || still+=("$pkg")
done
if ((${#still[@]} > 0)); then
    say "error: still missing after install: ${still[*]}" >&2
    exit 1
fi
say "installed: ${missing[*]}"
