"""Views on damaged, foreign and future traces: the exit statuses of DESIGN §4.

    0  the trace was whole
    1  the trace was damaged: what was before the damage is shown, stderr says
       where ("damaged at byte N: ...")
    2  nothing could be read: no such file, empty, not a trace, a newer format

and never a crash, whatever the bytes.

A trace file is a 16-byte prefix (8 magic bytes "\\x89CTRACE\\n", u16 major,
u16 minor, u32 flags, little-endian) followed by zstd frames (format/FORMAT.md).
"""

import os
import random
import struct

import pytest

from conftest import run

MAGIC = b"\x89CTRACE\n"
PREFIX_LEN = 16
ZSTD_MAGIC = 0xFD2FB528

# The views a damaged file is shown with; each must follow §4.
VIEWS = [
    ["stats"],
    ["tasks"],
    ["tasks", "--json"],
    ["regions"],
    ["regions", "--json"],
]
VIEW_IDS = [" ".join(v) for v in VIEWS]


def zstd_layout(data, start=PREFIX_LEN):
    """Where the zstd frames and blocks of `data` end, from `start`.

    Returns (frame_ends, block_ends): offsets just past each complete frame
    and each complete block. Stops at the first thing it does not understand
    (the test then still works, with fewer known boundaries)."""
    frame_ends, block_ends = [], []
    pos = start
    while pos + 4 <= len(data):
        magic = struct.unpack_from("<I", data, pos)[0]
        if magic & 0xFFFFFFF0 == 0x184D2A50:  # skippable frame
            if pos + 8 > len(data):
                break
            pos += 8 + struct.unpack_from("<I", data, pos + 4)[0]
            if pos > len(data):
                break
            frame_ends.append(pos)
            continue
        if magic != ZSTD_MAGIC or pos + 5 > len(data):
            break
        fhd = data[pos + 4]
        single_segment = (fhd >> 5) & 1
        checksum = (fhd >> 2) & 1
        dict_id_len = (0, 1, 2, 4)[fhd & 3]
        fcs_flag = fhd >> 6
        fcs_len = (1 if single_segment else 0, 2, 4, 8)[fcs_flag]
        p = pos + 5 + (0 if single_segment else 1) + dict_id_len + fcs_len
        last = False
        while not last:
            if p + 3 > len(data):
                return frame_ends, block_ends
            header = data[p] | data[p + 1] << 8 | data[p + 2] << 16
            last = bool(header & 1)
            block_type = (header >> 1) & 3
            size = header >> 3
            if block_type == 3:
                return frame_ends, block_ends
            p += 3 + (1 if block_type == 1 else size)
            if p > len(data):
                return frame_ends, block_ends
            block_ends.append(p)
        p += 4 if checksum else 0
        if p > len(data):
            break
        frame_ends.append(p)
        pos = p
    return frame_ends, block_ends


def inside_cut(data, wanted, frame_ends):
    """The offset nearest `wanted` that cuts the compressed data, not the
    prefix and not a frame's end (where a cut might look like a clean end)."""
    boundaries = set(frame_ends) | {PREFIX_LEN, len(data)}
    low = PREFIX_LEN + 1
    for delta in range(len(data)):
        for cut in (wanted - delta, wanted + delta):
            if low <= cut < len(data) and cut not in boundaries:
                return cut
    pytest.fail(f"no place to cut a {len(data)}-byte trace")


def view(view_args, path):
    return run(*view_args, path)


def assert_names_file(result, path):
    assert result.stderr.strip(), f"no message on stderr:\n{result!r}"
    assert os.path.basename(str(path)) in result.stderr, f"message does not name the file:\n{result!r}"


@pytest.fixture(scope="module")
def trace_bytes(full_trace):
    trace, _ = full_trace
    data = trace.read_bytes()
    assert data[:8] == MAGIC, data[:16]
    return data


# ---- truncated ------------------------------------------------------------


@pytest.mark.parametrize("where", ["half", "size-7"])
@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
def test_truncated_trace_is_damaged(trace_bytes, tmp_path, where, view_args):
    data = trace_bytes
    frame_ends, block_ends = zstd_layout(data)
    wanted = len(data) // 2 if where == "half" else len(data) - 7
    cut = inside_cut(data, wanted, frame_ends)
    path = tmp_path / f"cut-{cut}.out"
    path.write_bytes(data[:cut])

    result = view(view_args, path)
    assert result.returncode == 1, result
    assert "damaged at byte" in result.stderr, result
    assert_names_file(result, path)

    # What was before the damage is shown. When whole zstd blocks precede the
    # cut, the reader has events to show: the views print something.
    if any(end <= cut for end in block_ends):
        assert result.stdout.strip(), f"nothing shown before the damage:\n{result!r}"
        if "--json" in view_args:
            result.json()  # still a valid document


def test_truncated_trace_keeps_early_tasks(trace_bytes, tmp_path):
    """Cut inside the last frame: the tests that ran early are still listed."""
    data = trace_bytes
    frame_ends, block_ends = zstd_layout(data)
    cut = inside_cut(data, len(data) - 7, frame_ends)
    if not [end for end in block_ends if end <= cut]:
        pytest.skip("the trace is a single zstd block: nothing decodable before a cut")
    path = tmp_path / "late-cut.out"
    path.write_bytes(data[:cut])
    result = view(["tasks", "--json"], path)
    assert result.returncode == 1, result
    assert result.json()["tasks"], f"no task before the damage:\n{result!r}"


# ---- corrupted ------------------------------------------------------------


@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
@pytest.mark.parametrize("where", [0.25, 0.5, 0.75])
def test_flipped_bytes_never_crash(trace_bytes, tmp_path, view_args, where):
    data = bytearray(trace_bytes)
    middle = PREFIX_LEN + int((len(data) - PREFIX_LEN) * where)
    for i in range(middle, min(middle + 16, len(data))):
        data[i] ^= 0xFF
    path = tmp_path / f"flipped-{middle}.out"
    path.write_bytes(bytes(data))

    result = view(view_args, path)  # run() fails the test on a signal
    assert result.returncode in (1, 2), result
    assert_names_file(result, path)


@pytest.mark.parametrize("seed", range(8))
def test_random_damage_never_crashes(trace_bytes, tmp_path, seed):
    """Random bytes overwritten and a random cut: exit 1 or 2, never a signal."""
    rng = random.Random(seed)
    data = bytearray(trace_bytes)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(PREFIX_LEN, len(data))
        data[i] = rng.randrange(256)
    if seed % 2:
        data = data[: rng.randrange(PREFIX_LEN + 1, len(data))]
    path = tmp_path / f"random-{seed}.out"
    path.write_bytes(bytes(data))
    for view_args in VIEWS:
        result = view(view_args, path)
        # Changed bytes can happen to leave a readable trace (a changed name,
        # say), so 0 is allowed here; a crash is not.
        assert result.returncode in (0, 1, 2), result
        if result.returncode != 0:
            assert result.stderr.strip(), result


# ---- nothing readable: exit 2 -----------------------------------------------


@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
def test_empty_file(tmp_path, view_args):
    path = tmp_path / "empty.out"
    path.write_bytes(b"")
    result = view(view_args, path)
    assert result.returncode == 2, result
    assert_names_file(result, path)


FOREIGN = {
    "text": b"this is not a trace\nbut a plain text file\n" * 10,
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
    "random": random.Random(42).randbytes(4096),
    "zstd": struct.pack("<I", ZSTD_MAGIC) + bytes(32),
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
def test_foreign_file(tmp_path, view_args, kind):
    path = tmp_path / f"foreign-{kind}.out"
    path.write_bytes(FOREIGN[kind])
    result = view(view_args, path)
    assert result.returncode == 2, result
    assert_names_file(result, path)


# A file that starts like a trace is one, damaged from its first bytes on:
# exit 1 (nothing before the damage to show) and a message saying where.
CUT_EARLY = {
    "short-magic": MAGIC[:5],
    "magic-only": MAGIC,
    "header-only": MAGIC + struct.pack("<HHI", 1, 0, 0),
    "garbage-after-header": MAGIC + struct.pack("<HHI", 1, 0, 0) + bytes(range(200)),
}


@pytest.mark.parametrize("kind", sorted(CUT_EARLY))
@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
def test_cut_early_is_damaged_with_offset(tmp_path, view_args, kind):
    path = tmp_path / f"early-{kind}.out"
    path.write_bytes(CUT_EARLY[kind])
    result = view(view_args, path)
    assert result.returncode == 1, result
    assert "damaged at byte" in result.stderr, result
    assert_names_file(result, path)
    if "--json" in view_args:
        result.json()  # an empty but valid document


@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
def test_missing_file(tmp_path, view_args):
    path = tmp_path / "no-such-trace.out"
    result = view(view_args, path)
    assert result.returncode == 2, result
    assert_names_file(result, path)


@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
def test_newer_major_version(trace_bytes, tmp_path, view_args):
    # A real trace whose prefix claims format 99.0.
    path = tmp_path / "future.out"
    path.write_bytes(MAGIC + struct.pack("<HHI", 99, 0, 0) + trace_bytes[PREFIX_LEN:])
    result = view(view_args, path)
    assert result.returncode == 2, result
    assert_names_file(result, path)
    message = result.stderr.lower()
    assert "newer" in message and "version" in message, result


def test_newer_minor_version_is_read(trace_bytes, tmp_path):
    # A newer minor version of the same major is readable (FORMAT.md: readers
    # skip what they do not know), so this is a whole trace.
    major = struct.unpack_from("<H", trace_bytes, 8)[0]
    path = tmp_path / "minor.out"
    path.write_bytes(MAGIC + struct.pack("<HHI", major, 999, 0) + trace_bytes[PREFIX_LEN:])
    result = view(["tasks", "--json"], path)
    assert result.returncode == 0, result
    assert result.json()["tasks"], result


# ---- a thread decompressing ahead -------------------------------------------


@pytest.mark.parametrize("damage", ["cut", "flip", "whole"])
@pytest.mark.parametrize("view_args", VIEWS, ids=VIEW_IDS)
def test_read_ahead_reads_the_same(trace_bytes, tmp_path, damage, view_args):
    """A large trace is decompressed by a thread of its own (CTRACE_READ_AHEAD
    forces it on or off): what a view shows, where it says the damage is and
    its exit status are the same either way."""
    data = bytearray(trace_bytes)
    if damage == "cut":
        data = data[: inside_cut(bytes(data), len(data) // 2, zstd_layout(bytes(data))[0])]
    elif damage == "flip":
        data[len(data) // 2] ^= 0x55
    path = tmp_path / f"{damage}.out"
    path.write_bytes(bytes(data))
    ahead = run(*view_args, path, env={"CTRACE_READ_AHEAD": "on"})
    here = run(*view_args, path, env={"CTRACE_READ_AHEAD": "off"})
    assert (ahead.returncode, ahead.stdout, ahead.stderr) == \
        (here.returncode, here.stdout, here.stderr), (ahead, here)
