/*
 * test_tsc_cache.c - the TSC's cached rate is used at once, and checked at
 * the run's end over the whole run: a wrong one is removed (a short run) or
 * replaced by the run's measurement (20 ms or more); a right one is kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/clock.h"
#include "recorder/tsc_cache.h"

static char dir[] = "/tmp/ctrace-tsc-XXXXXX";
static char path[sizeof dir + 32];

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static char boot[64];

static void write_rate(uint64_t hz)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%s %llu\n", boot, (unsigned long long)hz);
    fclose(f);
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
    snprintf(path, sizeof path, "%s/ctest-trace/tsc-hz", dir);
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
    char sub[sizeof path];
    snprintf(sub, sizeof sub, "%s/ctest-trace", dir);
    rmdir(sub);
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
    uint64_t t0, n0;
    ct__clock_pair(CT_CLOCK_TSC, &t0, &n0);
    nap_ms(30);
    assert_int_equal(ct__tsc_hz_verify(CT_CLOCK_TSC, hz, t0, n0), 0);
    assert_int_equal(read_rate(), hz);
}

static void test_a_wrong_rate_is_removed_after_a_short_run(void **state)
{
    (void)state;
    uint64_t wrong = true_rate() / 2 * 3;
    write_rate(wrong);
    int cached = 0;
    assert_int_equal(ct__tsc_hz_cached(CT_CLOCK_TSC, &cached), wrong);
    uint64_t t0, n0;
    ct__clock_pair(CT_CLOCK_TSC, &t0, &n0);
    nap_ms(3);
    assert_int_equal(ct__tsc_hz_verify(CT_CLOCK_TSC, wrong, t0, n0), 1);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_a_wrong_rate_is_replaced_after_a_long_run(void **state)
{
    (void)state;
    uint64_t hz = true_rate(), wrong = hz / 2 * 3;
    write_rate(wrong);
    uint64_t t0, n0;
    ct__clock_pair(CT_CLOCK_TSC, &t0, &n0);
    nap_ms(40);
    assert_int_equal(ct__tsc_hz_verify(CT_CLOCK_TSC, wrong, t0, n0), 1);
    uint64_t now = read_rate();
    double off = (double)now / (double)hz - 1;
    assert_true(off < 0.002 && off > -0.002);
}

static void test_a_run_too_short_checks_nothing(void **state)
{
    (void)state;
    uint64_t wrong = true_rate() * 2;
    write_rate(wrong);
    uint64_t t0, n0;
    ct__clock_pair(CT_CLOCK_TSC, &t0, &n0);
    int found = ct__tsc_hz_verify(CT_CLOCK_TSC, wrong, t0, n0);
    if (ct__mono_ns() - n0 >= 1000000)
        skip(); /* preempted for a millisecond: a run long enough to check */
    assert_int_equal(found, 0);
    assert_int_equal(read_rate(), wrong);
}

int main(void)
{
#if CT_HAVE_TSC
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_fresh_rate_is_measured_then_cached),
        cmocka_unit_test(test_a_right_rate_is_kept),
        cmocka_unit_test(test_a_wrong_rate_is_removed_after_a_short_run),
        cmocka_unit_test(test_a_wrong_rate_is_replaced_after_a_long_run),
        cmocka_unit_test(test_a_run_too_short_checks_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
#else
    return 77; /* no TSC here */
#endif
}
