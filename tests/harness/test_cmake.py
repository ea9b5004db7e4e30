"""examples/cmake: a CMake project whose cmocka tests ctest runs through
ctest-trace (CMAKE_CROSSCOMPILING_EMULATOR before CMake 3.29, TEST_LAUNCHER
from it), configured and run with the installed cmake (ci/deps.sh)."""

import shutil
import subprocess

from conftest import CTEST_TRACE, REPO, TIMEOUT_S, assert_valid_junit, run_ok, tasks_by_name, only


def sh(*cmd, cwd=None):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"$ {' '.join(map(str, cmd))}\n{proc.stdout}{proc.stderr}"
    return proc.stdout


def test_ctest_runs_each_binary_traced_with_a_report_of_its_own(tmp_path):
    cmake, ctest = shutil.which("cmake"), shutil.which("ctest")
    assert cmake and ctest, "cmake is not installed (ci/deps.sh installs it)"
    build, out = tmp_path / "build", tmp_path / "out"
    sh(cmake, "-S", REPO / "examples" / "cmake", "-B", build, f"-DCTEST_TRACE={CTEST_TRACE}",
       f"-DCTEST_TRACE_DIR={out}")
    sh(cmake, "--build", build, "-j", "2")
    said = sh(ctest, "--test-dir", build, "-j", "2", "-V")
    # through the runner, with the test's arguments after its "--"
    assert (f'{CTEST_TRACE} "--trace-dir={out}/traces" "--junit-dir={out}/junit" "--" '
            f'"{build}/args_test" "--greeting" "hello, world"') in said, said
    assert "100% tests passed" in said and "3 - skip (Skipped)" in said, said
    assert "FAIL" not in said, said

    traces = out / "traces"
    args_test = "args_test@--greeting_hello__world~"  # its args in its name, and their hash
    names = sorted(p.name for p in traces.iterdir())
    assert len(names) == 3 and names[0].startswith(args_test) and names[0].endswith(".trace") \
        and names[1:] == ["math_test.trace", "skip_test.trace"], names
    math = tasks_by_name(traces / "math_test.trace")
    for name in ("TestGcd", "TestGcdIsSlowEnoughToSee"):
        task = only(math[name], name)
        assert task["kind"] == "test" and task["status"] == "pass", task
    greeting = only(tasks_by_name(traces / names[0])["TestGreeting"], "TestGreeting")
    assert greeting["status"] == "pass", greeting  # add_test()'s arguments reached it
    run_ok("stats", traces / "skip_test.trace")

    junit = out / "junit"
    reports = sorted(p.name for p in junit.iterdir())
    assert reports == [names[0][:-len(".trace")] + ".xml", "math_test.xml", "skip_test.xml"]
    for xml in junit.iterdir():
        assert_valid_junit(xml)
    assert 'name="TestGcdIsSlowEnoughToSee"' in (junit / "math_test.xml").read_text()
    assert "<skipped" in (junit / "skip_test.xml").read_text()
