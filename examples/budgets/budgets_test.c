/*
 * budgets_test.c - latency budgets and blocking limits as trace assertions.
 *
 * A small cache in front of a slow "database". TestWithinBudget keeps its
 * budgets and passes; TestSlowQuery's query region takes about 30 ms against
 * a 10 ms budget; TestLockWait's cache_get waits about 25 ms for the cache
 * lock against a 2 ms limit. Run under the runner:
 *
 *     ctest-trace -run TestWithinBudget ./budgets_test     # exit 0
 *     ctest-trace ./budgets_test                           # exit 1, and why:
 *     --- FAIL: TestSlowQuery (0.03s)
 *         region "db.query" took 30.1 ms > 10 ms (1 of 1 instance), thread 1 (tid 25429), ...
 *     --- FAIL: TestLockWait (0.03s)
 *         budgets_test.c:107: sync blocking 25.1 ms > 2 ms in cache_get (budgets_test.c:54), ...
 *
 * The same budgets can come from the command line instead, for every test:
 *     ctest-trace --assert='region(db.query).max<10ms' ./budgets_test
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int cache[64];

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* The slow path: a "query" of `ms` milliseconds. */
static int db_query(int key, long ms)
{
    CT_REGION_SCOPE(NULL, "db.query");
    sleep_ms(ms);
    return key * 2;
}

/* noinline: the failure names this function, where the lock is taken. */
static __attribute__((noinline)) int cache_get(int key)
{
    CT_REGION_SCOPE(NULL, "cache.get");
    pthread_mutex_lock(&cache_lock);
    int v = cache[key % 64];
    if (v == 0) {
        ct_logf(NULL, "cache", "miss %d", key);
        v = cache[key % 64] = db_query(key, 1);
    }
    pthread_mutex_unlock(&cache_lock);
    return v;
}

static void TestWithinBudget(void **state)
{
    (void)state;
    ct_expect_no_sync_block_over(CT_MS(200)); /* nobody holds the lock long */
    ct_expect_region_count("cache.get", 20, 20);
    memset(cache, 0, sizeof cache);
    for (int i = 0; i < 20; i++)
        assert_int_equal(cache_get(1 + i % 4), (1 + i % 4) * 2);
    ct_assert_region_max("cache.get", CT_MS(500));
    ct_assert_region_quantile("cache.get", 0.5, CT_MS(100));
    ct_assert_region_count("db.query", 4, 4); /* four misses, sixteen hits */
    ct_assert_log_seen("cache", "miss 4");
    ct_assert_test_max(CT_SEC(20));
}

static void TestSlowQuery(void **state)
{
    (void)state;
    assert_int_equal(db_query(7, 30), 14);
    ct_assert_region_max("db.query", CT_MS(10)); /* fails: it took about 30 ms */
}

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t held = PTHREAD_COND_INITIALIZER;
static int holding;

/* Holds the cache lock about 25 ms, as a slow writer would. */
static void *writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cache_lock);
    pthread_mutex_lock(&held_lock);
    holding = 1;
    pthread_cond_signal(&held);
    pthread_mutex_unlock(&held_lock);
    sleep_ms(25);
    pthread_mutex_unlock(&cache_lock);
    return NULL;
}

static void TestLockWait(void **state)
{
    (void)state;
    ct_expect_no_sync_block_over(CT_MS(2)); /* fails: cache_get waits about 25 ms */
    holding = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, writer, NULL), 0);
    pthread_mutex_lock(&held_lock);
    while (!holding)
        pthread_cond_wait(&held, &held_lock);
    pthread_mutex_unlock(&held_lock);
    cache[5] = 10;
    assert_int_equal(cache_get(5), 10);
    pthread_join(t, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestWithinBudget),
        cmocka_unit_test(TestSlowQuery),
        cmocka_unit_test(TestLockWait),
    };
    return ct_run_group_tests(tests, NULL, NULL);
}
