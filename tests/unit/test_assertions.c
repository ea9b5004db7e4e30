/*
 * test_assertions.c - each trace assertion judged over the live aggregates
 * of the current test, and the message it fails with.
 *
 * The suite runs traced (ct_start) through ct_run_group_tests, so each test
 * below is a test window of its own, as under the runner. Checks are judged
 * with ct__check_run() to see their verdict and message without failing the
 * test; tests/harness/test_assertions.py runs real failures end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* mkstemp */
#include <string.h> /* strstr */
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

#include "common/hist.h"
#include "assertions/check.h"
#include "assertions/live.h"
#include "format/wire.h"         /* CT_BLOCK_* */
#include "plugin/api_internal.h" /* ct__enter, ct__block_end */
#include "common/clock.h"        /* ct__ticks */
#include "plugin/thread.h"       /* ct__self */

static char msg[CT_CHECK_MESSAGE];

/* Judge a check now, as ct_assert_* does. @return 0 holds, 1 fails, -1 wrong. */
static int judge(int what, const char *name, const char *text, double q, uint64_t a, uint64_t b)
{
    ct__check_spec c = {what, name, text, q, a, b};
    struct ct__thread *t = ct__enter();
    assert_non_null(t);
    int rc = ct__check_run(&c, 1, msg, sizeof msg);
    ct__leave(t);
    return rc;
}

static void expect_message(const char *part)
{
    if (!strstr(msg, part))
        fail_msg("message \"%s\" lacks \"%s\"", msg, part);
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

/* A wait of `ms` milliseconds of `kind` that ended now, recorded as the
 * interposers record one, called from this function's caller. Only waits
 * that began in the test count: a test using it first lives longer than
 * its waits (age_test). */
static __attribute__((noinline)) void waited(unsigned kind, uint64_t ms)
{
    ct__block_end(kind, ct__ticks() - ct__live_ns_to_ticks(ms * 1000000u), 0,
                  (uint64_t)(uintptr_t)__builtin_return_address(0));
}

/* Spin until the test is `ms` old: a sleep would be a wait of its own. */
static void age_test(uint64_t ms)
{
    uint64_t until = ct__live_test_start + ct__live_ns_to_ticks(ms * 1000000u);
    while (ct__ticks() < until) {
    }
}

/* ---- regions ---------------------------------------------------------------- */

static void region_max_names_the_region_and_how_many_broke_it(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        CT_WITH_REGION(NULL, "step") {}
    CT_WITH_REGION(NULL, "step") { sleep_ms(30); }
    assert_int_equal(judge(CT__CHECK_REGION_MAX, "step", NULL, 0, CT_SEC(60), 0), 0);
    assert_int_equal(judge(CT__CHECK_REGION_MAX, "step", NULL, 0, CT_MS(10), 0), 1);
    expect_message("region \"step\" took ");
    expect_message(" ms > 10 ms (1 of 3 instances), thread ");
    expect_message(" into the test");
}

static void a_region_that_never_finished_is_named(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "fetch") {}
    ct_region open = ct_region_begin(NULL, "open");
    assert_int_equal(judge(CT__CHECK_REGION_MAX, "fecth", NULL, 0, CT_SEC(1), 0), 1);
    assert_string_equal(msg, "no instance of region \"fecth\" finished in this test");
    assert_int_equal(judge(CT__CHECK_REGION_QUANTILE, "open", NULL, 0.5, CT_SEC(1), 0), 1);
    assert_string_equal(msg, "no instance of region \"open\" finished in this test");
    ct_region_end(&open);
    assert_int_equal(judge(CT__CHECK_REGION_QUANTILE, "open", NULL, 0.5, CT_SEC(1), 0), 0);
}

/* Two tests in a row: the second sees nothing of the first. */
static ct_region spans_tests;

static void first_test_records(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "only_in_first") {}
    spans_tests = ct_region_begin(NULL, "spans_tests");
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "only_in_first", NULL, 0, 1, 1), 0);
}

static void second_test_sees_only_its_own(void **state)
{
    (void)state;
    ct_region_end(&spans_tests); /* began in the first test: not this test's */
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "only_in_first", NULL, 0, 0, 0), 0);
    assert_int_equal(judge(CT__CHECK_REGION_MAX, "spans_tests", NULL, 0, CT_SEC(1), 0), 1);
    expect_message("no instance of region \"spans_tests\"");
}

static void *work(void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++)
        CT_WITH_REGION(NULL, "work") {}
    return NULL;
}

static void regions_of_threads_that_exited_still_count(void **state)
{
    (void)state;
    int n = 100;
    for (int round = 0; round < 3; round++) { /* later threads take over their shards */
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            assert_int_equal(pthread_create(&t[i], NULL, work, &n), 0);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    work(&n);
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "work", NULL, 0, 1300, 1300), 0);
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "work", NULL, 0, 1301, 1400), 1);
    assert_string_equal(msg, "region \"work\" finished 1300 times in this test, expected 1301 to 1400");
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "work", NULL, 0, 2000, UINT64_MAX), 1);
    expect_message("expected at least 2000");
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "work", NULL, 0, 5, 5), 1);
    expect_message("expected exactly 5");
}

static void *end_region(void *region)
{
    ct_region_end((ct_region *)region);
    return NULL;
}

/* Ending a region on another thread is misuse (the trace warns): it is not
 * timed. Ending regions out of LIFO order is timed. */
static void regions_ended_out_of_order_count_and_on_another_thread_not(void **state)
{
    (void)state;
    ct_region r = ct_region_begin(NULL, "handed_over");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, end_region, &r), 0);
    pthread_join(t, NULL);
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "handed_over", NULL, 0, 0, 0), 0);
    ct_region outer = ct_region_begin(NULL, "outer");
    ct_region inner = ct_region_begin(NULL, "inner");
    ct_region_end(&outer);
    ct_region_end(&inner);
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "outer", NULL, 0, 1, 1), 0);
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "inner", NULL, 0, 1, 1), 0);
}

/* Regions left open by earlier tests make room; nesting past what is timed
 * (CT_LIVE_OPEN deep) leaves the deepest untimed, never anything else. */
static void open_regions_of_earlier_tests_make_room(void **state)
{
    (void)state;
    enum { DEEP = CT_LIVE_OPEN + 8 };
    static ct_region nest[DEEP];
    for (int i = 0; i < DEEP; i++)
        nest[i] = ct_region_begin(NULL, "nest");
    for (int i = DEEP; i-- > 0;)
        ct_region_end(&nest[i]);
    /* The test before left "handed_over" open on this thread (it was ended
     * on another): it made room for one more. */
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "nest", NULL, 0, CT_LIVE_OPEN, CT_LIVE_OPEN), 0);
}

/* Quantiles and counts over a limit come from the same histogram as the
 * regions view's: fed the same values, they agree. */
static void quantiles_agree_with_the_regions_view(void **state)
{
    (void)state;
    const char *name = "synthetic";
    ct__shard *sh = ct__live_shard_take(CT_SERIES_REGION, name, strlen(name));
    assert_non_null(sh);
    ctv_hist h;
    ctv_hist_init(&h);
    ct__live_who who = {1, 1};
    for (uint64_t us = 1; us <= 1000; us++) {
        ct__live_add(sh, ct__live_gen, us * 1000, ct__ticks(), who, NULL, 0);
        assert_int_equal(ctv_hist_add(&h, us * 1000), 0);
    }
    ct__series *s = ct__live_find(CT_SERIES_REGION, name, 0);
    ct__live_sum sum;
    ct__live_sum_of(s, &sum);
    assert_int_equal(sum.count, 1000);
    assert_int_equal(sum.max_ns, 1000000);
    assert_int_equal(sum.min_ns, 1000);
    assert_int_equal(sum.total_ns, 500500000);
    static const double qs[] = {0.01, 0.5, 0.95, 0.99, 1.0};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        assert_int_equal(ct__live_quantile(s, &sum, qs[i]), ctv_hist_quantile(&h, qs[i]));
    uint64_t over = ct__live_count_over(s, &sum, 500000);
    assert_in_range(over, 490, 500); /* exact but for the limit's bucket (1/128) */
    assert_int_equal(ct__live_count_over(s, &sum, 1000000), 0);
    assert_int_equal(ct__live_count_over(s, &sum, 999999), 1);
    ctv_hist_free(&h);
    assert_int_equal(judge(CT__CHECK_REGION_QUANTILE, name, NULL, 0.95, CT_US(900), 0), 1);
    expect_message("region \"synthetic\" p95 946 us > 900 us (99 of 1000 instances");
    expect_message(" of 1000 instances over 900 us; longest 1 ms");
    assert_int_equal(judge(CT__CHECK_REGION_QUANTILE, name, NULL, 0.999, CT_US(900), 0), 1);
    expect_message(" p99.9 ");
    assert_int_equal(judge(CT__CHECK_REGION_QUANTILE, name, NULL, 0.95, CT_US(960), 0), 0);
    ct__live_sum empty;
    ct__live_sum_of(NULL, &empty);
    assert_int_equal(empty.count, 0);
}

/* A quick add counts an instance's bucket one add late (live.h): readers
 * count the one left behind, so a sum taken after any add is exact. */
static void quick_adds_are_counted_at_once(void **state)
{
    (void)state;
    const char *name = "left behind";
    ct__shard *sh = ct__live_shard_take(CT_SERIES_REGION, name, strlen(name));
    assert_non_null(sh);
    ctv_hist h;
    ctv_hist_init(&h);
    ct__live_who who = {1, 1};
    ct__live_add(sh, ct__live_gen, 1000, ct__ticks(), who, NULL, 0); /* the shortest */
    ct__live_add(sh, ct__live_gen, 1000000, ct__ticks(), who, NULL, 0); /* the longest */
    assert_int_equal(ctv_hist_add(&h, 1000), 0);
    assert_int_equal(ctv_hist_add(&h, 1000000), 0);
    ct__series *s = ct__live_find(CT_SERIES_REGION, name, 0);
    ct__live_sum sum;
    ct__live_add_quick(sh, ct__live_gen, 500000, ct__ticks(), who); /* left behind */
    ct__live_sum_of(s, &sum);
    assert_int_equal(sum.count, 3);
    assert_int_equal(ct__live_count_over(s, &sum, 400000), 2);
    ct__live_add_quick(sh, ct__live_gen, 600000, ct__ticks(), who); /* 500000 counted now */
    ct__live_sum_of(s, &sum);
    assert_int_equal(ct__live_count_over(s, &sum, 400000), 3);
    assert_int_equal(ct__live_count_over(s, &sum, 550000), 2);
    assert_int_equal(ctv_hist_add(&h, 500000), 0);
    assert_int_equal(ctv_hist_add(&h, 600000), 0);
    static const double qs[] = {0.001, 0.25, 0.5, 0.9, 0.999};
    uint64_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t ns = i % 3 ? 1000 + (x >> 33) % 999000 : 700000; /* repeats too */
        ct__live_add_quick(sh, ct__live_gen, ns, ct__ticks(), who);
        assert_int_equal(ctv_hist_add(&h, ns), 0);
        if (i % 101 != 0 && i < 2990)
            continue;
        ct__live_sum_of(s, &sum);
        assert_int_equal(sum.count, (uint64_t)i + 5);
        for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++)
            assert_int_equal(ct__live_quantile(s, &sum, qs[k]), ctv_hist_quantile(&h, qs[k]));
    }
    ctv_hist_free(&h);
}

static void a_quantile_outside_0_1_is_a_mistake(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "q") {}
    assert_int_equal(judge(CT__CHECK_REGION_QUANTILE, "q", NULL, 95, CT_MS(1), 0), -1);
    expect_message("quantile 95 is outside (0, 1]");
    assert_int_equal(judge(CT__CHECK_REGION_QUANTILE, "q", NULL, 0, CT_MS(1), 0), -1);
}

static void hostile_names_are_escaped(void **state)
{
    (void)state;
    const char *evil = "evil\n--- PASS: x\x1b[2J";
    CT_WITH_REGION(NULL, evil) {}
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, evil, NULL, 0, 2, 2), 1);
    assert_null(strchr(msg, '\n'));
    assert_null(strchr(msg, '\x1b'));
    expect_message("region \"evil\\n--- PASS: x\\x1b[2J\" finished 1 time in this test");
    const char *quoting = "say \"hi\" \\o/";
    CT_WITH_REGION(NULL, quoting) {}
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, quoting, NULL, 0, 2, 2), 1);
    expect_message("region \"say \\\"hi\\\" \\\\o/\" finished 1 time");
}

/* ---- tasks and the test ---------------------------------------------------- */

static void *end_task(void *task)
{
    sleep_ms(20);
    ct_task_end(task);
    return NULL;
}

static void task_max_times_tasks_across_threads(void **state)
{
    (void)state;
    ct_task *load = ct_task_begin(NULL, "load");
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, end_task, load), 0);
    pthread_join(t, NULL);
    ct_task_end(ct_task_begin(NULL, "load"));
    assert_int_equal(judge(CT__CHECK_TASK_MAX, "load", NULL, 0, CT_SEC(60), 0), 0);
    assert_int_equal(judge(CT__CHECK_TASK_MAX, "load", NULL, 0, CT_MS(5), 0), 1);
    expect_message("task \"load\" took ");
    expect_message(" > 5 ms (1 of 2 instances), thread ");
    assert_int_equal(judge(CT__CHECK_TASK_MAX, "unload", NULL, 0, CT_MS(5), 0), 1);
    assert_string_equal(msg, "no instance of task \"unload\" finished in this test");
}

/* More tasks open at once than are measured: the rest are not, and ending
 * them all neither hangs nor loses the ones measured. */
static void a_test_with_too_many_open_tasks(void **state)
{
    (void)state;
    enum { MANY = 1500 };
    static ct_task *open[MANY];
    for (int i = 0; i < MANY; i++)
        open[i] = ct_task_begin(NULL, "many");
    for (int i = 0; i < MANY; i++)
        ct_task_end(open[i]);
    assert_int_equal(judge(CT__CHECK_TASK_MAX, "many", NULL, 0, CT_SEC(60), 0), 0);
    ct__live_sum sum;
    ct__live_sum_of(ct__live_find(CT_SERIES_TASK, "many", 0), &sum);
    assert_in_range(sum.count, 1000, 1023);
}

/* A crash inside the tracer that cmocka caught leaves the thread marked
 * inside it: the next test records and judges again. */
static void a_crash_inside_the_tracer(void **state)
{
    (void)state;
    ct__self->busy = 1; /* as a fault in the tracer, longjmp'd out of, leaves it */
}

static void the_next_test_records_again(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "after") {}
    assert_int_equal(judge(CT__CHECK_REGION_COUNT, "after", NULL, 0, 1, 1), 0);
}

static void test_max_is_the_test_so_far(void **state)
{
    (void)state;
    sleep_ms(2);
    assert_int_equal(judge(CT__CHECK_TEST_MAX, NULL, NULL, 0, CT_SEC(60), 0), 0);
    assert_int_equal(judge(CT__CHECK_TEST_MAX, NULL, NULL, 0, CT_MS(1), 0), 1);
    expect_message(" ms > 1 ms so far");
}

/* ---- blocking ---------------------------------------------------------------- */

static __attribute__((noinline)) void cache_get(void)
{
    waited(CT_BLOCK_SYNC, 25);
    __asm__ volatile("" ::: "memory"); /* not a tail call: this frame stays */
}

static void sync_blocking_names_the_place_that_waited(void **state)
{
    (void)state;
    age_test(30);
    waited(CT_BLOCK_SYNC, 1);
    cache_get();
    waited(CT_BLOCK_SYNC, 3);
    assert_int_equal(judge(CT__CHECK_SYNC_OVER, NULL, NULL, 0, CT_MS(30), 0), 0);
    assert_int_equal(judge(CT__CHECK_SYNC_OVER, NULL, NULL, 0, CT_MS(2), 0), 1);
    expect_message("sync blocking 25"); /* 25 ms, or a hair more on a slow machine */
    expect_message(" ms > 2 ms in cache_get (test_assertions.c:");
    expect_message("(2 of 3 waits over 2 ms)");
    assert_int_equal(judge(CT__CHECK_SYNC_TOTAL, NULL, NULL, 0, CT_MS(40), 0), 0);
    assert_int_equal(judge(CT__CHECK_SYNC_TOTAL, NULL, NULL, 0, CT_MS(20), 0), 1);
    expect_message("sync blocking 29");
    expect_message(" ms in total > 20 ms (3 waits; longest 25");
    expect_message(" ms in cache_get");
    /* Other kinds are other series (not sched: spinning on a loaded
     * machine waits for a CPU for real). */
    assert_int_equal(judge(CT__CHECK_SYSCALL_OVER, NULL, NULL, 0, CT_MS(2), 0), 0);
    assert_int_equal(judge(CT__CHECK_NET_OVER, NULL, NULL, 0, CT_MS(2), 0), 0);
}

static void each_kind_of_blocking_is_named(void **state)
{
    (void)state;
    age_test(10);
    waited(CT_BLOCK_SYSCALL, 5);
    waited(CT_BLOCK_NET, 6);
    waited(CT_BLOCK_SCHED, 7);
    assert_int_equal(judge(CT__CHECK_SYSCALL_OVER, NULL, NULL, 0, CT_MS(1), 0), 1);
    expect_message("syscall blocking 5");
    expect_message(" ms > 1 ms in ");
    assert_int_equal(judge(CT__CHECK_NET_OVER, NULL, NULL, 0, CT_MS(1), 0), 1);
    expect_message("net blocking 6");
    assert_int_equal(judge(CT__CHECK_SCHED_OVER, NULL, NULL, 0, CT_MS(1), 0), 1);
    expect_message("sched wait "); /* this one, or a real one as long: the machine is loaded */
    expect_message(" ms > 1 ms");
    assert_int_equal(judge(CT__CHECK_SYNC_OVER, NULL, NULL, 0, 0, 0), 0);
}

/* A real wait, through the interposer: a recv the peer answers 20 ms later. */
static void *answer_late(void *arg)
{
    sleep_ms(20);
    assert_int_equal(write(*(int *)arg, "x", 1), 1);
    return NULL;
}

static void a_real_socket_wait_counts(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, answer_late, &sv[1]), 0);
    char c;
    assert_int_equal(recv(sv[0], &c, 1, 0), 1);
    pthread_join(t, NULL);
    close(sv[0]);
    close(sv[1]);
    assert_int_equal(judge(CT__CHECK_NET_OVER, NULL, NULL, 0, CT_MS(5), 0), 1);
    expect_message("net blocking ");
    expect_message(" in a_real_socket_wait_counts (test_assertions.c:");
}

/* ---- logs ---------------------------------------------------------------------- */

static void log_seen_finds_a_substring_in_a_category(void **state)
{
    (void)state;
    ct_log(NULL, "cache", "miss 42");
    ct_logf(NULL, "db", "query took %d ms", 12);
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "cache", "miss", 0, 0, 0), 0);
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, NULL, "took 12", 0, 0, 0), 0);
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "db", "", 0, 0, 0), 0);
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "cache", "took", 0, 0, 0), 1);
    assert_string_equal(msg, "no log in category \"cache\" containing \"took\" in this test (2 logs)");
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, NULL, "hit", 0, 0, 0), 1);
    assert_string_equal(msg, "no log containing \"hit\" in this test (2 logs)");
    ct_log(NULL, "scan", "aaab");
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "scan", "aab", 0, 0, 0), 0); /* a false start first */
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "scan", "aaab", 0, 0, 0), 0);
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "scan", "aabb", 0, 0, 0), 1);
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "scan", "aaaab", 0, 0, 0), 1);
}

static void *log_and_exit(void *arg)
{
    ct_logf(NULL, "worker", "done %d", *(int *)arg);
    return NULL;
}

/* Each thread keeps its own history, still read once the thread exited;
 * past its bound the logs are counted, and a search that fails says so. */
static void logs_of_threads_and_past_the_bound(void **state)
{
    (void)state;
    int ids[3] = {1, 2, 3};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, log_and_exit, &ids[i]), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++) {
        char want[16];
        snprintf(want, sizeof want, "done %d", ids[i]);
        assert_int_equal(judge(CT__CHECK_LOG_SEEN, "worker", want, 0, 0, 0), 0);
    }
    static char big[4000];
    memset(big, 'x', sizeof big - 1);
    for (int i = 0; i < 100; i++) /* 400 KB: more than a thread keeps */
        ct_log(NULL, "big", big);
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "big", "absent", 0, 0, 0), 1);
    expect_message("later logs were not kept");
}

static void logs_of_an_earlier_test_are_gone(void **state)
{
    (void)state;
    assert_int_equal(judge(CT__CHECK_LOG_SEEN, "cache", "miss", 0, 0, 0), 1);
    expect_message("(0 logs)");
}

/* ---- the public forms ------------------------------------------------------------ */

static void assertions_that_hold_do_not_fail(void **state)
{
    (void)state;
    ct_expect_region_max("kept", CT_SEC(60));
    ct_expect_region_count("kept", 1, 1);
    ct_expect_no_sync_block_over(CT_SEC(60));
    ct_expect_log_seen("later", "declared first");
    CT_WITH_REGION(NULL, "kept") {}
    ct_log(NULL, "later", "declared first, seen at the end");
    ct_assert_region_max("kept", CT_SEC(60));
    ct_assert_region_quantile("kept", 0.99, CT_SEC(60));
    ct_assert_region_count("kept", 1, 1);
    ct_assert_test_max(CT_SEC(60));
    ct_assert_no_sync_block_over(CT_SEC(60));
    ct_assert_sync_block_total_max(CT_SEC(60));
    ct_assert_no_syscall_block_over(CT_SEC(60));
    ct_assert_no_net_block_over(CT_SEC(60));
    ct_assert_no_sched_wait_over(CT_SEC(60));
    ct_assert_log_seen(NULL, "declared");
}

int main(void)
{
    char path[] = "/tmp/test_assertions_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ct_start(path) != 0)
        return 1;
    close(fd);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(region_max_names_the_region_and_how_many_broke_it),
        cmocka_unit_test(a_region_that_never_finished_is_named),
        cmocka_unit_test(first_test_records),
        cmocka_unit_test(second_test_sees_only_its_own),
        cmocka_unit_test(regions_of_threads_that_exited_still_count),
        cmocka_unit_test(regions_ended_out_of_order_count_and_on_another_thread_not),
        cmocka_unit_test(open_regions_of_earlier_tests_make_room),
        cmocka_unit_test(quantiles_agree_with_the_regions_view),
        cmocka_unit_test(quick_adds_are_counted_at_once),
        cmocka_unit_test(a_quantile_outside_0_1_is_a_mistake),
        cmocka_unit_test(hostile_names_are_escaped),
        cmocka_unit_test(task_max_times_tasks_across_threads),
        cmocka_unit_test(a_test_with_too_many_open_tasks),
        cmocka_unit_test(a_crash_inside_the_tracer),
        cmocka_unit_test(the_next_test_records_again),
        cmocka_unit_test(test_max_is_the_test_so_far),
        cmocka_unit_test(sync_blocking_names_the_place_that_waited),
        cmocka_unit_test(each_kind_of_blocking_is_named),
        cmocka_unit_test(a_real_socket_wait_counts),
        cmocka_unit_test(log_seen_finds_a_substring_in_a_category),
        cmocka_unit_test(logs_of_threads_and_past_the_bound),
        cmocka_unit_test(logs_of_an_earlier_test_are_gone),
        cmocka_unit_test(assertions_that_hold_do_not_fail),
    };
    int failed = ct_run_group_tests(tests, NULL, NULL);
    ct_stop();
    unlink(path);
    return failed;
}
