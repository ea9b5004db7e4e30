#!/usr/bin/env bash
# ci/test.sh - the one test command: what CI runs (through .ci/run) and what a
# developer runs before submitting.
#
# Steps, each labelled and timed, each build in its own build-ci/ directory:
#   deps          ci/deps.sh: install missing Debian packages
#   werror        build at the default buildtype with -Dwerror=true;
#                 meson test (cmocka unit tests, examples); tests/harness (pytest)
#   asan          ASan + UBSan (-fno-sanitize-recover): meson test, harness
#   tsan          TSan: meson test, harness
#   install       meson install into a scratch prefix with an unusual libdir
#                 (the man page and bash completion installed too);
#                 a user's test built with pkg-config, run bare and under the
#                 installed ctest-trace; ctest-trace as a meson subproject
#                 of a user's project (dependency('ctrace'))
#   buildtypes    plain, debug, release, minsize compile without warnings
#
# Every step runs even when an earlier one failed, except those that need a
# build that failed (skipped). The last line is the summary
# `ci: N passed, N failed`; the exit status is 1 when anything failed.
#
# Environment: CI_JOBS (default: nproc) parallel compile and test jobs;
# CI_STEPS (default: all) the step groups above to run, e.g.
# CI_STEPS="werror install" bash ci/test.sh
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
ROOT=$PWD
CI_BUILD=$ROOT/build-ci
PY=/usr/bin/python3 # the python3 first on PATH may lack pytest
JOBS=${CI_JOBS:-$(nproc 2>/dev/null || echo 2)}
STEPS=${CI_STEPS:-deps werror asan tsan install buildtypes}

export PYTHONDONTWRITEBYTECODE=1
export CTRACE_REQUIRE_GO=1 # deps installs golang-go: its pprof is a real client the harness must use
mkdir -p "$CI_BUILD"

# ---- bookkeeping ------------------------------------------------------------

passed=0
failed=0
skipped=0
ok=0 # set by step(): did the last step pass?
results=() # one line per step: STATUS, time, name
ci_start=$SECONDS

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# step NAME FUNCTION [ARGS...]: run FUNCTION in a subshell with errexit on,
# so its first failing command fails the step; record and time it; set ok to
# 1 or 0. Never call it as a condition (if, &&, ||): bash ignores errexit in
# everything a condition runs, subshells included.
step() {
    local name=$1
    shift
    local start=$SECONDS rc
    printf '\n==> [%s] started %s\n' "$name" "$(date '+%H:%M:%S')"
    (
        set -euo pipefail
        "$@"
    )
    rc=$?
    local took
    took=$(fmt_secs $((SECONDS - start)))
    ok=$((rc == 0))
    if ((ok)); then
        passed=$((passed + 1))
        results+=("PASS  $took  $name")
        printf '<== [%s] PASS in %s\n' "$name" "$took"
    else
        failed=$((failed + 1))
        results+=("FAIL  $took  $name (exit $rc)")
        printf '<== [%s] FAIL (exit %d) in %s\n' "$name" "$rc" "$took"
    fi
}

# skip NAME REASON: record a step that could not run.
skip() {
    skipped=$((skipped + 1))
    results+=("SKIP  -      $1: $2")
    printf '\n==> [%s] SKIP: %s\n' "$1" "$2"
}

want() { [[ " $STEPS " == *" $1 "* ]]; }

# ---- what the steps do ------------------------------------------------------

# build DIR [MESON OPTIONS...]: configure (a leftover directory from an
# earlier run is reconfigured) and compile.
build() {
    local dir=$1
    shift
    if [[ -f $dir/meson-private/coredata.dat ]]; then
        meson setup --reconfigure "$dir" "$@"
    else
        rm -rf "$dir"
        meson setup "$dir" "$@"
    fi
    meson compile -C "$dir" -j "$JOBS"
}

# RUN_PREFIX: a command the test runs go through (setarch, for TSan).
RUN_PREFIX=()

# unit DIR [TIMEOUT MULTIPLIER]: meson test (cmocka unit tests, examples).
unit() {
    "${RUN_PREFIX[@]}" meson test -C "$1" --print-errorlogs \
        --num-processes "$JOBS" --timeout-multiplier "${2:-1}"
}

# harness DIR: the pytest end-to-end tests of the ctest-trace command.
harness() {
    CTRACE_BUILD_DIR=$1 "${RUN_PREFIX[@]}" "$PY" -m pytest "$ROOT/tests/harness" \
        -p no:cacheprovider -q -rfEs --color=no
}

# Sanitizer runtimes: stop at the first report and say where. Exported only
# inside a step's subshell, so other steps run without them.
sanitizer_env() {
    export ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:verify_asan_link_order=0:print_summary=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:print_summary=1
    export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:exitcode=66
}

san_unit() {
    sanitizer_env
    unit "$1" 3
}

san_harness() {
    sanitizer_env
    harness "$1"
}

# With high ASLR entropy (vm.mmap_rnd_bits > 28) the TSan runtime of gcc 12
# and clang 14 dies with "unexpected memory mapping"; with ASLR off
# (setarch -R, inherited by children) it runs. The probe leaves a mark when
# that is needed.
tsan_probe() {
    local dir=$CI_BUILD/tsan-probe
    rm -rf "$dir"
    mkdir -p "$dir"
    printf '%s\n' \
        '#include <pthread.h>' \
        'static int n;' \
        'static void *work(void *a) { (void)a; __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED); return 0; }' \
        'int main(void) { pthread_t t; pthread_create(&t, 0, work, 0); work(0); pthread_join(t, 0); return n != 2; }' \
        >"$dir/probe.c"
    cc -fsanitize=thread -pthread "$dir/probe.c" -o "$dir/probe"
    if "$dir/probe"; then
        echo "TSan runs as is"
    elif setarch "$(uname -m)" -R "$dir/probe"; then
        echo "TSan needs ASLR off here: its test runs go through setarch -R"
        touch "$dir/needs-setarch"
    else
        echo "a trivial TSan program does not run on this machine" >&2
        return 1
    fi
}

# The installed library as a user sees it: headers and pkg-config file under
# a prefix with a non-default libdir, a test compiled with pkg-config, run
# bare and under the installed ctest-trace.
install_check() {
    local dir=$CI_BUILD/install prefix=$CI_BUILD/install-prefix
    local libdir=lib64/custom work=$CI_BUILD/install-user
    rm -rf "$prefix" "$work"
    build "$dir" --prefix="$prefix" --libdir="$libdir"
    meson install -C "$dir" --quiet
    # the manual page and the bash completion, where man and bash-completion look
    local page=$prefix/share/man/man1/ctest-trace.1
    local completion=$prefix/share/bash-completion/completions/ctest-trace
    for f in "$page" "$completion"; do
        [[ -s $f ]] || { echo "not installed: $f" >&2; return 1; }
    done
    cmp "$page" "$ROOT/docs/ctest-trace.1"
    bash -c 'source "$1" && complete -p ctest-trace' _ "$completion"

    mkdir -p "$work"
    cat >"$work/t.c" <<'EOF'
/* A user's test, built against the installed ctest-trace. */
#include <time.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

static void test_installed(void **state)
{
    (void)state;
    struct timespec ms = {0, 1000000};
    ct_task *task = ct_task_begin(NULL, "installed.task");
    ct_log(task, "check", "hello from the installed library");
    CT_WITH_REGION(task, "installed.work") {
        nanosleep(&ms, NULL);
    }
    ct_task_end(task);
    assert_non_null(ct_strerror(CT_EALREADY));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_installed)};
    return ct_run_group_tests(tests, NULL, NULL);
}
EOF
    cat >"$work/check.py" <<'EOF'
import json, sys
tasks = json.load(open(sys.argv[1]))["tasks"]
by_name = {t["name"]: t for t in tasks}
test = by_name.get("test_installed")
assert test, f"no task test_installed in {sorted(by_name)}"
assert test["kind"] == "test" and test["status"] == "pass", test
user = by_name.get("installed.task")
assert user and user["parent"] == test["id"], user
assert any(r["name"] == "installed.work" for r in user["regions"]), user
print(f"the installed ctest-trace traced the user's test: {len(tasks)} tasks")
EOF
    local pc=$prefix/$libdir/pkgconfig flags
    if [[ ! -f $pc/ctrace.pc ]]; then
        echo "no ctrace.pc in $pc" >&2
        return 1
    fi
    # ctrace_cmocka.h includes cmocka.h: ctrace alone must bring cmocka.
    if ! PKG_CONFIG_PATH=$pc pkg-config --print-requires ctrace | grep -qx cmocka; then
        echo "ctrace.pc does not require cmocka" >&2
        return 1
    fi
    flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs ctrace)
    echo "pkg-config --cflags --libs ctrace: $flags"
    # shellcheck disable=SC2086 # the flags are meant to be split
    cc -Wall -Wextra -Werror -o "$work/t" "$work/t.c" $flags

    export LD_LIBRARY_PATH=$prefix/$libdir
    echo "--- $work/t (bare)"
    "$work/t"
    echo "--- ctest-trace --trace=$work/t.out -v $work/t (installed)"
    "$prefix/bin/ctest-trace" --trace="$work/t.out" -v "$work/t"
    "$prefix/bin/ctest-trace" tasks --json "$work/t.out" >"$work/tasks.json"
    "$PY" "$work/check.py" "$work/tasks.json"

    # A plain cmocka suite (no ctrace in it): the installed runner must find
    # its own libctrace.so to preload, with no help from the environment.
    unset LD_LIBRARY_PATH
    cat >"$work/plain.c" <<'EOF'
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
static void test_plain(void **state) { (void)state; }
int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_plain)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
EOF
    cat >"$work/check_plain.py" <<'EOF'
import json, sys
tasks = json.load(open(sys.argv[1]))["tasks"]
seen = [(t["name"], t["kind"], t["status"]) for t in tasks]
assert seen == [("test_plain", "test", "pass")], seen
print("the installed ctest-trace preloaded its library into a plain cmocka suite")
EOF
    # shellcheck disable=SC2046 # the flags are meant to be split
    cc -Wall -Wextra -Werror -o "$work/plain" "$work/plain.c" $(pkg-config --cflags --libs cmocka)
    echo "--- ctest-trace --trace=$work/plain.out -v $work/plain (installed, preloaded)"
    "$prefix/bin/ctest-trace" --trace="$work/plain.out" -v "$work/plain"
    "$prefix/bin/ctest-trace" tasks --json "$work/plain.out" >"$work/plain.json"
    "$PY" "$work/check_plain.py" "$work/plain.json"
}

# ---- the steps --------------------------------------------------------------

echo "ci: ctest-trace in $ROOT: $(nproc 2>/dev/null || echo '?') cores, $JOBS jobs, steps: $STEPS"

# ctest-trace as a meson subproject of a user's project: dependency('ctrace')
# finds it (meson.override_dependency), and its runner traces the user's test.
subproject_check() {
    local work=$CI_BUILD/subproject
    rm -rf "$work"
    mkdir -p "$work/subprojects"
    ln -s "$ROOT" "$work/subprojects/ctrace"
    cat >"$work/meson.build" <<'EOF'
project('uses-ctrace', 'c')
subproject('ctrace')
t = executable('t', 't.c', dependencies : [dependency('ctrace')])
EOF
    cat >"$work/t.c" <<'EOF'
#include <ctrace_cmocka.h>
static void test_work(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "sub.work") {
        assert_int_equal(1 + 1, 2);
    }
}
int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_work)};
    return ct_run_group_tests(tests, NULL, NULL);
}
EOF
    (cd "$work" && meson setup build >/dev/null) || return 1
    ninja -C "$work/build" -j "$JOBS" t subprojects/ctrace/runner/ctest-trace >/dev/null ||
        return 1
    local runner=$work/build/subprojects/ctrace/runner/ctest-trace
    "$runner" --trace="$work/t.trace" -v "$work/build/t" || return 1
    "$runner" regions "$work/t.trace" | grep -q ' sub\.work$' ||
        { echo "no region sub.work in the trace" >&2; return 1; }
    echo "the subproject's runner traced the user's test"
}

if want deps; then
    step deps bash ci/deps.sh
    if ((!ok)); then
        echo "ci: cannot install the dependencies; nothing else can run" >&2
        echo "ci: $passed passed, $failed failed"
        exit 1
    fi
fi
echo "ci: cc is $(cc --version | head -n 1); meson $(meson --version)"

if want werror; then
    d=$CI_BUILD/werror
    step werror:build build "$d" -Dwerror=true
    if ((ok)); then
        step werror:meson-test unit "$d"
        step werror:harness harness "$d"
    else
        skip werror:meson-test "build failed"
        skip werror:harness "build failed"
    fi
fi

if want asan; then
    d=$CI_BUILD/asan
    step asan:build build "$d" -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fno-sanitize-recover=all
    if ((ok)); then
        step asan:meson-test san_unit "$d"
        step asan:harness san_harness "$d"
    else
        skip asan:meson-test "build failed"
        skip asan:harness "build failed"
    fi
fi

if want tsan; then
    d=$CI_BUILD/tsan
    step tsan:probe tsan_probe
    if ((ok)); then
        if [[ -e $CI_BUILD/tsan-probe/needs-setarch ]]; then
            RUN_PREFIX=(setarch "$(uname -m)" -R)
        fi
        step tsan:build build "$d" -Db_sanitize=thread -Db_lundef=false
        if ((ok)); then
            step tsan:meson-test san_unit "$d"
            step tsan:harness san_harness "$d"
        else
            skip tsan:meson-test "build failed"
            skip tsan:harness "build failed"
        fi
        RUN_PREFIX=()
    else
        skip tsan "TSan does not run on this machine"
    fi
fi

if want install; then
    step install install_check
    step install:subproject subproject_check
fi

if want buildtypes; then
    for bt in plain debug release minsize; do
        step "buildtype:$bt" build "$CI_BUILD/bt-$bt" --buildtype="$bt" -Dwerror=true
    done
fi

# ---- summary ----------------------------------------------------------------

printf '\n==> summary (%s in all)\n' "$(fmt_secs $((SECONDS - ci_start)))"
for r in "${results[@]}"; do
    printf '    %s\n' "$r"
done
if ((skipped > 0)); then
    echo "ci: $passed passed, $failed failed, $skipped skipped"
else
    echo "ci: $passed passed, $failed failed"
fi
((failed == 0 && passed > 0))
