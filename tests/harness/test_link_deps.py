"""What loading libctrace costs a process that does not trace: libctrace and
the ctest-trace command do not link libgcc_s (its constructor probes the CPU
with cpuid, which a VM traps: about 0.1 ms a process). Its unwinder, the
fallback of ours and CTRACE_STACKS=libgcc, is loaded as a session starts
(tests/harness/test_profile.py walks with it).

The command links no tracer: libc's fork, read and poll are libc's in it, no
plugin constructor runs as it starts, and it does not load libcmocka."""

import shutil
import subprocess

import pytest

from conftest import BUILD, CTEST_TRACE


def binutils(tool, *args):
    """What binutils' `tool` prints with `args`."""
    exe = shutil.which(tool)
    if exe is None:
        pytest.fail(f"{tool} is missing: binutils comes with gcc (ci/deps.sh)")
    return subprocess.run([exe, *args], capture_output=True, text=True, check=True).stdout


def needed(path):
    """The DT_NEEDED libraries of the ELF file at `path`."""
    out = binutils("readelf", "-d", str(path))
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


@pytest.mark.parametrize("path", [BUILD / "libctrace.so", CTEST_TRACE], ids=["libctrace", "runner"])
def test_libgcc_s_is_not_linked(path):
    libs = needed(path)
    assert "libc.so.6" in libs, libs  # the listing was read
    assert not any(lib.startswith("libgcc_s") for lib in libs), libs


def defined_symbols(path):
    """The names the ELF file at `path` defines in its symbol table."""
    out = binutils("nm", "--defined-only", str(path))
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def test_runner_links_no_tracer():
    assert "libcmocka.so.0" not in needed(CTEST_TRACE)
    names = defined_symbols(CTEST_TRACE)
    assert "main" in names  # the table was read (the command is not stripped in the build)
    # libctrace's interposers, session and cmocka hook: none in the command
    for name in ("fork", "read", "poll", "pthread_create", "pthread_mutex_lock",
                 "ct_start", "ct__session_begin", "_cmocka_run_group_tests"):
        assert name not in names, name
