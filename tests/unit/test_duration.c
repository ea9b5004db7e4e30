/*
 * test_duration.c - Go durations read (format/duration.h): the forms Go
 * accepts, what it refuses, and where a refusal points.
 */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h> /* strlen */

#include "format/duration.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- durations ------------------------------------------------------------ */

static uint64_t duration(const char *s)
{
    uint64_t ns = 12345;
    const char *why = NULL;
    if (ct_parse_go_duration(s, &ns, &why) != 0)
        fail_msg("duration \"%s\" refused: %s", s, why);
    return ns;
}

static void duration_refused(const char *s)
{
    uint64_t ns = 777;
    const char *why = NULL;
    if (ct_parse_go_duration(s, &ns, &why) == 0)
        fail_msg("duration \"%s\" accepted as %llu", s, (unsigned long long)ns);
    assert_non_null(why);
    assert_int_equal(ns, 777); /* untouched */
}

static void test_duration_go_forms(void **state)
{
    (void)state;
    assert_int_equal(duration("500ms"), 500 * MS);
    assert_int_equal(duration("10s"), 10 * SEC);
    assert_int_equal(duration("1m30s"), 90 * SEC);
    assert_int_equal(duration("1h"), 3600 * SEC);
    assert_int_equal(duration("2h45m"), (2 * 3600 + 45 * 60) * SEC);
    assert_int_equal(duration("100ns"), 100);
    assert_int_equal(duration("3us"), 3000);
    assert_int_equal(duration("3\xc2\xb5s"), 3000); /* µs, micro sign */
    assert_int_equal(duration("3\xce\xbcs"), 3000); /* μs, Greek mu */
    assert_int_equal(duration("0"), 0);
    assert_int_equal(duration("0s"), 0);
    assert_int_equal(duration("+5s"), 5 * SEC);
    assert_int_equal(duration("1s500ms"), 1500 * MS);
}

static void test_duration_fractions(void **state)
{
    (void)state;
    assert_int_equal(duration("1.5s"), 1500 * MS);
    assert_int_equal(duration(".5s"), 500 * MS);
    assert_int_equal(duration("1.s"), SEC);
    assert_int_equal(duration("0.25ms"), 250000);
    assert_int_equal(duration("1.5h"), 5400 * SEC);
    assert_int_equal(duration("1.000000001s"), SEC + 1);
    /* More digits than fit are ignored, not an error. */
    assert_int_equal(duration("0.10000000000000000000000000001s"), 100 * MS);
}

static void test_duration_refused(void **state)
{
    (void)state;
    duration_refused("");
    duration_refused("10");      /* no unit */
    duration_refused("s");       /* no number */
    duration_refused(".s");
    duration_refused("1x");      /* unknown unit */
    duration_refused("1 s");
    duration_refused("-1s");     /* negative */
    duration_refused("1.5");
    duration_refused("+");
    duration_refused("1s2");     /* trailing number without unit */
    duration_refused("99999999999999999999s"); /* overflows */
    duration_refused("10000000000h");
}

static void test_duration_limits(void **state)
{
    (void)state;
    /* 2^64-1 ns is about 584 years: the biggest accepted. */
    assert_int_equal(duration("18446744073709551615ns"), UINT64_MAX);
    duration_refused("18446744073709551616ns");
    duration_refused("18446744073709551615ns1ns");
}

/* Where the parse of `s` goes wrong, and why. */
static size_t refused_at(const char *s, const char *want_why)
{
    uint64_t ns = 777;
    const char *why = NULL;
    size_t at = 999;
    if (ct_parse_go_duration_n(s, strlen(s), &ns, &why, &at) == 0)
        fail_msg("duration \"%s\" accepted as %llu", s, (unsigned long long)ns);
    assert_string_equal(why, want_why);
    assert_int_equal(ns, 777);
    return at;
}

static void test_duration_refusal_points_at_the_fault(void **state)
{
    (void)state;
    assert_int_equal(refused_at("25xs", "unknown unit (ns, us, ms, s, m, h)"), 2);
    assert_int_equal(refused_at("1m30", "missing unit (ns, us, ms, s, m, h)"), 4);
    assert_int_equal(refused_at("1s2", "missing unit (ns, us, ms, s, m, h)"), 3);
    assert_int_equal(refused_at("-1s", "negative duration"), 0);
    assert_int_equal(refused_at("1s.ms", "a '.' needs digits"), 2);
    assert_int_equal(refused_at("ms", "not a number and a unit (e.g. 500ms, 1m30s)"), 0);
    assert_int_equal(refused_at("+", "not a number and a unit (e.g. 500ms, 1m30s)"), 1);
    assert_int_equal(refused_at("", "empty duration"), 0);
    assert_int_equal(refused_at("1s99999999999999999999ms", "out of range (over 584 years)"), 2);
}

static void test_duration_reads_only_len_bytes(void **state)
{
    (void)state;
    uint64_t ns = 0;
    assert_int_equal(ct_parse_go_duration_n("25ms and more", 4, &ns, NULL, NULL), 0);
    assert_int_equal(ns, 25 * MS);
    assert_int_equal(ct_parse_go_duration_n("0s", 1, &ns, NULL, NULL), 0); /* "0" */
    assert_int_equal(ns, 0);
    /* "1m" of "1ms": a minute, not a millisecond. */
    assert_int_equal(ct_parse_go_duration_n("1ms", 2, &ns, NULL, NULL), 0);
    assert_int_equal(ns, 60 * SEC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_go_forms),
        cmocka_unit_test(test_duration_fractions),
        cmocka_unit_test(test_duration_refused),
        cmocka_unit_test(test_duration_limits),
        cmocka_unit_test(test_duration_refusal_points_at_the_fault),
        cmocka_unit_test(test_duration_reads_only_len_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
