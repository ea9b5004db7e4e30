/*
 * test_shuffle.c - -shuffle=N (common/shuffle.h): the generator is
 * SplitMix64 as published (a seed means one order on every machine), a
 * shuffle is a permutation, the orders are spread evenly, and the seed is
 * read as go test reads it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h> /* memcmp */

#include "common/shuffle.h"

static void test_generator_is_splitmix64(void **state)
{
    (void)state;
    /* SplitMix64 seeded with 0 first gives 0xe220a8397b1dcdaf (Vigna's
     * splitmix64.c): its low 32 bits are a draw below 2^32. */
    ct_shuffle s;
    ct_shuffle_seed(&s, 0);
    assert_int_equal(ct_shuffle_below(&s, 1ull << 32), 0x7b1dcdafull);
    ct_shuffle_seed(&s, 0);
    assert_int_equal(ct_shuffle_below(&s, 1ull << 32), 0x7b1dcdafull);
}

static void test_a_shuffle_is_a_permutation_decided_by_the_seed(void **state)
{
    (void)state;
    size_t a[64], b[64], seen[64] = {0};
    for (size_t i = 0; i < 64; i++)
        a[i] = b[i] = i;
    ct_shuffle s, t;
    ct_shuffle_seed(&s, 12345);
    ct_shuffle_seed(&t, 12345);
    ct_shuffle_indices(&s, a, 64);
    ct_shuffle_indices(&t, b, 64);
    assert_memory_equal(a, b, sizeof a);
    for (size_t i = 0; i < 64; i++)
        seen[a[i]]++;
    for (size_t i = 0; i < 64; i++)
        assert_int_equal(seen[i], 1);
    ct_shuffle_seed(&t, 12346);
    for (size_t i = 0; i < 64; i++)
        b[i] = i;
    ct_shuffle_indices(&t, b, 64);
    assert_true(memcmp(a, b, sizeof a) != 0);
    ct_shuffle_indices(&t, b, 0); /* nothing to do */
    ct_shuffle_indices(&t, b, 1);
}

static void test_orders_are_spread_evenly(void **state)
{
    (void)state;
    /* 3 items, 6000 seeds: each of the 6 orders about 1000 times (a fixed
     * set of seeds: the counts never change from run to run). */
    unsigned counts[6] = {0};
    for (int64_t seed = 0; seed < 6000; seed++) {
        ct_shuffle s;
        ct_shuffle_seed(&s, seed);
        size_t v[3] = {0, 1, 2};
        ct_shuffle_indices(&s, v, 3);
        counts[v[0] * 2 + (v[1] > v[2])]++;
    }
    for (int i = 0; i < 6; i++)
        assert_in_range(counts[i], 850, 1150);
}

static void test_seed_as_go_test_reads_it(void **state)
{
    (void)state;
    int64_t seed = 0;
    assert_int_equal(ct_shuffle_parse_seed("42", &seed), 0);
    assert_int_equal(seed, 42);
    assert_int_equal(ct_shuffle_parse_seed("-7", &seed), 0);
    assert_int_equal(seed, -7);
    assert_int_equal(ct_shuffle_parse_seed("+9223372036854775807", &seed), 0);
    assert_int_equal(seed, INT64_MAX);
    static const char *const bad[] = {"", " 1", "1x", "on", "-", "1.5",
                                      "9223372036854775808", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        seed = 5;
        assert_int_equal(ct_shuffle_parse_seed(bad[i], &seed), -1);
        assert_int_equal(seed, 5);
    }
    assert_int_equal(ct_shuffle_parse_seed(NULL, &seed), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator_is_splitmix64),
        cmocka_unit_test(test_a_shuffle_is_a_permutation_decided_by_the_seed),
        cmocka_unit_test(test_orders_are_spread_evenly),
        cmocka_unit_test(test_seed_as_go_test_reads_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
