/*
 * handoff_test.c - regions ended on another thread, many of them
 * (tests/harness/test_cross_thread_ends.py). TestHandoff's thread begins
 * a region and a worker ends it (ct_region_end on another thread),
 * HANDOFFS times (default 20 000), one at a time. Then HELPER_TESTS tiny
 * tests (default 0) each begin a region and a task "job" that a thread
 * they start ends, as a callback on a worker would; with HELPERS_FAIL=1 the last of them fails
 * (a flight recorder's window then). The runner writes what threads wrote in
 * passes, so the ending thread's events may come after the test's end in
 * the file, which that test's thread wrote later.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include <ctrace.h>

#include "suite_env.h"

static ct_region handed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn = PTHREAD_COND_INITIALIZER;
static int begun; /* 1: `handed` is the worker's to end */
static long handoffs;

static void *ender(void *arg)
{
    for (long i = 0; i < handoffs; i++) {
        pthread_mutex_lock(&lock);
        while (!begun)
            pthread_cond_wait(&turn, &lock);
        ct_region_end(&handed);
        begun = 0;
        pthread_cond_signal(&turn);
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

static void TestHandoff(void **state)
{
    (void)state;
    handoffs = env_long("HANDOFFS", 20000);
    pthread_t worker;
    assert_int_equal(pthread_create(&worker, NULL, ender, NULL), 0);
    for (long i = 0; i < handoffs; i++) {
        pthread_mutex_lock(&lock);
        while (begun)
            pthread_cond_wait(&turn, &lock);
        handed = ct_region_begin(NULL, "handed over");
        begun = 1;
        pthread_cond_signal(&turn);
        pthread_mutex_unlock(&lock);
    }
    assert_int_equal(pthread_join(worker, NULL), 0);
}

static ct_region helped;
static ct_task *job;
static long helper_tests, helper_tests_run;

static void *helper(void *arg)
{
    ct_region_end(&helped);
    ct_task_end(job);
    return arg;
}

static void TestHelperEnds(void **state)
{
    (void)state;
    job = ct_task_begin(NULL, "job");
    helped = ct_region_begin(NULL, "ended by a helper");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, helper, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (++helper_tests_run == helper_tests && env_long("HELPERS_FAIL", 0))
        fail_msg("the last of %ld tests fails", helper_tests);
}

#define MAX_HELPER_TESTS 5000

int main(void)
{
    static struct CMUnitTest helped_tests[MAX_HELPER_TESTS];
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestHandoff)};
    long n = env_long("HELPER_TESTS", 0);
    n = n < MAX_HELPER_TESTS ? n : MAX_HELPER_TESTS;
    helper_tests = n;
    for (long i = 0; i < n; i++)
        helped_tests[i] = (struct CMUnitTest)cmocka_unit_test(TestHelperEnds);
    int failed = cmocka_run_group_tests_name("handoff", tests, NULL, NULL);
    if (n > 0)
        failed += _cmocka_run_group_tests("helpers", helped_tests, (size_t)n, NULL, NULL);
    return failed;
}
