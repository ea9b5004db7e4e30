/*
 * text.c - the text form of a trace: one line per record, an indented line
 * per event of a BATCH, fields named as in format/wire.h. Golden tests write
 * traces in it; `ctr_text_dump` prints any trace in it. Example:
 *
 *   ctrace 1.0
 *   trace_begin major=1 minor=0 writer="t" mono_ns=1000 realtime_ns=0
 *   schema
 *   process_begin proc=0 pid=7 exe="/t" clock=0 hz=1000000000 tsc0=1000 ns0=1000
 *   batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000
 *     string id=1 bytes="fetch"
 *     region_begin +10 task=0 name=1
 *     region_end +20000000 back=0
 *   process_end proc=0 how=0 code=0 dropped=0
 *   trace_end batches=1 event_bytes=0
 */
#include <ctype.h>  /* tolower */
#include <errno.h>  /* errno */
#include <stdarg.h> /* va_list */
#include <stdlib.h> /* strtoull */
#include <string.h> /* strcmp */

#include "analysis/reader_internal.h"
#include "analysis/text.h"
#include "format/schema.h"
#include "recorder/trace_writer.h"

/* ---- shared ------------------------------------------------------------------ */

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)in[i]);
    out[i] = '\0';
}

/* The n-th space-separated word of names. */
static size_t word(const char *names, int n, const char **start)
{
    const char *p = names;
    *start = "";
    for (int i = 0; i < n; i++) {
        p = strchr(p, ' ');
        if (!p)
            return 0;
        p++;
    }
    *start = p;
    const char *e = strchr(p, ' ');
    return e ? (size_t)(e - p) : strlen(p);
}

/* ---- dump -------------------------------------------------------------------- */

void ctr__text_quote(FILE *out, const void *bytes, size_t n)
{
    const uint8_t *s = bytes;
    fputc('"', out);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* A STACK's `pcs`: its varints are shown as 0x1010,0x10a0 (a quoted string
 * when they do not decode, as in a damaged trace). */
static int is_pcs(const char *name, size_t len)
{
    return len == 3 && memcmp(name, "pcs", 3) == 0;
}

static int put_pcs(FILE *out, const uint8_t *p, size_t len)
{
    const uint8_t *e = p + len;
    for (const uint8_t *q = p; q < e;) {
        uint64_t v;
        unsigned k = ct_get_uvarint(q, e, &v);
        if (!k)
            return -1;
        q += k;
    }
    for (int first = 1; p < e; first = 0) {
        uint64_t v = 0;
        p += ct_get_uvarint(p, e, &v);
        fprintf(out, "%s0x%llx", first ? "" : ",", (unsigned long long)v);
    }
    return 0;
}

/* Print fields per spec; @return bytes used, 0 if malformed. */
static size_t put_fields(FILE *out, const char *fields, const char *names, const uint8_t *p,
                         const uint8_t *e)
{
    const uint8_t *start = p;
    for (int i = 0; fields[i]; i++) {
        const char *nm;
        size_t nl = word(names, i, &nm);
        if (fields[i] == 'b') /* events follow as lines; the schema is built in */
            return (size_t)(e - start) ? (size_t)(e - start) : 1;
        if (fields[i] == 'o' && p == e)
            break; /* written by an older minor version */
        uint64_t v;
        unsigned k = ct_get_uvarint(p, e, &v);
        if (!k)
            return 0;
        p += k;
        fprintf(out, " %.*s=", (int)nl, nm);
        if (fields[i] == 's') {
            if (v > (uint64_t)(e - p))
                return 0;
            if (!is_pcs(nm, nl) || put_pcs(out, p, (size_t)v) != 0)
                ctr__text_quote(out, p, (size_t)v);
            p += v;
        } else {
            fprintf(out, "%llu", (unsigned long long)v);
        }
    }
    return (size_t)(p - start) ? (size_t)(p - start) : 1;
}

static int dump_events(FILE *out, const uint8_t *p, const uint8_t *e)
{
    while (p < e) {
        const ct_event_spec *spec = ct_event_spec_of(*p);
        char name[64];
        if (!spec) {
            fprintf(out, "  # unknown event kind 0x%02x\n", *p);
            return -1;
        }
        lower(spec->name, name, sizeof name);
        fprintf(out, "  %s", name);
        const uint8_t *q = p + 1;
        if (spec->timed) {
            uint64_t d;
            unsigned k = ct_get_uvarint(q, e, &d);
            if (!k)
                return -1;
            fprintf(out, " +%llu", (unsigned long long)d);
            q += k;
        }
        size_t used = spec->fields[0] ? put_fields(out, spec->fields, spec->names, q, e) : 1;
        fputc('\n', out);
        if (!used)
            return -1;
        p = q + (spec->fields[0] ? used : 0);
    }
    return 0;
}

int ctr_text_dump(const char *path, FILE *out, char *err, size_t err_size)
{
    ctr_reader *r;
    int rc = ctr_open(&r, path);
    if (rc != 0) {
        snprintf(err, err_size, "%s: %s", path, ct_strerror(rc));
        return rc;
    }
    fprintf(out, "ctrace %u.%u\n", r->major, r->minor);
    /* ctr_open consumed TRACE_BEGIN: print it from what it stored. */
    fprintf(out, "trace_begin major=%u minor=%u writer=", r->major, r->minor);
    ctr__text_quote(out, r->writer ? r->writer : "",
               r->writer ? strlen(r->writer) : 0);
    fprintf(out, " mono_ns=%llu realtime_ns=%llu\n", (unsigned long long)r->start_mono_ns,
            (unsigned long long)r->start_realtime_ns);
    uint8_t kind;
    const uint8_t *p;
    size_t len;
    while ((rc = ctr__next_record(r, &kind, &p, &len, 1)) == 1) {
        const ct_record_spec *spec = ct_record_spec_of(kind);
        if (!spec) {
            fprintf(out, "# record of unknown kind 0x%02x, %zu bytes\n", kind, len);
            continue;
        }
        char name[64];
        lower(spec->name, name, sizeof name);
        fputs(name, out);
        if (kind == CT_REC_SCHEMA) {
            fputc('\n', out);
            continue;
        }
        size_t used = put_fields(out, spec->fields, spec->names, p, p + len);
        fputc('\n', out);
        if (kind == CT_REC_BATCH && used) {
            /* Re-parse the head to find where the events start. */
            const uint8_t *q = p, *e = p + len;
            uint64_t v;
            for (int i = 0; i < 6; i++)
                q += ct_get_uvarint(q, e, &v);
            if (dump_events(out, q, e) != 0) {
                snprintf(err, err_size, "%s: malformed events in a batch", path);
                ctr_close(r);
                return 1;
            }
        }
    }
    int status = 0;
    if (rc < 0) {
        snprintf(err, err_size, "%s: %s", path, r->damage);
        status = 1;
    }
    ctr_close(r);
    return status;
}

/* ---- assemble ---------------------------------------------------------------- */

typedef struct asm_state {
    const char *path;
    int line;
    char *err;
    size_t err_size;
    ct_trace_writer *w;
    uint8_t head[128];
    size_t head_len;
    uint8_t *events;
    size_t events_len, events_cap;
    int in_batch;
} asm_state;

static int fail(asm_state *a, const char *at, const char *line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(asm_state *a, const char *at, const char *line, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(a->err, a->err_size, "%s:%d:%d: %s", a->path, a->line,
             (int)(at - line) + 1, what);
    return CT_EINVAL;
}

/* Parse a quoted string with \" \\ \xHH escapes into out. */
static const char *parse_string(const char *p, uint8_t *out, size_t cap, size_t *len)
{
    if (*p != '"')
        return NULL;
    p++;
    size_t n = 0;
    while (*p && *p != '"') {
        uint8_t c = (uint8_t)*p++;
        if (c == '\\') {
            if (*p == 'x' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
                char hex[3] = {p[1], p[2], 0};
                c = (uint8_t)strtoul(hex, NULL, 16);
                p += 3;
            } else if (*p == 'n' || *p == 't') {
                c = *p++ == 'n' ? '\n' : '\t';
            } else if (*p) {
                c = (uint8_t)*p++;
            }
        }
        if (n == cap)
            return NULL;
        out[n++] = c;
    }
    if (*p != '"')
        return NULL;
    *len = n;
    return p + 1;
}

/* "0x1010,0x10a0" (possibly empty) as varints into [buf, buf + cap).
 * @return the text after it, NULL if malformed; *end past the last byte. */
static const char *parse_pcs(const char *p, uint8_t *buf, size_t cap, uint8_t **end)
{
    uint8_t *b = buf;
    while (*p && *p != ' ' && *p != '\t' && *p != '#') {
        char *q;
        errno = 0;
        unsigned long long v = strtoull(p, &q, 0);
        if (q == p || errno || *p == '-' || (size_t)(buf + cap - b) < CT_UVARINT_MAX)
            return NULL;
        b = ct_put_uvarint(b, v);
        p = *q == ',' ? q + 1 : q;
    }
    *end = b;
    return p;
}

/* Encode "name=value ..." per spec into out. @return bytes, or -1 (err set). */
static long encode_fields(asm_state *a, const char *line, const char *p, const char *fields,
                          const char *names, uint8_t *out, size_t cap)
{
    uint8_t *o = out, *end = out + cap;
    for (int i = 0; fields[i]; i++) {
        if (fields[i] == 'b')
            break; /* filled by what follows (batch) or built in (schema) */
        while (*p == ' ' || *p == '\t')
            p++;
        if (fields[i] == 'o' && (*p == '\0' || *p == '#'))
            break; /* as an older minor version wrote it */
        const char *nm;
        size_t nl = word(names, i, &nm);
        if (strncmp(p, nm, nl) != 0 || p[nl] != '=') {
            fail(a, p, line, "expected field %.*s=", (int)nl, nm);
            return -1;
        }
        p += nl + 1;
        if (end - o < CT_UVARINT_MAX) {
            fail(a, p, line, "line too long");
            return -1;
        }
        if (fields[i] == 's' && is_pcs(nm, nl) && *p != '"') {
            uint8_t buf[CT_MAX_STACK_DEPTH * CT_UVARINT_MAX], *b = buf;
            const char *q = parse_pcs(p, buf, sizeof buf, &b);
            if (!q || (size_t)(end - o) < CT_UVARINT_MAX + (size_t)(b - buf)) {
                fail(a, p, line, "expected addresses like 0x1010,0x10a0");
                return -1;
            }
            o = ct_put_uvarint(o, (uint64_t)(b - buf));
            memcpy(o, buf, (size_t)(b - buf));
            o += b - buf;
            p = q;
        } else if (fields[i] == 's') {
            uint8_t buf[8192];
            size_t n;
            const char *q = parse_string(p, buf, sizeof buf, &n);
            if (!q || (size_t)(end - o) < CT_UVARINT_MAX + n) {
                fail(a, p, line, "expected a quoted string");
                return -1;
            }
            o = ct_put_uvarint(o, n);
            memcpy(o, buf, n);
            o += n;
            p = q;
        } else {
            char *q;
            errno = 0;
            unsigned long long v = strtoull(p, &q, 0);
            if (q == p || errno || *p == '-') {
                fail(a, p, line, "expected an unsigned number");
                return -1;
            }
            o = ct_put_uvarint(o, v);
            p = q;
        }
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p && *p != '#') {
        fail(a, p, line, "unexpected text");
        return -1;
    }
    return (long)(o - out);
}

static int flush_batch(asm_state *a)
{
    if (!a->in_batch)
        return 0;
    a->in_batch = 0;
    return ct_tw_batch(a->w, a->head, a->head_len, a->events, a->events_len);
}

static int event_line(asm_state *a, const char *line, const char *p)
{
    char word_buf[64];
    size_t n = strcspn(p, " \t");
    if (!a->in_batch)
        return fail(a, p, line, "an event outside a batch");
    if (n >= sizeof word_buf)
        return fail(a, p, line, "unknown event");
    const ct_event_spec *spec = NULL;
    unsigned code;
    for (code = 0; code < CT_EV__LIMIT; code++) {
        spec = ct_event_spec_of(code);
        if (!spec)
            continue;
        lower(spec->name, word_buf, sizeof word_buf);
        if (strlen(word_buf) == n && strncmp(word_buf, p, n) == 0)
            break;
    }
    if (code == CT_EV__LIMIT)
        return fail(a, p, line, "unknown event \"%.*s\"", (int)n, p);
    p += n;
    uint8_t buf[16384], *o = buf;
    *o++ = (uint8_t)code;
    if (spec->timed) {
        while (*p == ' ')
            p++;
        if (*p != '+')
            return fail(a, p, line, "expected +DELTA (ticks since the thread's last event)");
        char *q;
        unsigned long long d = strtoull(p + 1, &q, 0);
        if (q == p + 1)
            return fail(a, p, line, "expected +DELTA");
        o = ct_put_uvarint(o, d);
        p = q;
    }
    long k = encode_fields(a, line, p, spec->fields, spec->names, o, sizeof buf - 16);
    if (k < 0)
        return CT_EINVAL;
    size_t len = (size_t)(o - buf) + (size_t)k;
    if (a->events_len + len > a->events_cap) {
        size_t cap = a->events_cap ? a->events_cap * 2 : 65536;
        while (cap < a->events_len + len)
            cap *= 2;
        uint8_t *e = realloc(a->events, cap);
        if (!e)
            return CT_ENOMEM;
        a->events = e;
        a->events_cap = cap;
    }
    memcpy(a->events + a->events_len, buf, len);
    a->events_len += len;
    return 0;
}

static int record_line(asm_state *a, const char *line, const char *p)
{
    int rc = flush_batch(a);
    if (rc)
        return rc;
    size_t n = strcspn(p, " \t");
    char word_buf[64];
    for (unsigned code = 0; code < 16; code++) {
        const ct_record_spec *spec = ct_record_spec_of(code);
        if (!spec)
            continue;
        lower(spec->name, word_buf, sizeof word_buf);
        if (strlen(word_buf) != n || strncmp(word_buf, p, n) != 0)
            continue;
        uint8_t buf[16384];
        long k;
        if (code == CT_REC_SCHEMA) {
            k = (long)ct_schema_encode(buf, sizeof buf);
        } else {
            k = encode_fields(a, line, p + n, spec->fields, spec->names, buf, sizeof buf);
            if (k < 0)
                return CT_EINVAL;
        }
        if (code == CT_REC_BATCH) {
            memcpy(a->head, buf, (size_t)k);
            a->head_len = (size_t)k;
            a->events_len = 0;
            a->in_batch = 1;
            return 0;
        }
        return ct_tw_record(a->w, (uint8_t)code, buf, (size_t)k);
    }
    return fail(a, p, line, "unknown record \"%.*s\"", (int)n, p);
}

int ctr_text_assemble(const char *text_path, const char *trace_path, char *err,
                      size_t err_size)
{
    asm_state a = {.path = text_path, .err = err, .err_size = err_size};
    FILE *in = fopen(text_path, "r");
    if (!in) {
        snprintf(err, err_size, "%s: %s", text_path, strerror(errno));
        return CT_EIO;
    }
    char line[20000];
    int rc = 0, have_prefix = 0;
    while (rc == 0 && fgets(line, sizeof line, in)) {
        a.line++;
        line[strcspn(line, "\n")] = '\0';
        const char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        if (!have_prefix) {
            unsigned major, minor;
            if (sscanf(p, "ctrace %u.%u", &major, &minor) != 2)
                return fclose(in), fail(&a, p, line, "expected \"ctrace MAJOR.MINOR\"");
            have_prefix = 1;
            rc = ct_tw_create(&a.w, trace_path, major, minor);
            if (rc)
                snprintf(err, err_size, "%s: %s", trace_path, strerror(errno));
            continue;
        }
        rc = p != line ? event_line(&a, line, p) : record_line(&a, line, p);
    }
    fclose(in);
    if (rc == 0 && !have_prefix)
        rc = fail(&a, line, line, "empty text trace");
    if (rc == 0)
        rc = flush_batch(&a);
    if (a.w) {
        int end = ct_tw_finish_raw(a.w);
        if (rc == 0)
            rc = end;
    }
    free(a.events);
    return rc;
}
