/*
 * json.c - JSON output: string escaping and comma bookkeeping.
 *
 * Views write millions of values: the writer gathers its output in a buffer
 * of its own and hands it to stdio a few KiB at a time (and whenever a
 * top-level value ends, so the caller may write to the stream after it),
 * and numbers are formatted by hand.
 */
#include "json.h"

#include <string.h> /* memcpy, strlen */

#include "common/utf8.h"

/* ---- the buffer ------------------------------------------------------------------ */

static void flush(ctv_json *j)
{
    if (j->len)
        fwrite_unlocked(j->buf, 1, j->len, j->out);
    j->len = 0;
}

static void put(ctv_json *j, const void *bytes, size_t n)
{
    if (j->len + n > sizeof j->buf) {
        flush(j);
        if (n > sizeof j->buf) {
            fwrite_unlocked(bytes, 1, n, j->out);
            return;
        }
    }
    memcpy(j->buf + j->len, bytes, n);
    j->len += n;
}

static void put_char(ctv_json *j, char c)
{
    if (j->len == sizeof j->buf)
        flush(j);
    j->buf[j->len++] = c;
}

/* Decimal digits of v, written backwards from end. @return the first. */
static char *format_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void put_u64(ctv_json *j, uint64_t v)
{
    char buf[24], *end = buf + sizeof buf, *p = format_u64(end, v);
    put(j, p, (size_t)(end - p));
}

static void put_i64(ctv_json *j, int64_t v)
{
    char buf[24], *end = buf + sizeof buf;
    /* The magnitude as unsigned: -INT64_MIN does not fit in int64_t. */
    char *p = format_u64(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    put(j, p, (size_t)(end - p));
}

/* ---- strings --------------------------------------------------------------------- */

/* Bytes that go out unchanged: printable ASCII except '"' and '\\'. */
static int is_plain_ascii(unsigned char c)
{
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

/* Bytes an HTML parser acts on inside <script>: escaped in html_safe mode. */
static int is_html_special(unsigned char c)
{
    return c == '<' || c == '>' || c == '&';
}

/* "\u00XX" or "\u20XX" for a code point below 0x10000. */
static void put_unicode_escape(ctv_json *j, uint32_t cp)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 'u', hex[cp >> 12 & 15], hex[cp >> 8 & 15], hex[cp >> 4 & 15],
                 hex[cp & 15]};
    put(j, e, sizeof e);
}

static void put_escape(ctv_json *j, unsigned char c)
{
    char e[2] = {'\\', 0};
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default: put_unicode_escape(j, c); return; /* NUL, C0, DEL, <>& for HTML */
    }
    put(j, e, 2);
}

static void put_string(ctv_json *j, const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    put_char(j, '"');
    while (i < len) {
        /* Copy runs of plain bytes at once: most names are plain. */
        size_t run = i;
        while (run < len && is_plain_ascii(s[run]) &&
               !(j->html_safe && is_html_special(s[run])))
            run++;
        if (run > i) {
            put(j, s + i, run - i);
            i = run;
            continue;
        }
        if (s[i] < 0x80) {
            put_escape(j, s[i]);
            i++;
            continue;
        }
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, len - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT) /* invalid bytes (or a real U+FFFD) */
            put(j, "\xEF\xBF\xBD", 3);
        else if (cp == 0x2028 || cp == 0x2029)
            put_unicode_escape(j, cp); /* line breaks to JavaScript */
        else
            put(j, s + i, used);
        i += used;
    }
    put_char(j, '"');
}

void ctv_json_write_string(FILE *out, const char *bytes, size_t len)
{
    ctv_json j;
    ctv_json_init(&j, out);
    put_string(&j, bytes, len);
    flush(&j);
}

/* ---- structure ---------------------------------------------------------------------- */

void ctv_json_init(ctv_json *j, FILE *out)
{
    j->out = out;
    j->html_safe = 0;
    j->depth = 0;
    j->after_key = 0;
    j->has_items[0] = 0;
    j->line_per_item[0] = 0;
    j->len = 0;
}

void ctv_json_init_html(ctv_json *j, FILE *out)
{
    ctv_json_init(j, out);
    j->html_safe = 1;
}

/* Slot of the innermost open container; deeper nesting than the views use
 * shares the last slot rather than overrunning the arrays. */
static unsigned level(const ctv_json *j)
{
    return j->depth < CTV_JSON_MAX_DEPTH ? j->depth : CTV_JSON_MAX_DEPTH - 1;
}

/* Before any value or key: the comma (and newline) separating it. */
static void separate(ctv_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    unsigned l = level(j);
    if (j->has_items[l])
        put_char(j, ',');
    if (j->line_per_item[l])
        put_char(j, '\n');
    j->has_items[l] = 1;
}

/* After a value: a finished top-level value goes out, so the caller can
 * write to the stream after it. */
static void value_done(ctv_json *j)
{
    if (j->depth == 0)
        flush(j);
}

static void open_container(ctv_json *j, char bracket, int lines)
{
    separate(j);
    put_char(j, bracket);
    j->depth++;
    unsigned l = level(j);
    j->has_items[l] = 0;
    j->line_per_item[l] = (unsigned char)lines;
}

static void close_container(ctv_json *j, char bracket)
{
    unsigned l = level(j);
    if (j->line_per_item[l] && j->has_items[l])
        put_char(j, '\n');
    if (j->depth > 0)
        j->depth--;
    put_char(j, bracket);
    value_done(j);
}

void ctv_json_object_begin(ctv_json *j) { open_container(j, '{', 0); }
void ctv_json_object_end(ctv_json *j) { close_container(j, '}'); }
void ctv_json_array_begin(ctv_json *j) { open_container(j, '[', 0); }
void ctv_json_array_lines_begin(ctv_json *j) { open_container(j, '[', 1); }
void ctv_json_array_end(ctv_json *j) { close_container(j, ']'); }

void ctv_json_key(ctv_json *j, const char *key)
{
    separate(j);
    size_t len = strlen(key);
    char buf[64];
    int plain = len + 3 <= sizeof buf;
    for (size_t i = 0; plain && i < len; i++)
        plain = is_plain_ascii((unsigned char)key[i]);
    if (plain) { /* the views' own keys: "key": at once */
        buf[0] = '"';
        memcpy(buf + 1, key, len);
        buf[len + 1] = '"';
        buf[len + 2] = ':';
        put(j, buf, len + 3);
    } else {
        put_string(j, key, len);
        put_char(j, ':');
    }
    j->after_key = 1;
}

/* ---- values -------------------------------------------------------------------------- */

void ctv_json_str(ctv_json *j, const char *bytes, size_t len)
{
    separate(j);
    put_string(j, bytes ? bytes : "", bytes ? len : 0);
    value_done(j);
}

void ctv_json_cstr(ctv_json *j, const char *s)
{
    if (!s) {
        ctv_json_null(j);
        return;
    }
    ctv_json_str(j, s, strlen(s));
}

void ctv_json_u64(ctv_json *j, uint64_t v)
{
    separate(j);
    put_u64(j, v);
    value_done(j);
}

void ctv_json_hex(ctv_json *j, uint64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)v);
    ctv_json_str(j, buf, (size_t)n);
}

void ctv_json_micros(ctv_json *j, uint64_t ns)
{
    separate(j);
    put_u64(j, ns / 1000);
    char frac[4] = {'.', (char)('0' + ns % 1000 / 100), (char)('0' + ns % 100 / 10),
                    (char)('0' + ns % 10)};
    put(j, frac, sizeof frac);
    value_done(j);
}

void ctv_json_i64(ctv_json *j, int64_t v)
{
    separate(j);
    put_i64(j, v);
    value_done(j);
}

void ctv_json_bool(ctv_json *j, int v)
{
    separate(j);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
    value_done(j);
}

void ctv_json_null(ctv_json *j)
{
    separate(j);
    put(j, "null", 4);
    value_done(j);
}

void ctv_json_kv_str(ctv_json *j, const char *key, const char *bytes, size_t len)
{
    ctv_json_key(j, key);
    ctv_json_str(j, bytes, len);
}

void ctv_json_kv_cstr(ctv_json *j, const char *key, const char *s)
{
    ctv_json_key(j, key);
    ctv_json_cstr(j, s);
}

void ctv_json_kv_u64(ctv_json *j, const char *key, uint64_t v)
{
    ctv_json_key(j, key);
    ctv_json_u64(j, v);
}

void ctv_json_kv_i64(ctv_json *j, const char *key, int64_t v)
{
    ctv_json_key(j, key);
    ctv_json_i64(j, v);
}

void ctv_json_kv_bool(ctv_json *j, const char *key, int v)
{
    ctv_json_key(j, key);
    ctv_json_bool(j, v);
}

void ctv_json_kv_null(ctv_json *j, const char *key)
{
    ctv_json_key(j, key);
    ctv_json_null(j);
}
