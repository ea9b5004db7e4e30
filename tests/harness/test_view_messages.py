"""Every view says what went wrong as `ctest-trace: FILE: what` and exits 2
when nothing could be read or its output could not be written: a missing
trace is "no such file", a full disk (stdout on /dev/full, -o on a full
tmpfs) is "no space left on device", naming the file; an -o file is
replaced only when complete."""

import subprocess

import pytest

from conftest import CTEST_TRACE, TIMEOUT_S, in_full_tmpfs, run

VIEWS = [["stats"], ["tasks"], ["tasks", "--json"], ["regions"], ["regions", "--json"],
         ["threads"], ["threads", "--json"], ["export", "--format=jsonl", "-o", "-"],
         ["profile", "--type=sync", "-o", "-"]]
IDS = [" ".join(v) for v in VIEWS]


@pytest.mark.parametrize("view", VIEWS, ids=IDS)
def test_missing_trace_is_no_such_file(tmp_path, view):
    missing = tmp_path / "nonexistent"
    result = run(*view, missing)
    assert result.returncode == 2, result
    assert result.stderr == f"ctest-trace: {missing}: no such file\n", result


def test_the_issues_example():
    result = run("stats", "/nonexistent")
    assert result.returncode == 2 and result.stderr == "ctest-trace: /nonexistent: no such file\n"


@pytest.mark.parametrize("view", VIEWS, ids=IDS)
def test_stdout_on_a_full_device(full_trace, view):
    trace, _ = full_trace
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(CTEST_TRACE), *view, str(trace)], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc
    assert proc.stderr == "ctest-trace: /dev/full: no space left on device\n", proc.stderr


@pytest.mark.parametrize("view", [["export", "--format=jsonl"], ["profile", "--type=sync"],
                                  ["profile", "--type=sync", "--format=folded"]])
def test_output_file_on_a_full_device(full_trace, view):
    trace, _ = full_trace
    result = run(*view, "-o", "/dev/full", trace)
    if "folded" in view and result.returncode == 0:
        return  # nothing to write is no failure: the example may wait on no lock
    assert result.returncode == 2, result
    assert "ctest-trace: /dev/full: no space left on device\n" in result.stderr, result


def test_output_file_on_a_full_disk_keeps_the_old_one(tmp_path, full_trace):
    trace, _ = full_trace
    proc = in_full_tmpfs(tmp_path, (
        'rm -f "$FULL/filler"; echo old > "$FULL/events.jsonl"; '
        'dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null; '
        f'"$CT" export --format=jsonl -o "$FULL/events.jsonl" {trace}; echo "exit=$?"; '
        'cat "$FULL/events.jsonl"; ls "$FULL"'))
    assert "exit=2" in proc.stdout, proc
    assert proc.stderr == \
        f"ctest-trace: {tmp_path}/full/events.jsonl: no space left on device\n", proc
    assert "\nold\n" in proc.stdout and "partial" not in proc.stdout, proc


def test_output_directory_missing(tmp_path, full_trace):
    trace, _ = full_trace
    out = tmp_path / "no" / "such" / "dir.jsonl"
    result = run("export", "--format=jsonl", "-o", out, trace)
    assert result.returncode == 2, result
    assert result.stderr == f"ctest-trace: {out}: no such directory\n", result


def test_output_file_replaced_whole(tmp_path, full_trace):
    trace, _ = full_trace
    out = tmp_path / "events.jsonl"
    out.write_text("old\n")
    result = run("export", "--format=jsonl", "-o", out, trace)
    assert result.returncode == 0, result
    assert out.read_text().startswith('{"kind":"process_begin"'), out.read_text()[:80]
    assert [p.name for p in tmp_path.iterdir()] == ["events.jsonl"]


def test_not_a_trace_and_damage_name_the_file(tmp_path, full_trace):
    trace, _ = full_trace
    text = tmp_path / "notes.txt"
    text.write_text("not a trace\n")
    result = run("stats", text)
    assert result.returncode == 2, result
    assert result.stderr == f"ctest-trace: {text}: not a ctrace trace file\n", result
    cut = tmp_path / "cut.out"
    data = trace.read_bytes()
    cut.write_bytes(data[: len(data) - 7])
    result = run("tasks", cut)
    assert result.returncode == 1, result
    assert result.stderr.startswith(f"ctest-trace: {cut}: damaged at byte "), result
