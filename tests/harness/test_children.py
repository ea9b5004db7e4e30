"""Processes a test starts (tests/suites/children_test.c): a forked child, a
program linked with libctrace spawned, or forked and exec'd, a plain
program (preloaded), a child that crashes, one that outlives its test, one
that outlives the binary: each a process of the trace under the test that
started it, unless --follow-children=off."""

import json
import re

from conftest import BUILD, run, run_ok, tasks_by_name, only

SUITE = BUILD / "tests" / "suites" / "children_test"
HELPER = BUILD / "tests" / "suites" / "children_helper"
ENV = {"CHILDREN_HELPER": str(HELPER)}


def traced(tmp_path, *flags, env=None):
    trace = tmp_path / "t.trace"
    result = run_ok(f"--trace={trace}", *flags, SUITE, env={**ENV, **(env or {})})
    return trace, result


def test_forked_child_is_a_process_under_its_test(tmp_path):
    trace, _ = traced(tmp_path)
    tasks = tasks_by_name(trace)
    test = only(tasks["t_forks_a_worker"], "t_forks_a_worker")
    proc = only(test["processes"], "process of t_forks_a_worker")
    assert proc["end"] == "exit" and proc["exit_code"] == 0, proc
    assert proc["exe"].endswith("children_test") and proc["outlived_ns"] == 0, proc
    regions = {r["name"]: r for r in test["regions"]}
    # the child's regions, on its threads (not the test binary's)
    assert regions["child.work"]["tid"] == proc["pid"], regions
    assert regions["child.hold"]["tid"] not in (proc["pid"], test["pid"]), regions
    assert regions["child.work"]["duration_ns"] >= 40_000_000, regions
    assert proc["pid"] in test["threads"] and test["pid"] in test["threads"], test
    # its blocking shows as the parent's does: the lock and the sleep
    threads = run_ok("threads", "--json", trace).json()["threads"]
    child = only([t for t in threads if t["tid"] == proc["pid"]], "the child's main thread")
    assert child["pid"] == proc["pid"] and child["creator_tid"] == test["pid"], child
    assert child["sync_block_ns"] >= 15_000_000, child
    assert child["syscall_block_ns"] >= 15_000_000, child
    holder = only([t for t in threads if t["tid"] == regions["child.hold"]["tid"]], "holder")
    assert holder["pid"] == proc["pid"] and holder["start_fn"] == "holder", holder
    by_name = {r["name"]: r for r in run_ok("regions", "--json", trace).json()["regions"]}
    for name in ("child.work", "child.hold", "helper.step", "crash.before", "late.work"):
        assert by_name[name]["count"] >= 1 and by_name[name]["unended"] == 0, by_name[name]
    folded = tmp_path / "sync.folded"
    run_ok("profile", "--type=sync", "--format=folded", "-o", folded, trace)
    assert "child_work" in folded.read_text()


def test_spawned_program_is_a_process_under_its_test(tmp_path):
    trace, _ = traced(tmp_path)
    tasks = tasks_by_name(trace)
    test = only(tasks["t_spawns_a_program"], "t_spawns_a_program")
    proc = only(test["processes"], "process of t_spawns_a_program")
    assert proc["exe"].endswith("children_helper"), proc
    assert proc["end"] == "exit" and proc["exit_code"] == 3, proc
    assert [r["name"] for r in test["regions"]] == ["helper.step"], test
    assert test["regions"][0]["tid"] == proc["pid"], test
    # its own task hangs under the test
    own = only([t for t in tasks["helper.task"] if t["parent"] == test["id"]], "helper.task")
    assert own["pid"] == proc["pid"], own
    assert [r["name"] for r in own["regions"]] == ["helper.inner"], own
    # only the test binary runs tests of the run
    assert len([t for ts in tasks.values() for t in ts if t["kind"] == "test"]) == 10, tasks


def test_a_forked_child_that_execs_is_one_process_named_by_its_program(tmp_path):
    trace, _ = traced(tmp_path)
    tasks = tasks_by_name(trace)
    test = only(tasks["t_forks_and_execs"], "t_forks_and_execs")
    proc = only(test["processes"], "process of t_forks_and_execs")
    assert proc["exe"].endswith("children_helper"), proc
    assert proc["end"] == "exit" and proc["exit_code"] == 3, proc
    assert [(r["name"], r["tid"]) for r in test["regions"]] == [("helper.step", proc["pid"])]
    own = only([t for t in tasks["helper.task"] if t["parent"] == test["id"]], "helper.task")
    assert own["pid"] == proc["pid"], own


def test_a_plain_program_is_traced_through_the_preload(tmp_path):
    trace, _ = traced(tmp_path)
    test = only(tasks_by_name(trace)["t_runs_a_plain_program"], "t_runs_a_plain_program")
    proc = only(test["processes"], "process of t_runs_a_plain_program")
    assert proc["exe"].endswith("/sleep") and proc["exit_code"] == 0, proc
    threads = run_ok("threads", "--json", trace).json()["threads"]
    sleep = only([t for t in threads if t["pid"] == proc["pid"]], "sleep's thread")
    assert sleep["syscall_block_ns"] >= 30_000_000, sleep  # its nanosleep


def test_a_crash_of_a_child_is_counted(tmp_path):
    trace, _ = traced(tmp_path)
    tasks = tasks_by_name(trace)
    test = only(tasks["t_child_crashes"], "t_child_crashes")
    assert test["status"] == "pass", test  # the test's process did not crash
    proc = only(test["processes"], "process of t_child_crashes")
    assert proc["end"] == "signal" and proc["exit_code"] == -6, proc
    assert [r["name"] for r in test["regions"]] == ["crash.before"], test
    stats = run_ok("stats", trace).stdout
    assert re.search(rf"pid {proc['pid']}\s+killed by signal 6", stats), stats
    assert "tests:      10 (8 pass, 2 skip)" in stats, stats


def test_a_child_that_outlives_its_test_is_said_so(tmp_path):
    trace, _ = traced(tmp_path)
    tasks = tasks_by_name(trace)
    proc = only(only(tasks["t_outlives"], "t_outlives")["processes"], "the late child")
    assert proc["end"] == "exit" and proc["outlived_ns"] >= 200_000_000, proc
    assert only(tasks["t_reaps_late"], "t_reaps_late")["processes"] == []
    text = run_ok("tasks", trace).stdout
    assert re.search(rf"process {proc['pid']} children_test: exit 0, .* outlived its test by "
                     r"[0-9.]+ ms", text), text
    for other in ("t_forks_a_worker", "t_spawns_a_program", "t_forks_and_execs",
                  "t_runs_a_plain_program", "t_child_crashes"):
        assert only(tasks[other], other)["processes"][0]["outlived_ns"] == 0, tasks[other]


def test_a_child_that_outlives_the_binary_is_traced_a_while_then_said_running(tmp_path):
    trace, result = traced(tmp_path, env={"CHILDREN_LEAVE": "1"})
    assert ("warning: 1 process its tests started still ran 1s after the binary exited: "
            "traced no further") in result.output, result
    tasks = tasks_by_name(trace)
    test = only(tasks["t_leaves_one_running"], "t_leaves_one_running")
    proc = only(test["processes"], "the child left running")
    assert proc["end"] == "running" and proc["exit_code"] is None, proc
    assert proc["outlived_ns"] >= 500_000_000, proc  # traced a while after the binary
    # its region is cut off where tracing stopped, without a warning
    stats = run_ok("stats", trace).stdout
    assert "warnings:   0" in stats, stats
    assert "still running when the trace ended" in run_ok("tasks", trace).stdout


def test_follow_children_off_leaves_them_out(tmp_path):
    trace, _ = traced(tmp_path, "--follow-children=off")
    tasks = tasks_by_name(trace)
    for ts in tasks.values():
        for t in ts:
            assert t["processes"] == [], t
    names = {r["name"] for ts in tasks.values() for t in ts for r in t["regions"]}
    assert names == {"parent.before"}, names
    assert "processes:  1" in run_ok("stats", trace).stdout
    on, _ = traced(tmp_path, "--follow-children=on")
    assert "processes:  8" in run_ok("stats", on).stdout


def test_follow_children_takes_on_or_off():
    r = run("--follow-children=maybe", SUITE)
    assert r.returncode == 2, r
    assert 'invalid value "maybe" for flag --follow-children: must be on or off' in r.stderr, r


def test_exports_and_merge_keep_them_under_their_test(tmp_path):
    trace, _ = traced(tmp_path)
    otlp = tmp_path / "t.otlp.json"
    run_ok("export", "--format=otlp", "-o", otlp, trace)
    spans = [sp for r in json.loads(otlp.read_text())["resourceSpans"]
             for s in r["scopeSpans"] for sp in s["spans"]]
    by_id = {sp["spanId"]: sp["name"] for sp in spans}
    parents = {}
    for sp in spans:
        parents.setdefault(sp["name"], set()).add(by_id.get(sp.get("parentSpanId")))
    # a child's region in its test's task is a child span of the test's span
    assert parents["child.work"] == {"t_forks_a_worker"}, parents
    assert parents["helper.step"] == {"t_spawns_a_program", "t_forks_and_execs"}, parents
    assert parents["helper.task"] == {"t_spawns_a_program", "t_forks_and_execs"}, parents
    for fmt in ("chrome", "perfetto"):
        run_ok("export", f"--format={fmt}", "-o", tmp_path / f"t.{fmt}", trace)
    run_ok("report", "-o", tmp_path / "r.html", trace)
    # merged with another run: each child still under its own run's test
    merged = tmp_path / "m.trace"
    run_ok("merge", "-o", merged, trace, trace)
    tasks = tasks_by_name(merged)
    works = [t for t in tasks["t_forks_a_worker"]]
    assert len(works) == 2, works
    for t in works:
        proc = only(t["processes"], "process of a merged t_forks_a_worker")
        assert [r["tid"] for r in t["regions"] if r["name"] == "child.work"] == [proc["pid"]], t


def test_more_processes_than_the_table_holds(tmp_path):
    """63 at once are traced, the others said and left out; slots come free
    as processes end, and are taken again."""
    trace = tmp_path / "t.trace"
    result = run_ok("-v", "-run", "t_many_at_once", f"--trace={trace}", SUITE,
                    env={"CHILDREN_MANY": "70"})
    said = re.findall(r"process \d+ forks a child that is not traced: the trace pool's "
                      r"process table is full \(63 processes at once\)", result.output)
    # 7 of those at once; of those in turn, the first may come before the
    # collector freed the slots of the ones at once (it does at its next drain)
    assert len(said) >= 7, result
    in_turn = 70 - (len(said) - 7)
    assert in_turn > 0, result
    stats = run_ok("stats", trace).stdout
    assert "damage:     none" in stats and "warnings:   0" in stats, stats
    test = only(tasks_by_name(trace)["t_many_at_once"], "t_many_at_once")
    procs = test["processes"]
    assert len(procs) == 63 + in_turn, len(procs)
    assert all(p["end"] == "exit" for p in procs), procs
    expected = sorted(i % 3 for i in range(70 - in_turn, 70))  # the last in turn
    assert sorted(p["exit_code"] for p in procs[63:]) == expected, procs[63:]
    names = [r["name"] for r in test["regions"]]
    assert names.count("many.wait") == 63 and names.count("many.turn") == in_turn, names


def test_a_forked_child_that_runs_on_in_the_group_runs_no_test_of_the_run(tmp_path):
    trace, result = traced(tmp_path, "-v")
    assert result.stdout.count("--- PASS: t_child_runs_on") == 1, result
    tasks = tasks_by_name(trace)
    test = only(tasks["t_child_runs_on"], "t_child_runs_on")
    proc = only(test["processes"], "the child that ran on")
    assert proc["end"] == "exit" and proc["exit_code"] == 0, proc
    tests = [t for ts in tasks.values() for t in ts if t["kind"] in ("test", "fixture")]
    assert all(t["pid"] != proc["pid"] for t in tests), tests
