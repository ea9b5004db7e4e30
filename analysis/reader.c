/*
 * reader.c - the file side of the reader: prefix, zstd stream, records.
 * Memory is fixed buffers plus per-thread and per-name state: a 10 GB trace
 * is read in the same few MiB as a 10 KB one.
 */
#include "analysis/reader_internal.h"
#include "analysis/reader_skim.h"

#include <errno.h>    /* errno */
#include <stdarg.h>   /* va_list */
#include <stdlib.h>   /* calloc, free */
#include <string.h>   /* memcmp, memmove */
#include <sys/stat.h> /* fstat */

#define DEC_CAP (256u << 10) /* a little under L2: parsed while zstd's output is warm */
#define MAX_RECORD (2u << 20) /* a BATCH is at most a chunk: far below this */

void ctr__set_damage(ctr_reader *r, const char *fmt, ...)
{
    if (r->final_rc)
        return;
    char *what = r->damage_what;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof r->damage_what, fmt, ap);
    va_end(ap);
    r->damage_offset = (int64_t)r->record_file_offset;
    /* Those delivered, and those this call made so far (nothing waits in
     * `pending` while it decodes). */
    uint64_t before = r->events + (uint64_t)(r->out - r->out_begin) +
                      (uint64_t)(r->spans - r->spans_begin);
    snprintf(r->damage, sizeof r->damage, "damaged at byte %llu: %s; %llu events before it",
             (unsigned long long)r->record_file_offset, what, (unsigned long long)before);
    r->final_rc = CT_EDAMAGED;
}

static uint64_t file_offset_now(const ctr_reader *r)
{
    return r->in_offset;
}

/* The next record. @return 1 and (*kind, *p, *len), 0 at EOF, -1 damage. */
int ctr__next_record(ctr_reader *r, uint8_t *kind, const uint8_t **p, size_t *len,
                     int may_fill)
{
    for (;;) {
        const uint8_t *s = r->dec + r->dec_start, *e = r->dec + r->dec_end;
        if (e - s >= 2) {
            uint64_t n;
            unsigned k = ct_get_uvarint(s + 1, e, &n);
            if (k == 0 && e - s > 1 + CT_UVARINT_MAX) {
                r->record_file_offset = file_offset_now(r);
                ctr__set_damage(r, "bad record length");
                return -1;
            }
            if (k && n > MAX_RECORD) {
                r->record_file_offset = file_offset_now(r);
                ctr__set_damage(r, "record of %llu bytes is larger than any writer makes",
                                (unsigned long long)n);
                return -1;
            }
            if (k && 1 + k + n > r->dec_cap) {
                if (!may_fill)
                    return 2;
                /* Records are chunk-sized in practice; a bigger one (up to
                 * MAX_RECORD) makes the buffer grow to hold it whole. */
                uint8_t *dec = realloc(r->dec, 1 + k + n);
                if (!dec) {
                    r->final_rc = CT_ENOMEM;
                    return -1;
                }
                r->dec = dec;
                r->dec_cap = 1 + k + n;
                continue; /* s and e pointed into the old buffer */
            }
            if (k && (uint64_t)(e - s) >= 1 + k + n) {
                *kind = s[0];
                *p = s + 1 + k;
                *len = (size_t)n;
                r->dec_start += 1 + k + (size_t)n;
                r->records++;
                r->record_file_offset = file_offset_now(r);
                return 1;
            }
        }
        if (!may_fill)
            return 2;
        int rc = ctr__inflate_fill(r);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (r->dec_end > r->dec_start) {
                r->record_file_offset = file_offset_now(r);
                ctr__set_damage(r, "truncated: the last record is cut short");
                return -1;
            }
            return 0;
        }
    }
}

static int read_trace_begin(ctr_reader *r, const uint8_t *p, size_t len)
{
    const uint8_t *e = p + len;
    uint64_t v[2], wlen;
    unsigned k;
    for (int i = 0; i < 2; i++) {
        if (!(k = ct_get_uvarint(p, e, &v[i])))
            return -1;
        p += k;
    }
    if (!(k = ct_get_uvarint(p, e, &wlen)) || wlen > (uint64_t)(e - p - k))
        return -1;
    p += k;
    free(r->writer);
    r->writer = strndup((const char *)p, (size_t)wlen);
    p += wlen;
    if (!(k = ct_get_uvarint(p, e, &r->start_mono_ns)))
        return -1;
    p += k;
    if (!(k = ct_get_uvarint(p, e, &r->start_realtime_ns)))
        return -1;
    r->seen_begin = 1;
    return 0;
}

/* SCHEMA: lets this reader skip event kinds added after it was built. */
static void read_schema(ctr_reader *r, const uint8_t *p, size_t len)
{
    /* A later SCHEMA replaces the first: forget specs pointing into its text. */
    memset(r->file_specs, 0, sizeof r->file_specs);
    free(r->file_spec_text);
    r->file_spec_text = malloc(len + 1);
    if (!r->file_spec_text)
        return;
    char *text = r->file_spec_text;
    const uint8_t *e = p + len;
    uint64_t count, code, timed, n;
    unsigned k;
    if (!(k = ct_get_uvarint(p, e, &count)))
        return;
    p += k;
    for (uint64_t i = 0; i < count; i++) {
        if (!(k = ct_get_uvarint(p, e, &code)) || code >= CT_EV__LIMIT)
            return;
        p += k;
        if (!(k = ct_get_uvarint(p, e, &timed)))
            return;
        p += k;
        const char *strs[2];
        for (int j = 0; j < 2; j++) {
            if (!(k = ct_get_uvarint(p, e, &n)) || n > (uint64_t)(e - p - k))
                return;
            p += k;
            memcpy(text, p, n);
            text[n] = '\0';
            strs[j] = text;
            text += n + 1;
            p += n;
        }
        r->file_specs[code] = (ct_event_spec){strs[0], strs[1], "", (uint8_t)(timed != 0)};
    }
}

/* TRACE_CONTEXT (since 1.7): the run's W3C trace context. The first one
 * read is kept (a merge writes one); its text is not checked here. */
static void read_context(ctr_reader *r, const uint8_t *p, size_t len)
{
    const uint8_t *e = p + len;
    uint64_t n;
    unsigned k;
    char *text[2] = {NULL, NULL};
    if (r->traceparent)
        return;
    for (int i = 0; i < 2; i++) {
        if (!(k = ct_get_uvarint(p, e, &n)) || n > (uint64_t)(e - p - k))
            break;
        text[i] = strndup((const char *)p + k, (size_t)n);
        p += k + n;
    }
    if (text[0] && text[1]) {
        r->traceparent = text[0];
        r->tracestate = text[1];
    } else {
        free(text[0]);
        free(text[1]);
    }
}

int ctr_open(ctr_reader **out, const char *path)
{
    *out = NULL;
    if (!path)
        return CT_EINVAL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return CT_EIO;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        errno = e;
        return CT_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        fclose(f);
        errno = EISDIR;
        return CT_EIO;
    }
    uint8_t prefix[CT_FILE_HEADER_LEN];
    size_t got = fread(prefix, 1, sizeof prefix, f);
    if (got == 0) {
        fclose(f);
        return CT_EEMPTY;
    }
    size_t magic_len = got < CT_FILE_MAGIC_LEN ? got : CT_FILE_MAGIC_LEN;
    if (memcmp(prefix, CT_FILE_MAGIC, magic_len) != 0) {
        fclose(f);
        return CT_ENOTTRACE;
    }
    uint32_t major = got < 12 ? 0 : prefix[8] | (uint32_t)prefix[9] << 8;
    uint32_t minor = got < 12 ? 0 : prefix[10] | (uint32_t)prefix[11] << 8;
    if (major > CT_FORMAT_MAJOR) {
        fclose(f);
        return CT_EVERSION;
    }
    ctr_reader *r = calloc(1, sizeof *r);
    if (!r) {
        fclose(f);
        return CT_ENOMEM;
    }
    r->f = f;
    r->file_bytes = (uint64_t)st.st_size;
    r->major = major;
    r->minor = minor;
    r->dec_cap = DEC_CAP;
    r->dec = malloc(DEC_CAP);
    r->damage_offset = -1;
    r->clock_name = "monotonic";
    r->kinds = CTR_ALL_KINDS;
    if (!r->dec || ctr__inflate_open(r, f, got, r->file_bytes) != 0) {
        ctr_close(r);
        return CT_ENOMEM;
    }
    *out = r;

    /* From here on the file starts like a trace: whatever is wrong is damage,
     * reported by ctr_next() with where it is. */
    if (got < CT_FILE_HEADER_LEN) {
        r->record_file_offset = got;
        ctr__set_damage(r, "truncated: the file ends inside its %d-byte header",
                        CT_FILE_HEADER_LEN);
        return 0;
    }
    if (major == 0) {
        r->record_file_offset = 8;
        ctr__set_damage(r, "the header names format version 0.%u, which never existed", minor);
        return 0;
    }
    uint8_t kind;
    const uint8_t *p;
    size_t len;
    int rc = ctr__next_record(r, &kind, &p, &len, 1);
    if (rc < 0 && r->final_rc == CT_ENOMEM) {
        ctr_close(r);
        *out = NULL;
        return CT_ENOMEM;
    }
    if (rc == 0) {
        r->record_file_offset = file_offset_now(r);
        ctr__set_damage(r, "truncated: nothing follows the header");
    } else if (rc > 0 && kind != CT_REC_TRACE_BEGIN) {
        ctr__set_damage(r, "the first record (kind 0x%02x) is not the trace header", kind);
    } else if (rc > 0 && read_trace_begin(r, p, len) != 0) {
        ctr__set_damage(r, "malformed trace header record");
    }
    return 0;
}

/* Read records until the caller's array is full, the trace ends, or the
 * next record would refill `dec` after an event was made. */
static void advance(ctr_reader *r)
{
    while (out_room(r) && !r->final_rc) {
        if (r->ev_pos) {
            if (ctr__batch_step(r) < 0)
                break;
            continue;
        }
        uint8_t kind;
        const uint8_t *p;
        size_t len;
        int rc = ctr__next_record(r, &kind, &p, &len, r->out == r->out_begin);
        if (rc == 2)
            return; /* the events made point into dec: deliver them first */
        if (rc < 0)
            break;
        if (rc == 0) {
            if (!r->seen_end)
                ctr__set_damage(r, "truncated: the trace has no end record "
                                   "(its writer stopped before closing it)");
            break;
        }
        if (r->seen_end) {
            ctr__set_damage(r, "data after the end record");
            break;
        }
        switch (kind) {
        case CT_REC_TRACE_BEGIN:
            ctr__set_damage(r, "a second trace header");
            break;
        case CT_REC_SCHEMA:
            read_schema(r, p, len);
            break;
        case CT_REC_TRACE_END:
            r->seen_end = 1;
            break;
        case CT_REC_TRACE_CONTEXT:
            read_context(r, p, len);
            break;
        default:
            ctr__record(r, kind, p, len);
            break;
        }
    }
    if (out_room(r) && (r->final_rc || r->seen_end)) {
        /* Close what the damage or the end left open: those regions and
         * tasks are shown as unended rather than lost. */
        int rc = r->final_rc;
        r->final_rc = 0;
        ctr__close_everything(r);
        if (rc) /* else keep CT_ENOMEM, if closing ran out of memory */
            r->final_rc = rc;
    }
}

/* A call that delivers begins: the text the last one's events owned goes.
 * @return 0, or CT_EINVAL for a `cap` of 0. */
static int begin_call(ctr_reader *r, size_t cap, size_t *n)
{
    *n = 0;
    for (uint32_t i = 0; i < r->nowned; i++)
        free(r->owned[i]);
    r->nowned = 0;
    return cap == 0 ? CT_EINVAL : 0;
}

int ctr_next_batch(ctr_reader *r, ctr_event *evs, size_t cap, size_t *n)
{
    if (begin_call(r, cap, n) != 0)
        return CT_EINVAL;
    if (cap > r->owned_cap) {
        char **owned = realloc(r->owned, cap * sizeof *owned);
        if (!owned)
            return CT_ENOMEM;
        r->owned = owned;
        r->owned_cap = (uint32_t)cap;
    }
    r->out = r->out_begin = evs;
    r->out_end = evs + cap;
    for (; r->pend_count > 0 && r->out < r->out_end; r->pend_count--) {
        rpending *slot = &r->pending[r->pend_head]; /* left over from a step that made several */
        *r->out++ = slot->ev;
        if (slot->owned)
            r->owned[r->nowned++] = slot->owned;
        slot->owned = NULL;
        r->pend_head = (r->pend_head + 1) & (r->pend_cap - 1);
    }
    advance(r); /* with those out first, it stops before refilling dec */
    size_t made = (size_t)(r->out - evs);
    r->out = r->out_end = r->out_begin = NULL;
    uint64_t last = r->last_ns > r->skipped.ts_ns ? r->last_ns : r->skipped.ts_ns;
    r->last_ns = last;
    if (made == 0)
        return r->final_rc;
    for (size_t i = 0; i < made; i++)
        last = evs[i].ts_ns > last ? evs[i].ts_ns : last;
    r->last_ns = last;
    r->events += made;
    *n = made;
    return 1;
}

int ctr_next_spans(ctr_reader *r, ctr_span *spans, size_t cap, size_t *n)
{
    if (begin_call(r, cap, n) != 0)
        return CT_EINVAL;
    r->kinds = CTR_KIND_BIT(CTR_REGION);
    r->spans = r->spans_begin = spans;
    r->spans_end = spans + cap;
    for (; r->pend_count > 0 && r->spans < r->spans_end; r->pend_count--) {
        rpending *slot = &r->pending[r->pend_head]; /* left over from a step that made several */
        const ctr_event *ev = &slot->ev;
        if (ev->kind == CTR_REGION)
            *r->spans++ = (ctr_span){ev->name, (uint32_t)ev->name_len, ev->flags, ev->begin_ns,
                                     ev->ts_ns};
        else { /* made before regions alone were asked for: skipped now */
            r->skim_odd |= r->skim_times; /* not in its thread's skimmed times */
            r->events++;
            r->last_ns = ev->ts_ns > r->last_ns ? ev->ts_ns : r->last_ns;
        }
        free(slot->owned);
        slot->owned = NULL;
        r->pend_head = (r->pend_head + 1) & (r->pend_cap - 1);
    }
    advance(r); /* the spans' names stay until ctr_close(): it may refill dec */
    size_t made = (size_t)(r->spans - spans);
    r->spans = r->spans_end = r->spans_begin = NULL;
    uint64_t last = r->last_ns > r->skipped.ts_ns ? r->last_ns : r->skipped.ts_ns;
    for (size_t i = 0; i < made; i++)
        last = spans[i].end_ns > last ? spans[i].end_ns : last;
    r->last_ns = last;
    if (made == 0)
        return r->final_rc;
    r->events += made;
    *n = made;
    return 1;
}

void ctr_set_kinds(ctr_reader *r, uint64_t kinds)
{
    r->kinds = kinds;
}

void ctr__keep_skim_times(ctr_reader *r)
{
    r->skim_times = 1;
}

int ctr__skim_times(ctr_reader *r, size_t *cursor, ctr__skimmed_thread *out)
{
    if (!r->skim_times)
        return 0;
    ctr__skim_keep(r); /* the last one skipped */
    if (r->skim_odd)
        return -1;
    for (; *cursor < r->threads_cap; ++*cursor) {
        const rthread *t = &r->threads[*cursor];
        if (t->used && t->skim_tid) {
            *out = (ctr__skimmed_thread){t->proc, t->serial, r->procs[t->proc].pid, t->skim_tid,
                                    t->skim_first, t->skim_last};
            ++*cursor;
            return 1;
        }
    }
    return 0;
}

int ctr_next(ctr_reader *r, ctr_event *ev)
{
    size_t n;
    return ctr_next_batch(r, ev, 1, &n);
}

const char *ctr_damage(const ctr_reader *r)
{
    return r->final_rc == CT_EDAMAGED ? r->damage : NULL;
}

int64_t ctr_damage_offset(const ctr_reader *r)
{
    return r->final_rc == CT_EDAMAGED ? r->damage_offset : -1;
}

uint64_t ctr_events_read(const ctr_reader *r)
{
    return r->events;
}

void ctr_get_info(const ctr_reader *r, ctr_info *info)
{
    info->version_major = r->major;
    info->version_minor = r->minor;
    info->start_realtime_ns = r->start_realtime_ns;
    info->file_bytes = r->file_bytes;
    info->writer = r->writer ? r->writer : "";
    info->clock = r->clock_name;
    info->duration_ns = r->last_ns;
    info->records = r->records;
    info->wire_events = r->wire_events;
    info->traceparent = r->traceparent;
    info->tracestate = r->traceparent ? r->tracestate : NULL;
}

void ctr_close(ctr_reader *r)
{
    if (!r)
        return;
    ctr__inflate_close(r); /* its thread reads r->f */
    ctr__free_state(r);
    for (uint32_t i = 0; i < r->nowned; i++)
        free(r->owned[i]);
    free(r->owned);
    free(r->skipped_owned);
    if (r->f)
        fclose(r->f);
    free(r->dec);
    free(r->writer);
    free(r->traceparent);
    free(r->tracestate);
    free(r->file_spec_text);
    free(r);
}
