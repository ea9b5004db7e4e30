/*
 * thread_start_suite.c - a plain cmocka suite whose one test makes and joins
 * THREAD_START_N threads (default 2000) one after another, each doing
 * nothing, and appends what the loop cost its own process (wall ns, CPU ns
 * of every thread of the process) as a line to the file THREAD_START_OUT.
 * With THREAD_START_CPU=K the process first pins itself to CPU K: a new
 * thread then runs where its creator waits, and no wake-up crosses CPUs
 * (on a VM, where a new thread lands decides its cost more than anything).
 * bench/thread_start_runner.sh runs it bare and under ctest-trace: there the
 * tracer's drain and compression run in the runner, another process, as
 * they do for every suite a user runs under ctest-trace.
 */
#include <pthread.h>      /* pthread_create, pthread_join */
#include <sched.h>        /* sched_setaffinity */
#include <setjmp.h>       /* cmocka.h needs it */
#include <stdarg.h>       /* cmocka.h needs it */
#include <stddef.h>       /* cmocka.h needs it */
#include <stdint.h>       /* uint64_t */
#include <stdio.h>        /* fopen, fprintf */
#include <stdlib.h>       /* getenv, strtoul */

#include <cmocka.h>

#include "bench_clock.h"

static void *empty_thread(void *arg)
{
    return arg;
}

static void TestThreadStart(void **state)
{
    (void)state;
    const char *n_text = getenv("THREAD_START_N"), *out = getenv("THREAD_START_OUT");
    unsigned long n = n_text ? strtoul(n_text, NULL, 10) : 2000;
    const char *cpu_text = getenv("THREAD_START_CPU");
    if (cpu_text) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)strtoul(cpu_text, NULL, 10), &set);
        assert_int_equal(sched_setaffinity(0, sizeof set, &set), 0);
    }
    uint64_t wall0 = ct__mono_ns(), cpu0 = bench_process_cpu_ns();
    for (unsigned long i = 0; i < n; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, empty_thread, NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
    }
    uint64_t wall = ct__mono_ns() - wall0, cpu = bench_process_cpu_ns() - cpu0;
    if (out) {
        FILE *f = fopen(out, "a");
        assert_non_null(f);
        fprintf(f, "%llu %llu %lu\n", (unsigned long long)wall, (unsigned long long)cpu, n);
        fclose(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestThreadStart)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
