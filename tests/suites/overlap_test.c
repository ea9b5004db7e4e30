/*
 * overlap_test.c - more tasks open at once on one thread than a 16-bit
 * depth holds, for the HTML report's timeline (tests/harness/
 * test_report_timeline.py): $OVERLAP tasks (70 000 by default) begun one
 * after the other and ended in the same order, so each overlaps all the
 * others; the timeline must place every one and keep the lane's height
 * bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h> /* calloc, free */
#include <cmocka.h>

#include <ctrace.h>

#include "suite_env.h"

static void TestOverlappingTasks(void **state)
{
    (void)state;
    long n = env_long("OVERLAP", 70000);
    ct_task **tasks = calloc((size_t)n, sizeof *tasks);
    assert_non_null(tasks);
    for (long i = 0; i < n; i++)
        tasks[i] = ct_task_begin(NULL, "overlap");
    for (long i = 0; i < n; i++)
        ct_task_end(tasks[i]);
    free(tasks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestOverlappingTasks),
    };
    return cmocka_run_group_tests_name("overlap", tests, NULL, NULL);
}
