"""Blocking profiles (issue 4): `ctest-trace profile --type=... -o OUT TRACE`
writes gzipped pprof that Debian's `go tool pprof` reads, naming the function
that made the blocking call; folded stacks; --test/--task/--region scopes; an
empty profile is valid; bad flags exit 2."""

import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, run, run_ok

GO = shutil.which("go")


def pprof_text(profile, *args):
    """What `go tool pprof ARGS PROFILE` prints; the real client."""
    if GO is None:
        if os.environ.get("CTRACE_REQUIRE_GO"):
            pytest.fail("go (golang-go) is not installed, and CTRACE_REQUIRE_GO is set")
        pytest.skip("go tool pprof is not installed (apt-get install golang-go)")
    env = dict(os.environ, HOME=str(profile.parent), GOCACHE=str(profile.parent / "gocache"))
    proc = subprocess.run([GO, "tool", "pprof", *args, str(profile)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def pprof_top(profile, *extra):
    """`go tool pprof -top` as {function: flat ns}, and its text. A function
    inlined where it ran is listed as "NAME (inline)": counted as NAME."""
    text = pprof_text(profile, "-top", "-unit=ns", *extra)
    flat = {}
    for line in text.splitlines():
        m = re.match(r"\s*(\d+)ns\s+[\d.]+%\s+[\d.]+%\s+(\d+)ns\s+[\d.]+%\s+(.+)$", line)
        if m:
            name = m.group(3).strip().removesuffix(" (inline)")
            flat[name] = flat.get(name, 0) + int(m.group(1))
    return flat, text


def test_sync_profile_names_the_caller_of_pthread_mutex_lock(contention_trace, tmp_path):
    out = tmp_path / "sync.pb.gz"
    run_ok("profile", "--type=sync", "-o", out, contention_trace)
    assert gzip.decompress(out.read_bytes())  # gzipped protobuf
    flat, text = pprof_top(out)
    # TestHotMutex itself calls pthread_mutex_lock and waits ~35 ms there
    assert flat.get("TestHotMutex", 0) >= 20_000_000, text
    assert flat.get("TestReadWriteLock", 0) >= 10_000_000, text  # the rdlock, ~20 ms
    assert "Type: delay" in text, text
    assert not any("ct__" in f or "tramp_" in f for f in flat), text  # no tracer frames


def test_syscall_profile_shows_the_holders_sleep(contention_trace, tmp_path):
    out = tmp_path / "syscall.pb.gz"
    run_ok("profile", "--type=syscall", "-o", out, contention_trace)
    flat, text = pprof_top(out)
    # sleep_ms (or the thread function it was inlined into) called nanosleep
    sleepers = sum(v for f, v in flat.items() if f in ("sleep_ms", "holder", "writer"))
    assert sleepers >= 40_000_000, text  # 35 ms + 20 ms of sleeps


def test_net_profile_shows_recv_and_poll(io_trace, tmp_path):
    out = tmp_path / "net.pb.gz"
    run_ok("profile", "--type=net", "-o", out, io_trace)
    flat, text = pprof_top(out)
    assert flat.get("TestPingPong", 0) >= 20_000_000, text  # recv ~20 ms + poll ~20 ms


MAIN_ROOTS = ("main", "_start", "__libc_start_main", "__libc_start_call_main")
THREAD_ROOTS = ("clone", "clone3", "start_thread")


def test_folded_stacks(contention_trace, tmp_path):
    out = tmp_path / "sync.folded"
    run_ok("profile", "--type=sync", "--format=folded", "-o", out, contention_trace)
    lines = out.read_text().splitlines()
    assert lines, "no stacks"
    # every stack walked down to its thread's root: main's, or a thread's
    # start (the example's holder threads wait too, when load delays them)
    for line in lines:
        stack, value = line.rsplit(" ", 1)
        assert int(value) > 0 and stack.split(";")[0] in MAIN_ROOTS + THREAD_ROOTS, line
    hot = [line for line in lines if line.rsplit(" ", 1)[0].endswith(";TestHotMutex")]
    assert hot and int(hot[0].rsplit(" ", 1)[1]) >= 20_000_000, lines
    assert hot[0].split(";")[0] in MAIN_ROOTS, hot


def test_libgcc_unwinder_walks_the_same_stacks(tmp_path):
    """CTRACE_STACKS=libgcc: libgcc's unwinder, loaded as the session starts
    (libctrace does not link libgcc_s), walks from the blocking call to main."""
    trace, out = tmp_path / "t.out", tmp_path / "sync.folded"
    run_ok(f"--trace={trace}", "-run", "TestHotMutex", BUILD / "examples" / "contention_test",
           env={"CTRACE_STACKS": "libgcc"})
    run_ok("profile", "--type=sync", "--format=folded", "-o", out, trace)
    hot = [line.rsplit(" ", 1)[0].split(";") for line in out.read_text().splitlines()
           if ";TestHotMutex" in line]
    assert hot, out.read_text()
    assert all(len(stack) >= 3 and stack[0] in MAIN_ROOTS for stack in hot), hot


def test_profile_to_stdout(contention_trace):
    result = run("profile", "--type=sync", "--format=folded", "-o", "-", contention_trace)
    assert result.returncode == 0 and "TestHotMutex" in result.stdout, result


def test_scoped_by_test(contention_trace, tmp_path):
    out = tmp_path / "rw.folded"
    run_ok("profile", "--type=sync", "--format=folded", "--test=ReadWrite", "-o", out,
           contention_trace)
    text = out.read_text()
    assert "TestReadWriteLock" in text and "TestHotMutex" not in text, text
    # the same scope by task name (a test is a task), and by a name matching nothing
    run_ok("profile", "--type=sync", "--format=folded", "--task=TestHotMutex", "-o", out,
           contention_trace)
    text = out.read_text()
    assert "TestHotMutex" in text and "TestReadWriteLock" not in text, text
    run_ok("profile", "--type=sync", "--format=folded", "--test=^NoSuchTest$", "-o", out,
           contention_trace)
    assert out.read_text() == ""


def test_scoped_by_region(tmp_path):
    """A region on the waiting thread scopes the profile (pipeline's regions
    hold no waits of kind net: the scoped profile is empty but valid)."""
    pipeline = BUILD / "examples" / "pipeline" / "pipeline_test"
    trace = tmp_path / "p.out"
    assert run(f"--trace={trace}", pipeline).returncode == 0
    everything = tmp_path / "all.folded"
    run_ok("profile", "--type=syscall", "--format=folded", "-o", everything, trace)
    scoped = tmp_path / "fetch.folded"
    run_ok("profile", "--type=syscall", "--format=folded", "--region=fetch", "-o", scoped, trace)
    total = sum(int(line.rsplit(" ", 1)[1]) for line in everything.read_text().splitlines())
    in_fetch = sum(int(line.rsplit(" ", 1)[1]) for line in scoped.read_text().splitlines())
    assert 0 < in_fetch <= total, (everything.read_text(), scoped.read_text())
    none = tmp_path / "none.folded"
    run_ok("profile", "--type=syscall", "--format=folded", "--region=no such region", "-o",
           none, trace)
    assert none.read_text() == ""


def test_empty_profile_is_valid(contention_trace, tmp_path):
    out = tmp_path / "net.pb.gz"
    result = run("profile", "--type=net", "-o", out, contention_trace)
    assert result.returncode == 0, result
    flat, text = pprof_top(out)
    assert flat == {}, text


def test_bad_flags_exit_2(contention_trace, tmp_path):
    out = tmp_path / "x"
    cases = [
        (["--type=locks", "-o", out, contention_trace], "--type"),
        (["-o", out, contention_trace], "--type"),
        (["--type=sync", contention_trace], "-o"),
        (["--type=sync", "--format=svg", "-o", out, contention_trace], "--format"),
        (["--type=sync", "--test=(", "-o", out, contention_trace], "--test"),
        (["--type=sync", "-o", out, tmp_path / "missing.out"], "missing.out"),
        (["--type=sync", "-o", tmp_path / "no" / "dir" / "p", contention_trace],
         f"ctest-trace: {tmp_path / 'no' / 'dir' / 'p'}: no such directory"),
    ]
    for args, named in cases:
        result = run("profile", *args)
        assert result.returncode == 2 and named in result.stderr, result


def test_sched_profile_names_the_waiting_threads(tmp_path):
    """Eight busy threads on a 2-core machine wait for a CPU: without a stack
    (the default) the waits show in the threads' start routine."""
    trace = tmp_path / "ov.out"
    result = run(f"--trace={trace}", BUILD / "examples" / "oversubscribed_test")
    assert result.returncode == 0, result
    out = tmp_path / "sched.pb.gz"
    run_ok("profile", "--type=sched", "-o", out, trace)
    flat, text = pprof_top(out)
    assert flat.get("spin", 0) > 0, text
    assert "sched waits from:" in text, text


INLINE_SUITE = BUILD / "tests" / "suites" / "inline_lock_test"
INLINE_SOURCE = Path(__file__).resolve().parents[1] / "suites" / "inline_lock_test.c"


def split_debug(binary, where):
    """A copy of `binary` without DWARF, its debug file (compressed) beside it,
    found through .gnu_debuglink, as Debian's -dbgsym packages split them."""
    objcopy = shutil.which("objcopy")
    if objcopy is None:
        pytest.skip("no objcopy (binutils)")
    stripped, debug = where / binary.name, where / (binary.name + ".debug")
    subprocess.run([objcopy, "--only-keep-debug", "--compress-debug-sections=zlib",
                    str(binary), str(debug)], check=True, timeout=60)
    subprocess.run([objcopy, "--strip-debug", f"--add-gnu-debuglink={debug}", str(binary),
                    str(stripped)], check=True, timeout=60, cwd=where)
    sections = subprocess.run(["readelf", "-SW", str(stripped)], capture_output=True, text=True,
                              timeout=60).stdout
    assert ".debug_info" not in sections and ".gnu_debuglink" in sections, sections
    return stripped


@pytest.mark.parametrize("layout", ["gz", "split"])
def test_inlined_lock_is_named_with_its_line(tmp_path, layout):
    """Issue 13's done-when: a lock taken in an always-inline function, built
    -O2 -g -gz (and the same with its DWARF in a separate debug file), is
    named in `go tool pprof -traces` as the inlined function above its
    caller, and `-list` finds its source and puts the wait on its line."""
    binary = INLINE_SUITE if layout == "gz" else split_debug(INLINE_SUITE, tmp_path)
    sections = subprocess.run(["readelf", "-SW", str(INLINE_SUITE)], capture_output=True,
                              text=True, timeout=60).stdout
    assert re.search(r"\.debug_info .* C ", sections), sections  # compressed (-gz)
    trace = tmp_path / "t.trace"
    run_ok(f"--trace={trace}", binary)
    out = tmp_path / "sync.pb.gz"
    result = run_ok("profile", "--type=sync", "-o", out, trace)
    assert "warning" not in result.stderr, result

    traces = pprof_text(out, "-traces")
    blocks = [b for b in re.split(r"(?m)^-+\+-+$", traces) if "take_table_lock" in b]
    assert len(blocks) == 1, traces
    first, *callers = blocks[0].strip().splitlines()
    frames = [line.strip() for line in callers]
    assert "take_table_lock (inline)" in first, traces
    assert frames[0] == "TestInlinedLock", traces  # the caller it was inlined into
    waited = float(re.match(r"\s*([\d.]+)ms", first).group(1))
    assert waited >= 10, traces  # the holder keeps it ~30 ms

    listing = pprof_text(out, "-list", "^take_table_lock$")
    assert f"take_table_lock in {INLINE_SOURCE}" in listing, listing
    line = next(l for l in listing.splitlines() if "pthread_mutex_lock(&table_lock)" in l)
    assert re.match(r"\s*[\d.]+ms\s+[\d.]+ms\s+\d+:", line), listing  # the wait is on it

    folded = tmp_path / "sync.folded"
    run_ok("profile", "--type=sync", "--format=folded", "-o", folded, trace)
    assert ";TestInlinedLock;take_table_lock " in folded.read_text(), folded.read_text()
