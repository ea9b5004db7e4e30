/*
 * test_views_hist.c - the latency histogram behind `ctest-trace regions`
 * (exact for one value, within 1 % for many, clamped into [min, max], small)
 * and durations and sizes written for people.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>   /* NAN */
#include <stdint.h> /* UINT64_MAX */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* malloc, free, qsort */
#include <string.h> /* strcmp, strchr, strlen */

#include <ctrace.h> /* CT_MS, CT_SEC */

#include "common/decimal.h"
#include "common/hist.h"
#include "common/human.h"

static const double quantiles[] = {0.01, 0.10, 0.25, 0.50, 0.90, 0.95, 0.99, 0.999};

static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 11;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank quantile of sorted values: what the histogram estimates. */
static uint64_t exact_quantile(const uint64_t *sorted, size_t n, double q)
{
    double wanted = q * (double)n;
    size_t rank = (size_t)wanted;
    if ((double)rank < wanted)
        rank++;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static void assert_within_1_percent(uint64_t got, uint64_t exact)
{
    uint64_t diff = got > exact ? got - exact : exact - got;
    if ((double)diff > 0.01 * (double)exact)
        fail_msg("estimate %llu is more than 1%% from %llu", (unsigned long long)got,
                 (unsigned long long)exact);
}

/* ---- histogram ------------------------------------------------------------ */

static void test_empty_histogram(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    assert_int_equal(h.count, 0);
    assert_int_equal(ctv_hist_quantile(&h, 0.5), 0);
    ctv_hist_free(&h);
}

static void test_one_value_is_exact(void **state)
{
    (void)state;
    const uint64_t values[] = {0, 1, 63, 64, 65, 1000, 12345, 30200000,
                               123456789123ull, UINT64_MAX - 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        ctv_hist h;
        ctv_hist_init(&h);
        assert_int_equal(ctv_hist_add(&h, values[i]), 0);
        assert_int_equal(h.count, 1);
        assert_true(h.min == values[i] && h.max == values[i] && h.total == values[i]);
        for (size_t q = 0; q < sizeof quantiles / sizeof quantiles[0]; q++)
            assert_true(ctv_hist_quantile(&h, quantiles[q]) == values[i]);
        ctv_hist_free(&h);
    }
}

static void test_equal_values_are_exact(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(ctv_hist_add(&h, 1234567), 0);
    assert_int_equal(h.count, 10000);
    assert_int_equal(h.total, 12345670000ull);
    for (size_t q = 0; q < sizeof quantiles / sizeof quantiles[0]; q++)
        assert_int_equal(ctv_hist_quantile(&h, quantiles[q]), 1234567);
    ctv_hist_free(&h);
}

static void test_small_values_are_exact(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    for (uint64_t v = 0; v < 100; v++)
        ctv_hist_add(&h, v);
    /* Below 64 every value has its own bucket. */
    assert_int_equal(ctv_hist_quantile(&h, 0.01), 0);
    assert_int_equal(ctv_hist_quantile(&h, 0.10), 9);
    assert_int_equal(ctv_hist_quantile(&h, 0.50), 49);
    assert_int_equal(ctv_hist_quantile(&h, 0.64), 63);
    ctv_hist_free(&h);
}

static void test_quantiles_clamped_into_min_max(void **state)
{
    (void)state;
    /* 1000..1007 share a bucket whose midpoint is 1004. */
    ctv_hist h;
    ctv_hist_init(&h);
    ctv_hist_add(&h, 1000);
    ctv_hist_add(&h, 1001);
    assert_int_equal(ctv_hist_quantile(&h, 0.5), 1001);  /* not 1004 > max */
    assert_int_equal(ctv_hist_quantile(&h, 0.99), 1001);
    ctv_hist_free(&h);

    ctv_hist_init(&h);
    ctv_hist_add(&h, 1006);
    ctv_hist_add(&h, 1007);
    assert_int_equal(ctv_hist_quantile(&h, 0.5), 1006);  /* not 1004 < min */
    ctv_hist_free(&h);
}

static void test_quantile_edges(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    for (uint64_t v = 1000; v <= 5000; v += 1000)
        ctv_hist_add(&h, v);
    assert_int_equal(ctv_hist_quantile(&h, 0.0), 1000);
    assert_int_equal(ctv_hist_quantile(&h, -1.0), 1000);
    assert_int_equal(ctv_hist_quantile(&h, NAN), 1000);
    assert_int_equal(ctv_hist_quantile(&h, 1.0), 5000);
    assert_int_equal(ctv_hist_quantile(&h, 2.0), 5000);
    ctv_hist_free(&h);
}

/* Random durations from 100 ns to ~100 s, spread over many octaves: every
 * quantile within 1 % of the exact nearest-rank value. */
static void test_many_values_within_1_percent(void **state)
{
    (void)state;
    enum { N = 200000 };
    uint64_t *values = malloc(N * sizeof *values);
    assert_non_null(values);
    ctv_hist h;
    ctv_hist_init(&h);
    uint64_t seed = 42, total = 0;
    for (size_t i = 0; i < N; i++) {
        unsigned octave = (unsigned)(next_random(&seed) % 30);
        uint64_t v = 100 + (next_random(&seed) % ((uint64_t)100 << octave));
        values[i] = v;
        total += v;
        assert_int_equal(ctv_hist_add(&h, v), 0);
    }
    qsort(values, N, sizeof *values, by_value);
    assert_int_equal(h.count, N);
    assert_true(h.total == total);
    assert_true(h.min == values[0] && h.max == values[N - 1]);
    for (size_t q = 0; q < sizeof quantiles / sizeof quantiles[0]; q++)
        assert_within_1_percent(ctv_hist_quantile(&h, quantiles[q]),
                                exact_quantile(values, N, quantiles[q]));
    free(values);
    ctv_hist_free(&h);
}

/* Uniform values: p50 and p99 where they should be. */
static void test_uniform_values(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    for (uint64_t v = 1; v <= 100000; v++)
        ctv_hist_add(&h, v * 1000);
    assert_within_1_percent(ctv_hist_quantile(&h, 0.50), 50000000);
    assert_within_1_percent(ctv_hist_quantile(&h, 0.95), 95000000);
    assert_within_1_percent(ctv_hist_quantile(&h, 0.99), 99000000);
    ctv_hist_free(&h);
}

/* Memory follows the octaves the values span, not their number. */
static void test_memory_bounded(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    uint64_t seed = 7;
    for (int i = 0; i < 1000000; i++)
        ctv_hist_add(&h, 1000000 + next_random(&seed) % 3000000); /* 1..4 ms */
    unsigned allocated = 0;
    for (unsigned g = 0; g < CTV_HIST_GROUPS; g++)
        allocated += h.groups[g] != NULL;
    assert_in_range(allocated, 1, 3);
    ctv_hist_free(&h);
}

static void test_total_saturates(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    ctv_hist_add(&h, UINT64_MAX);
    ctv_hist_add(&h, UINT64_MAX);
    assert_true(h.total == UINT64_MAX);
    assert_int_equal(h.count, 2);
    assert_true(ctv_hist_quantile(&h, 0.5) == UINT64_MAX);
    ctv_hist_free(&h);
}

/* ---- durations and sizes for people --------------------------------------- */

static void assert_duration(uint64_t ns, const char *expected)
{
    char buf[CTV_HUMAN_BUF];
    assert_string_equal(ctv_format_duration(buf, ns), expected);
}

static void test_durations_for_people(void **state)
{
    (void)state;
    assert_duration(0, "0 ns");
    assert_duration(850, "850 ns");
    assert_duration(999, "999 ns");
    assert_duration(1000, "1 us");
    assert_duration(1500, "1.5 us");
    assert_duration(12400, "12.4 us");
    assert_duration(12345, "12.3 us");
    assert_duration(123456, "123 us");
    assert_duration(999499, "999 us");
    assert_duration(999500, "1 ms");  /* rounds up into the next unit */
    assert_duration(30200000, "30.2 ms");
    assert_duration(CT_MS(10), "10 ms");
    assert_duration(1500000000, "1.5 s");
    assert_duration(CT_SEC(1), "1 s");
    assert_duration(CT_SEC(999), "999 s");
    assert_duration(CT_SEC(86400), "86400 s");
    char buf[CTV_HUMAN_BUF];
    assert_non_null(ctv_format_duration(buf, UINT64_MAX)); /* fits the buffer */
    assert_string_equal(buf, "18446744074 s");
}

/* ctv_format_duration() as it was written with printf's "%.*f" alone: the
 * digits the integer arithmetic must give. */
static void printf_duration(char buf[64], uint64_t ns)
{
    static const struct { const char *name; double ns; } units[] = {
        {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
    };
    if (ns < 1000) {
        snprintf(buf, 64, "%llu ns", (unsigned long long)ns);
        return;
    }
    for (size_t i = 0; i < 3; i++) {
        double v = (double)ns / units[i].ns;
        if (v < 999.5 || i == 2) {
            int decimals = v >= 999.5 ? 0 : v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
            char number[32];
            snprintf(number, sizeof number, "%.*f", decimals, v);
            if (strchr(number, '.')) {
                size_t n = strlen(number);
                while (number[n - 1] == '0')
                    number[--n] = '\0';
                if (number[n - 1] == '.')
                    number[--n] = '\0';
            }
            snprintf(buf, 64, "%s %s", number, units[i].name);
            return;
        }
    }
}

static void assert_as_printf(uint64_t ns)
{
    char want[64], got[CTV_HUMAN_BUF];
    printf_duration(want, ns);
    ctv_format_duration(got, ns);
    if (strcmp(want, got) != 0)
        fail_msg("%llu ns: \"%s\", printf says \"%s\"", (unsigned long long)ns, got, want);
}

/* Every duration to 2 ms, each halfway point of every unit and digit count
 * and its neighbours, and a spread of others to 10^13 ns: the same text as
 * printf's. */
static void test_durations_as_printf_writes_them(void **state)
{
    (void)state;
    for (uint64_t ns = 0; ns < 2000000; ns++)
        assert_as_printf(ns);
    static const uint64_t steps[] = {10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                     100000000, 1000000000};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        for (uint64_t k = 0; k < 100000; k += 7)
            for (int d = -1; d <= 1; d++)
                assert_as_printf(k * steps[i] + steps[i] / 2 + (uint64_t)(int64_t)d);
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    for (int i = 0; i < 1000000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        assert_as_printf(x % 10000000000000ull >> (x % 40));
    }
}

/* ct_decimal() writes what printf's %llu does, at every digit count's edges. */
static void assert_decimal(uint64_t v)
{
    char ours[CT_DECIMAL_MAX + 1], theirs[32];
    ours[ct_decimal(ours, v)] = '\0';
    snprintf(theirs, sizeof theirs, "%llu", (unsigned long long)v);
    assert_string_equal(ours, theirs);
}

static void test_decimal_digits(void **state)
{
    (void)state;
    assert_decimal(0);
    assert_decimal(UINT64_MAX);
    for (uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10) {
        assert_decimal(p - 1);
        assert_decimal(p);
        assert_decimal(p + 1);
    }
    /* Every pair of digits, at every place: numbers of every size. */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13; /* xorshift64 */
        x ^= x >> 7;
        x ^= x << 17;
        assert_decimal(x >> (x % 64));
    }
    char buf[CT_DECIMAL_MAX];
    assert_ptr_equal(ct_put_decimal(buf, 12345), buf + 5);
}

static void assert_bytes(uint64_t bytes, const char *expected)
{
    char buf[CTV_HUMAN_BUF];
    assert_string_equal(ctv_format_bytes(buf, bytes), expected);
}

static void test_sizes_for_people(void **state)
{
    (void)state;
    assert_bytes(0, "0 B");
    assert_bytes(1023, "1023 B");
    assert_bytes(1024, "1 KiB");
    assert_bytes(1239, "1.21 KiB");
    assert_bytes(64u << 20, "64 MiB");
    assert_bytes(1023u << 20, "1 GiB"); /* 1023 MiB rounds to 1.00 GiB */
    char buf[CTV_HUMAN_BUF];
    assert_string_equal(ctv_format_bytes(buf, UINT64_MAX), "16 EiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_histogram),
        cmocka_unit_test(test_one_value_is_exact),
        cmocka_unit_test(test_equal_values_are_exact),
        cmocka_unit_test(test_small_values_are_exact),
        cmocka_unit_test(test_quantiles_clamped_into_min_max),
        cmocka_unit_test(test_quantile_edges),
        cmocka_unit_test(test_many_values_within_1_percent),
        cmocka_unit_test(test_uniform_values),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_total_saturates),
        cmocka_unit_test(test_durations_for_people),
        cmocka_unit_test(test_durations_as_printf_writes_them),
        cmocka_unit_test(test_decimal_digits),
        cmocka_unit_test(test_sizes_for_people),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
