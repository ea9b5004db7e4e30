"""The runner's output pipe (runner/child.c): 1 MiB only where the kernel
keeps its pages out of the user's pipe quota, so that the pipes of the
programs under test never shrink to one page because of ours."""

import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from conftest import CTEST_TRACE, TIMEOUT_S, run

F_GETPIPE_SZ = 1032
PROBE = """#!/usr/bin/python3
import fcntl
print("pipe-size", fcntl.fcntl(1, %d))
""" % F_GETPIPE_SZ


def quota_exempt():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                caps = int(line.split()[1], 16)
                return bool(caps >> 24 & 1 or caps >> 21 & 1)
    return False


def pipe_size(output):
    sizes = [int(line.split()[1]) for line in output.splitlines() if line.startswith("pipe-size ")]
    assert len(sizes) == 1, output
    return sizes[0]


@pytest.fixture
def probe():
    """A program printing the size of the pipe its stdout is, where any user
    can run it."""
    d = tempfile.mkdtemp(prefix="ctrace-pipe-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "pipesize")
    with open(path, "w") as f:
        f.write(PROBE)
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(d)


def test_the_pipe_grows_only_outside_the_quota(probe):
    with open("/proc/sys/fs/pipe-max-size") as f:
        max_size = int(f.read())
    result = run("-v", probe)  # not a cmocka binary: FAIL, its output shown
    expected = 1 << 20 if quota_exempt() and max_size >= 1 << 20 else 65536
    assert pipe_size(result.stdout) == expected, result


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to run the runner as an unprivileged user")
def test_an_unprivileged_runner_keeps_the_default_pipe(probe):
    if not all(os.stat(p).st_mode & stat.S_IXOTH for p in CTEST_TRACE.parents if p != p.parent):
        pytest.skip("the build directory is not open to other users")
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
         str(CTEST_TRACE), "-v", probe],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
        timeout=TIMEOUT_S)
    assert pipe_size(proc.stdout) == 65536, proc.stdout + proc.stderr
