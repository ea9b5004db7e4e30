/*
 * trace_merge.c - several traces into one, record by record (trace_merge.h).
 *
 * Two passes over the inputs: the first reads each one's header (format
 * version, clock pair, event table) to check they can be merged and to pick
 * the clock base; the second copies their records into the output, one
 * input at a time. Both read with the reader's record layer (reader.c), so
 * damage is found and told as the views find and tell it.
 */
#include "analysis/trace_merge.h"

#include <errno.h>    /* errno */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcmp, memcpy */

#include "analysis/reader_internal.h"
#include "recorder/outfile.h"      /* ct_outfile_*: replaced only when complete */
#include "recorder/trace_writer.h" /* ct_tw_*: records into a zstd stream */

#define PREFIX "ctest-trace: "
#define FLUSH_BYTES (1u << 20) /* a zstd block at least this often: damage stays local */
#define FIELDS_SLACK 32        /* bytes a rewritten record may grow by (two varints) */

typedef struct merge {
    char *const *paths;
    size_t n;
    FILE *err;
    uint32_t major, minor;   /* the inputs' format version (major 0: none read yet) */
    size_t version_from;     /* the input it was read from */
    char *unreadable;        /* per input: damaged in its header, left out */
    size_t nbases;           /* inputs whose clock pair was read */
    size_t left_out;         /* inputs damaged in their header */
    uint8_t *schema;         /* the first readable input's SCHEMA payload */
    size_t schema_len;
    int has_schema;
    size_t schema_from;      /* that input; n: none read yet */
    char *writer;            /* the earliest input's writer */
    uint8_t *context;        /* the first input's TRACE_CONTEXT payload, that has one */
    size_t context_len, context_from;
    uint64_t base_mono, base_real; /* the earliest input's clock pair */
    ct_trace_writer *w;
    uint8_t *buf;            /* a record being rewritten */
    size_t buf_cap;
    uint64_t unflushed;
    uint64_t proc_base;      /* processes of the inputs merged so far */
} merge;

/* Open input i. @return 0 with *r; 1 after a message: it is damaged within
 * its header (nothing in it can be merged); 2 after a message: it cannot be
 * opened, or is not a trace of a version this reader reads. */
static int open_input(merge *m, size_t i, ctr_reader **r)
{
    const char *path = m->paths[i];
    errno = 0;
    int rc = ctr_open(r, path);
    int e = errno;
    if (rc == 0 && *r != NULL && (*r)->final_rc == 0)
        return 0;
    int status = 2;
    if (rc == 0 && *r != NULL && (*r)->final_rc == CT_EDAMAGED) {
        fprintf(m->err, PREFIX "%s: damaged at byte %lld: %s: nothing in it to merge\n", path,
                (long long)(*r)->damage_offset, (*r)->damage_what);
        status = 1;
    } else if (rc == CT_EIO && e != 0)
        fprintf(m->err, PREFIX "%s: %s\n", path, ct_errno_text(e));
    else
        fprintf(m->err, PREFIX "%s: %s\n", path, ct_strerror(rc ? rc : CT_ENOMEM));
    ctr_close(*r);
    *r = NULL;
    return status;
}

/* Pass one, after input i's SCHEMA: its TRACE_CONTEXT (1.7; its writer puts
 * it next), kept from the first input that has one; another one is said and
 * left out (the traces of different runs: their spans go under the first).
 * @return 0, or 2 out of memory. */
static int check_context(merge *m, size_t i, ctr_reader *r)
{
    uint8_t kind = 0;
    const uint8_t *p = NULL;
    size_t len = 0;
    if (ctr__next_record(r, &kind, &p, &len, 1) <= 0 || kind != CT_REC_TRACE_CONTEXT)
        return 0;
    if (m->context) {
        if (len != m->context_len || memcmp(p, m->context, len) != 0)
            fprintf(m->err, PREFIX "%s: its TRACEPARENT is not that of %s: the merged trace "
                    "keeps the first\n", m->paths[i], m->paths[m->context_from]);
        return 0;
    }
    if ((m->context = malloc(len ? len : 1)) == NULL) {
        fprintf(m->err, PREFIX "%s: %s\n", m->paths[i], ct_strerror(CT_ENOMEM));
        return 2;
    }
    memcpy(m->context, p, len);
    m->context_len = len;
    m->context_from = i;
    return 0;
}

/* Pass one over input i: its version and event table must be the first
 * readable input's; the earliest by the wall clock gives the base.
 * @return 0; 1 it is damaged in its header (left out, said); 2 refused. */
static int check_input(merge *m, size_t i)
{
    ctr_reader *r;
    int opened = open_input(m, i, &r);
    if (opened != 0) {
        m->unreadable[i] = opened == 1;
        return opened;
    }
    uint8_t kind = 0;
    const uint8_t *p = NULL;
    size_t len = 0;
    int rc = ctr__next_record(r, &kind, &p, &len, 1);
    int has_schema = rc > 0 && kind == CT_REC_SCHEMA;
    int status = 0;
    if (rc < 0 && r->final_rc == CT_ENOMEM) {
        fprintf(m->err, PREFIX "%s: %s\n", m->paths[i], ct_strerror(CT_ENOMEM));
        status = 2;
    } else if (m->major != 0 && (r->major != m->major || r->minor != m->minor)) {
        fprintf(m->err, PREFIX "%s: format %u.%u, but %s is format %u.%u: merge traces that "
                "the same version of ctest-trace wrote\n", m->paths[i], r->major, r->minor,
                m->paths[m->version_from], m->major, m->minor);
        status = 2;
    } else if (rc < 0) {
        /* Damaged right after its header: nothing to compare, and nothing
         * to merge (pass two says so). */
    } else if (m->schema_from == m->n) {
        m->schema_from = i;
        m->has_schema = has_schema;
        m->schema_len = has_schema ? len : 0;
        m->schema = malloc(m->schema_len ? m->schema_len : 1);
        if (m->schema == NULL) {
            fprintf(m->err, PREFIX "%s: %s\n", m->paths[i], ct_strerror(CT_ENOMEM));
            status = 2;
        } else if (has_schema) {
            memcpy(m->schema, p, len);
        }
    } else if (has_schema != m->has_schema ||
               (has_schema && (len != m->schema_len || memcmp(p, m->schema, len) != 0))) {
        fprintf(m->err, PREFIX "%s: its table of event kinds (SCHEMA) is not that of %s: merge "
                "traces that the same version of ctest-trace wrote\n", m->paths[i],
                m->paths[m->schema_from]);
        status = 2;
    }
    if (status == 0 && has_schema)
        status = check_context(m, i, r);
    if (m->major == 0) {
        m->major = r->major;
        m->minor = r->minor;
        m->version_from = i;
    }
    if (status == 0 && (m->nbases++ == 0 || r->start_realtime_ns < m->base_real)) {
        free(m->writer);
        m->writer = strdup(r->writer ? r->writer : "");
        m->base_mono = r->start_mono_ns;
        m->base_real = r->start_realtime_ns;
    }
    ctr_close(r);
    return status;
}

/* ns, CLOCK_MONOTONIC of an input, on the merged trace's clock: moved by
 * `shift`, kept within 0 .. UINT64_MAX. */
static uint64_t moved(uint64_t ns, int64_t shift)
{
    if (shift >= 0)
        return ns > UINT64_MAX - (uint64_t)shift ? UINT64_MAX : ns + (uint64_t)shift;
    uint64_t back = (uint64_t)(-(shift + 1)) + 1;
    return ns > back ? ns - back : 0;
}

#define PARENT_FIELD 7 /* PROCESS_BEGIN's parent: renumbered too, if not 0 */

/* The fields of a record laid out as `spec` ('u' a varint, 'o' a varint an
 * older writer may have left out, 'p' such a varint holding 1 + a process,
 * 's' a string) into m->buf, with field 0 (proc) and a 'p' renumbered and
 * field `ns_field` moved by `shift`. *proc gets the
 * input's proc, *end where the fields end in p (what follows is copied by
 * the caller). @return the bytes written in m->buf, or -1 if malformed. */
static long rewrite_fields(merge *m, const uint8_t *p, size_t len, const char *spec,
                           int ns_field, int64_t shift, uint64_t *proc, size_t *end)
{
    if (m->buf_cap < len + FIELDS_SLACK) {
        uint8_t *b = realloc(m->buf, len + FIELDS_SLACK);
        if (b == NULL)
            return -1;
        m->buf = b;
        m->buf_cap = len + FIELDS_SLACK;
    }
    const uint8_t *s = p, *e = p + len;
    uint8_t *o = m->buf;
    for (int f = 0; spec[f] != '\0'; f++) {
        uint64_t v;
        unsigned k = ct_get_uvarint(s, e, &v);
        if ((spec[f] == 'o' || spec[f] == 'p') && s == e)
            break; /* written before the field existed */
        if (k == 0)
            return -1;
        s += k;
        if (spec[f] == 's') {
            if (v > (uint64_t)(e - s))
                return -1;
            o = ct_put_uvarint(o, v);
            memcpy(o, s, (size_t)v);
            o += v;
            s += v;
            continue;
        }
        if (f == 0) {
            *proc = v;
            v += m->proc_base;
        } else if (f == PARENT_FIELD && spec[f] == 'p' && v != 0) {
            v += m->proc_base; /* 1 + the process that started it (1.8) */
        } else if (f == ns_field) {
            v = moved(v, shift);
        }
        o = ct_put_uvarint(o, v);
    }
    *end = (size_t)(s - p);
    return (long)(o - m->buf);
}

/* Write one record of an input, rewritten as its kind asks. @return 0; -1
 * malformed (damage in the input); -2 the output failed (errno); -3 more
 * processes than a trace holds. *procs grows to cover the input's. */
static int copy_record(merge *m, uint8_t kind, const uint8_t *p, size_t len, int64_t shift,
                       uint64_t *procs)
{
    static const struct { uint8_t kind; const char *spec; int ns_field; } layouts[] = {
        {CT_REC_PROCESS_BEGIN, "uusuuuup", 6}, /* proc pid exe clock hz tsc0 ns0 parent */
        {CT_REC_BATCH, "uuuuuu", 5},          /* proc thread seq offset tsc ns */
        {CT_REC_PROCESS_END, "uuuuooo", 4},   /* proc how code dropped end_ns stalls stall_ns */
    };
    size_t l = 0;
    while (l < sizeof layouts / sizeof layouts[0] && layouts[l].kind != kind)
        l++;
    if (l == sizeof layouts / sizeof layouts[0]) /* a kind newer than this reader */
        return ct_tw_record(m->w, kind, p, len) == 0 ? 0 : -2;
    uint64_t proc = 0;
    size_t end = 0;
    long head = rewrite_fields(m, p, len, layouts[l].spec, layouts[l].ns_field, shift, &proc,
                               &end);
    if (head < 0 || proc >= MAX_PROCS)
        return -1;
    if (proc + 1 > *procs)
        *procs = proc + 1;
    if (m->proc_base + proc >= MAX_PROCS)
        return -3; /* told by the caller */
    int rc;
    if (kind == CT_REC_BATCH) { /* the events follow the head, as they were */
        rc = ct_tw_batch(m->w, m->buf, (size_t)head, p + end, len - end);
    } else {
        memcpy(m->buf + head, p + end, len - end); /* fields of later versions */
        rc = ct_tw_record(m->w, kind, m->buf, (size_t)head + len - end);
    }
    return rc == 0 ? 0 : -2;
}

/* Pass two over input i: copy its records. @return 0 whole, 1 damaged (told
 * on m->err; what came before is merged), 2 failed (told). */
static int copy_input(merge *m, size_t i, const char *out_path)
{
    ctr_reader *r;
    if (open_input(m, i, &r) != 0)
        return 2;
    const char *path = m->paths[i];
    int64_t shift = ((int64_t)m->base_mono - (int64_t)r->start_mono_ns) +
                    (int64_t)(r->start_realtime_ns - m->base_real);
    uint64_t procs = 0, copied = 0;
    int status = 0, seen_end = 0;
    for (;;) {
        uint8_t kind;
        const uint8_t *p;
        size_t len;
        int rc = ctr__next_record(r, &kind, &p, &len, 1);
        if (rc < 0)
            break; /* damage, or out of memory: below */
        if (rc == 0) {
            if (!seen_end)
                ctr__set_damage(r, "truncated: the trace has no end record (its writer "
                                   "stopped before closing it)");
            break;
        }
        if (seen_end) {
            ctr__set_damage(r, "data after the end record");
            break;
        }
        if (kind == CT_REC_TRACE_BEGIN) {
            ctr__set_damage(r, "a second trace header");
            break;
        }
        if (kind == CT_REC_TRACE_END) {
            seen_end = 1;
            continue;
        }
        if (kind == CT_REC_SCHEMA || kind == CT_REC_TRACE_CONTEXT)
            continue; /* the merged trace has the first input's (write_head()) */
        int done = copy_record(m, kind, p, len, shift, &procs);
        if (done == -1) {
            ctr__set_damage(r, "malformed record of kind 0x%02x", kind);
            break;
        }
        if (done == -2) {
            fprintf(m->err, PREFIX "%s: %s\n", out_path, ct_outfile_error(errno ? errno : EIO));
            status = 2;
            break;
        }
        if (done == -3) {
            fprintf(m->err, PREFIX "%s: more than %d processes in all: a trace holds no more\n",
                    path, MAX_PROCS);
            status = 2;
            break;
        }
        copied++;
        m->unflushed += len;
        if (m->unflushed >= FLUSH_BYTES) {
            m->unflushed = 0;
            if (ct_tw_flush(m->w) != 0) {
                fprintf(m->err, PREFIX "%s: %s\n", out_path,
                        ct_outfile_error(errno ? errno : EIO));
                status = 2;
                break;
            }
        }
    }
    if (status == 0 && r->final_rc == CT_ENOMEM) {
        fprintf(m->err, PREFIX "%s: %s\n", path, ct_strerror(CT_ENOMEM));
        status = 2;
    } else if (status == 0 && r->final_rc == CT_EDAMAGED) {
        fprintf(m->err, PREFIX "%s: damaged at byte %lld: %s; merged the %llu records "
                "before it\n", path, (long long)r->damage_offset, r->damage_what,
                (unsigned long long)copied);
        status = 1;
    }
    m->proc_base += procs;
    ctr_close(r);
    return status;
}

/* TRACE_BEGIN, SCHEMA and TRACE_CONTEXT of the merged trace. @return 0 or CT_EIO. */
static int write_head(merge *m)
{
    char writer[256];
    snprintf(writer, sizeof writer, "ctest-trace merge of %zu trace%s (%.180s)", m->n,
             m->n == 1 ? "" : "s", m->writer ? m->writer : "");
    size_t wlen = strlen(writer);
    uint8_t head[4 * CT_UVARINT_MAX + sizeof writer], *p = head;
    p = ct_put_uvarint(p, m->major);
    p = ct_put_uvarint(p, m->minor);
    p = ct_put_uvarint(p, wlen);
    memcpy(p, writer, wlen);
    p += wlen;
    p = ct_put_uvarint(p, m->base_mono);
    p = ct_put_uvarint(p, m->base_real);
    if (ct_tw_record(m->w, CT_REC_TRACE_BEGIN, head, (size_t)(p - head)) != 0)
        return CT_EIO;
    if (m->has_schema && ct_tw_record(m->w, CT_REC_SCHEMA, m->schema, m->schema_len) != 0)
        return CT_EIO;
    if (m->context && ct_tw_record(m->w, CT_REC_TRACE_CONTEXT, m->context, m->context_len) != 0)
        return CT_EIO;
    return 0;
}

/* Pass two into the output file. @return 0, 1 or 2 (ctr__merge_traces). */
static int write_merged(merge *m, const char *out_path)
{
    ct_outfile f;
    int fd = -1;
    if (ct_outfile_begin(&f, out_path) != 0) {
        fprintf(m->err, PREFIX "%s: %s\n", out_path, ct_outfile_error(errno));
        return 2;
    }
    if ((fd = ct_outfile_open(&f)) < 0 ||
        ct_tw_create_fd(&m->w, fd, m->major, m->minor) != 0 || write_head(m) != 0) {
        int e = errno;
        ct_tw_abandon(m->w);
        m->w = NULL;
        ct_outfile_discard(&f);
        ct_outfile_free(&f);
        fprintf(m->err, PREFIX "%s: %s\n", out_path, ct_outfile_error(e ? e : EIO));
        return 2;
    }
    int status = m->left_out ? 1 : 0;
    for (size_t i = 0; i < m->n && status < 2; i++) {
        int one = m->unreadable[i] ? 0 : copy_input(m, i, out_path);
        status = one > status ? one : status;
    }
    if (status < 2) {
        /* A damaged input leaves the merged trace without its end record:
         * its views say it is incomplete, as they said of the input. */
        int rc = status == 0 ? ct_tw_close(m->w) : ct_tw_finish_raw(m->w);
        m->w = NULL;
        if (rc != 0 || ct_outfile_commit(&f) != 0) {
            fprintf(m->err, PREFIX "%s: %s\n", out_path, ct_outfile_error(errno ? errno : EIO));
            status = 2;
        }
    }
    if (status == 2) {
        ct_tw_abandon(m->w);
        m->w = NULL;
        ct_outfile_discard(&f);
    }
    ct_outfile_free(&f);
    return status;
}

int ctr__merge_traces(const char *out_path, char *const *paths, size_t n, FILE *err)
{
    merge m = {.paths = paths, .n = n, .err = err, .schema_from = n};
    m.unreadable = calloc(n ? n : 1, 1);
    int status = n == 0 || m.unreadable == NULL ? 2 : 0;
    for (size_t i = 0; i < n && status < 2; i++) {
        int one = check_input(&m, i);
        m.left_out += one == 1;
        status = one > status ? one : status;
    }
    if (status < 2 && m.nbases == 0) {
        fprintf(err, PREFIX "merge: no input could be read: nothing written\n");
        status = 2;
    }
    if (status < 2)
        status = write_merged(&m, out_path);
    free(m.unreadable);
    free(m.schema);
    free(m.writer);
    free(m.context);
    free(m.buf);
    return status;
}
