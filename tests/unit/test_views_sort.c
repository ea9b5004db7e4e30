/*
 * test_views_sort.c - the views' external merge sort and spills: records
 * come back in key order, equal keys in the order they were added, whether
 * the sort fits its budget or spills runs and merges them in several passes;
 * payloads of any size survive; a temporary file that cannot be made or
 * written fails with a message naming the directory and why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>       /* signal, SIGXFSZ */
#include <stdint.h>
#include <stdlib.h>       /* malloc, free, setenv, unsetenv */
#include <string.h>       /* memcmp, strstr */
#include <sys/resource.h> /* setrlimit, RLIMIT_FSIZE */

#include <ctrace.h> /* CT_EIO */

#include "analysis/views/sort.h"
#include "analysis/views/spill.h"

typedef struct expected {
    uint64_t k[3];
    uint32_t seq; /* order added: the payload carries it */
    uint32_t len;
} expected;

static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 33;
}

static int by_key_then_seq(const void *a, const void *b)
{
    const expected *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x->k[i] != y->k[i])
            return x->k[i] < y->k[i] ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A payload: its sequence number, then bytes derived from it. */
static void fill_payload(unsigned char *p, uint32_t seq, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        p[i] = (unsigned char)(i < 4 ? seq >> (8 * i) : seq * 31 + i);
}

/* Add n records with keys drawn from small ranges (many ties), payloads of
 * 4..max_len bytes (some of big_len), read them back and compare with a
 * stable in-memory sort. @return the runs the sort spilled. */
static size_t check_sort(size_t budget, uint32_t n, uint32_t max_len, uint32_t big_len)
{
    ctv_tmp tmp;
    ctv_tmp_init(&tmp);
    ctv_sort s;
    ctv_sort_init(&s, &tmp, "test records", budget);
    expected *want = malloc(n * sizeof *want);
    unsigned char *buf = malloc(big_len > max_len ? big_len : max_len);
    assert_non_null(want);
    assert_non_null(buf);
    uint64_t seed = 7;
    for (uint32_t i = 0; i < n; i++) {
        expected *e = &want[i];
        e->k[0] = next_random(&seed) % 50;
        e->k[1] = next_random(&seed) % 3 ? next_random(&seed) % 1000 : UINT64_MAX - 1;
        e->k[2] = next_random(&seed) % 4;
        e->seq = i;
        e->len = big_len && i % 997 == 0 ? big_len : 4 + (uint32_t)(next_random(&seed) % (max_len - 3));
        fill_payload(buf, i, e->len);
        assert_int_equal(ctv_sort_add(&s, e->k[0], e->k[1], e->k[2], buf, e->len), 0);
    }
    assert_int_equal(ctv_sort_finish(&s), 0);
    assert_int_equal(ctv_sort_records(&s), n);
    qsort(want, n, sizeof *want, by_key_then_seq);
    ctv_sort_rec rec;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(ctv_sort_next(&s, &rec), 1);
        assert_memory_equal(rec.k, want[i].k, sizeof rec.k);
        assert_int_equal(rec.len, want[i].len);
        fill_payload(buf, want[i].seq, want[i].len);
        if (memcmp(rec.payload, buf, rec.len) != 0)
            fail_msg("record %u (seq %u): payload differs", i, want[i].seq);
    }
    assert_int_equal(ctv_sort_next(&s, &rec), 0);
    assert_int_equal(ctv_sort_next(&s, &rec), 0);
    assert_false(ctv_tmp_failed(&tmp));
    size_t runs = ctv_sort_runs(&s);
    ctv_sort_free(&s);
    free(want);
    free(buf);
    return runs;
}

static void test_sort_in_memory(void **state)
{
    (void)state;
    assert_int_equal(check_sort(16u << 20, 20000, 16, 0), 0); /* no disk at all */
}

static void test_sort_spills_and_merges_in_passes(void **state)
{
    (void)state;
    /* The smallest budget: over CTV_SORT_FANIN runs, some merged beforehand. */
    size_t runs = check_sort(1, 400000, 12, 0);
    assert_true(runs > CTV_SORT_FANIN);
}

static void test_sort_payloads_longer_than_read_buffers(void **state)
{
    (void)state;
    assert_true(check_sort(1, 3000, 40, 200000) > 1);
}

static void test_sort_empty(void **state)
{
    (void)state;
    ctv_tmp tmp;
    ctv_tmp_init(&tmp);
    ctv_sort s;
    ctv_sort_init(&s, &tmp, "nothing", 0);
    ctv_sort_rec rec;
    assert_int_equal(ctv_sort_next(&s, &rec), CT_EINVAL); /* not finished */
    assert_int_equal(ctv_sort_finish(&s), 0);
    assert_int_equal(ctv_sort_next(&s, &rec), 0);
    assert_int_equal(ctv_sort_add(&s, 1, 2, 3, NULL, 0), CT_EINVAL);
    ctv_sort_free(&s);
    ctv_sort_free(&s); /* twice: closes nothing */
}

static void test_spill_memory_then_file(void **state)
{
    (void)state;
    ctv_tmp tmp;
    ctv_tmp_init(&tmp);
    ctv_spill s;
    ctv_spill_init(&s, &tmp, "bytes", 1000);
    unsigned char bytes[700000];
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (unsigned char)(i * 7 + i / 256);
    assert_int_equal(ctv_spill_append(&s, bytes, 600), 0);
    assert_non_null(ctv_spill_memory(&s)); /* within its budget */
    assert_int_equal(ctv_spill_append(&s, bytes + 600, sizeof bytes - 600), 0);
    assert_null(ctv_spill_memory(&s));
    assert_int_equal(tmp.files, 1);
    assert_int_equal(ctv_spill_seal(&s), 0);

    unsigned char back[5000];
    assert_int_equal(ctv_spill_read(&s, 123456, back, sizeof back), 0);
    assert_memory_equal(back, bytes + 123456, sizeof back);
    assert_int_equal(ctv_spill_read(&s, sizeof bytes - 10, back, 11), CT_EIO); /* past the end */

    ctv_spill_cursor c;
    tmp.error[0] = '\0';
    assert_int_equal(ctv_spill_cursor_init(&c, &s, 10, sizeof bytes, 4096), 0);
    for (size_t at = 10; at + 300 <= sizeof bytes; at += 300) {
        const unsigned char *p = ctv_spill_cursor_get(&c, 300);
        assert_non_null(p);
        if (memcmp(p, bytes + at, 300) != 0)
            fail_msg("cursor at %zu", at);
    }
    ctv_spill_cursor_seek(&c, 5);
    assert_null(ctv_spill_cursor_get(&c, 5000)); /* more than its buffer */
    ctv_spill_cursor_free(&c);
    ctv_spill_free(&s);
}

static void test_spill_names_a_missing_directory(void **state)
{
    (void)state;
    setenv("TMPDIR", "/nonexistent-ctrace-dir", 1);
    ctv_tmp tmp;
    ctv_tmp_init(&tmp);
    unsetenv("TMPDIR");
    ctv_spill s;
    ctv_spill_init(&s, &tmp, "test bytes", 0);
    assert_int_equal(ctv_spill_append(&s, "x", 1), CT_EIO);
    assert_true(ctv_tmp_failed(&tmp));
    assert_non_null(strstr(tmp.error, "cannot create a temporary file in "
                                      "/nonexistent-ctrace-dir (test bytes): "));
    assert_int_equal(ctv_spill_append(&s, "x", 1), CT_EIO); /* and it stays failed */
    ctv_spill_free(&s);
}

/* A full disk, as a file size limit makes it: an error, never a cut. */
static void test_sort_reports_a_full_disk(void **state)
{
    (void)state;
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 256 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);

    ctv_tmp tmp;
    ctv_tmp_init(&tmp);
    ctv_sort s;
    ctv_sort_init(&s, &tmp, "test records", 0);
    unsigned char payload[64] = {0};
    int rc = 0;
    for (uint32_t i = 0; i < 100000 && rc == 0; i++)
        rc = ctv_sort_add(&s, i % 7, i, 0, payload, sizeof payload);
    if (rc == 0)
        rc = ctv_sort_finish(&s);

    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, CT_EIO);
    assert_non_null(strstr(tmp.error, "cannot write a temporary file in "));
    assert_non_null(strstr(tmp.error, "(test records): File too large"));
    assert_int_equal(ctv_sort_add(&s, 1, 2, 3, NULL, 0), CT_EIO); /* it stays failed */
    ctv_sort_free(&s);
}

static void test_budget_from_environment(void **state)
{
    (void)state;
    static const struct { const char *text; size_t bytes; } cases[] = {
        {"1048576", 1048576}, {"64MiB", 64u << 20}, {"512K", 512u << 10}, {"2GB", (size_t)2 << 30},
        {"lots", CTV_SPILL_BUDGET}, {"12Q", CTV_SPILL_BUDGET}, {"", CTV_SPILL_BUDGET},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("CTRACE_VIEW_MEMORY", cases[i].text, 1);
        ctv_tmp tmp;
        ctv_tmp_init(&tmp);
        assert_int_equal(tmp.budget, cases[i].bytes);
    }
    unsetenv("CTRACE_VIEW_MEMORY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_in_memory),
        cmocka_unit_test(test_sort_spills_and_merges_in_passes),
        cmocka_unit_test(test_sort_payloads_longer_than_read_buffers),
        cmocka_unit_test(test_sort_empty),
        cmocka_unit_test(test_spill_memory_then_file),
        cmocka_unit_test(test_spill_names_a_missing_directory),
        cmocka_unit_test(test_sort_reports_a_full_disk),
        cmocka_unit_test(test_budget_from_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
