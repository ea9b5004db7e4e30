/*
 * test_shard.c - --shard=K/N (common/shard.h): the values the flag takes,
 * the hash every shard must compute alike, and a split that is disjoint and
 * covers every name.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>  /* snprintf */
#include <string.h> /* strstr */

#include "common/shard.h"

static void test_parse_accepts_k_of_n(void **state)
{
    (void)state;
    ct_shard s;
    const char *why = NULL;
    assert_int_equal(ct_shard_parse("1/1", &s, &why), 0);
    assert_true(s.k == 1 && s.n == 1);
    assert_int_equal(ct_shard_parse("3/7", &s, &why), 0);
    assert_true(s.k == 3 && s.n == 7);
    assert_int_equal(ct_shard_parse("18446744073709551615/18446744073709551615", &s, &why), 0);
    assert_true(s.k == UINT64_MAX && s.n == UINT64_MAX);
}

static void test_parse_refuses_what_is_not_k_of_n(void **state)
{
    (void)state;
    static const struct { const char *text, *why; } bad[] = {
        {"0/2", "K must be at least 1"}, {"3/2", "K must not be greater than N"},
        {"1/0", "N must be at least 1"}, {"a/b", "must be K/N"}, {"", "must be K/N"},
        {"1", "must be K/N"}, {"1/", "must be K/N"}, {"/2", "must be K/N"},
        {"1/2x", "must be K/N"}, {"-1/2", "must be K/N"}, {"+1/2", "must be K/N"},
        {" 1/2", "must be K/N"}, {"1/2/3", "must be K/N"},
        {"1/18446744073709551616", "must be K/N"}, /* does not fit */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ct_shard s = {9, 9};
        const char *why = NULL;
        assert_int_equal(ct_shard_parse(bad[i].text, &s, &why), -1);
        assert_non_null(why);
        assert_non_null(strstr(why, bad[i].why));
        assert_true(s.k == 0 && s.n == 0); /* no sharding */
    }
}

/* FNV-1a 64's published test vectors: every shard, and a user checking
 * by hand, computes the same. */
static void test_hash_is_fnv1a_64(void **state)
{
    (void)state;
    assert_true(ct_shard_hash("", 0) == 0xcbf29ce484222325ull);
    assert_true(ct_shard_hash("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(ct_shard_hash("foobar", 6) == 0x85944171f73967e8ull);
}

static void test_shards_split_disjointly_and_cover_all(void **state)
{
    (void)state;
    for (uint64_t n = 1; n <= 7; n++) {
        unsigned per_shard[8] = {0};
        for (int t = 0; t < 700; t++) {
            char name[32];
            snprintf(name, sizeof name, "test_case_%d", t);
            int owners = 0;
            for (uint64_t k = 1; k <= n; k++) {
                ct_shard s = {k, n};
                if (ct_shard_selects(&s, name)) {
                    owners++;
                    per_shard[k]++;
                }
            }
            assert_int_equal(owners, 1);
        }
        for (uint64_t k = 1; k <= n; k++) /* about 700/n each: no shard left idle */
            assert_in_range(per_shard[k], 700 / n / 2, 700 / n * 2);
    }
    ct_shard none = {0, 0};
    assert_true(ct_shard_selects(&none, "anything"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_accepts_k_of_n),
        cmocka_unit_test(test_parse_refuses_what_is_not_k_of_n),
        cmocka_unit_test(test_hash_is_fnv1a_64),
        cmocka_unit_test(test_shards_split_disjointly_and_cover_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
