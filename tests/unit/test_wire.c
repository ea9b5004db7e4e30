/* test_wire.c - varints, the event table and pool layout at their edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "format/duration.h"
#include "format/pool.h"
#include "format/schema.h"
#include "format/wire.h"

static void roundtrip(uint64_t v, unsigned expect_len)
{
    uint8_t buf[CT_UVARINT_MAX + 1];
    uint8_t *end = ct_put_uvarint(buf, v);
    assert_int_equal(end - buf, expect_len);
    uint64_t back = 0;
    assert_int_equal(ct_get_uvarint(buf, end, &back), expect_len);
    assert_true(back == v);
    /* One byte short is "truncated", never a wrong value. */
    assert_int_equal(ct_get_uvarint(buf, end - 1, &back), 0);
}

static void test_uvarint_boundaries(void **state)
{
    (void)state;
    roundtrip(0, 1);
    roundtrip(1, 1);
    roundtrip(127, 1);
    roundtrip(128, 2);
    roundtrip(16383, 2);
    roundtrip(16384, 3);
    roundtrip(UINT32_MAX, 5);
    roundtrip((uint64_t)1 << 63, 10);
    roundtrip(UINT64_MAX, 10);
}

static void test_uvarint_rejects_overlong(void **state)
{
    (void)state;
    uint64_t v;
    uint8_t eleven[11];
    memset(eleven, 0x80, sizeof eleven);
    eleven[10] = 0;
    assert_int_equal(ct_get_uvarint(eleven, eleven + 11, &v), 0);
    /* Ten bytes whose last one carries bits past 64. */
    uint8_t ten[10];
    memset(ten, 0xff, sizeof ten);
    ten[9] = 0x02;
    assert_int_equal(ct_get_uvarint(ten, ten + 10, &v), 0);
    assert_int_equal(ct_get_uvarint(ten, ten, &v), 0); /* empty */
}

/* The decoder's one- and two-byte shortcuts agree with the byte loop on
 * every length, each truncation, with bytes after the varint, continuation
 * bytes without an end, and an 11th byte. */
static void test_uvarint_fast_matches_bytewise(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint8_t buf[24];
        for (size_t k = 0; k < sizeof buf; k++)
            buf[k] = (uint8_t)(seed >> (8 * (k % 8))) ^ (uint8_t)(k * 37);
        unsigned bits = (unsigned)(seed >> 58); /* 0..63: every length */
        uint64_t v = bits ? seed >> (64 - bits) : 0;
        if (i % 3 == 0) /* as written: then anything after it */
            ct_put_uvarint(buf, v);
        else if (i % 3 == 1) /* only continuation bytes for a while */
            for (unsigned k = 0; k < bits % 12; k++)
                buf[k] |= 0x80;
        for (size_t len = 0; len <= sizeof buf; len++) {
            uint64_t fast = 1, slow = 2;
            unsigned nf = ct_get_uvarint(buf, buf + len, &fast);
            unsigned ns = ct_get_uvarint_bytewise(buf, buf + len, &slow);
            assert_int_equal(nf, ns);
            if (ns)
                assert_int_equal(fast, slow);
        }
    }
}

static void test_event_table_is_complete(void **state)
{
    (void)state;
    unsigned known = 0;
    for (unsigned c = 0; c < 256; c++) {
        const ct_event_spec *s = ct_event_spec_of(c);
        if (!s)
            continue;
        known++;
        assert_true(c < CT_EV__LIMIT);
        /* One field name per field: the text form depends on it. */
        unsigned words = s->names[0] ? 1 : 0;
        for (const char *p = s->names; *p; p++)
            words += *p == ' ';
        assert_int_equal(words, strlen(s->fields));
    }
    assert_int_equal(known, 24);
    assert_null(ct_event_spec_of(0));
    assert_null(ct_event_spec_of(CT_EV__LIMIT));
}

static void test_event_size(void **state)
{
    (void)state;
    uint8_t buf[64], *p = buf;
    *p++ = CT_EV_LOG;
    p = ct_put_uvarint(p, 300);  /* delta */
    p = ct_put_uvarint(p, 5);    /* task */
    p = ct_put_uvarint(p, 1);    /* category */
    p = ct_put_uvarint(p, 3);    /* message length */
    memcpy(p, "abc", 3);
    p += 3;
    p = ct_put_uvarint(p, 0);    /* flags */
    const ct_event_spec *s = ct_event_spec_of(CT_EV_LOG);
    assert_int_equal(ct_event_size(s, buf, p), p - buf);
    /* Cut anywhere inside: malformed, never an overread. */
    for (uint8_t *cut = buf + 1; cut < p; cut++)
        assert_int_equal(ct_event_size(s, buf, cut), 0);

    /* Taken apart: the delta (and its length), the values, the string. */
    ct_event_fields f;
    assert_int_equal(ct_event_parse(buf, p, &f), p - buf);
    assert_int_equal(f.code, CT_EV_LOG);
    assert_int_equal(f.delta, 300);
    assert_int_equal(f.delta_len, 2);
    assert_int_equal(f.v[0], 5);
    assert_int_equal(f.v[1], 1);
    assert_int_equal(f.v[2], 3);
    assert_memory_equal(f.s[2], "abc", 3);
    assert_int_equal(f.v[3], 0);
    for (uint8_t *cut = buf; cut < p; cut++)
        assert_int_equal(ct_event_parse(buf, cut, &f), 0);
    uint8_t unknown = 0x3f;
    assert_int_equal(ct_event_parse(&unknown, &unknown + 1, &f), 0);
}

static void test_schema_encodes_every_kind(void **state)
{
    (void)state;
    uint8_t buf[2048];
    size_t n = ct_schema_encode(buf, sizeof buf);
    assert_true(n > 0);
    uint64_t count;
    assert_true(ct_get_uvarint(buf, buf + n, &count) > 0);
    assert_int_equal(count, 24);
    assert_int_equal(ct_schema_encode(buf, 10), 0); /* too small: refused */
}

static void test_pool_layout(void **state)
{
    (void)state;
    size_t bytes = 1u << 20;
    void *mem = aligned_alloc(4096, bytes);
    assert_non_null(mem);
    memset(mem, 0xA5, bytes); /* not zeroed: the layout clears what it must */
    uint32_t n = ct_pool_init(mem, bytes, CT_CLOCK_MONOTONIC, 1000000000u, CT_POOL_OVERFLOW_WAIT,
                              0);
    assert_true(n > 0);
    ct_pool_header *h = mem;
    assert_int_equal(ct_pool_check(mem, bytes), 0);
    assert_int_equal(h->claimed_end, 0);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(ct_pool_descs(h)[i].state, CT_CHUNK_FREE);
    assert_int_equal(ct_pool_procs(h)[CT_POOL_PROCS - 1].pid, 0);
    assert_true(h->data_offset % 4096 == 0);
    assert_true(h->data_offset + (uint64_t)n * h->chunk_bytes <= bytes);
    assert_true(h->descs_offset + n * sizeof(ct_chunk_desc) <= h->data_offset);
    /* A pool whose header lies about its size is refused. */
    assert_int_equal(ct_pool_check(mem, bytes / 2), -1);
    h->nchunks = UINT32_MAX / 2;
    assert_int_equal(ct_pool_check(mem, bytes), -1);
    assert_int_equal(ct_pool_init(mem, 100, 0, 1, CT_POOL_OVERFLOW_WAIT, 0), 0); /* too small */
    free(mem);
}

static void go(uint64_t ns, const char *want)
{
    char buf[48];
    ct_format_go_duration(buf, sizeof buf, ns);
    assert_string_equal(buf, want);
}

static void test_go_durations(void **state)
{
    (void)state;
    go(600000000000ull, "10m0s");
    go(3723000000000ull, "1h2m3s");
    go(1500000000ull, "1.5s");
    go(250000000ull, "250ms");
    go(800, "800ns");
    go(0, "0ns");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uvarint_boundaries),
        cmocka_unit_test(test_uvarint_rejects_overlong),
        cmocka_unit_test(test_uvarint_fast_matches_bytewise),
        cmocka_unit_test(test_event_table_is_complete),
        cmocka_unit_test(test_event_size),
        cmocka_unit_test(test_schema_encodes_every_kind),
        cmocka_unit_test(test_pool_layout),
        cmocka_unit_test(test_go_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
