/*
 * test_collector.c - crash safety under a collector: a child killed by
 * SIGKILL (or leaving by _exit) loses no event it had committed.
 *
 * The test re-executes itself as the traced child: the collector hands it a
 * pool through CTRACE_POOL_FD, and libctrace's constructor attaches to it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_collect.h>

#include "child.h"
#include "events.h"

#define CHILD_REGIONS 200000

static char self_exe[4096];

/* The child: record, then die without any chance to flush. */
static int child_main(const char *how)
{
    if (!ct_is_enabled())
        return 3; /* the pool was not handed down */
    ct_task *t = ct_task_begin(NULL, "doomed");
    for (int i = 0; i < CHILD_REGIONS; i++)
        CT_WITH_REGION(t, "work") {
        }
    ct_region open = ct_region_begin(t, "in flight");
    (void)open;
    ct_log(t, "last", "written just before dying");
    if (strcmp(how, "kill") == 0)
        raise(SIGKILL);
    _exit(7);
}

static void run_child(const char *how, const char *trace)
{
    /* A small pool: chunks are recycled. */
    traced_child_run(self_exe, how, trace, (traced_child){4u << 20, CT_OVERFLOW_WAIT, 0, 5, NULL});
}

static void check_trace(const char *trace, int killed)
{
    tevs t;
    assert_int_equal(tevs_read(&t, trace), 0);
    assert_int_equal(t.rc, 0); /* the collector, not the child, closed it */
    size_t work = tevs_count(&t, CTR_REGION, "work");
    uint64_t lost = 0;
    for (size_t i = 0; i < t.n; i++)
        if (t.v[i].ev.kind == CTR_LOST)
            lost += t.v[i].ev.count;
    assert_int_equal(work + lost, CHILD_REGIONS);
    const tev *log = tevs_find(&t, CTR_LOG, "last", 0);
    assert_non_null(log);
    const tev *open = tevs_find(&t, CTR_REGION, "in flight", 0);
    assert_non_null(open);
    assert_true(open->ev.flags & CTR_F_UNENDED);
    const tev *end = tevs_find(&t, CTR_PROCESS_END, NULL, 0);
    assert_non_null(end);
    if (killed) {
        assert_true(end->ev.flags & CTR_F_SIGNALED);
        assert_int_equal(end->ev.exit_code, -SIGKILL);
    } else {
        assert_int_equal(end->ev.exit_code, 7);
    }
    const tev *task_end = tevs_find(&t, CTR_TASK_END, "doomed", 0);
    assert_non_null(task_end);
    assert_true(task_end->ev.flags & CTR_F_UNENDED);
    tevs_free(&t);
}

static void test_sigkill_loses_nothing_committed(void **state)
{
    (void)state;
    char trace[512];
    temp_trace_path(trace, sizeof trace, "kill");
    run_child("kill", trace);
    check_trace(trace, 1);
    unlink(trace);
}

static void test_underscore_exit_loses_nothing(void **state)
{
    (void)state;
    char trace[512];
    temp_trace_path(trace, sizeof trace, "exit");
    run_child("exit", trace);
    check_trace(trace, 0);
    unlink(trace);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        if (ct_start("/dev/null") != CT_EALREADY)
            return 4; /* the runner owns the tracer: the parent sees no events */
        return child_main(argv[2]);
    }
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_loses_nothing_committed),
        cmocka_unit_test(test_underscore_exit_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
