/*
 * test_views_maps.c - ctv_names_find(), and ctv_ids (analysis/views/maps.c): ids put, found,
 * replaced and removed; removal keeps every other id findable (backward-shift
 * deletion in a linear-probing table), under heavy collisions too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "analysis/views/maps.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_find_remove),
        cmocka_unit_test(test_names_find_without_adding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
