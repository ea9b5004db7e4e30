/*
 * json.c - JSON output: string escaping and comma bookkeeping.
 *
 * Views write millions of values: stdio's unlocked calls (a view writes
 * from one thread) and numbers formatted by hand keep that cheap.
 */
#include "json.h"

#include <string.h> /* strlen */

#include "utf8.h"

/* Decimal digits of v, written backwards from end. @return the first. */
static char *format_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

static void write_u64(FILE *out, uint64_t v)
{
    char buf[24], *end = buf + sizeof buf, *p = format_u64(end, v);
    fwrite_unlocked(p, 1, (size_t)(end - p), out);
}

static void write_i64(FILE *out, int64_t v)
{
    char buf[24], *end = buf + sizeof buf;
    /* The magnitude as unsigned: -INT64_MIN does not fit in int64_t. */
    char *p = format_u64(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    fwrite_unlocked(p, 1, (size_t)(end - p), out);
}

/* Bytes that go out unchanged: printable ASCII except '"' and '\\'. */
static int is_plain_ascii(unsigned char c)
{
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

static void write_escape(FILE *out, unsigned char c)
{
    switch (c) {
    case '"': fwrite_unlocked("\\\"", 1, 2, out); break;
    case '\\': fwrite_unlocked("\\\\", 1, 2, out); break;
    case '\b': fwrite_unlocked("\\b", 1, 2, out); break;
    case '\f': fwrite_unlocked("\\f", 1, 2, out); break;
    case '\n': fwrite_unlocked("\\n", 1, 2, out); break;
    case '\r': fwrite_unlocked("\\r", 1, 2, out); break;
    case '\t': fwrite_unlocked("\\t", 1, 2, out); break;
    default: fprintf(out, "\\u%04x", (unsigned)c); break; /* NUL, C0, DEL */
    }
}

void ctv_json_write_string(FILE *out, const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    putc_unlocked('"', out);
    while (i < len) {
        /* Copy runs of plain bytes in one call: most names are plain. */
        size_t run = i;
        while (run < len && is_plain_ascii(s[run]))
            run++;
        if (run > i) {
            fwrite_unlocked(s + i, 1, run - i, out);
            i = run;
            continue;
        }
        if (s[i] < 0x80) {
            write_escape(out, s[i]);
            i++;
            continue;
        }
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, len - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT) /* invalid bytes (or a real U+FFFD) */
            fwrite_unlocked("\xEF\xBF\xBD", 1, 3, out);
        else if (cp == 0x2028 || cp == 0x2029)
            fprintf(out, "\\u%04x", (unsigned)cp); /* line breaks to JavaScript */
        else
            fwrite_unlocked(s + i, 1, used, out);
        i += used;
    }
    putc_unlocked('"', out);
}

void ctv_json_init(ctv_json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->after_key = 0;
    j->has_items[0] = 0;
    j->line_per_item[0] = 0;
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
        putc_unlocked(',', j->out);
    if (j->line_per_item[l])
        putc_unlocked('\n', j->out);
    j->has_items[l] = 1;
}

static void open_container(ctv_json *j, char bracket, int lines)
{
    separate(j);
    putc_unlocked(bracket, j->out);
    j->depth++;
    unsigned l = level(j);
    j->has_items[l] = 0;
    j->line_per_item[l] = (unsigned char)lines;
}

static void close_container(ctv_json *j, char bracket)
{
    unsigned l = level(j);
    if (j->line_per_item[l] && j->has_items[l])
        putc_unlocked('\n', j->out);
    if (j->depth > 0)
        j->depth--;
    putc_unlocked(bracket, j->out);
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
    if (plain) { /* the views' own keys: "key": in one write */
        buf[0] = '"';
        memcpy(buf + 1, key, len);
        buf[len + 1] = '"';
        buf[len + 2] = ':';
        fwrite_unlocked(buf, 1, len + 3, j->out);
    } else {
        ctv_json_write_string(j->out, key, len);
        putc_unlocked(':', j->out);
    }
    j->after_key = 1;
}

void ctv_json_str(ctv_json *j, const char *bytes, size_t len)
{
    separate(j);
    ctv_json_write_string(j->out, bytes ? bytes : "", bytes ? len : 0);
}

void ctv_json_cstr(ctv_json *j, const char *s)
{
    if (!s) {
        ctv_json_null(j);
        return;
    }
    const char *end = s;
    while (*end)
        end++;
    ctv_json_str(j, s, (size_t)(end - s));
}

void ctv_json_u64(ctv_json *j, uint64_t v)
{
    separate(j);
    write_u64(j->out, v);
}

void ctv_json_i64(ctv_json *j, int64_t v)
{
    separate(j);
    write_i64(j->out, v);
}

void ctv_json_bool(ctv_json *j, int v)
{
    separate(j);
    if (v)
        fwrite_unlocked("true", 1, 4, j->out);
    else
        fwrite_unlocked("false", 1, 5, j->out);
}

void ctv_json_null(ctv_json *j)
{
    separate(j);
    fwrite_unlocked("null", 1, 4, j->out);
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
