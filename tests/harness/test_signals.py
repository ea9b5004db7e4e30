"""The runner starts its test process with no signal blocked, and passes on
the signal that interrupts it (tests/suites/signals_test.c): the test ends of
it, then the runner dies of it too, as the user asked."""

import signal
import subprocess
import time

from conftest import BUILD, CTEST_TRACE, run

SUITE = BUILD / "tests" / "suites" / "signals_test"


def test_the_test_process_starts_with_no_signal_blocked(tmp_path):
    result = run(f"--trace={tmp_path / 't.out'}", "-run", "TestStartsWithNoSignalBlocked", SUITE)
    assert result.returncode == 0, result
    assert "--- PASS: TestStartsWithNoSignalBlocked" in result.stdout, result


def test_an_interrupt_goes_to_the_test_then_ends_the_run(tmp_path):
    trace = tmp_path / "t.out"
    proc = subprocess.Popen([str(CTEST_TRACE), f"--trace={trace}", "-v", "-run",
                             "TestWaitsForASignal", str(SUITE)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The test is running once its line is out (-v prints it as it begins).
        line = proc.stdout.readline()
        while line and "=== RUN" not in line:
            line = proc.stdout.readline()
        assert "TestWaitsForASignal" in line, line
        time.sleep(0.5)  # into its nanosleep, whatever the load
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=50)  # far less than the test's 60 s
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGINT, (proc.returncode, out)
    assert time.monotonic() - began < 50
    # the test died of the signal passed on, not of the runner's death
    assert "the binary ended during this test: signal: interrupt" in out, out
