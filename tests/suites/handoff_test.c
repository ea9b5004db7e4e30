/*
 * handoff_test.c - regions ended on another thread, many of them: the test's
 * thread begins each region and a worker ends it (ct_region_end on another
 * thread), HANDOFFS times (default 20 000), one at a time. The runner drains
 * the two threads in no particular order, so the worker's ends are often
 * read after the test's end, which the test's thread wrote later
 * (tests/harness/test_cross_thread_regions.py).
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

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestHandoff)};
    return cmocka_run_group_tests_name("handoff", tests, NULL, NULL);
}
