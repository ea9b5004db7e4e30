/*
 * many_names_test.c - more names and threads than the HTML report's tables
 * show (tests/harness/test_report_pages.py): REGIONS region names and TASKS
 * user task names, each with a different number of instances, and a thread
 * for each of 520 start routines of their own (more than the 500 rows the
 * threads tables hold). The report must show the rows with the most total
 * time and say how many it left out.
 *
 *     MANY_REGIONS=N MANY_TASKS=N  (defaults 260 and 230)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h> /* snprintf */

#include <ctrace.h>

#include "suite_env.h"

static void one_region(const char *name)
{
    ct_region r = ct_region_begin(NULL, name);
    ct_region_end(&r);
}

static void one_task(const char *name)
{
    ct_task_end(ct_task_begin(NULL, name));
}

/* `count` names PREFIX-0000..., name i done 1 + i % kinds times: totals differ. */
static void many(const char *prefix, long count, long kinds, void (*one)(const char *name))
{
    char name[32];
    for (long i = 0; i < count; i++) {
        snprintf(name, sizeof name, "%s-%04ld", prefix, i);
        for (long k = 0; k <= i % kinds; k++)
            one(name);
    }
}

static void TestManyRegions(void **state)
{
    (void)state;
    many("region", env_long("MANY_REGIONS", 260), 5, one_region);
}

static void TestManyTasks(void **state)
{
    (void)state;
    many("task", env_long("MANY_TASKS", 230), 3, one_task);
}

/* 520 start routines, each its own function (the threads table groups by
 * start routine): 8 x 8 x 8 + 8 made by the preprocessor. */
#define ROUTINE(n)                                                                                \
    static void *routine_##n(void *arg)                                                          \
    {                                                                                             \
        ct_region r = ct_region_begin(NULL, "thread-work");                                      \
        ct_region_end(&r);                                                                        \
        return arg;                                                                               \
    }
#define ROUTINES8(p) ROUTINE(p##0) ROUTINE(p##1) ROUTINE(p##2) ROUTINE(p##3) \
    ROUTINE(p##4) ROUTINE(p##5) ROUTINE(p##6) ROUTINE(p##7)
#define ROUTINES64(p) ROUTINES8(p##0) ROUTINES8(p##1) ROUTINES8(p##2) ROUTINES8(p##3) \
    ROUTINES8(p##4) ROUTINES8(p##5) ROUTINES8(p##6) ROUTINES8(p##7)
ROUTINES64(1) ROUTINES64(2) ROUTINES64(3) ROUTINES64(4) ROUTINES64(5) ROUTINES64(6)
ROUTINES64(7) ROUTINES64(8) ROUTINES8(9)

#define NAME(n) routine_##n,
#define NAMES8(p) NAME(p##0) NAME(p##1) NAME(p##2) NAME(p##3) NAME(p##4) NAME(p##5) \
    NAME(p##6) NAME(p##7)
#define NAMES64(p) NAMES8(p##0) NAMES8(p##1) NAMES8(p##2) NAMES8(p##3) NAMES8(p##4) \
    NAMES8(p##5) NAMES8(p##6) NAMES8(p##7)
static void *(*const routines[])(void *) = {
    NAMES64(1) NAMES64(2) NAMES64(3) NAMES64(4) NAMES64(5) NAMES64(6) NAMES64(7) NAMES64(8)
    NAMES8(9)
};

static void TestManyThreads(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof routines / sizeof routines[0]; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, routines[i], NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestManyRegions),
        cmocka_unit_test(TestManyTasks),
        cmocka_unit_test(TestManyThreads),
    };
    return cmocka_run_group_tests_name("many_names", tests, NULL, NULL);
}
