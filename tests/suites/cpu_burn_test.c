/*
 * cpu_burn_test.c - CPU time in the trace (tests/harness/test_cpu_profile.py):
 * TestBurn burns ~0.4 s of CPU in burn_in_region() inside the region
 * "hot loop", and ~0.1 s in burn_elsewhere() outside any region; TestWorker
 * has a thread of its own burn ~0.2 s in worker_burn() inside a task
 * "crunch"; TestSleep sleeps (no CPU time, no sample).
 *
 * With OWN_SIGPROF=1 the program handles SIGPROF itself (as gprof does)
 * from the middle of its first test on, a thread burning CPU meanwhile,
 * and checks that no signal of the tracer reaches its handler from then on.
 * With OWN_SIGPROF=2 it sets SIGPROF back to the default action (which
 * ends a process) through signal(), and burns on: a tick of the tracer's
 * would end it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <ctrace.h>

#include "suite_env.h"

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Each burner has a loop of its own, written out (not a macro's: its
 * lines would be one line), so that the profile names it. */
__attribute__((noinline)) static uint64_t burn_in_region(uint64_t ns)
{
    volatile uint64_t x = 1;
    uint64_t end = thread_cpu_ns() + ns;
    while (thread_cpu_ns() < end)
        for (int i = 0; i < 20000; i++)
            x = x * 6364136223846793005u + (uint64_t)i;
    return x;
}

__attribute__((noinline)) static uint64_t burn_elsewhere(uint64_t ns)
{
    volatile uint64_t x = 3;
    uint64_t end = thread_cpu_ns() + ns;
    while (thread_cpu_ns() < end)
        for (int i = 0; i < 20000; i++)
            x = x * 2862933555777941757u + (uint64_t)i;
    return x;
}

__attribute__((noinline)) static uint64_t worker_burn(uint64_t ns)
{
    volatile uint64_t x = 5;
    uint64_t end = thread_cpu_ns() + ns;
    while (thread_cpu_ns() < end)
        for (int i = 0; i < 20000; i++)
            x = x * 3935559000370003845u + (uint64_t)i;
    return x;
}

static volatile sig_atomic_t foreign_ticks; /* SIGPROFs from a timer not the program's */

static void own_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code == SI_TIMER)
        foreign_ticks++;
}

static void *burner(void *arg)
{
    (void)arg;
    burn_elsewhere(300000000);
    return NULL;
}

/* Takes SIGPROF while its own thread and another burn CPU, each with a
 * timer of the tracer armed. */
static void take_sigprof_while_burning(long how)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, burner, NULL), 0);
    struct timespec pause = {0, 20000000};
    nanosleep(&pause, NULL);
    if (how == 1) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = own_handler;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        assert_int_equal(sigaction(SIGPROF, &sa, NULL), 0);
    } else {
        assert_true(signal(SIGPROF, SIG_DFL) != SIG_ERR);
    }
    burn_elsewhere(200000000);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(foreign_ticks, 0);
}

static void TestBurn(void **state)
{
    (void)state;
    long own = env_long("OWN_SIGPROF", 0);
    if (own) {
        take_sigprof_while_burning(own);
        return;
    }
    ct_region r = ct_region_begin(NULL, "hot loop");
    burn_in_region(400000000);
    ct_region_end(&r);
    burn_elsewhere(100000000);
}

static void *worker(void *arg)
{
    ct_task *task = ct_task_begin(arg, "crunch");
    ct_task_adopt(task);
    worker_burn(200000000);
    ct_task_end(task);
    return NULL;
}

static void TestWorker(void **state)
{
    (void)state;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, worker, ct_task_current()), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(foreign_ticks, 0);
}

static void TestSleep(void **state)
{
    (void)state;
    struct timespec pause = {0, 100000000};
    nanosleep(&pause, NULL);
    assert_int_equal(foreign_ticks, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestBurn),
        cmocka_unit_test(TestWorker),
        cmocka_unit_test(TestSleep),
    };
    return cmocka_run_group_tests_name("cpu", tests, NULL, NULL);
}
