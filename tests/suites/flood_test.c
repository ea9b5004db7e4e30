/*
 * flood_test.c - a test that asks the tracer for more events than its pool
 * holds: FLOOD_THREADS threads (16) each end FLOOD_REGIONS regions (1 M) and
 * write a log every fourth region, with a task of their own begun and ended
 * every FLOOD_TASK_EVERY regions (4096), all inside one cmocka test.
 *
 * Every region carries its thread's number and its own number in its log
 * and in its name's place in a fixed cycle, so a reader can check that none
 * was lost, invented or reordered within its thread (tests/harness/
 * test_flood.py). Run bare (no tracer), every call is a no-op: what
 * bench/flood.sh compares against. FLOOD_TRACE=FILE makes the binary trace
 * itself with ct_start(FILE) (its drain thread in the process, not the
 * runner's collector). FLOOD_ASSERT=1 ends the test with a trace assertion
 * that holds on a whole trace (ct_assert_region_count of what was asked).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <ctrace.h>

#include "suite_env.h"
#include <ctrace_cmocka.h>

struct worker {
    pthread_t thread;
    long index, regions, task_every;
};

/* Region names cycle through these, so a reader can tell the order. */
static const char *const names[4] = {"flood.a", "flood.b", "flood.c", "flood.d"};

static void *flood(void *arg)
{
    struct worker *w = arg;
    ct_task *task = NULL;
    for (long i = 0; i < w->regions; i++) {
        if (w->task_every && i % w->task_every == 0) {
            if (task)
                ct_task_end(task);
            task = ct_task_begin(NULL, "flood.task");
        }
        ct_region r = ct_region_begin(task, names[i & 3]);
        if ((i & 3) == 3)
            ct_logf(task, "flood", "%ld %ld", w->index, i);
        ct_region_end(&r);
    }
    if (task)
        ct_task_end(task);
    return NULL;
}

static void TestFlood(void **state)
{
    (void)state;
    long threads = env_long("FLOOD_THREADS", 16);
    long regions = env_long("FLOOD_REGIONS", 1000000);
    long task_every = env_long("FLOOD_TASK_EVERY", 4096);
    struct worker *w = calloc((size_t)threads, sizeof *w);
    assert_non_null(w);
    for (long i = 0; i < threads; i++) {
        w[i] = (struct worker){.index = i, .regions = regions, .task_every = task_every};
        assert_int_equal(pthread_create(&w[i].thread, NULL, flood, &w[i]), 0);
    }
    for (long i = 0; i < threads; i++)
        assert_int_equal(pthread_join(w[i].thread, NULL), 0);
    free(w);
    if (env_long("FLOOD_ASSERT", 0))
        ct_assert_region_count("flood.a", (uint64_t)(threads * ((regions + 3) / 4)),
                               (uint64_t)(threads * ((regions + 3) / 4)));
}

int main(void)
{
    const char *self_trace = getenv("FLOOD_TRACE");
    if (self_trace && ct_start(self_trace) != 0)
        return 3;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestFlood),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (self_trace && ct_stop() != 0)
        return 4;
    return failed;
}
