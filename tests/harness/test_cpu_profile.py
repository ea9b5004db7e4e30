"""CPU samples (issue 16): a run samples every thread's CPU time (--cpu-hz,
100 by default), each sample attributed to its test, task and region;
`profile --type=cpu` writes a pprof CPU profile that `go tool pprof -top`
reads, naming the function that burnt the CPU, with the labels test, task
and region (-tags, -tagfocus); the filters narrow it; --cpu-hz=0 samples
nothing; a program that handles SIGPROF is left alone.

Shares are checked with wide margins: only that the burning function is
there with a good part of the time, never exact numbers."""

import json
import re
import signal
import subprocess

from conftest import BUILD, run, run_ok
from test_profile import pprof_text, pprof_top

import pytest

SUITE = BUILD / "tests" / "suites" / "cpu_burn_test"


@pytest.fixture(scope="module")
def burn_trace(tmp_path_factory):
    trace = tmp_path_factory.mktemp("cpu") / "burn.out"
    run_ok(f"--trace={trace}", SUITE)
    return trace


def folded(trace, tmp_path, *flags):
    """{stack: ns} of `profile --type=cpu --format=folded FLAGS`."""
    out = tmp_path / "cpu.folded"
    run_ok("profile", "--type=cpu", "--format=folded", *flags, "-o", out, trace)
    stacks = {}
    for line in out.read_text().splitlines():
        stack, value = line.rsplit(" ", 1)
        stacks[stack] = stacks.get(stack, 0) + int(value)
    return stacks


def leaf_ns(stacks, function):
    return sum(v for s, v in stacks.items() if function in s.split(";")[-3:])


def test_cpu_profile_names_the_burning_function_with_its_labels(burn_trace, tmp_path):
    """Issue 16's done-when: the function that burns CPU in a region is named
    by `go tool pprof -top`, and its samples carry the region in -tags."""
    out = tmp_path / "cpu.pb.gz"
    run_ok("profile", "--type=cpu", "-o", out, burn_trace)
    flat, text = pprof_top(out)
    total = sum(flat.values())
    assert total > 0, text
    assert flat.get("burn_in_region", 0) >= 0.2 * total, text  # ~0.4 s of ~0.7 s
    assert flat.get("worker_burn", 0) > 0, text  # the test's own thread
    assert "Type: cpu" in text, text
    tags = pprof_text(out, "-tags")
    assert "region:" in tags and "hot loop" in tags, tags
    assert "test:" in tags and "TestBurn" in tags and "TestWorker" in tags, tags
    assert "task:" in tags and "crunch" in tags, tags
    # TestSleep slept: no CPU time of its own, but the thread's timer counts
    # CPU time across tests, so the few us it spends may finish a period the
    # tests before it nearly filled: one sample at most.
    assert sum(folded(burn_trace, tmp_path, "--test=TestSleep").values()) <= 10_000_000
    # -tagfocus keeps the region's samples only
    focused, text = pprof_top(out, "-tagfocus=region=hot loop")
    assert focused.get("burn_in_region", 0) > 0, text
    assert "worker_burn" not in focused and "burn_elsewhere" not in focused, text
    raw = pprof_text(out, "-raw")  # as Go's CPU profiles: the period is 1e9 / hz ns
    assert "PeriodType: cpu nanoseconds" in raw and "Period: 10000000\n" in raw, raw[:400]
    assert "samples/count cpu/nanoseconds" in raw, raw[:400]


def test_stats_count_the_samples(burn_trace, tmp_path):
    text = run_ok("stats", burn_trace).stdout
    line = next((l for l in text.splitlines() if l.startswith("cpu samples:")), None)
    assert line and "on 2 threads sampled" in line, text  # the test thread and the worker
    samples = int(line.split()[2])
    assert samples >= 20, line  # ~0.7 s at 100 Hz: 70
    off = tmp_path / "off.out"
    run_ok("--cpu-hz=0", f"--trace={off}", "-run", "TestSleep", SUITE)
    assert "cpu samples: 0 (0 ns of CPU time) on 0 threads sampled, off on 1 (--cpu-hz=0)" in \
        run_ok("stats", off).stdout


def test_filters_narrow_the_cpu_profile(burn_trace, tmp_path):
    everything = folded(burn_trace, tmp_path)
    in_region = folded(burn_trace, tmp_path, "--region=hot loop")
    assert leaf_ns(in_region, "burn_in_region") > 0, in_region
    assert leaf_ns(in_region, "worker_burn") == 0 and leaf_ns(in_region, "burn_elsewhere") == 0
    assert sum(in_region.values()) < sum(everything.values())
    worker = folded(burn_trace, tmp_path, "--test=^TestWorker$")
    assert leaf_ns(worker, "worker_burn") > 0 and leaf_ns(worker, "burn_in_region") == 0, worker
    crunch = folded(burn_trace, tmp_path, "--task=crunch")
    assert leaf_ns(crunch, "worker_burn") > 0 and leaf_ns(crunch, "burn_in_region") == 0, crunch
    assert folded(burn_trace, tmp_path, "--region=no such region") == {}


def test_cpu_hz_zero_samples_nothing(tmp_path):
    trace = tmp_path / "off.out"
    run_ok("--cpu-hz=0", f"--trace={trace}", "-run", "TestBurn", SUITE)
    assert folded(trace, tmp_path) == {}
    out = tmp_path / "off.pb.gz"
    run_ok("profile", "--type=cpu", "-o", out, trace)
    flat, text = pprof_top(out)  # a valid, empty profile
    assert flat == {}, text
    assert "on for 0 threads, off for 1" in text, text


def test_a_higher_rate_gives_more_samples(tmp_path):
    trace = tmp_path / "fast.out"
    run_ok("--cpu-hz=1000", f"--trace={trace}", "-run", "TestBurn", SUITE)
    out = tmp_path / "fast.pb.gz"
    run_ok("profile", "--type=cpu", "-o", out, trace)
    raw = pprof_text(out, "-raw")
    assert "Period: 1000000\n" in raw, raw[:400]  # a 1 ms period
    flat, text = pprof_top(out)
    assert flat.get("burn_in_region", 0) > 0, text


@pytest.mark.parametrize("value", ["20000", "-1", "fast"])
def test_bad_cpu_hz_exits_2(value):
    result = run(f"--cpu-hz={value}", SUITE)
    assert result.returncode == 2 and "--cpu-hz" in result.stderr, result


@pytest.mark.parametrize("how", ["1", "2"], ids=["own-handler", "default-action"])
def test_a_program_handling_sigprof_is_left_alone(tmp_path, how):
    """The suite takes SIGPROF in the middle of its first test, its own
    handler (1) or the default action, which ends a process (2), while two
    of its threads burn CPU with the tracer's timers armed: no timer's
    signal reaches it from then on, and the tracer says so once."""
    trace = tmp_path / "own.out"
    result = run(f"--trace={trace}", "-v", SUITE, env={"OWN_SIGPROF": how})
    assert result.returncode == 0, result
    said = result.stdout + result.stderr
    assert said.count("handles SIGPROF itself") == 1, result
    stacks = folded(trace, tmp_path)
    assert leaf_ns(stacks, "worker_burn") == 0, stacks


def test_the_program_s_sigaction_reaches_the_next_definition():
    """A library after libctrace that defines sigaction (a sanitizer's
    runtime, which wraps the program's handlers) still gets the program's
    calls: the tracer's sigaction hands them on, not straight to libc."""
    suite = BUILD / "tests" / "suites" / "sigaction_spy_test"
    said = f"sigaction_spy: signal {signal.SIGUSR1.value}"
    bare = subprocess.run([str(suite)], capture_output=True, text=True, timeout=60)
    if said not in bare.stderr:  # ASan's own sigaction calls libc's: none reaches the spy
        pytest.skip("a sanitizer's runtime hands no sigaction call on to a library after it")
    result = run("-v", suite)
    assert result.returncode == 0, result
    assert said in result.stdout + result.stderr, result


def test_bad_type_names_cpu(burn_trace, tmp_path):
    result = run("profile", "--type=cycles", "-o", tmp_path / "x", burn_trace)
    assert result.returncode == 2 and "cpu" in result.stderr, result


def test_the_report_draws_the_cpu_profile(burn_trace, tmp_path):
    """The HTML report's profiles section has the CPU profile's flame graph,
    its total the folded profile's."""
    page = tmp_path / "report.html"
    run_ok("report", "-o", page, burn_trace)
    html = page.read_text()
    m = re.search(r'<div class="profiles-one" id="profiles-cpu" data-kind="cpu" '
                  r'data-total-ns="(\d+)">\n<h3>CPU time</h3>', html)
    assert m, html[html.find('id="profiles"'):][:2000]
    assert int(m.group(1)) == sum(folded(burn_trace, tmp_path).values()) > 0
    graph = html[m.start():html.find("</div>", m.start())]
    assert "all cpu samples" in graph and "burn_in_region" in graph, graph[:2000]


def test_jsonl_carries_the_samples(burn_trace, tmp_path):
    out = tmp_path / "t.jsonl"
    run_ok("export", "--format=jsonl", "-o", out, burn_trace)
    events = [json.loads(line) for line in out.read_text().splitlines()]
    samples = [e for e in events if e["kind"] == "cpu_sample"]
    hot = [e for e in samples if e.get("region") == "hot loop"]
    assert hot and all(e["task_name"] == "TestBurn" and e["period_ns"] == 10_000_000 and
                       e["count"] >= 1 and e["stack"] for e in hot), hot[:3]
    sources = [e for e in events if e["kind"] == "cpu_source"]
    assert sources and all(e["state"] == "on" and e["hz"] == 100 for e in sources), sources


def test_threads_json_says_each_threads_sampled_cpu_time(burn_trace, tmp_path):
    threads = json.loads(run_ok("threads", "--json", burn_trace).stdout)["threads"]
    assert len(threads) == 2 and all(t["cpu_ns"] is not None for t in threads), threads
    worker = next(t for t in threads if t["creator_tid"] is not None)
    assert worker["cpu_ns"] >= 50_000_000, worker  # ~0.2 s burnt, 10 ms a sample
    off = tmp_path / "off.out"
    run_ok("--cpu-hz=0", f"--trace={off}", "-run", "TestSleep", SUITE)
    threads = json.loads(run_ok("threads", "--json", off).stdout)["threads"]
    assert [t["cpu_ns"] for t in threads] == [None], threads  # not sampled: not 0
