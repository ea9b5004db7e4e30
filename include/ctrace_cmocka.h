/*
 * ctrace_cmocka.h - run a cmocka group with every test case as a trace task.
 *
 *     return ct_run_group_tests(tests, group_setup, group_teardown);
 *
 * is a drop-in for cmocka_run_group_tests(). Each test case becomes a task of
 * kind "test" named after the test, with its status (pass, fail, skip, error);
 * a test's own setup and teardown are regions "setup" and "teardown" inside
 * it; the group's setup and teardown are tasks of kind "fixture".
 * Under ctest-trace, -run/-skip select the tests and the runner prints them
 * like go test. Without a tracer the group runs exactly as cmocka runs it.
 *
 * Trace assertions judge what was recorded during the current test, on all
 * threads: regions and tasks that began and finished in it, waits that
 * began in it, its logs. Each comes in two forms:
 *     ct_assert_region_max("db.query", CT_MS(10));  checked now, over the test so far
 *     ct_expect_region_max("db.query", CT_MS(10));  checked when the test body returns
 * A failure is a cmocka failure at the caller's file:line whose message
 * names the offender, its measured value and the limit, e.g.
 *     region "db.query" took 30.2 ms > 10 ms (1 of 4 instances), thread 1 (tid 4711), began 2.1 ms into the test
 *     sync blocking 24.9 ms > 2 ms in cache_get (cache.c:88), thread 2 (tid 4712), began 5 ms into the test (1 of 3 waits over 2 ms)
 * A ct_assert_* that fails on another thread than the test's is reported
 * when the test body returns (cmocka can only fail the test's own thread),
 * or when the test ends if it failed after that. A region ended on another
 * thread than the one that began it (misuse) is not counted.
 * Limits are nanoseconds: CT_US(), CT_MS(), CT_SEC(). Quantiles, and the
 * counts of instances over a limit, are those of a histogram whose buckets
 * are within 1/128 of their values (as `ctest-trace regions` computes them);
 * max, totals and counts are exact. Without a tracer (not under ctest-trace,
 * no ct_start) trace assertions check nothing, and say so once on stderr.
 */
#ifndef CTRACE_CMOCKA_H
#define CTRACE_CMOCKA_H

#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctrace.h>

#ifdef __cplusplus
extern "C" {
#endif

/*! ct__run_group_tests() : what ct_run_group_tests() expands to.
 *  @return the number of tests that failed or errored, as cmocka does. */
CT_API int ct__run_group_tests(const char *group_name,
                               const struct CMUnitTest *tests, size_t count,
                               CMFixtureFunction group_setup,
                               CMFixtureFunction group_teardown);

#define ct_run_group_tests(group_tests, group_setup, group_teardown)             \
    ct__run_group_tests(#group_tests, (group_tests),                            \
                        sizeof(group_tests) / sizeof((group_tests)[0]),          \
                        (group_setup), (group_teardown))

#define ct_run_group_tests_name(group_name, group_tests, group_setup, group_teardown) \
    ct__run_group_tests((group_name), (group_tests),                            \
                        sizeof(group_tests) / sizeof((group_tests)[0]),          \
                        (group_setup), (group_teardown))

/* ---- trace assertions ------------------------------------------------------ */

/* Region `name` finished at least once in this test, and every finished
 * instance took <= limit_ns. */
#define ct_assert_region_max(name, limit_ns) CT__CHECK(0, REGION_MAX, name, 0, 0, limit_ns, 0)
#define ct_expect_region_max(name, limit_ns) CT__CHECK(1, REGION_MAX, name, 0, 0, limit_ns, 0)
/* Quantile q (0 < q <= 1: 0.95 for p95) of region `name` <= limit_ns. */
#define ct_assert_region_quantile(name, q, limit_ns)                            \
    CT__CHECK(0, REGION_QUANTILE, name, 0, q, limit_ns, 0)
#define ct_expect_region_quantile(name, q, limit_ns)                            \
    CT__CHECK(1, REGION_QUANTILE, name, 0, q, limit_ns, 0)
/* Region `name` finished between min and max times (inclusive). */
#define ct_assert_region_count(name, min, max) CT__CHECK(0, REGION_COUNT, name, 0, 0, min, max)
#define ct_expect_region_count(name, min, max) CT__CHECK(1, REGION_COUNT, name, 0, 0, min, max)
/* Task `name` (ct_task_begin) finished at least once, each in <= limit_ns. */
#define ct_assert_task_max(name, limit_ns) CT__CHECK(0, TASK_MAX, name, 0, 0, limit_ns, 0)
#define ct_expect_task_max(name, limit_ns) CT__CHECK(1, TASK_MAX, name, 0, 0, limit_ns, 0)
/* The test (its setup included) took <= limit_ns: so far, or by the time
 * its body returns. */
#define ct_assert_test_max(limit_ns) CT__CHECK(0, TEST_MAX, 0, 0, 0, limit_ns, 0)
#define ct_expect_test_max(limit_ns) CT__CHECK(1, TEST_MAX, 0, 0, 0, limit_ns, 0)
/* No single lock, condition variable, semaphore, barrier, join or file-lock
 * wait took longer than threshold_ns. */
#define ct_assert_no_sync_block_over(threshold_ns) CT__CHECK(0, SYNC_OVER, 0, 0, 0, threshold_ns, 0)
#define ct_expect_no_sync_block_over(threshold_ns) CT__CHECK(1, SYNC_OVER, 0, 0, 0, threshold_ns, 0)
/* All sync waits of the test together took <= limit_ns. */
#define ct_assert_sync_block_total_max(limit_ns) CT__CHECK(0, SYNC_TOTAL, 0, 0, 0, limit_ns, 0)
#define ct_expect_sync_block_total_max(limit_ns) CT__CHECK(1, SYNC_TOTAL, 0, 0, 0, limit_ns, 0)
/* No single syscall wait (file I/O, sleep, child, signal) over threshold_ns. */
#define ct_assert_no_syscall_block_over(threshold_ns)                           \
    CT__CHECK(0, SYSCALL_OVER, 0, 0, 0, threshold_ns, 0)
#define ct_expect_no_syscall_block_over(threshold_ns)                           \
    CT__CHECK(1, SYSCALL_OVER, 0, 0, 0, threshold_ns, 0)
/* No single socket or poll/select/epoll wait over threshold_ns. */
#define ct_assert_no_net_block_over(threshold_ns) CT__CHECK(0, NET_OVER, 0, 0, 0, threshold_ns, 0)
#define ct_expect_no_net_block_over(threshold_ns) CT__CHECK(1, NET_OVER, 0, 0, 0, threshold_ns, 0)
/* No thread waited for a CPU longer than threshold_ns at once. Another
 * thread's scheduler waits are known up to its last task begin or end,
 * recorded wait or exit. */
#define ct_assert_no_sched_wait_over(threshold_ns)                              \
    CT__CHECK(0, SCHED_OVER, 0, 0, 0, threshold_ns, 0)
#define ct_expect_no_sched_wait_over(threshold_ns)                              \
    CT__CHECK(1, SCHED_OVER, 0, 0, 0, threshold_ns, 0)
/* A log of `category` (NULL: any) whose message contains `substring` was
 * recorded in this test. */
#define ct_assert_log_seen(category, substring) CT__CHECK(0, LOG_SEEN, category, substring, 0, 0, 0)
#define ct_expect_log_seen(category, substring) CT__CHECK(1, LOG_SEEN, category, substring, 0, 0, 0)

/* Private: what the macros above expand to. */
enum {
    CT__CHECK_REGION_MAX = 1,
    CT__CHECK_REGION_QUANTILE = 2,
    CT__CHECK_REGION_COUNT = 3,
    CT__CHECK_TASK_MAX = 4,
    CT__CHECK_TEST_MAX = 5,
    CT__CHECK_SYNC_OVER = 6,
    CT__CHECK_SYSCALL_OVER = 7,
    CT__CHECK_NET_OVER = 8,
    CT__CHECK_SCHED_OVER = 9,
    CT__CHECK_SYNC_TOTAL = 10,
    CT__CHECK_LOG_SEEN = 11,
};
CT_API void ct__check(int expect, int what, const char *name, const char *text, double q,
                      uint64_t a, uint64_t b, const char *file, int line);
#define CT__CHECK(expect, what, name, text, q, a, b)                              \
    ct__check((expect), CT__CHECK_##what, (name), (text), (double)(q), (uint64_t)(a), \
              (uint64_t)(b), __FILE__, __LINE__)

#ifdef __cplusplus
}
#endif
#endif /* CTRACE_CMOCKA_H */
