/*
 * assertions_test.c - the ways a trace assertion is judged and reported,
 * for tests/harness/test_assertions.py: on another thread than the test's
 * (during the body, after it, in a group fixture), several expectations
 * failing at once, and budgets kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

static void *assert_on_worker(void *arg)
{
    (void)arg;
    CT_WITH_REGION(NULL, "worker.step") {}
    ct_assert_region_count("worker.step", 2, 2); /* fails here, reported by the test */
    return NULL;
}

static void TestAssertOnWorker(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, assert_on_worker, NULL), 0);
    pthread_join(t, NULL);
}

static void TestTwoExpectationsFail(void **state)
{
    (void)state;
    ct_expect_region_max("never.runs", CT_MS(1));
    ct_expect_log_seen("audit", "written");
    ct_expect_test_max(CT_SEC(60)); /* holds */
    ct_log(NULL, "audit", "skipped");
}

static void TestKeepsBudgets(void **state)
{
    (void)state;
    ct_expect_region_max("step", CT_SEC(60));
    for (int i = 0; i < 100; i++)
        CT_WITH_REGION(NULL, "step") {}
    ct_assert_region_count("step", 100, 100);
}

/* An assertion that fails stops the test there, as cmocka's do. */
static int reached_after_failure;

static void TestAssertStopsTheTest(void **state)
{
    (void)state;
    ct_assert_region_max("absent", CT_MS(1));
    reached_after_failure = 1;
}

static void TestNothingRanAfterTheFailure(void **state)
{
    (void)state;
    assert_int_equal(reached_after_failure, 0);
}

/* A worker that asserts once the body returned (the teardown lets it go,
 * then joins it): cmocka can no longer fail the test, the tracer does. */
static pthread_t late_worker;
static int teardown_began;

static void *assert_late(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&teardown_began, __ATOMIC_ACQUIRE))
        sched_yield();
    ct_assert_task_max("never.begun", CT_MS(1));
    return NULL;
}

static void TestAssertAfterBody(void **state)
{
    (void)state;
    assert_int_equal(pthread_create(&late_worker, NULL, assert_late, NULL), 0);
}

static int join_late_worker(void **state)
{
    (void)state;
    __atomic_store_n(&teardown_began, 1, __ATOMIC_RELEASE);
    return pthread_join(late_worker, NULL);
}

/* A thread of the group's setup: no test to fail; said on stderr. */
static void *assert_in_fixture(void *arg)
{
    (void)arg;
    ct_assert_region_max("fixture.step", CT_MS(1));
    return NULL;
}

static int group_setup(void **state)
{
    (void)state;
    ct_assert_test_max(CT_SEC(60)); /* a window of its own: not since the process began */
    pthread_t t;
    if (pthread_create(&t, NULL, assert_in_fixture, NULL) != 0)
        return -1;
    return pthread_join(t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(TestAssertAfterBody, join_late_worker),
        cmocka_unit_test(TestAssertOnWorker),
        cmocka_unit_test(TestTwoExpectationsFail),
        cmocka_unit_test(TestKeepsBudgets),
        cmocka_unit_test(TestAssertStopsTheTest),
        cmocka_unit_test(TestNothingRanAfterTheFailure),
    };
    return ct_run_group_tests(tests, group_setup, NULL);
}
