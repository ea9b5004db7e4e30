/*
 * assertions_test.c - the ways a trace assertion is judged and reported,
 * for tests/harness/test_assertions.py: on another thread than the test's,
 * several expectations failing at once, and budgets kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestAssertOnWorker),
        cmocka_unit_test(TestTwoExpectationsFail),
        cmocka_unit_test(TestKeepsBudgets),
        cmocka_unit_test(TestAssertStopsTheTest),
        cmocka_unit_test(TestNothingRanAfterTheFailure),
    };
    return ct_run_group_tests(tests, NULL, NULL);
}
