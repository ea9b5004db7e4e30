/*
 * test_views_json.c - JSON strings from untrusted bytes are always valid,
 * the writer's commas and nesting, and text printed for terminals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h> /* INT64_MIN, UINT64_MAX */
#include <stdio.h>  /* open_memstream */
#include <stdlib.h> /* free */
#include <string.h> /* strcmp, strlen */

#include "common/human.h"
#include "analysis/views/html.h"
#include "analysis/views/json.h"
#include "common/utf8.h"

#define FFFD "\xEF\xBF\xBD"

/* Captures what a writer prints, as a NUL-terminated string. */
typedef struct capture {
    char *text;
    size_t len;
    FILE *out;
} capture;

static void capture_begin(capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->out = open_memstream(&c->text, &c->len);
    assert_non_null(c->out);
}

static char *capture_end(capture *c)
{
    assert_int_equal(fclose(c->out), 0);
    return c->text;
}

static void assert_json_string(const char *bytes, size_t len, const char *expected)
{
    capture c;
    capture_begin(&c);
    ctv_json_write_string(c.out, bytes, len);
    char *got = capture_end(&c);
    assert_string_equal(got, expected);
    free(got);
}

#define ASSERT_JSON(literal, expected) \
    assert_json_string((literal), sizeof(literal) - 1, (expected))

/* ---- a strict checker for one JSON string literal ------------------------- */

/* 1 when s is exactly one JSON string: quotes, valid escapes, no raw control
 * byte, valid UTF-8 throughout. */
static int is_valid_json_string(const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    if (len < 2 || s[0] != '"' || s[len - 1] != '"')
        return 0;
    size_t i = 1;
    while (i < len - 1) {
        if (s[i] < 0x20 || s[i] == '"')
            return 0;
        if (s[i] == '\\') {
            if (i + 1 >= len - 1)
                return 0;
            char e = (char)s[i + 1];
            if (e == 'u') {
                if (i + 6 > len - 1)
                    return 0;
                for (size_t k = 2; k < 6; k++)
                    if (!strchr("0123456789abcdefABCDEF", s[i + k]) || !s[i + k])
                        return 0;
                i += 6;
            } else if (strchr("\"\\/bfnrt", e) && e) {
                i += 2;
            } else {
                return 0;
            }
            continue;
        }
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, len - 1 - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT &&
            !(used == 3 && memcmp(s + i, FFFD, 3) == 0))
            return 0;
        i += used;
    }
    return 1;
}

/* ---- escaping ------------------------------------------------------------- */

static void test_plain_text_unchanged(void **state)
{
    (void)state;
    ASSERT_JSON("", "\"\"");
    ASSERT_JSON("db.query", "\"db.query\"");
    ASSERT_JSON("a/b <c> {d}", "\"a/b <c> {d}\"");
}

static void test_quote_and_backslash_escaped(void **state)
{
    (void)state;
    ASSERT_JSON("say \"hi\"", "\"say \\\"hi\\\"\"");
    ASSERT_JSON("C:\\path\\", "\"C:\\\\path\\\\\"");
    ASSERT_JSON("\"", "\"\\\"\"");
}

static void test_control_bytes_escaped(void **state)
{
    (void)state;
    ASSERT_JSON("a\nb\tc\rd", "\"a\\nb\\tc\\rd\"");
    ASSERT_JSON("\b\f", "\"\\b\\f\"");
    ASSERT_JSON("\x01\x1f", "\"\\u0001\\u001f\"");
    ASSERT_JSON("\x1b[31mred", "\"\\u001b[31mred\"");
    ASSERT_JSON("\x7f", "\"\\u007f\"");
}

static void test_embedded_nul_kept_escaped(void **state)
{
    (void)state;
    /* The length, not a NUL, ends the bytes. */
    ASSERT_JSON("a\0b", "\"a\\u0000b\"");
    ASSERT_JSON("\0", "\"\\u0000\"");
    assert_json_string("abc", 1, "\"a\"");
}

static void test_valid_utf8_passes(void **state)
{
    (void)state;
    ASSERT_JSON("caf\xC3\xA9", "\"caf\xC3\xA9\"");                /* é */
    ASSERT_JSON("\xE2\x82\xAC", "\"\xE2\x82\xAC\"");              /* € */
    ASSERT_JSON("\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\"");      /* 😀 */
    ASSERT_JSON("\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\"");      /* U+10FFFF */
    ASSERT_JSON(FFFD, "\"" FFFD "\"");                            /* real U+FFFD */
    /* Line separators would end a JavaScript string literal. */
    ASSERT_JSON("\xE2\x80\xA8\xE2\x80\xA9", "\"\\u2028\\u2029\"");
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    ASSERT_JSON("\x80", "\"" FFFD "\"");                          /* stray continuation */
    ASSERT_JSON("a\xFF" "b", "\"a" FFFD "b\"");                   /* never valid */
    ASSERT_JSON("\xC0\xAF", "\"" FFFD FFFD "\"");                 /* overlong '/' */
    ASSERT_JSON("\xE0\x80\x80", "\"" FFFD FFFD FFFD "\"");        /* overlong NUL */
    ASSERT_JSON("\xED\xA0\x80", "\"" FFFD FFFD FFFD "\"");        /* surrogate */
    ASSERT_JSON("\xF4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""); /* > U+10FFFF */
    ASSERT_JSON("\xE2\x82", "\"" FFFD "\"");                      /* cut at the end */
    ASSERT_JSON("\xE2\x82" "A", "\"" FFFD "A\"");                 /* cut by ASCII */
    ASSERT_JSON("\xF0\x9F\x98", "\"" FFFD "\"");
    ASSERT_JSON("\xC3\"", "\"" FFFD "\\\"\"");                    /* cut by a quote */
}

/* Every 1-, 2- and 3-byte input, and random longer ones, give a valid
 * JSON string. */
static void test_any_bytes_give_valid_json(void **state)
{
    (void)state;
    capture c;
    unsigned char bytes[64];
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (unsigned n = 0; n < 200000; n++) {
        size_t len;
        if (n < 256) {
            bytes[0] = (unsigned char)n;
            len = 1;
        } else if (n < 256 + 65536) {
            bytes[0] = (unsigned char)(n - 256);
            bytes[1] = (unsigned char)((n - 256) >> 8);
            len = 2;
        } else {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            len = (size_t)(seed >> 58); /* 0..63 */
            for (size_t k = 0; k < len; k++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                /* Bias towards the interesting high and control bytes. */
                unsigned char b = (unsigned char)(seed >> 56);
                bytes[k] = (seed & 1) ? (unsigned char)(0x80 | b) : b;
            }
        }
        capture_begin(&c);
        ctv_json_write_string(c.out, (const char *)bytes, len);
        char *got = capture_end(&c);
        if (!is_valid_json_string(got, strlen(got)))
            fail_msg("invalid JSON string for input %u (len %zu): %s", n, len, got);
        free(got);
    }
}

/* ---- the writer ----------------------------------------------------------- */

static void test_writer_commas_and_nesting(void **state)
{
    (void)state;
    capture c;
    capture_begin(&c);
    ctv_json j;
    ctv_json_init(&j, c.out);
    ctv_json_object_begin(&j);
    ctv_json_kv_u64(&j, "id", UINT64_MAX);
    ctv_json_kv_i64(&j, "neg", INT64_MIN);
    ctv_json_kv_cstr(&j, "none", NULL);
    ctv_json_kv_bool(&j, "yes", 1);
    ctv_json_kv_str(&j, "bytes", "x\"y", 3);
    ctv_json_key(&j, "empty");
    ctv_json_array_begin(&j);
    ctv_json_array_end(&j);
    ctv_json_key(&j, "list");
    ctv_json_array_begin(&j);
    ctv_json_u64(&j, 1);
    ctv_json_object_begin(&j);
    ctv_json_kv_null(&j, "a");
    ctv_json_object_end(&j);
    ctv_json_array_begin(&j);
    ctv_json_array_end(&j);
    ctv_json_cstr(&j, "s");
    ctv_json_array_end(&j);
    ctv_json_object_end(&j);
    char *got = capture_end(&c);
    assert_string_equal(got, "{\"id\":18446744073709551615,\"neg\":-9223372036854775808,"
                             "\"none\":null,\"yes\":true,\"bytes\":\"x\\\"y\","
                             "\"empty\":[],\"list\":[1,{\"a\":null},[],\"s\"]}");
    free(got);
}

static void test_writer_micros_and_hex(void **state)
{
    (void)state;
    capture c;
    capture_begin(&c);
    ctv_json j;
    ctv_json_init(&j, c.out);
    ctv_json_array_begin(&j);
    ctv_json_micros(&j, 0);
    ctv_json_micros(&j, 7);
    ctv_json_micros(&j, 12345);
    ctv_json_micros(&j, 1000000);
    ctv_json_micros(&j, UINT64_MAX);
    ctv_json_hex(&j, 0);
    ctv_json_hex(&j, 0xdeadbeef);
    ctv_json_array_end(&j);
    char *got = capture_end(&c);
    assert_string_equal(got, "[0.000,0.007,12.345,1000.000,18446744073709551.615,"
                             "\"0x0\",\"0xdeadbeef\"]");
    free(got);
}

static void test_writer_line_per_item(void **state)
{
    (void)state;
    capture c;
    capture_begin(&c);
    ctv_json j;
    ctv_json_init(&j, c.out);
    ctv_json_object_begin(&j);
    ctv_json_key(&j, "tasks");
    ctv_json_array_lines_begin(&j);
    for (int i = 0; i < 2; i++) {
        ctv_json_object_begin(&j);
        ctv_json_kv_i64(&j, "id", i);
        ctv_json_object_end(&j);
    }
    ctv_json_array_end(&j);
    ctv_json_key(&j, "none");
    ctv_json_array_lines_begin(&j);
    ctv_json_array_end(&j);
    ctv_json_object_end(&j);
    char *got = capture_end(&c);
    assert_string_equal(got, "{\"tasks\":[\n{\"id\":0},\n{\"id\":1}\n],\"none\":[]}");
    free(got);
}

static void test_writer_survives_deep_nesting(void **state)
{
    (void)state;
    capture c;
    capture_begin(&c);
    ctv_json j;
    ctv_json_init(&j, c.out);
    for (int i = 0; i < 2 * CTV_JSON_MAX_DEPTH; i++)
        ctv_json_array_begin(&j);
    for (int i = 0; i < 2 * CTV_JSON_MAX_DEPTH; i++)
        ctv_json_array_end(&j);
    char *got = capture_end(&c);
    assert_int_equal(strlen(got), 4 * CTV_JSON_MAX_DEPTH);
    free(got);
}

/* ---- text for terminals --------------------------------------------------- */

static void assert_text(const char *bytes, size_t len, const char *expected)
{
    capture c;
    capture_begin(&c);
    ctv_print_text(c.out, bytes, len);
    char *got = capture_end(&c);
    assert_string_equal(got, expected);
    free(got);
}

#define ASSERT_TEXT(literal, expected) assert_text((literal), sizeof(literal) - 1, (expected))

static void test_text_neutralises_terminal_control(void **state)
{
    (void)state;
    ASSERT_TEXT("plain \"text\" \\", "plain \"text\" \\");
    ASSERT_TEXT("a\nb\tc", "a\\nb\\tc");
    ASSERT_TEXT("\x1b[2J", "\\x1b[2J");
    ASSERT_TEXT("\0", "\\x00");
    ASSERT_TEXT("\xC2\x9B" "2J", "\\u009b2J"); /* C1 CSI */
    ASSERT_TEXT("caf\xC3\xA9", "caf\xC3\xA9");
    ASSERT_TEXT("\xFF\xE2\x82", FFFD FFFD);
}

/* ---- JSON and text inside an HTML page ------------------------------------ */

static void test_json_in_html_cannot_close_the_script(void **state)
{
    (void)state;
    capture c;
    capture_begin(&c);
    ctv_json j;
    ctv_json_init_html(&j, c.out);
    ctv_json_object_begin(&j);
    ctv_json_kv_cstr(&j, "name", "</script><!-- a&b >");
    ctv_json_object_end(&j);
    char *got = capture_end(&c);
    assert_string_equal(got, "{\"name\":\"\\u003c/script\\u003e\\u003c!-- "
                             "a\\u0026b \\u003e\"}");
    free(got);

    capture_begin(&c); /* the plain writer keeps them: jsonl stays readable */
    ctv_json_init(&j, c.out);
    ctv_json_str(&j, "a<b", 3);
    ctv_json_object_end(&j); /* flushes: depth stays 0 */
    got = capture_end(&c);
    assert_non_null(strstr(got, "\"a<b\""));
    free(got);
}

static void assert_html(const char *bytes, size_t len, const char *expected)
{
    capture c;
    capture_begin(&c);
    ctv_html_text(c.out, bytes, len);
    char *got = capture_end(&c);
    assert_string_equal(got, expected);
    free(got);
}

#define ASSERT_HTML(literal, expected) assert_html((literal), sizeof(literal) - 1, (expected))

static void test_html_text_escapes_markup_and_bad_bytes(void **state)
{
    (void)state;
    ASSERT_HTML("TestPipeline", "TestPipeline");
    ASSERT_HTML("<img src=x onerror=\"alert('1')\">",
                "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;");
    ASSERT_HTML("a&amp;b", "a&amp;amp;b");
    ASSERT_HTML("line\nnext\tcol\r", "line\nnext\tcol\r");
    ASSERT_HTML("\0\x1b[2J\x7f", FFFD FFFD "[2J" FFFD);
    ASSERT_HTML("caf\xC3\xA9 \xE2\x80\xA8", "caf\xC3\xA9 \xE2\x80\xA8");
    ASSERT_HTML("\xFF\xC0\x80", FFFD FFFD FFFD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_quote_and_backslash_escaped),
        cmocka_unit_test(test_control_bytes_escaped),
        cmocka_unit_test(test_embedded_nul_kept_escaped),
        cmocka_unit_test(test_valid_utf8_passes),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_any_bytes_give_valid_json),
        cmocka_unit_test(test_writer_commas_and_nesting),
        cmocka_unit_test(test_writer_micros_and_hex),
        cmocka_unit_test(test_writer_line_per_item),
        cmocka_unit_test(test_writer_survives_deep_nesting),
        cmocka_unit_test(test_text_neutralises_terminal_control),
        cmocka_unit_test(test_json_in_html_cannot_close_the_script),
        cmocka_unit_test(test_html_text_escapes_markup_and_bad_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
