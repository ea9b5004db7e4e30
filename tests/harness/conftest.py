"""End-to-end tests of the ctest-trace command (DESIGN.md §4).

They run the built binaries: the build directory is $CTRACE_BUILD_DIR, or
<repo>/build by default. Run them with

    CTRACE_BUILD_DIR=build /usr/bin/python3 -m pytest tests/harness

(ci/test.sh does, for each of its builds).
"""

import ctypes
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("CTRACE_BUILD_DIR") or REPO / "build").resolve()
CTEST_TRACE = BUILD / "runner" / "ctest-trace"
PIPELINE = BUILD / "examples" / "pipeline" / "pipeline_test"

# Generous: sanitizer builds on a loaded 2-core machine are slow.
TIMEOUT_S = 300


class Run:
    """What one command did: its exit status and its output, as text."""

    def __init__(self, args, proc):
        self.args = [str(a) for a in args]
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def __repr__(self):
        return (
            f"$ {' '.join(self.args)}\n"
            f"exit status {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}---"
        )

    @property
    def output(self):
        return self.stdout + self.stderr

    def json(self):
        try:
            return json.loads(self.stdout)
        except ValueError as e:
            raise AssertionError(f"stdout is not JSON ({e}):\n{self!r}") from None


def sanitized():
    """Whether the build under test has a sanitizer: slow, and its libctrace.so
    cannot be loaded into this Python (its runtime must come first)."""
    try:
        options = json.loads((BUILD / "meson-info" / "intro-buildoptions.json").read_text())
    except (OSError, ValueError):
        return False
    return any(o["name"] == "b_sanitize" and o["value"] not in ("none", "") for o in options)


def thread_sanitized():
    """Whether the build under test is a TSan build: its runtime holds signals
    back from a thread blocked in its own interceptors (pthread_mutex_lock)."""
    try:
        options = json.loads((BUILD / "meson-info" / "intro-buildoptions.json").read_text())
    except (OSError, ValueError):
        return False
    return any(o["name"] == "b_sanitize" and "thread" in o["value"] for o in options)

# cmocka's own signal handler allocates (its message): a TSan build reports
# that, which is cmocka's, not ours, where a suite lets cmocka catch a signal.
CMOCKA_CATCHES_SIGNALS = {
    "TSAN_OPTIONS": os.environ.get("TSAN_OPTIONS", "") + ":report_signal_unsafe=0"}


def run(*args, env=None):
    """Run ctest-trace with `args` and return a Run; never raises on failure.
    A death by signal (negative returncode) is a failure of every test."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    argv = [CTEST_TRACE, *args]
    proc = subprocess.run(
        [str(a) for a in argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT_S,
        env=full_env,
    )
    result = Run(argv, proc)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}:\n{result!r}"
    return result


JUNIT_XSD = Path(__file__).with_name("junit-10.xsd")  # Jenkins' schema (shared/reference)


def assert_valid_junit(xml):
    """`xml` validates against Jenkins' junit-10.xsd (xmllint: ci/deps.sh
    installs libxml2-utils)."""
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        pytest.fail("xmllint is missing: ci/deps.sh installs libxml2-utils")
    proc = subprocess.run([xmllint, "--noout", "--schema", str(JUNIT_XSD), str(xml)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def assemble(text, trace):
    """Write the trace `text` (a file in the text form, format/FORMAT.md)
    describes to `trace`, through libctrace's ctr_text_assemble (ctypes: not
    in a sanitizer build, whose runtime must load first; see sanitized())."""
    lib = ctypes.CDLL(str(BUILD / "libctrace.so"))
    err = ctypes.create_string_buffer(512)
    rc = lib.ctr_text_assemble(str(text).encode(), str(trace).encode(), err, len(err))
    assert rc == 0, err.value.decode()


def run_ok(*args, **kw):
    """run() that must exit 0."""
    result = run(*args, **kw)
    assert result.returncode == 0, repr(result)
    return result


def pytest_report_header(config):
    return f"ctest-trace build: {BUILD}"


@pytest.fixture(scope="session", autouse=True)
def built():
    """Every test needs the command and the example: fail clearly without."""
    for path in (CTEST_TRACE, PIPELINE):
        if not os.access(path, os.X_OK):
            pytest.fail(
                f"{path} is not built: build first (meson setup build && "
                f"meson compile -C build) or set CTRACE_BUILD_DIR",
                pytrace=False,
            )


@pytest.fixture(scope="session")
def io_trace(tmp_path_factory):
    """A trace of the whole io example (examples/io), which must pass."""
    trace = tmp_path_factory.mktemp("io") / "t.out"
    run_ok(f"--trace={trace}", BUILD / "examples" / "io_test")
    return trace


@pytest.fixture(scope="session")
def contention_trace(tmp_path_factory):
    """A trace of the whole contention example (examples/contention), which must pass."""
    trace = tmp_path_factory.mktemp("contention") / "t.out"
    run_ok(f"--trace={trace}", BUILD / "examples" / "contention_test")
    return trace


@pytest.fixture(scope="session")
def pipeline_trace(tmp_path_factory):
    """A trace of `-run TestPipeline` on the example, and what the run printed."""
    trace = tmp_path_factory.mktemp("pipeline") / "trace.out"
    result = run_ok(f"--trace={trace}", "-run", "TestPipeline", PIPELINE)
    return trace, result


@pytest.fixture(scope="session")
def full_trace(tmp_path_factory):
    """A trace of the whole example suite (no -run), and what the run printed."""
    trace = tmp_path_factory.mktemp("full") / "trace.out"
    result = run_ok(f"--trace={trace}", PIPELINE)
    return trace, result


def tasks_by_name(trace):
    """`tasks --json` of `trace` as {name: [task, ...]}."""
    doc = run_ok("tasks", "--json", trace).json()
    assert isinstance(doc.get("tasks"), list), doc
    by_name = {}
    for task in doc["tasks"]:
        by_name.setdefault(task["name"], []).append(task)
    return by_name


def only(items, what):
    assert len(items) == 1, f"expected exactly one {what}, got {len(items)}: {items}"
    return items[0]


def in_full_tmpfs(tmp_path, script):
    """Run `script` (sh) in a mount namespace where $FULL is a tmpfs with no
    room left; skip where no such namespace can be made."""
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1)")
    full = tmp_path / "full"
    full.mkdir()
    setup = ('mount -t tmpfs -o size=64k tmpfs "$FULL" || exit 99; '
             'dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null; ')
    args = [unshare, "--mount", "--map-root-user"] if os.geteuid() else [unshare, "--mount"]
    proc = subprocess.run(args + ["sh", "-c", setup + script], capture_output=True, text=True,
                          timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
                          env={**os.environ, "FULL": str(full), "CT": str(CTEST_TRACE)})
    if proc.returncode == 99 or "unshare failed" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    return proc
