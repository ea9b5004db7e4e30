/*
 * test_views_maps.c - ctv_names_find(), and ctv_ids (analysis/views/maps.c): ids put, found,
 * replaced and removed; removal keeps every other id findable (backward-shift
 * deletion in a linear-probing table), under heavy collisions too. And
 * ctv_name_hists (name_hist.h), which finds a name by its address first:
 * one name whatever the address its bytes are at, the length checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "analysis/views/maps.h"
#include "analysis/views/name_hist.h"

static void check_all(const ctv_ids *m, uint64_t n, uint64_t step, int removed_odd)
{
    for (uint64_t i = 1; i <= n; i++) {
        uint32_t v = 0;
        int found = ctv_ids_find(m, i * step, &v);
        if (removed_odd && i % 2) {
            assert_false(found);
        } else {
            assert_true(found);
            assert_int_equal(v, (uint32_t)i);
        }
    }
}

static void test_put_find_remove(void **state)
{
    (void)state;
    /* Steps of 1 and of a large power of two (ids that share low bits). */
    static const uint64_t steps[] = {1, 1ull << 40};
    for (size_t k = 0; k < 2; k++) {
        ctv_ids m;
        ctv_ids_init(&m);
        const uint64_t n = 20000;
        for (uint64_t i = 1; i <= n; i++)
            assert_int_equal(ctv_ids_put(&m, i * steps[k], (uint32_t)i), 0);
        assert_int_equal(m.count, n);
        check_all(&m, n, steps[k], 0);
        for (uint64_t i = 1; i <= n; i += 2)
            ctv_ids_remove(&m, i * steps[k]);
        ctv_ids_remove(&m, 3 * n * steps[k] + 7); /* absent: nothing */
        assert_int_equal(m.count, n / 2);
        check_all(&m, n, steps[k], 1);
        /* Put back after removal. */
        assert_int_equal(ctv_ids_put(&m, steps[k], 1), 0);
        uint32_t v;
        assert_true(ctv_ids_find(&m, steps[k], &v) && v == 1);
        ctv_ids_free(&m);
    }
}

static void test_names_find_without_adding(void **state)
{
    (void)state;
    ctv_names m;
    ctv_names_init(&m);
    uint32_t i, j;
    assert_int_equal(ctv_names_find(&m, "a", 1, &i), 0); /* empty table */
    assert_int_equal(ctv_names_intern(&m, "a\0b", 3, &i), 0);
    assert_int_equal(ctv_names_find(&m, "a\0b", 3, &j), 1);
    assert_int_equal(i, j);
    assert_int_equal(ctv_names_find(&m, "a", 1, &j), 0); /* a prefix is another name */
    assert_int_equal(m.count, 1);                       /* and finding adds nothing */
    ctv_names_free(&m);
}

static const ctv_name_stats *stats_of(const ctv_name_hists *t, const char *name)
{
    uint32_t index;
    if (!ctv_names_find(&t->names, name, strlen(name), &index))
        return NULL;
    return &t->stats[index];
}

static void test_name_hists_by_address_and_bytes(void **state)
{
    (void)state;
    ctv_name_hists t;
    ctv_name_hists_init(&t);
    /* Two threads' copies of "db.query", and "db" at the first one's address. */
    static const char a[] = "db.query", b[] = "db.query", other[] = "render";
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(ctv_name_hists_add(&t, a, 8, 100, 0), 0);
        assert_int_equal(ctv_name_hists_add(&t, b, 8, 300, 0), 0);
        assert_int_equal(ctv_name_hists_add(&t, other, 6, 7, i % 10 == 0), 0);
    }
    assert_int_equal(ctv_name_hists_add(&t, a, 2, 5, 0), 0);
    assert_int_equal(ctv_name_hists_add(&t, NULL, 0, 9, 0), 0); /* a name of no bytes */
    assert_int_equal(ctv_name_hists_add(&t, "", 0, 11, 0), 0);
    assert_int_equal(t.names.count, 4);
    const ctv_name_stats *q = stats_of(&t, "db.query");
    assert_non_null(q);
    assert_int_equal(q->hist.count, 2000);
    assert_int_equal(q->hist.total, 1000 * 100 + 1000 * 300);
    assert_int_equal(q->hist.min, 100);
    assert_int_equal(q->hist.max, 300);
    const ctv_name_stats *r = stats_of(&t, "render");
    assert_int_equal(r->hist.count, 900);
    assert_int_equal(r->unended, 100);
    assert_int_equal(stats_of(&t, "db")->hist.total, 5);
    assert_int_equal(stats_of(&t, "")->hist.count, 2);
    ctv_name_hists_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_find_remove),
        cmocka_unit_test(test_names_find_without_adding),
        cmocka_unit_test(test_name_hists_by_address_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
