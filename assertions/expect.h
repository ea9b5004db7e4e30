/*
 * expect.h - what the cmocka hook tells the assertion engine about a test.
 */
#ifndef CT_ASSERTIONS_EXPECT_H
#define CT_ASSERTIONS_EXPECT_H

#include <stddef.h> /* size_t */

/* ct_run_group_tests runs a group on the calling thread (cmocka's), or is
 * done with it. */
void ct__expect_group_begin(void);
void ct__expect_group_end(void);

/* A test begins on the calling thread (cmocka's): the live aggregates start
 * over, and its expectations are collected. */
void ct__expect_test_begin(void);

/* The test's body returned: judge its ct_expect_*, report the ct_assert_*
 * that failed on other threads, and the --assert rules that apply to
 * `test_name`. On a failure, fails the test the cmocka way (a longjmp). */
void ct__expect_body_returned(const char *test_name);

/* Enter the tracer to judge assertions (ct__enter), with the calling
 * thread's scheduler waits read up to now. NULL: nothing to judge with. */
struct ct__thread;
struct ct__thread *ct__judge_enter(void);

/* The test is over (whatever way): forget its expectations. @return how
 * many ct_assert_* failed on other threads since its body returned (or
 * without its body returning), their messages in late (cap bytes, one a
 * line): the test fails for them. */
size_t ct__expect_test_end(char *late, size_t cap);

#endif /* CT_ASSERTIONS_EXPECT_H */
