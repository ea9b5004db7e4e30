/*
 * ctrace_cmocka.h - run a cmocka group with every test case as a trace task.
 *
 *     return ct_run_group_tests(tests, group_setup, group_teardown);
 *
 * is a drop-in for cmocka_run_group_tests(). Each test case becomes a task of
 * kind "test" named after the test, with its status (pass, fail, skip, error);
 * a test's own setup and teardown are regions "setup" and "teardown" inside
 * it; the group's setup and teardown are tasks of kind "fixture".
 * Under ctest-trace, -run/-skip select the tests and the runner prints them
 * like go test. Without a tracer the group runs exactly as cmocka runs it.
 */
#ifndef CTRACE_CMOCKA_H
#define CTRACE_CMOCKA_H

#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctrace.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! ct__run_group_tests() : what ct_run_group_tests() expands to.
 *  @return the number of tests that failed or errored, as cmocka does. */
CT_API int ct__run_group_tests(const char *group_name,
                               const struct CMUnitTest *tests, size_t count,
                               CMFixtureFunction group_setup,
                               CMFixtureFunction group_teardown);

#define ct_run_group_tests(group_tests, group_setup, group_teardown)             \
    ct__run_group_tests(#group_tests, (group_tests),                            \
                        sizeof(group_tests) / sizeof((group_tests)[0]),          \
                        (group_setup), (group_teardown))

#define ct_run_group_tests_name(group_name, group_tests, group_setup, group_teardown) \
    ct__run_group_tests((group_name), (group_tests),                            \
                        sizeof(group_tests) / sizeof((group_tests)[0]),          \
                        (group_setup), (group_teardown))

#ifdef __cplusplus
}
#endif
#endif /* CTRACE_CMOCKA_H */
