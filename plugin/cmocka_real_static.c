/*
 * cmocka_real_static.c - the static libctrace calls cmocka's group runner
 * directly: it interposes nothing (a binary may link cmocka statically, and
 * a second definition would not link).
 */
#include "plugin/cmocka_real.h"

int ct__real_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                             size_t count, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown)
{
    return _cmocka_run_group_tests(group_name, tests, count, group_setup, group_teardown);
}
