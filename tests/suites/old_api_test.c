/*
 * old_api_test.c - a cmocka suite that runs its tests with the older
 * run_tests() API (an array of UnitTest), which the tracer does not hook: no
 * cmocka group runs, so no test is traced.
 * For tests/harness/test_honest_runs.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

static void t_old_style(void **state)
{
    (void)state;
}

int main(void)
{
    const UnitTest tests[] = {unit_test(t_old_style)};
    return run_tests(tests);
}
