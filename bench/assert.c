/*
 * assert.c - what a trace assertion (ct_assert_*, ctrace_cmocka.h) costs:
 * ns per passing call of each kind, in a test that has recorded 10 000
 * regions, 1000 tasks, 1000 logs and 100 sync waits. Goal: <= 1 us a call.
 *
 * One cmocka group run by ct_run_group_tests() under ct_start(), so that each
 * test is a test window as under ctest-trace. Its three tests differ in where
 * the 10 000 regions come from:
 *   one name      all named "fetch", on the test's thread
 *   ten names     1000 under each of 10 names ("fetch" among them)
 *   4 threads     all "fetch", on 4 threads that ran at once and have exited
 * Durations spread over about 8 octaves (tens of ns to a few us), the same for
 * each name, as real regions spread: a quantile walks what is filled. On 2
 * cores the 4 threads' regions also get a tail of preempted ones.
 *
 * Each kind is timed in batches of CALLS calls, the kinds interleaved, RUNS
 * batches each; the median and the best batch are printed, in thread CPU
 * time. Prints figures, never pass/fail. Linked against the shared libctrace,
 * as users link it.
 *
 *     build/bench/assert
 */
#include <errno.h>   /* errno */
#include <pthread.h> /* pthread_create, pthread_barrier_t, pthread_cond_timedwait */
#include <stdio.h>   /* printf, snprintf */
#include <stdlib.h>  /* mkdtemp, qsort, getenv */
#include <string.h>  /* strerror */
#include <time.h>    /* clock_gettime */
#include <unistd.h>  /* unlink, rmdir */

#include <ctrace_cmocka.h>

#define REGIONS 10000
#define NAMES 10
#define THREADS 4
#define TASKS 1000
#define LOGS 1000
#define WAITS 100
#define CALLS 1000 /* per timed batch */
#define RUNS 7     /* batches of each kind */
#define GOAL_NS 1000.0

static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void spin(unsigned n)
{
    for (unsigned j = 0; j < n; j++)
        __asm__ volatile("");
}

/* ---- what a test records ---------------------------------------------------- */

static const char *const names[NAMES] = {"fetch", "parse",  "render", "db.query", "cache",
                                         "encode", "decode", "send",   "recv",     "step"};
static uint64_t fetches; /* regions "fetch" in the current test */

/* Region i: its duration from i % 10, its name from i / 10, so that every
 * name gets every duration. */
static void region(unsigned i, unsigned nnames)
{
    ct_region r = ct_region_begin(NULL, names[i / 10 % nnames]);
    spin(32u << (i % 10));
    ct_region_end(&r);
}

static pthread_barrier_t start_together;

static void *region_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_together); /* all 4 at once: a shard each */
    for (unsigned i = 0; i < REGIONS / THREADS; i++)
        region(i, 1);
    return NULL;
}

static void record_regions_on_threads(void)
{
    pthread_t th[THREADS];
    pthread_barrier_init(&start_together, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, region_thread, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start_together);
}

/* Sync waits: a timed wait on a condition variable nobody signals. */
static void record_waits(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&m);
    for (int i = 0; i < WAITS; i++) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&c, &m, &until);
    }
    pthread_mutex_unlock(&m);
}

static void record_tasks_and_logs(void)
{
    for (unsigned i = 0; i < TASKS; i++) {
        ct_task *t = ct_task_begin(NULL, "job");
        spin(32u << (i % 10));
        ct_task_end(t);
    }
    for (int i = 0; i < LOGS; i++)
        ct_logf(NULL, "bench", "request %d done", i);
}

/* ---- the assertions timed: each passes ---------------------------------------- */

typedef void assert_fn(void);

static void region_max(void) { ct_assert_region_max("fetch", CT_SEC(1)); }
static void region_p95(void) { ct_assert_region_quantile("fetch", 0.95, CT_SEC(1)); }
static void region_count(void) { ct_assert_region_count("fetch", fetches, fetches); }
static void sync_over(void) { ct_assert_no_sync_block_over(CT_SEC(1)); }
static void sync_total(void) { ct_assert_sync_block_total_max(CT_SEC(10)); }
static void task_max(void) { ct_assert_task_max("job", CT_SEC(1)); }
static void test_max(void) { ct_assert_test_max(CT_SEC(3600)); }
static void log_first(void) { ct_assert_log_seen("bench", "request 0 "); }
static void log_last(void) { ct_assert_log_seen("bench", "request 999 "); }

static const struct kind {
    const char *label;
    assert_fn *call;
    int linear; /* judged by its cost per log, not against the goal */
} kinds[] = {
    {"ct_assert_region_max", region_max, 0},
    {"ct_assert_region_quantile p95", region_p95, 0},
    {"ct_assert_region_count", region_count, 0},
    {"ct_assert_no_sync_block_over", sync_over, 0},
    {"ct_assert_sync_block_total_max", sync_total, 0},
    {"ct_assert_task_max (1000 tasks)", task_max, 0},
    {"ct_assert_test_max", test_max, 0},
    {"ct_assert_log_seen, 1st of 1000 logs", log_first, 0},
    {"ct_assert_log_seen, last of 1000", log_last, 1},
};
#define KINDS (sizeof kinds / sizeof kinds[0])

enum { ONE_NAME, TEN_NAMES, ON_THREADS, SCENARIOS };
static const char *const scenario_labels[SCENARIOS] = {"one name", "ten names", "4 threads"};
static double median_ns[SCENARIOS][KINDS], best_ns[SCENARIOS][KINDS];

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double batch(assert_fn *call)
{
    double t0 = cpu_ns();
    for (int i = 0; i < CALLS; i++)
        call();
    return (cpu_ns() - t0) / CALLS;
}

static void measure(int s)
{
    static double v[KINDS][RUNS];
    for (size_t k = 0; k < KINDS; k++)
        kinds[k].call(); /* warm, and a failure shows before any timing */
    for (int r = 0; r < RUNS; r++)
        for (size_t k = 0; k < KINDS; k++)
            v[k][r] = batch(kinds[k].call);
    for (size_t k = 0; k < KINDS; k++) {
        qsort(v[k], RUNS, sizeof v[k][0], cmp_double);
        median_ns[s][k] = v[k][RUNS / 2];
        best_ns[s][k] = v[k][0];
    }
}

static void one_name(void **state)
{
    (void)state;
    for (unsigned i = 0; i < REGIONS; i++)
        region(i, 1);
    fetches = REGIONS;
    record_waits();
    record_tasks_and_logs();
    measure(ONE_NAME);
}

static void ten_names(void **state)
{
    (void)state;
    for (unsigned i = 0; i < REGIONS; i++)
        region(i, NAMES);
    fetches = REGIONS / NAMES;
    record_waits();
    record_tasks_and_logs();
    measure(TEN_NAMES);
}

static void on_threads(void **state)
{
    (void)state;
    record_regions_on_threads();
    fetches = REGIONS;
    record_waits();
    record_tasks_and_logs();
    measure(ON_THREADS);
}

/* ---- main ----------------------------------------------------------------------- */

static void print_table(void)
{
    printf("\nns per passing call: median of %d batches of %d calls (best batch)\n", RUNS,
           CALLS);
    printf("%-38s", "assertion");
    for (int s = 0; s < SCENARIOS; s++)
        printf(" %18s", scenario_labels[s]);
    printf("   goal       verdict\n");
    for (size_t k = 0; k < KINDS; k++) {
        double worst = 0;
        printf("%-38s", kinds[k].label);
        for (int s = 0; s < SCENARIOS; s++) {
            char cell[32];
            snprintf(cell, sizeof cell, "%.0f (%.0f)", median_ns[s][k], best_ns[s][k]);
            printf(" %18s", cell);
            worst = median_ns[s][k] > worst ? median_ns[s][k] : worst;
        }
        if (kinds[k].linear)
            printf("   linear     info\n");
        else
            printf("   <= %.0f ns %s\n", GOAL_NS, worst <= GOAL_NS ? "meets" : "misses");
    }
    printf("log_seen per log scanned (last - 1st) / %d:", LOGS - 1);
    for (int s = 0; s < SCENARIOS; s++)
        printf(" %.1f ns", (median_ns[s][KINDS - 1] - median_ns[s][KINDS - 2]) / (LOGS - 1));
    printf("\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* in order with cmocka's lines on stderr */
    char dir[256], trace[320];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ctrace-assert-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "assert: mkdtemp(%s): %s\n", dir, strerror(errno));
        return 2;
    }
    snprintf(trace, sizeof trace, "%s/assert.ctrace", dir);
    int rc = ct_start(trace);
    if (rc != 0) {
        fprintf(stderr, "assert: ct_start(%s): %s\n", trace, ct_strerror(rc));
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_name),
        cmocka_unit_test(ten_names),
        cmocka_unit_test(on_threads),
    };
    int failed = ct_run_group_tests(tests, NULL, NULL);
    ct_stop();
    unlink(trace);
    rmdir(dir);
    if (failed) {
        fprintf(stderr, "assert: %d test(s) failed: an assertion that should pass did not\n",
                failed);
        return 2;
    }
    printf("trace assertions, %d regions (durations over ~8 octaves), %d tasks, %d logs, "
           "%d sync waits a test", REGIONS, TASKS, LOGS, WAITS);
    print_table();
    return 0;
}
