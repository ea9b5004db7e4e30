/*
 * test_views_pb.c - the protobuf writer (analysis/views/pb.c): the exact
 * bytes of the fields the Perfetto export adds (fixed64, varints kept at 0,
 * strings repaired to UTF-8), and the UTF-8 helpers under them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h> /* free */
#include <string.h> /* memcmp */

#include "analysis/views/pb.h"
#include "common/utf8.h"

static void assert_bytes(const pb *b, const void *want, size_t len)
{
    assert_false(b->failed);
    assert_int_equal(b->len, len);
    assert_memory_equal(b->data, want, len);
}

static void fixed64_is_eight_little_endian_bytes(void **state)
{
    (void)state;
    pb b = {0};
    pb_fixed64(&b, 47, 0x0102030405060708ull); /* key: 47 << 3 | 1 = 377 */
    pb_fixed64(&b, 1, 0);
    static const unsigned char want[] = {0xF9, 0x02, 8, 7, 6, 5, 4, 3, 2, 1,
                                         0x09, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_bytes(&b, want, sizeof want);
    free(b.data);
}

static void uint_set_keeps_zero_where_uint_leaves_it_out(void **state)
{
    (void)state;
    pb b = {0};
    pb_uint(&b, 8, 0);
    pb_uint_set(&b, 8, 0);
    pb_uint_set(&b, 8, 300);
    static const unsigned char want[] = {0x40, 0, 0x40, 0xAC, 0x02};
    assert_bytes(&b, want, sizeof want);
    free(b.data);
}

static void utf8_strings_pass_as_they_are(void **state)
{
    (void)state;
    pb b = {0};
    pb_utf8(&b, 2, "f\xC3\xA9\x1B", 4); /* é and ESC are valid UTF-8 */
    static const unsigned char want[] = {0x12, 4, 'f', 0xC3, 0xA9, 0x1B};
    assert_bytes(&b, want, sizeof want);
    free(b.data);
}

static void invalid_utf8_becomes_replacement_characters(void **state)
{
    (void)state;
    pb b = {0};
    pb_uint(&b, 1, 5); /* something before: the repair must not touch it */
    /* a stray continuation byte, a cut-short sequence, a surrogate */
    pb_utf8(&b, 2, "a\x80" "b\xE2\x82" "c\xED\xA0\x80", 9);
    static const unsigned char want[] = {0x08, 5, 0x12, 18, 'a', 0xEF, 0xBF, 0xBD, 'b',
                                         0xEF, 0xBF, 0xBD, 'c', 0xEF, 0xBF, 0xBD,
                                         0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD};
    assert_bytes(&b, want, sizeof want);
    free(b.data);
}

static void a_long_repaired_string_gets_a_two_byte_length(void **state)
{
    (void)state;
    unsigned char in[100];
    memset(in, 0xFF, sizeof in);
    pb b = {0};
    pb_utf8(&b, 2, in, sizeof in);
    assert_false(b.failed);
    assert_int_equal(b.len, 3 + 300);
    static const unsigned char head[] = {0x12, 0xAC, 0x02};
    assert_memory_equal(b.data, head, 3);
    for (size_t i = 0; i < 100; i++)
        assert_memory_equal(b.data + 3 + 3 * i, "\xEF\xBF\xBD", 3);
    free(b.data);
}

static void utf8_helpers(void **state)
{
    (void)state;
    const unsigned char *s = (const unsigned char *)"ok\xC3\xA9\xFFz";
    assert_int_equal(ctv_utf8_valid_prefix(s, 6), 4);
    assert_int_equal(ctv_utf8_valid_prefix(s, 4), 4);
    assert_int_equal(ctv_utf8_valid_prefix(s, 3), 2); /* é cut short */
    char out[18];
    size_t n = ctv_utf8_repair(out, s, 6);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "ok\xC3\xA9\xEF\xBF\xBDz", 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed64_is_eight_little_endian_bytes),
        cmocka_unit_test(uint_set_keeps_zero_where_uint_leaves_it_out),
        cmocka_unit_test(utf8_strings_pass_as_they_are),
        cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(a_long_repaired_string_gets_a_two_byte_length),
        cmocka_unit_test(utf8_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
