/*
 * formats_test.c - a plain cmocka suite for cmocka's own output formats
 * (CMOCKA_MESSAGE_OUTPUT=tap|xml|subunit) and the ways its group runner
 * ends a test or group: a pass, a failure, a signal cmocka catches in a
 * test and in a test's setup (a crash), and a group whose setup fails
 * saying why (BROKEN=segv: by a signal cmocka catches).
 * For tests/harness/test_cmocka_output.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void t_pass(void **state)
{
    (void)state;
    printf("t_pass body\n");
}

static void t_fail(void **state)
{
    (void)state;
    assert_string_equal("got", "want");
}

static void t_segv(void **state)
{
    (void)state;
    raise(SIGSEGV); /* cmocka's handler catches it */
}

static int setup_segv(void **state)
{
    (void)state;
    raise(SIGSEGV);
    return 0;
}

static void t_last(void **state)
{
    (void)state;
    printf("t_last body\n");
}

static int broken_setup(void **state)
{
    (void)state;
    const char *how = getenv("BROKEN");
    if (how && strcmp(how, "segv") == 0)
        raise(SIGSEGV);
    fail_msg("the database is down");
    return 0;
}

static void t_unreached(void **state)
{
    (void)state;
}

int main(void)
{
    const struct CMUnitTest formats[] = {
        cmocka_unit_test(t_pass),
        cmocka_unit_test(t_fail),
        cmocka_unit_test(t_segv),
        cmocka_unit_test_setup(t_pass, setup_segv),
        cmocka_unit_test(t_last),
    };
    const struct CMUnitTest broken[] = {cmocka_unit_test(t_unreached)};
    int failed = cmocka_run_group_tests_name("formats", formats, NULL, NULL);
    failed += cmocka_run_group_tests_name("broken", broken, broken_setup, NULL);
    return failed;
}
