/*
 * flight_test.c - a long suite for the flight recorder (--flight-recorder,
 * tests/harness/test_flight.py): FLIGHT_TESTS tests (400) that each end
 * FLIGHT_REGIONS regions (15 000) with a log every 64th, about 30 000 events
 * a test, 12 M in all; one of them, TestFailsLate, fails three quarters of
 * the way through with regions and logs of its own names, some on a thread
 * it starts.
 *
 * FLIGHT_HUGE=N adds TestHuge, which fails after N regions inside one that
 * stays open around them (more than a small window holds); FLIGHT_CRASH=1
 * adds TestCrash, whose process dies of SIGKILL in it, followed by one more
 * steady test (the runner goes on in a new process). FLIGHT_LOSE_STDOUT=1
 * puts /dev/null on stdout and stderr before the tests run, as code that
 * daemonizes does: the runner gets no marker and learns the tests from the
 * window of the process that died.
 *
 * FLIGHT_FAILING=N adds N quick tests TestFails/NNNN that each end
 * FLIGHT_FAILING_REGIONS regions (2000) named mine.NNNN, then fail: more
 * failures than the runner attaches as fast as they come.
 *
 * FLIGHT_BACKGROUND=1 starts a thread in the group's setup that holds
 * region bg.session open until the teardown, meanwhile idle in bg.tick
 * regions of 50 us sleep.
 */
#include <stdatomic.h> /* atomic_int */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ctrace.h>

#include "suite_env.h"

/* `n` regions named `name`, a log every 64th in category `name` too. */
static void steps(const char *name, long n)
{
    for (long i = 0; i < n; i++) {
        CT_WITH_REGION(NULL, name) {
            if (i % 64 == 0)
                ct_logf(NULL, name, "%s %ld", name, i);
        }
    }
}

static void TestSteady(void **state)
{
    (void)state;
    steps("steady.step", env_long("FLIGHT_REGIONS", 15000));
}

static void *late_worker(void *arg)
{
    (void)arg;
    steps("late.worker", 100); /* in the test's task: the thread inherits it */
    return NULL;
}

static void TestFailsLate(void **state)
{
    (void)state;
    pthread_t worker;
    assert_int_equal(pthread_create(&worker, NULL, late_worker, NULL), 0);
    CT_WITH_REGION(NULL, "late.outer") {
        steps("late.step", 200);
    }
    assert_int_equal(pthread_join(worker, NULL), 0);
    ct_log(NULL, "late", "about to fail");
    fail_msg("the late test fails on purpose");
}

static void TestHuge(void **state)
{
    (void)state;
    ct_region outer = ct_region_begin(NULL, "huge.outer");
    steps("huge.step", env_long("FLIGHT_HUGE", 0));
    ct_region_end(&outer);
    ct_log(NULL, "huge", "about to fail");
    fail_msg("the huge test fails on purpose");
}

static void TestFails(void **state)
{
    char name[32];
    snprintf(name, sizeof name, "mine.%04ld", (long)(intptr_t)*state);
    steps(name, env_long("FLIGHT_FAILING_REGIONS", 2000));
    fail_msg("%s fails on purpose", name);
}

static atomic_int background_begun, background_stop; /* between threads: C11 atomics */
static pthread_t background;

static void *background_main(void *arg)
{
    (void)arg;
    /* The session is no fixture's (the thread inherits the group setup's
     * task): a region of a test or fixture is closed with it, and this one
     * is to stay open past the tests, cut off by the window. */
    ct_task_adopt(NULL);
    ct_region session = ct_region_begin(NULL, "bg.session");
    background_begun = 1;
    while (!background_stop) {
        CT_WITH_REGION(NULL, "bg.tick") {
            usleep(50);
        }
    }
    ct_region_end(&session);
    return NULL;
}

static int background_setup(void **state)
{
    (void)state;
    if (pthread_create(&background, NULL, background_main, NULL) != 0)
        return -1;
    while (!background_begun) /* the tests run with bg.session open */
        usleep(100);
    return 0;
}

static int background_teardown(void **state)
{
    (void)state;
    background_stop = 1;
    return pthread_join(background, NULL) == 0 ? 0 : -1;
}

static void TestCrash(void **state)
{
    (void)state;
    steps("crash.step", 50);
    ct_log(NULL, "crash", "about to die");
    raise(SIGKILL);
}

int main(void)
{
    long tests = env_long("FLIGHT_TESTS", 400);
    long late = tests * 3 / 4, failing = env_long("FLIGHT_FAILING", 0);
    struct CMUnitTest *t = calloc((size_t)(tests + failing) + 4, sizeof *t);
    char (*names)[32] = calloc((size_t)(tests + failing) + 4, sizeof *names);
    if (!t || !names)
        return 3;
    size_t n = 0;
    for (long i = 0; i < tests; i++) {
        snprintf(names[n], sizeof names[n], i == late ? "TestFailsLate" : "TestSteady/%04ld", i);
        t[n] = (struct CMUnitTest){.name = names[n], .test_func = i == late ? TestFailsLate
                                                                              : TestSteady};
        n++;
    }
    for (long i = 0; i < failing; i++) {
        snprintf(names[n], sizeof names[n], "TestFails/%04ld", i);
        t[n] = (struct CMUnitTest){.name = names[n], .test_func = TestFails,
                                   .initial_state = (void *)(intptr_t)i};
        n++;
    }
    if (env_long("FLIGHT_HUGE", 0) > 0)
        t[n++] = (struct CMUnitTest){.name = "TestHuge", .test_func = TestHuge};
    if (env_long("FLIGHT_CRASH", 0)) {
        t[n++] = (struct CMUnitTest){.name = "TestCrash", .test_func = TestCrash};
        t[n++] = (struct CMUnitTest){.name = "TestAfterCrash", .test_func = TestSteady};
    }
    int null = env_long("FLIGHT_LOSE_STDOUT", 0) ? open("/dev/null", O_WRONLY) : -1;
    if (null >= 0 && (dup2(null, 1) < 0 || dup2(null, 2) < 0))
        return 3;
    int bg = env_long("FLIGHT_BACKGROUND", 0) != 0;
    int failed = _cmocka_run_group_tests("flight", t, n, bg ? background_setup : NULL,
                                         bg ? background_teardown : NULL);
    free(t);
    free(names);
    return failed;
}
