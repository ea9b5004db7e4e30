#!/usr/bin/env bash
# bench/installed.sh - bench/hotpath against the installed shared library, as
# users link it: a default-buildtype build installed into a scratch prefix,
# and hotpath compiled with `pkg-config --cflags --libs ctrace`.
#
#   bash bench/installed.sh [--quick]
#
# Build and prefix go under $TMPDIR (default /tmp) and are removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/ctrace-installed-XXXXXX")
trap 'rm -rf "$work"' EXIT

meson setup "$work/build" --prefix="$work/prefix" >/dev/null
meson compile -C "$work/build" >/dev/null
meson install -C "$work/build" --quiet

libdir=$(meson introspect "$work/build" --buildoptions |
    /usr/bin/python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="libdir"][0])')
buildtype=$(meson introspect "$work/build" --buildoptions |
    /usr/bin/python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"][0])')
export PKG_CONFIG_PATH=$work/prefix/$libdir/pkgconfig
# shellcheck disable=SC2046 # the flags are meant to be split
cc -O2 -o "$work/hotpath" bench/hotpath.c $(pkg-config --cflags --libs ctrace) -lpthread
export LD_LIBRARY_PATH=$work/prefix/$libdir

echo "bench/installed.sh: libctrace installed at $buildtype buildtype in $work/prefix/$libdir"
ldd "$work/hotpath" | grep ctrace
"$work/hotpath" "$@"
