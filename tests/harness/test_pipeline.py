"""ctest-trace on examples/pipeline: what it records, prints and exits with.

The example (examples/pipeline/pipeline_test.c) is Go's annotated
runtime/trace example: TestPipeline begins task "request", logs
"id=req-42", and two threads run regions "fetch" (~20 ms) and "render"
(~10 ms); TestCache runs a region "lookup".

Timing checks use wide margins (a loaded 2-core machine, sanitizer builds):
lower bounds a little under the sleeps, upper bounds of seconds.
"""

import json

from conftest import PIPELINE, only, run, run_ok, tasks_by_name

MS = 1_000_000
SLOW = 2_000 * MS  # no annotated piece of the example takes this long


# ---- tasks --json ---------------------------------------------------------


def test_request_task_is_child_of_test_task(pipeline_trace):
    trace, _ = pipeline_trace
    tasks = tasks_by_name(trace)
    test = only(tasks.get("TestPipeline", []), "task TestPipeline")
    request = only(tasks.get("request", []), "task request")

    assert test["kind"] == "test"
    assert test["status"] == "pass"
    assert request["kind"] == "user"
    assert request["parent"] == test["id"]
    assert test["parent"] is None or test["parent"] != request["id"]

    # The request happened inside the test.
    assert test["start_ns"] <= request["start_ns"] <= request["end_ns"] <= test["end_ns"]
    assert request["duration_ns"] == request["end_ns"] - request["start_ns"]
    # Both workers slept in parallel: at least the longer sleep (20 ms).
    assert 15 * MS <= request["duration_ns"] < SLOW


def test_fetch_and_render_run_on_two_worker_threads(pipeline_trace):
    trace, _ = pipeline_trace
    tasks = tasks_by_name(trace)
    request = only(tasks["request"], "task request")
    regions = {}
    for region in request["regions"]:
        regions.setdefault(region["name"], []).append(region)
    fetch = only(regions.get("fetch", []), "region fetch in request")
    render = only(regions.get("render", []), "region render in request")

    # The test body's thread is where it logged the request id.
    log = only(
        [l for l in request["logs"] if l["category"] == "request"], "request log"
    )
    main_tid = log["tid"]

    assert fetch["tid"] != render["tid"], (fetch, render)
    assert main_tid not in (fetch["tid"], render["tid"]), (main_tid, fetch, render)
    for tid in (fetch["tid"], render["tid"]):
        assert tid in request["threads"], (tid, request["threads"])

    assert 15 * MS <= fetch["duration_ns"] < SLOW, fetch
    assert 5 * MS <= render["duration_ns"] < SLOW, render
    for region in (fetch, render):
        assert not region["unended"], region
        # Begun and ended while the task was open (1 ms of clock slack).
        assert region["start_ns"] + MS >= request["start_ns"], (region, request)
        end = region["start_ns"] + region["duration_ns"]
        assert end <= request["end_ns"] + MS, (region, request)

    # Regions belong to the task they were begun in: none leaked elsewhere.
    for name, group in tasks.items():
        if name != "request":
            for task in group:
                leaked = [r for r in task["regions"] if r["name"] in ("fetch", "render")]
                assert not leaked, (name, leaked)


def test_log_is_in_request_task(pipeline_trace):
    trace, _ = pipeline_trace
    tasks = tasks_by_name(trace)
    request = only(tasks["request"], "task request")
    logs = [(l["category"], l["message"]) for l in request["logs"]]
    assert ("request", "id=req-42") in logs, request["logs"]
    log = request["logs"][logs.index(("request", "id=req-42"))]
    assert request["start_ns"] <= log["ts_ns"] <= request["end_ns"], (log, request)


def test_run_selects_tests(pipeline_trace):
    trace, _ = pipeline_trace
    tasks = tasks_by_name(trace)
    assert "TestPipeline" in tasks
    assert "TestCache" not in tasks, tasks["TestCache"]
    assert "lookup" not in {r["name"] for g in tasks.values() for t in g for r in t["regions"]}


def test_without_run_both_tests_pass(full_trace):
    trace, _ = full_trace
    tasks = tasks_by_name(trace)
    for name in ("TestPipeline", "TestCache"):
        test = only(tasks.get(name, []), f"task {name}")
        assert test["kind"] == "test", test
        assert test["status"] == "pass", test
    cache = only(tasks["TestCache"], "task TestCache")
    assert "lookup" in {r["name"] for r in cache["regions"]}, cache


# ---- regions --json -------------------------------------------------------


def test_regions_json(pipeline_trace):
    trace, _ = pipeline_trace
    doc = run_ok("regions", "--json", trace).json()
    by_name = {r["name"]: r for r in doc["regions"]}
    for name, low in (("fetch", 15 * MS), ("render", 5 * MS)):
        assert name in by_name, sorted(by_name)
        r = by_name[name]
        assert r["count"] == 1, r
        # One instance: every statistic is that instance.
        assert r["min_ns"] == r["p50_ns"] == r["p95_ns"] == r["p99_ns"] == r["max_ns"], r
        assert r["total_ns"] == r["min_ns"], r
        assert low <= r["min_ns"] < SLOW, r


def test_text_views_exit_0(pipeline_trace):
    trace, _ = pipeline_trace
    tasks = run_ok("tasks", trace)
    assert "request" in tasks.stdout and "fetch" in tasks.stdout, tasks
    regions = run_ok("regions", trace)
    assert "fetch" in regions.stdout and "render" in regions.stdout, regions
    stats = run_ok("stats", trace)
    assert stats.stdout.strip(), stats


# ---- the run: output and exit status --------------------------------------


def test_no_matching_test_warns_and_exits_0(tmp_path):
    trace = tmp_path / "none.out"
    result = run(f"--trace={trace}", "-run", "NoSuchTest", PIPELINE)
    assert result.returncode == 0, result
    assert "warning" in result.output.lower(), result


def test_verbose_output(tmp_path):
    trace = tmp_path / "v.out"
    result = run_ok(f"--trace={trace}", "-v", "-run", "TestPipeline", PIPELINE)
    lines = result.stdout.splitlines()
    assert "=== RUN   TestPipeline" in lines, result
    assert any(l.startswith("--- PASS: TestPipeline (") for l in lines), result
    assert not any("TestCache" in l for l in lines), result


def test_final_line_says_ok_and_names_trace(tmp_path):
    trace = tmp_path / "final.out"
    result = run_ok(f"--trace={trace}", "-run", "TestPipeline", PIPELINE)
    last = result.stdout.rstrip("\n").splitlines()[-1]
    assert last.startswith("ok"), result
    assert str(trace) in last, result


def test_missing_binary_exits_2(tmp_path):
    missing = tmp_path / "no_such_test_binary"
    result = run(f"--trace={tmp_path / 't.out'}", missing)
    assert result.returncode == 2, result
    assert "no_such_test_binary" in result.stderr, result


def test_bad_flag_exits_2(tmp_path):
    result = run("--no-such-flag", f"--trace={tmp_path / 't.out'}", PIPELINE)
    assert result.returncode == 2, result
    assert "no-such-flag" in result.stderr, result


# ---- export ---------------------------------------------------------------


def test_export_jsonl(pipeline_trace, tmp_path):
    trace, _ = pipeline_trace
    out = tmp_path / "trace.jsonl"
    run_ok("export", "--format=jsonl", "-o", out, trace)
    lines = out.read_text().splitlines()
    assert lines, "empty export"
    for n, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise AssertionError(f"line {n} is not JSON ({e}): {line!r}") from None
        assert isinstance(obj, dict), f"line {n} is not an object: {line!r}"
    text = "\n".join(lines)
    for name in ("TestPipeline", "request", "fetch", "render", "id=req-42"):
        assert name in text, f"{name} not in the export"
