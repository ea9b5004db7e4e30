/*
 * mutex_storm.c - a plain cmocka suite (no ctrace in it) where 8 threads take
 * one mutex for a short critical section, over and over: the contended-lock
 * workload of bench/examples.sh, like the 8-goroutine mutex benchmark Go's
 * tracer slows down 1.28x. STORM_ITERS sets the locks per thread (1000000).
 */
#include <pthread.h>
#include <setjmp.h> /* cmocka.h needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#define THREADS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t shared_sum;
static long iters = 1000000;

static void *storm(void *arg)
{
    uint64_t seed = (uintptr_t)arg * 2654435761u + 1;
    for (long i = 0; i < iters; i++) {
        pthread_mutex_lock(&lock);
        for (int k = 0; k < 20; k++) /* a short critical section */
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        shared_sum += seed >> 60;
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static void TestMutexStorm(void **state)
{
    (void)state;
    const char *env = getenv("STORM_ITERS");
    if (env)
        iters = atol(env);
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, storm, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_true(shared_sum > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestMutexStorm)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
