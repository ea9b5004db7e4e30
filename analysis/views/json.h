/*
 * json.h - a small streaming JSON writer whose strings are always valid.
 *
 * The writer tracks commas per nesting level so the views read as a list of
 * keys and values. Every string goes through ctv_json_write_string(): trace
 * bytes are untrusted, so quotes, backslashes and control bytes (NUL too) are
 * escaped and invalid UTF-8 becomes U+FFFD. Output is compact; arrays opened
 * with ctv_json_array_lines_begin() put one item per line, which keeps large
 * outputs diffable and greppable.
 *
 * The writer buffers what it writes: it reaches the stream when a top-level
 * value ends (and as the buffer fills). Write to the stream directly only
 * between top-level values.
 */
#ifndef CTV_JSON_H
#define CTV_JSON_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t, int64_t */
#include <stdio.h>  /* FILE */

#define CTV_JSON_MAX_DEPTH 32
#define CTV_JSON_BUFFER 8192

typedef struct ctv_json {
    FILE *out;
    unsigned depth;    /* open objects and arrays */
    int html_safe;     /* '<', '>', '&' escaped: JSON inside an HTML <script> */
    int after_key;     /* a key was written, its value comes next */
    unsigned char has_items[CTV_JSON_MAX_DEPTH];     /* comma needed */
    unsigned char line_per_item[CTV_JSON_MAX_DEPTH]; /* newline per item */
    size_t len;        /* bytes in buf, not yet written to out */
    char buf[CTV_JSON_BUFFER];
} ctv_json;

/* Write `len` bytes as one JSON string literal, quotes included. */
void ctv_json_write_string(FILE *out, const char *bytes, size_t len);

void ctv_json_init(ctv_json *j, FILE *out);
/* As ctv_json_init(), for JSON written inside an HTML <script> element:
 * strings escape '<', '>' and '&' (\u003c...), so no text in the trace can
 * close the element ("</script>") or open a comment ("<!--"). */
void ctv_json_init_html(ctv_json *j, FILE *out);

void ctv_json_object_begin(ctv_json *j);
void ctv_json_object_end(ctv_json *j);
void ctv_json_array_begin(ctv_json *j);
void ctv_json_array_lines_begin(ctv_json *j);
void ctv_json_array_end(ctv_json *j);

/* Values: in an array as items, in an object after ctv_json_key(). */
void ctv_json_key(ctv_json *j, const char *key);
void ctv_json_str(ctv_json *j, const char *bytes, size_t len);
void ctv_json_cstr(ctv_json *j, const char *s); /* NULL writes null */
void ctv_json_u64(ctv_json *j, uint64_t v);
void ctv_json_i64(ctv_json *j, int64_t v);
/* `v` as a string "0x..." (addresses, ids). */
void ctv_json_hex(ctv_json *j, uint64_t v);
/* `ns` nanoseconds as microseconds, exactly: "12.345" (Chrome's "ts"). */
void ctv_json_micros(ctv_json *j, uint64_t ns);
void ctv_json_bool(ctv_json *j, int v);
void ctv_json_null(ctv_json *j);

/* Key and value in one call, for the common case. */
void ctv_json_kv_str(ctv_json *j, const char *key, const char *bytes, size_t len);
void ctv_json_kv_cstr(ctv_json *j, const char *key, const char *s);
void ctv_json_kv_u64(ctv_json *j, const char *key, uint64_t v);
void ctv_json_kv_i64(ctv_json *j, const char *key, int64_t v);
void ctv_json_kv_bool(ctv_json *j, const char *key, int v);
void ctv_json_kv_null(ctv_json *j, const char *key);

#endif /* CTV_JSON_H */
