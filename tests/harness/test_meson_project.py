"""ctest-trace as a meson user's wrapper (issue 13, point 1): a project of
plain cmocka tests, run by `meson test --wrapper=...`: two tests of one binary
and a program that exits 77; a test's `args:`; tests of `protocol: 'tap'`."""

import json
import shlex
import shutil
import subprocess

import pytest

from conftest import CTEST_TRACE, TIMEOUT_S, assert_valid_junit, run, run_ok, tasks_by_name, only
from test_tap_and_args import tap_read

MESON_BUILD = """\
project('uses-ctest-trace', 'c')
cmocka = dependency('cmocka')
suite = executable('suite', 'suite.c', dependencies : cmocka)
skipper = executable('skipper', 'skipper.c')
test('first', suite, args : ['--first'], suite : 'done')
test('second', suite, args : ['--second'], suite : 'done')
test('skipped', skipper, suite : 'done')
test('with-args', suite, args : ['--expect', 'two words', '-v'], suite : 'args')
tap_env = ['CMOCKA_MESSAGE_OUTPUT=tap']
test('tap', suite, protocol : 'tap', env : tap_env, suite : 'tap')
test('tap-failing', suite, protocol : 'tap', env : tap_env + ['SUITE_FAIL=1'],
     suite : 'tap-failing')
"""

SUITE_C = r"""
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static int argc_;
static char **argv_;

static void test_adds(void **state)
{
    (void)state;
    assert_int_equal(1 + 1, getenv("SUITE_FAIL") ? 3 : 2);
}

/* Given arguments, they must be the ones meson's test() has. */
static void test_arguments(void **state)
{
    (void)state;
    if (argc_ < 2 || strcmp(argv_[1], "--expect") != 0)
        skip();
    assert_int_equal(argc_, 4);
    assert_string_equal(argv_[1], "--expect");
    assert_string_equal(argv_[2], "two words");
    assert_string_equal(argv_[3], "-v");
}

int main(int argc, char **argv)
{
    argc_ = argc;
    argv_ = argv;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_adds),
                                       cmocka_unit_test(test_arguments)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
"""

SKIPPER_C = """\
#include <stdio.h>
int main(void) { puts("nothing to test on this machine"); return 77; }
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The user's project, configured and built."""
    meson = shutil.which("meson")
    assert meson, "meson is not on PATH (ci/deps.sh installs it)"
    src = tmp_path_factory.mktemp("meson-project")
    (src / "meson.build").write_text(MESON_BUILD)
    (src / "suite.c").write_text(SUITE_C)
    (src / "skipper.c").write_text(SKIPPER_C)
    for cmd in ([meson, "setup", "build"], ["ninja", "-C", "build"]):
        proc = subprocess.run(cmd, cwd=src, capture_output=True, text=True, timeout=TIMEOUT_S)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return src


def meson_test(project, suite, *wrapper, jobs=None):
    """`meson test --suite SUITE --wrapper="ctest-trace WRAPPER..."` (with
    `jobs` tests at once, else meson's default): its results by test name,
    each {result, returncode, stdout}."""
    wrapper = " ".join(shlex.quote(str(w)) for w in (CTEST_TRACE, *wrapper))
    at_once = [f"--num-processes={jobs}"] if jobs else []
    proc = subprocess.run(
        ["meson", "test", "--no-rebuild", "--suite", suite, "--logbase", suite,
         f"--wrapper={wrapper}", *at_once],
        cwd=project / "build", capture_output=True, text=True, timeout=TIMEOUT_S)
    log = project / "build" / "meson-logs" / f"{suite}-ctest-trace.json"  # meson adds the wrapper's name
    results = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        results[entry["name"].split(" / ")[-1]] = entry
    assert results, proc.stdout + proc.stderr
    return results, proc


@pytest.mark.parametrize("jobs", [1, 3])
def test_two_tests_of_a_binary_and_a_skip(project, tmp_path, jobs):
    # the "done when": the wrapper as README shows it, for tests with
    # args (it ends in "--"), the tests one after the other or all at once
    traces, junit = tmp_path / "traces", tmp_path / "junit"
    results, proc = meson_test(project, "done", f"--trace-dir={traces}", f"--junit-dir={junit}",
                               "--", jobs=jobs)
    assert {n: r["result"] for n, r in results.items()} == \
        {"first": "OK", "second": "OK", "skipped": "SKIP"}, proc.stdout
    assert results["skipped"]["returncode"] == 77
    # a trace and a report of each test, named for its binary and its args
    assert sorted(p.name for p in traces.iterdir()) == \
        ["skipper.trace", "suite@--first.trace", "suite@--second.trace"]
    for trace in traces.iterdir():
        run_ok("stats", trace)
        if trace.name.startswith("suite"):
            assert only(tasks_by_name(trace)["test_adds"], "test_adds")["status"] == "pass"
    assert sorted(p.name for p in junit.iterdir()) == \
        ["skipper.xml", "suite@--first.xml", "suite@--second.xml"]
    for xml in junit.iterdir():
        assert_valid_junit(xml)


def test_args_of_a_test_reach_the_binary(project, tmp_path):
    trace_dir = tmp_path / "traces"
    results, proc = meson_test(project, "args", f"--trace-dir={trace_dir}", "--")
    assert results["with-args"]["result"] == "OK", proc.stdout
    # named for its args: the space made '_', so a hash of them follows
    trace, = trace_dir.glob("suite@--expect_two_words_-v~????????.trace")
    tasks = tasks_by_name(trace)
    assert only(tasks["test_arguments"], "test_arguments")["status"] == "pass", tasks
    # a wrapper without "--" reads them as its own: the test fails saying why
    results, proc = meson_test(project, "args", f"--trace-dir={trace_dir}")
    entry = results["with-args"]
    assert entry["result"] == "FAIL" and entry["returncode"] == 2, entry
    said = entry.get("stdout", "") + entry.get("stderr", "")
    assert 'a test binary\'s arguments go after "--"' in said, entry


def test_tap_protocol_tests(project, tmp_path):
    # no --format: CMOCKA_MESSAGE_OUTPUT=tap in the test's env asks for TAP
    results, proc = meson_test(project, "tap", f"--trace-dir={tmp_path}", "--")
    entry = results["tap"]
    assert entry["result"] == "OK", entry
    plan, points = tap_read(entry["stdout"])
    assert points == [(1, "- test_adds", "OK"), (2, "- test_arguments", "SKIP")], entry
    assert "1 subtests passed" in proc.stdout, proc.stdout
    # a failing test: a failing point, and the run's status 1 (meson: ERROR)
    results, proc = meson_test(project, "tap-failing", f"--trace-dir={tmp_path}", "--")
    entry = results["tap-failing"]
    assert entry["result"] == "ERROR" and entry["returncode"] == 1, entry
    plan, points = tap_read(entry["stdout"])
    assert points == [(1, "- test_adds", "FAIL"), (2, "- test_arguments", "SKIP")], entry
    # cmocka's message (its TAP form here), as comments
    assert "\n# # 0x2 != 0x3\n# # ../suite.c:" in entry["stdout"], entry


def test_tap_protocol_without_cmockas_variable(project):
    # the runner's own --format=tap, on a binary run as meson's wrapper runs it
    r = run("--format=tap", "--", project / "build" / "suite", "--expect", "two words", "-v")
    assert r.returncode == 0, r
    plan, points = tap_read(r.stdout)
    assert [p[2] for p in points] == ["OK", "OK"] and plan.num_tests == 2, r
