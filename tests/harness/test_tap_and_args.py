"""--format=tap (runner/output_tap.c), read by meson's own TAP parser, and
where a test binary's arguments go (runner/run_args.c): `-- ARGS` after the
binaries, or `-- BINARY ARGS...` as wrappers give a command line."""

from mesonbuild.mtest import TAPParser  # meson is a dependency (ci/deps.sh)

from conftest import BUILD, run, tasks_by_name, only

FAILING = BUILD / "examples" / "failing_test"
NO_GROUP = BUILD / "tests" / "suites" / "no_group_main"


def tap_read(text):
    """What meson's TAP parser makes of `text`: (plan, [(number, name,
    result)]); any error or unknown line fails the test."""
    plan, points = None, []
    for item in TAPParser().parse(iter(text.splitlines())):
        if isinstance(item, TAPParser.Plan):
            plan = item
        elif isinstance(item, TAPParser.Test):
            points.append((item.number, item.name, item.result.name))
        elif not isinstance(item, TAPParser.Version):
            raise AssertionError(f"{item!r} in:\n{text}")
    return plan, points


def test_tap_has_a_point_per_test_and_the_plan_last():
    r = run("--format=tap", FAILING)
    assert r.returncode == 1, r  # the contract's status: a test failed
    assert r.stdout.startswith("TAP version 13\n") and r.stdout.endswith("1..4\n"), r
    plan, points = tap_read(r.stdout)
    assert plan.num_tests == 4 and plan.late, plan
    assert points == [(1, "- TestParse", "OK"), (2, "- TestChecksum", "FAIL"),
                      (3, "- TestNetwork", "SKIP"), (4, "- TestQuery", "FAIL")], r
    # cmocka's message, as a comment above the point; the failure's YAML after it
    assert "# [  ERROR   ] --- 0x45f != 0x3e8\n# [   LINE   ] --- " in r.stdout, r
    assert "not ok 2 - TestChecksum\n  ---\n  duration_ms: " in r.stdout, r


def test_tap_when_cmocka_prints_tap_itself():
    # meson users set CMOCKA_MESSAGE_OUTPUT=tap for protocol 'tap': the runner
    # then speaks TAP unasked, and cmocka's own TAP lines become comments
    env = {"CMOCKA_MESSAGE_OUTPUT": "TAP"}
    r = run(FAILING, env=env)
    assert r.returncode == 1, r
    plan, points = tap_read(r.stdout)
    assert [p[2] for p in points] == ["OK", "FAIL", "SKIP", "FAIL"] and plan.num_tests == 4, r
    assert "\n# 1..1\n" in r.stdout, r  # cmocka's own plan (of a group), a comment
    # asked for text or JSON, that is what it prints
    assert run("--format=text", FAILING, env=env).stdout.startswith("--- PASS: TestParse")
    assert run("--json", FAILING, env=env).stdout.startswith('{"Time"')


def test_tap_binary_that_skipped_itself_is_a_skip_and_exits_0():
    # TAP tells a skip itself; meson and automake read any other status than 0 as an error
    r = run("--format=tap", "--", NO_GROUP, "77")
    assert r.returncode == 0, r
    plan, points = tap_read(r.stdout)
    assert points == [(1, f"- {NO_GROUP}", "SKIP")] and plan.num_tests == 1, r
    assert "# SKIP the binary skipped itself (exit status 77)\n" in r.stdout, r


def test_tap_binary_that_ran_no_group_is_a_failing_point():
    r = run("--format=tap", "--", NO_GROUP, "3")
    assert r.returncode == 1, r
    plan, points = tap_read(r.stdout)
    assert points == [(1, f"- {NO_GROUP}", "FAIL")], r
    assert "# no cmocka group ran:" in r.stdout, r


def test_tap_numbers_points_across_binaries(tmp_path):
    r = run("--format=tap", f"--trace={tmp_path / 't.out'}", "-run", "TestParse", FAILING,
            FAILING)
    assert r.returncode == 0, r
    plan, points = tap_read(r.stdout)
    assert points == [(1, "- TestParse", "OK"), (2, "- TestParse", "OK")] and \
        plan.num_tests == 2, r


def test_tap_no_test_to_run_is_a_skipped_plan():
    r = run("--format=tap", "-run", "NoSuchTest", FAILING)
    assert r.returncode == 0, r
    plan, points = tap_read(r.stdout)
    assert points == [] and plan.num_tests == 0 and plan.skipped, r


def test_format_values_are_checked():
    for args, what in [(["--format=xml"], 'invalid value "xml" for flag --format'),
                       (["--json", "--format=tap"], "--json and --format=tap cannot be combined")]:
        r = run(*args, FAILING)
        assert r.returncode == 2 and what in r.stderr and r.stdout == "", r
    assert run("--json", "--format=json", "-run", "TestParse", FAILING).returncode == 0


def test_dashdash_before_the_binary_starts_its_command_line(tmp_path):
    # what a wrapper ending in "--" gives: every argument after BINARY is its own,
    # flags of ours included
    trace = tmp_path / "t.out"
    r = run(f"--trace={trace}", "-v", "--", FAILING, "-run", "--hello", "two words")
    assert r.returncode == 1, r
    for arg in ("-run", "--hello", "two words"):
        assert f"argument: {arg}\n" in r.stdout, r
    assert "--- PASS: TestParse" in r.stdout and "--- FAIL: TestChecksum" in r.stdout, r
    assert only(tasks_by_name(trace)["TestQuery"], "TestQuery")["status"] == "error"


def test_arguments_without_dashdash_say_where_they_go():
    hint = 'a test binary\'s arguments go after "--"'
    # an unknown flag after the binary: probably the binary's
    r = run(FAILING, "--hello")
    assert r.returncode == 2 and "unknown flag: --hello" in r.stderr and hint in r.stderr, r
    # a second "binary" that cannot run: probably an argument of the first
    r = run(FAILING, "hello")
    assert r.returncode == 2 and "hello: cannot run:" in r.stderr and hint in r.stderr, r
    # a mistake that is no such thing gets no hint
    for args in (["--hello", FAILING], [FAILING, "--", "x"]):
        r = run(*args)
        assert hint not in r.stderr, r
    r = run("/nonexistent")
    assert r.returncode == 2 and hint not in r.stderr, r


def test_tap_is_not_split_between_binaries_run_at_once():
    result = run("-p", "2", "--format=tap", BUILD / "examples" / "crash_test", FAILING)
    assert result.returncode == 2 and "TAP is one stream" in result.stderr, result
    assert result.stdout == "", result
