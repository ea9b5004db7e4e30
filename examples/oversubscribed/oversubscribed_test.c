/*
 * oversubscribed_test.c - a plain cmocka suite (no ctrace in it) whose test
 * starts four busy threads per CPU it may run on, each computing for about
 * 100 ms of its own CPU time: most of their lives they are runnable but
 * waiting for a CPU. Traced, those waits are WAIT events of kind sched:
 *
 *     ctest-trace --trace=trace.out ./oversubscribed_test
 *     ctest-trace threads trace.out     # sched wait per thread
 *     ctest-trace stats trace.out       # which source saw them
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h> /* sched_getaffinity */
#include <time.h>  /* clock_gettime */

#define THREADS_PER_CPU 4
#define MIN_THREADS 4
#define MAX_THREADS 256
#define SPIN_NS 100000000ull /* of each thread's own CPU time */

static pthread_barrier_t start; /* all compete from the same moment */
static _Thread_local volatile uint64_t sink; /* each thread's arithmetic: kept, never read */

static uint64_t cpu_time_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *spin(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    uint64_t t0 = cpu_time_ns();
    while (cpu_time_ns() - t0 < SPIN_NS)
        for (uint64_t i = 0; i < 100000; i++)
            sink += i * i;
    return NULL;
}

static int cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n > 0 ? n : 1;
}

static void TestOversubscribed(void **state)
{
    (void)state;
    int n = THREADS_PER_CPU * cpus();
    n = n < MIN_THREADS ? MIN_THREADS : n > MAX_THREADS ? MAX_THREADS : n;
    pthread_t threads[MAX_THREADS];
    assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, spin, NULL), 0);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestOversubscribed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
