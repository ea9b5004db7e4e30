/*
 * old_api_test.c - a cmocka suite that runs its tests with cmocka's older
 * run_tests() (an array of UnitTest that mixes tests with the setups and
 * teardowns around them), or with run_group_tests() when OLD_GROUP is set,
 * or one by one with run_test() when OLD_ONE is set.
 * Every way a test ends there: pass, fail, a signal cmocka catches (crash),
 * skip() (a failure to these runners), a setup serving one test or two, a
 * teardown or setup that fails, and a test cmocka then never runs.
 * OLD_ABORT=1: t_crash kills its process instead (abort()).
 * Each fixture and body prints its name, to see what ran in which test.
 * For tests/harness/test_old_api.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "suite_env.h"

static void said(const char *what)
{
    printf("%s\n", what);
    fflush(stdout);
}

static void t_pass(void **state)
{
    (void)state;
    said("t_pass body");
}

static void t_fail(void **state)
{
    (void)state;
    assert_int_equal(1 + 1, 3);
}

static void t_crash(void **state)
{
    (void)state;
    said("t_crash body");
    if (env_long("OLD_ABORT", 0))
        abort();
    raise(SIGSEGV); /* cmocka's handler catches it */
}

static void t_skip(void **state)
{
    (void)state;
    skip();
}

static void open_state(void **state)
{
    static int value = 42;
    said("open_state");
    *state = &value;
}

static void close_state(void **state)
{
    said("close_state");
    *state = NULL;
}

static void t_fixtures(void **state)
{
    said("t_fixtures body");
    assert_int_equal(*(int *)*state, 42);
}

static void shared_setup(void **state)
{
    (void)state;
    said("shared_setup");
}

static void shared_teardown(void **state)
{
    (void)state;
    said("shared_teardown");
}

static void t_shared_a(void **state)
{
    (void)state;
    said("t_shared_a body");
}

static void t_shared_b(void **state)
{
    (void)state;
    said("t_shared_b body");
}

static void failing_teardown(void **state)
{
    (void)state;
    fail_msg("teardown could not close");
}

static void t_teardown_fails(void **state)
{
    (void)state;
    said("t_teardown_fails body");
}

static void failing_setup(void **state)
{
    (void)state;
    fail_msg("setup could not open");
}

static void t_setup_fails(void **state)
{
    (void)state;
    said("t_setup_fails body"); /* never */
}

static void t_never_runs(void **state)
{
    (void)state;
    said("t_never_runs body"); /* cmocka runs nothing after a failed setup but a setup */
}

static void group_open(void **state)
{
    (void)state;
    said("group_open");
}

static void group_close(void **state)
{
    (void)state;
    said("group_close");
}

int main(void)
{
    const UnitTest tests[] = {
        unit_test(t_pass),
        unit_test(t_fail),
        unit_test(t_crash),
        unit_test(t_skip),
        unit_test_setup_teardown(t_fixtures, open_state, close_state),
        {"shared_setup", shared_setup, UNIT_TEST_FUNCTION_TYPE_SETUP},
        unit_test(t_shared_a),
        unit_test(t_shared_b),
        {"shared_teardown", shared_teardown, UNIT_TEST_FUNCTION_TYPE_TEARDOWN},
        unit_test_teardown(t_teardown_fails, failing_teardown),
        unit_test_setup(t_setup_fails, failing_setup),
        unit_test(t_never_runs),
    };
    const UnitTest group_tests[] = {
        group_test_setup(group_open),
        unit_test(t_pass),
        unit_test(t_fail),
        group_test_teardown(group_close),
    };
    if (env_long("OLD_GROUP", 0))
        return run_group_tests(group_tests);
    if (env_long("OLD_ONE", 0))
        return run_test(t_pass) + run_test(t_fail);
    return run_tests(tests);
}
