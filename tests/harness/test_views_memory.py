"""Views in bounded memory (issue 11: every view streams). `tasks --json`,
`tasks` and `profile --region` take about as much memory on a trace of N
events as on one of 10 N, and say everything: every task, region and log.
What spills goes to $TMPDIR; a temporary file that cannot be written is an
error that says so (exit 2), never a cut output.

The traces come from bench/gen_trace (a user task per request, nested
regions, logs, waits), built with everything else. The views run with a
small CTRACE_VIEW_MEMORY so that their budget is full on both traces; a view
that kept every event would need about ten times more on the larger one.
Peak RSS is measured by /usr/bin/time (ci/deps.sh installs it), whose child
starts small; outside sanitizer builds an address-space limit backs it."""

import json
import os
import re
import resource
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, CTEST_TRACE, TIMEOUT_S, run_ok

GEN = BUILD / "bench" / "gen_trace"
TIME = Path("/usr/bin/time")
SMALL, BIG = 100_000, 1_000_000
BUDGET = "2MiB"
MiB = 1 << 20


def sanitized():
    """Whether BUILD is a sanitizer build (address-space limits break those)."""
    options = BUILD / "meson-info" / "intro-buildoptions.json"
    try:
        for option in json.loads(options.read_text()):
            if option.get("name") == "b_sanitize":
                return option.get("value") not in ("none", "", [])
    except (OSError, ValueError):
        pass
    return False


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    if not os.access(GEN, os.X_OK):
        pytest.fail(f"{GEN} is not built", pytrace=False)
    d = tmp_path_factory.mktemp("views-memory")
    made = {}
    for name, events in (("small", SMALL), ("big", BIG)):
        path = d / f"{name}.trace"
        subprocess.run([GEN, "-n", str(events), "-o", path], check=True, capture_output=True,
                       timeout=TIMEOUT_S)
        made[name] = path
    return made


def counts(trace):
    """Events by kind, from `stats`."""
    out = run_ok("stats", trace).stdout
    return {k: int(v) for k, v in re.findall(r"^  (\w+)\s+(\d+)$", out, re.M)}


def view(args, tmp_path, limit_fsize=None, budget=BUDGET):
    """Run a view with a small budget; its stdout, stderr, exit status and peak RSS."""
    env = dict(os.environ, CTRACE_VIEW_MEMORY=budget, TMPDIR=str(tmp_path))
    # ASan keeps freed memory in quarantine: RSS would follow what was ever
    # freed, not what is held.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1"
    report = tmp_path / "time.out"
    cmd = [str(CTEST_TRACE), *map(str, args)]
    if TIME.exists():
        cmd = [str(TIME), "-o", str(report), "-f", "%M", *cmd]
    limit_as = None if sanitized() else 192 * MiB

    def limits():
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))
        if limit_fsize:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_fsize, limit_fsize))

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env, preexec_fn=limits)
    out, err = proc.communicate(timeout=TIMEOUT_S)
    peak = int(report.read_text().split()[-1]) * 1024 if TIME.exists() else None
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {err.decode()}"
    return out.decode(errors="replace"), err.decode(errors="replace"), proc.returncode, peak


def tasks_json_totals(text):
    """Tasks, regions and logs in `tasks --json`, a task a line; checks the
    order of tasks and of each task's regions and logs on the way."""
    lines = text.splitlines()
    assert lines[0] == '{"tasks":[' and lines[-1] == "]}", (lines[:1], lines[-1:])
    tasks = regions = logs = 0
    last_start = -1
    for line in lines[1:-1]:
        task = json.loads(line.rstrip(","))
        assert task["start_ns"] >= last_start, task["id"]
        last_start = task["start_ns"]
        starts = [r["start_ns"] for r in task["regions"]]
        times = [entry["ts_ns"] for entry in task["logs"]]
        assert starts == sorted(starts) and times == sorted(times), task["id"]
        tasks += 1
        regions += len(starts)
        logs += len(times)
    return tasks, regions, logs


def assert_flat(small_peak, big_peak, what):
    if small_peak is None:
        pytest.skip("/usr/bin/time is not installed (ci/deps.sh installs it)")
    # Ten times the events: the same budget, a few MiB of slack for what
    # fills up later (names, the table of parts) and the sanitizers' own.
    assert big_peak <= small_peak * 1.5 + 8 * MiB, (
        f"{what}: {small_peak / MiB:.1f} MiB at {SMALL} events, {big_peak / MiB:.1f} MiB "
        f"at {BIG}: memory grows with events")


def test_tasks_json_memory_does_not_grow_with_events(traces, tmp_path):
    peaks = {}
    for name in ("small", "big"):
        out, err, status, peaks[name] = view(["tasks", "--json", traces[name]], tmp_path)
        assert status == 0, err
        want = counts(traces[name])
        assert tasks_json_totals(out) == (want["task_begin"], want["region"], want["log"])
    assert_flat(peaks["small"], peaks["big"], "tasks --json")


def test_tasks_tree_memory_does_not_grow_with_events(traces, tmp_path):
    peaks = {}
    for name in ("small", "big"):
        out, err, status, peaks[name] = view(["tasks", traces[name]], tmp_path)
        assert status == 0, err
        want = counts(traces[name])
        assert len(re.findall(r"^ *\[(test|user)\] ", out, re.M)) == want["task_begin"]
        assert len(re.findall(r"^ +region ", out, re.M)) == want["region"]
        assert len(re.findall(r"^ +log ", out, re.M)) == want["log"]
    assert_flat(peaks["small"], peaks["big"], "tasks")


def test_profile_region_memory_does_not_grow_with_events(traces, tmp_path):
    peaks = {}
    for name in ("small", "big"):
        out, err, status, peaks[name] = view(
            ["profile", "--type=sync", "--format=folded", "--region=db.query", "-o", "-",
             traces[name]], tmp_path)
        assert status == 0, err
        assert "query_database" in out, out  # waits inside db.query regions were found
    assert_flat(peaks["small"], peaks["big"], "profile --region")


def test_a_full_disk_while_spilling_is_an_error(traces, tmp_path):
    for args in (["tasks", "--json"], ["tasks"], ["profile", "--type=sync", "--region=item",
                                                  "-o", tmp_path / "p.pb.gz"]):
        # The smallest budget: everything spills.
        out, err, status, _ = view([*args, traces["small"]], tmp_path, limit_fsize=64 * 1024,
                                   budget="1")
        assert status == 2, err
        assert "cannot write a temporary file in " + str(tmp_path) in err, err
        assert "File too large" in err, err
        assert out == "", out[:200]  # nothing cut short on stdout


def test_a_missing_temporary_directory_is_named(traces, tmp_path):
    missing = tmp_path / "no-such-dir"
    env = dict(os.environ, CTRACE_VIEW_MEMORY=BUDGET, TMPDIR=str(missing))
    proc = subprocess.run([CTEST_TRACE, "tasks", "--json", traces["small"]], capture_output=True,
                          text=True, env=env, timeout=TIMEOUT_S)
    assert proc.returncode == 2, proc.stderr
    assert f"cannot create a temporary file in {missing} " in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_a_trace_that_fits_needs_no_temporary_file(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    env = dict(os.environ, TMPDIR=str(tmp_path / "no-such-dir"))
    for args in (["tasks"], ["tasks", "--json"]):
        proc = subprocess.run([CTEST_TRACE, *args, trace], capture_output=True, text=True,
                              env=env, timeout=TIMEOUT_S)
        assert proc.returncode == 0, proc.stderr
        assert "request" in proc.stdout


CORPUS = Path(__file__).resolve().parents[1] / "fuzz" / "corpus"


@pytest.mark.parametrize("args", [["tasks"], ["tasks", "--json"],
                                  ["profile", "--type=sync", "--format=folded",
                                   "--region=db.query", "-o", "-"]])
def test_spilling_changes_nothing(traces, tmp_path, args):
    """The smallest budget (everything through temporary files, runs merged
    in several steps) prints what the default budget (all in memory) does:
    on a generated trace, and on hostile and damaged ones (parent cycles,
    tasks begun twice or never, a cut file)."""
    paths = [traces["small"], *sorted(CORPUS.glob("*.trace"))]
    assert len(paths) > 5
    for path in paths:
        runs = []
        for budget in ("1", "16MiB"):
            env = dict(os.environ, CTRACE_VIEW_MEMORY=budget, TMPDIR=str(tmp_path))
            proc = subprocess.run([CTEST_TRACE, *args, path], capture_output=True, env=env,
                                  timeout=TIMEOUT_S)
            assert proc.returncode in (0, 1), proc.stderr
            runs.append((proc.returncode, proc.stdout, proc.stderr))
        assert runs[0] == runs[1], f"{path}: {args} differs when it spills"
