/*
 * json.c - JSON output: string escaping and comma bookkeeping.
 */
#include "json.h"

#include <inttypes.h> /* PRIu64, PRId64 */

#include "utf8.h"

/* Bytes that go out unchanged: printable ASCII except '"' and '\\'. */
static int is_plain_ascii(unsigned char c)
{
    return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

static void write_escape(FILE *out, unsigned char c)
{
    switch (c) {
    case '"': fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    default: fprintf(out, "\\u%04x", (unsigned)c); break; /* NUL, C0, DEL */
    }
}

void ctv_json_write_string(FILE *out, const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    fputc('"', out);
    while (i < len) {
        /* Copy runs of plain bytes in one call: most names are plain. */
        size_t run = i;
        while (run < len && is_plain_ascii(s[run]))
            run++;
        if (run > i) {
            fwrite(s + i, 1, run - i, out);
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
            fputs("\xEF\xBF\xBD", out);
        else if (cp == 0x2028 || cp == 0x2029)
            fprintf(out, "\\u%04x", (unsigned)cp); /* line breaks to JavaScript */
        else
            fwrite(s + i, 1, used, out);
        i += used;
    }
    fputc('"', out);
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
        fputc(',', j->out);
    if (j->line_per_item[l])
        fputc('\n', j->out);
    j->has_items[l] = 1;
}

static void open_container(ctv_json *j, char bracket, int lines)
{
    separate(j);
    fputc(bracket, j->out);
    j->depth++;
    unsigned l = level(j);
    j->has_items[l] = 0;
    j->line_per_item[l] = (unsigned char)lines;
}

static void close_container(ctv_json *j, char bracket)
{
    unsigned l = level(j);
    if (j->line_per_item[l] && j->has_items[l])
        fputc('\n', j->out);
    if (j->depth > 0)
        j->depth--;
    fputc(bracket, j->out);
}

void ctv_json_object_begin(ctv_json *j) { open_container(j, '{', 0); }
void ctv_json_object_end(ctv_json *j) { close_container(j, '}'); }
void ctv_json_array_begin(ctv_json *j) { open_container(j, '[', 0); }
void ctv_json_array_lines_begin(ctv_json *j) { open_container(j, '[', 1); }
void ctv_json_array_end(ctv_json *j) { close_container(j, ']'); }

void ctv_json_key(ctv_json *j, const char *key)
{
    separate(j);
    const char *end = key;
    while (*end)
        end++;
    ctv_json_write_string(j->out, key, (size_t)(end - key));
    fputc(':', j->out);
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
    fprintf(j->out, "%" PRIu64, v);
}

void ctv_json_i64(ctv_json *j, int64_t v)
{
    separate(j);
    fprintf(j->out, "%" PRId64, v);
}

void ctv_json_bool(ctv_json *j, int v)
{
    separate(j);
    fputs(v ? "true" : "false", j->out);
}

void ctv_json_null(ctv_json *j)
{
    separate(j);
    fputs("null", j->out);
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
