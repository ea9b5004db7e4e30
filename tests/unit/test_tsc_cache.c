/*
 * test_tsc_cache.c - the TSC's cached rate is used at once, and checked at
 * the run's end over the whole run: a wrong one is removed, a right one
 * kept, and a run across a suspend (CLOCK_BOOTTIME ahead of
 * CLOCK_MONOTONIC) judges nothing. ct_start() takes it too, read only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h> /* mkdir */
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>

#include "common/clock.h"
#include "recorder/tsc_cache.h"
#include "events.h" /* trace_text */

static char dir[] = "/tmp/ctrace-tsc-XXXXXX";
static char path[sizeof dir + 32];
static char subdir[sizeof dir + 16]; /* $XDG_CACHE_HOME/ctest-trace */

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static char boot[64];

/* The cache saying `hz` for the boot `id`. */
static void write_boot_rate(const char *id, uint64_t hz)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s %llu\n", id, (unsigned long long)hz);
    fclose(f);
}

static void write_rate(uint64_t hz)
{
    write_boot_rate(boot, hz);
}

static uint64_t read_rate(void)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char id[64];
    unsigned long long hz = 0;
    int ok = fscanf(f, "%63s %llu", id, &hz) == 2;
    fclose(f);
    return ok ? (uint64_t)hz : 0;
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    setenv("XDG_CACHE_HOME", dir, 1);
    snprintf(subdir, sizeof subdir, "%s/ctest-trace", dir);
    snprintf(path, sizeof path, "%s/tsc-hz", subdir);
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    int ok = f && fscanf(f, "%63s", boot) == 1;
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    rmdir(subdir);
    rmdir(dir);
    return 0;
}

/* The rate to trust: measured over 50 ms. */
static uint64_t true_rate(void)
{
    uint64_t hz = ct__clock_calibrate(CT_CLOCK_TSC, 50000000);
    assert_true(hz > 0);
    return hz;
}

static void test_a_fresh_rate_is_measured_then_cached(void **state)
{
    (void)state;
    unlink(path);
    int cached = 1;
    uint64_t hz = ct__tsc_hz_cached(CT_CLOCK_TSC, &cached);
    assert_int_equal(cached, 0);
    assert_int_equal(read_rate(), hz);
    assert_int_equal(ct__tsc_hz_cached(CT_CLOCK_TSC, &cached), hz);
    assert_int_equal(cached, 1);
}

static void test_a_right_rate_is_kept(void **state)
{
    (void)state;
    uint64_t hz = true_rate();
    write_rate(hz);
    int cached = 0;
    assert_int_equal(ct__tsc_hz_cached(CT_CLOCK_TSC, &cached), hz);
    assert_int_equal(cached, 1);
    ct_tsc_mark start;
    ct__tsc_mark(CT_CLOCK_TSC, &start);
    nap_ms(30);
    assert_int_equal(ct__tsc_hz_verify(CT_CLOCK_TSC, hz, &start), 0);
    assert_int_equal(read_rate(), hz);
}

/* Removed whatever the run's length, for the next run to measure again. */
static void test_a_wrong_rate_is_removed(void **state)
{
    (void)state;
    uint64_t wrong = true_rate() / 2 * 3;
    for (long ms = 3; ms <= 30; ms += 27) {
        write_rate(wrong);
        int cached = 0;
        assert_int_equal(ct__tsc_hz_cached(CT_CLOCK_TSC, &cached), wrong);
        ct_tsc_mark start;
        ct__tsc_mark(CT_CLOCK_TSC, &start);
        nap_ms(ms);
        assert_int_equal(ct__tsc_hz_verify(CT_CLOCK_TSC, wrong, &start), 1);
        assert_int_equal(access(path, F_OK), -1);
    }
}

static void test_a_run_too_short_checks_nothing(void **state)
{
    (void)state;
    uint64_t wrong = true_rate() * 2;
    write_rate(wrong);
    ct_tsc_mark start;
    ct__tsc_mark(CT_CLOCK_TSC, &start);
    int found = ct__tsc_hz_verify(CT_CLOCK_TSC, wrong, &start);
    if (ct__mono_ns() - start.mono_ns >= 1000000)
        skip(); /* preempted for a millisecond: a run long enough to check */
    assert_int_equal(found, 0);
    assert_int_equal(read_rate(), wrong);
}

/* A suspend the run spanned, a second of it: CLOCK_BOOTTIME at its start
 * set back by that. A rate wrong by twice, as the TSC counting on through it
 * would make a right one seem, is neither judged nor touched. */
static void test_a_run_across_a_suspend_leaves_the_cache(void **state)
{
    (void)state;
    uint64_t wrong = true_rate() * 2;
    write_rate(wrong);
    ct_tsc_mark start;
    ct__tsc_mark(CT_CLOCK_TSC, &start);
    start.boot_ns -= 1000000000;
    nap_ms(5);
    assert_int_equal(ct__tsc_hz_verify(CT_CLOCK_TSC, wrong, &start), 0);
    assert_int_equal(read_rate(), wrong);
}

/* Read only: no rate, no directory made; another boot's is not taken. */
static void test_the_cache_is_read_without_a_trace_of_it(void **state)
{
    (void)state;
    unlink(path);
    rmdir(subdir);
    assert_int_equal(ct__tsc_hz_from_cache(CT_CLOCK_TSC), 0);
    assert_int_equal(access(subdir, F_OK), -1);
    assert_int_equal(mkdir(subdir, 0700), 0);
    write_rate(2000000000u);
    assert_int_equal(ct__tsc_hz_from_cache(CT_CLOCK_TSC), 2000000000u);
    assert_int_equal(ct__tsc_hz_from_cache(CT_CLOCK_MONOTONIC), 0);
    write_boot_rate("another-boot", 2000000000u);
    assert_int_equal(ct__tsc_hz_from_cache(CT_CLOCK_TSC), 0);
}

/* The clock rate a trace says (its PROCESS_BEGIN's hz), from its text form. */
static uint64_t trace_hz(const char *trace)
{
    char *text = trace_text(trace);
    assert_non_null(text);
    const char *at = strstr(text, "process_begin");
    at = at ? strstr(at, " hz=") : NULL;
    uint64_t hz = at ? strtoull(at + 4, NULL, 10) : 0;
    free(text);
    return hz;
}

/* ct_start() takes the rate cached this boot (measuring none: a start
 * costs a fraction of a millisecond, not 5), and ct_stop() checks it over
 * the session: a right one is kept, a wrong one removed. */
static void test_ct_start_takes_the_cached_rate(void **state)
{
    (void)state;
    if (ct__clock_choose() != CT_CLOCK_TSC)
        skip(); /* CTRACE_CLOCK=monotonic, or no invariant TSC: nothing cached to take */
    char trace[sizeof dir + 32];
    snprintf(trace, sizeof trace, "%s/self.trace", dir);
    uint64_t hz = true_rate(), near = hz + hz / 2000; /* 0.05% off: right */
    write_rate(near);
    assert_int_equal(ct_start(trace), 0);
    nap_ms(30);
    assert_int_equal(ct_stop(), 0);
    assert_int_equal(trace_hz(trace), near);
    assert_int_equal(read_rate(), near);
    uint64_t wrong = hz / 2 * 3;
    write_rate(wrong);
    assert_int_equal(ct_start(trace), 0);
    nap_ms(30);
    assert_int_equal(ct_stop(), 0);
    assert_int_equal(trace_hz(trace), wrong);
    assert_int_equal(access(path, F_OK), -1);
    unlink(trace);
}

/* The verdicts, from marks made up: 3 GHz over a second. */
static void test_the_verdicts(void **state)
{
    (void)state;
    const uint64_t hz = 3000000000u, s = 1000000000u;
    ct_tsc_mark a = {.ticks = 5 * hz, .mono_ns = 7 * s, .boot_ns = 9 * s};
    ct_tsc_mark b = {.ticks = a.ticks + hz, .mono_ns = a.mono_ns + s, .boot_ns = a.boot_ns + s};
    double off = 1;
    assert_int_equal(ct__tsc_hz_judge(hz, &a, &b, &off), CT_TSC_RIGHT);
    assert_true(off == 0);
    assert_int_equal(ct__tsc_hz_judge(hz / 2, &a, &b, &off), CT_TSC_WRONG);
    assert_true(off > 0.99 && off < 1.01);
    assert_int_equal(ct__tsc_hz_judge(hz + hz / 1000, &a, &b, &off), CT_TSC_RIGHT);
    assert_int_equal(ct__tsc_hz_judge(hz + hz / 250, &a, &b, &off), CT_TSC_WRONG);
    /* A second suspended: the TSC counted it, CLOCK_MONOTONIC did not. */
    ct_tsc_mark slept = {.ticks = b.ticks + hz, .mono_ns = b.mono_ns, .boot_ns = b.boot_ns + s};
    assert_int_equal(ct__tsc_hz_judge(hz, &a, &slept, &off), CT_TSC_SUSPENDED);
    assert_true(off == 0);
    /* Half a millisecond apart: reads preempted, not a suspend. */
    slept = b;
    slept.boot_ns += 500000;
    assert_int_equal(ct__tsc_hz_judge(hz / 2, &a, &slept, &off), CT_TSC_WRONG);
    slept.boot_ns = b.boot_ns - 2000000; /* the start's reads preempted: can't tell */
    assert_int_equal(ct__tsc_hz_judge(hz / 2, &a, &slept, &off), CT_TSC_SUSPENDED);
    ct_tsc_mark brief = {.ticks = a.ticks + hz / 2000, .mono_ns = a.mono_ns + s / 2000,
                         .boot_ns = a.boot_ns + s / 2000};
    assert_int_equal(ct__tsc_hz_judge(hz / 2, &a, &brief, &off), CT_TSC_UNTOLD);
}

int main(void)
{
#if CT_HAVE_TSC
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_fresh_rate_is_measured_then_cached),
        cmocka_unit_test(test_a_right_rate_is_kept),
        cmocka_unit_test(test_a_wrong_rate_is_removed),
        cmocka_unit_test(test_a_run_too_short_checks_nothing),
        cmocka_unit_test(test_a_run_across_a_suspend_leaves_the_cache),
        cmocka_unit_test(test_the_verdicts),
        cmocka_unit_test(test_the_cache_is_read_without_a_trace_of_it),
        cmocka_unit_test(test_ct_start_takes_the_cached_rate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
#else
    return 77; /* no TSC here */
#endif
}
