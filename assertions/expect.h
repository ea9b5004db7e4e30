/*
 * expect.h - what the cmocka hook tells the assertion engine about a test.
 */
#ifndef CT_ASSERTIONS_EXPECT_H
#define CT_ASSERTIONS_EXPECT_H

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

/* The test is over (whatever way): forget its expectations. */
void ct__expect_test_end(void);

#endif /* CT_ASSERTIONS_EXPECT_H */
