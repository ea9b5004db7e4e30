/*
 * reader_decode.c - from BATCH bytes to ctr_events: per-thread clocks and
 * string tables, region pairing, and closing what misuse or death left open.
 */
#include "analysis/reader_internal.h"

#include <stdarg.h> /* va_list */
#include <stdlib.h> /* calloc, realloc, free */
#include <string.h> /* memcpy */

#define MAX_DEPTH 4096           /* open regions per thread we keep track of */
#define MAX_PROCS 65536
#define MAX_STRING_ID (1u << 24) /* ids beyond this are damage, not names */
#define TASK_TOMB UINT64_MAX
#define PROC_SHIFT 40 /* task ids are unique per process: make them per trace */

static const rstring unknown_name = {"?", 1};

/* ---- output queue ----------------------------------------------------------- */

/* A slot at the end of the pending ring, grown as needed. */
static __attribute__((noinline)) ctr_event *emit_queued(ctr_reader *r, char *owned)
{
    if (r->pend_count == r->pend_cap) {
        uint32_t cap = r->pend_cap ? r->pend_cap * 2 : 64;
        rpending *q = malloc(cap * sizeof *q);
        if (!q) {
            free(owned);
            r->final_rc = CT_ENOMEM;
            static ctr_event sink;
            return &sink;
        }
        for (uint32_t i = 0; i < r->pend_count; i++)
            q[i] = r->pending[(r->pend_head + i) & (r->pend_cap - 1)];
        free(r->pending);
        r->pending = q;
        r->pend_head = 0;
        r->pend_cap = cap;
    }
    rpending *slot = &r->pending[(r->pend_head + r->pend_count++) & (r->pend_cap - 1)];
    slot->owned = owned;
    return &slot->ev;
}

static inline ctr_event *emit(ctr_reader *r, ctr_kind kind, char *owned)
{
    ctr_event *ev = r->direct;
    if (__builtin_expect(ev != NULL, 1)) {
        r->direct = NULL;
        r->direct_owned = owned;
    } else {
        ev = emit_queued(r, owned);
    }
    /* A copy of a zeroed event, not memset(): gcc makes that `rep stos`,
     * whose start-up cost was a fifth of the reader's time. */
    static const ctr_event zero;
    *ev = zero;
    ev->kind = kind;
    return ev;
}

static void warn(ctr_reader *r, uint64_t ts, const rthread *t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void warn(ctr_reader *r, uint64_t ts, const rthread *t, const char *fmt, ...)
{
    char *text = malloc(512);
    if (!text)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, 512, fmt, ap);
    va_end(ap);
    ctr_event *ev = emit(r, CTR_WARNING, text);
    ev->ts_ns = ts;
    ev->message = text;
    ev->message_len = n < 0 ? 0 : (size_t)(n < 512 ? n : 511);
    if (t) {
        ev->process = t->proc;
        ev->pid = r->procs[t->proc].pid;
        ev->tid = t->tid;
    }
}

/* ---- processes, threads, tasks ---------------------------------------------- */

static rproc *proc_get(ctr_reader *r, uint64_t proc)
{
    if (proc >= MAX_PROCS)
        return NULL;
    if (proc >= r->nprocs) {
        uint32_t n = (uint32_t)proc + 1;
        rproc *p = realloc(r->procs, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + r->nprocs, 0, (n - r->nprocs) * sizeof *p);
        r->procs = p;
        r->nprocs = n;
    }
    return &r->procs[proc];
}

static uint32_t thread_hash(uint32_t proc, uint32_t serial)
{
    uint64_t k = ((uint64_t)proc << 32 | serial) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(k >> 32);
}

static rthread *thread_find(ctr_reader *r, uint32_t proc, uint32_t serial)
{
    if (!r->threads_cap)
        return NULL;
    for (uint32_t i = thread_hash(proc, serial) & (r->threads_cap - 1);;
         i = (i + 1) & (r->threads_cap - 1)) {
        rthread *t = &r->threads[i];
        if (!t->used)
            return NULL;
        if (t->proc == proc && t->serial == serial)
            return t;
    }
}

static rthread *thread_get(ctr_reader *r, uint32_t proc, uint32_t serial)
{
    rthread *t = thread_find(r, proc, serial);
    if (t)
        return t;
    if ((r->threads_used + 1) * 2 > r->threads_cap) {
        uint32_t cap = r->threads_cap ? r->threads_cap * 2 : 64;
        rthread *n = calloc(cap, sizeof *n);
        if (!n)
            return NULL;
        for (uint32_t i = 0; i < r->threads_cap; i++) {
            if (!r->threads[i].used)
                continue;
            uint32_t j = thread_hash(r->threads[i].proc, r->threads[i].serial) & (cap - 1);
            while (n[j].used)
                j = (j + 1) & (cap - 1);
            n[j] = r->threads[i];
        }
        free(r->threads);
        r->threads = n;
        r->threads_cap = cap;
    }
    uint32_t i = thread_hash(proc, serial) & (r->threads_cap - 1);
    while (r->threads[i].used)
        i = (i + 1) & (r->threads_cap - 1);
    t = &r->threads[i];
    t->used = 1;
    t->proc = proc;
    t->serial = serial;
    r->threads_used++;
    return t;
}

static uint64_t trace_task_id(uint32_t proc, uint64_t local)
{
    return local ? ((uint64_t)proc << PROC_SHIFT) | local : 0;
}

static rtask *task_slot(ctr_reader *r, uint64_t id, int for_insert)
{
    if (!r->tasks_cap)
        return NULL;
    rtask *tomb = NULL;
    for (uint32_t i = (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (r->tasks_cap - 1);;
         i = (i + 1) & (r->tasks_cap - 1)) {
        rtask *t = &r->tasks[i];
        if (t->id == 0)
            return for_insert ? (tomb ? tomb : t) : NULL;
        if (t->id == TASK_TOMB) {
            if (!tomb)
                tomb = t;
        } else if (t->id == id) {
            return t;
        }
    }
}

static rtask *task_insert(ctr_reader *r, uint64_t id)
{
    if ((r->tasks_used + r->tasks_tomb + 1) * 2 > r->tasks_cap) {
        uint32_t cap = r->tasks_cap;
        if ((r->tasks_used + 1) * 4 > cap)
            cap = cap ? cap * 2 : 64;
        rtask *old = r->tasks;
        uint32_t old_cap = r->tasks_cap;
        r->tasks = calloc(cap, sizeof *r->tasks);
        if (!r->tasks) {
            r->tasks = old;
            return NULL;
        }
        r->tasks_cap = cap;
        r->tasks_tomb = 0;
        for (uint32_t i = 0; i < old_cap; i++)
            if (old[i].id && old[i].id != TASK_TOMB)
                *task_slot(r, old[i].id, 1) = old[i];
        free(old);
    }
    rtask *t = task_slot(r, id, 1);
    if (t->id == TASK_TOMB)
        r->tasks_tomb--;
    memset(t, 0, sizeof *t);
    t->id = id;
    r->tasks_used++;
    return t;
}

static void task_remove(ctr_reader *r, rtask *t)
{
    t->id = TASK_TOMB;
    t->name = NULL;
    r->tasks_used--;
    r->tasks_tomb++;
}

/* ---- regions ---------------------------------------------------------------- */

static inline void fill_thread(ctr_reader *r, ctr_event *ev, const rthread *t)
{
    ev->process = t->proc;
    ev->pid = r->procs[t->proc].pid;
    ev->tid = t->tid;
}

static inline void emit_region(ctr_reader *r, const rthread *t, const ropen *o, uint64_t end_ns,
                        uint32_t flags)
{
    ctr_event *ev = emit(r, CTR_REGION, NULL);
    fill_thread(r, ev, t);
    ev->ts_ns = end_ns;
    ev->begin_ns = o->begin_ns;
    ev->task = o->task;
    ev->name = o->name;
    ev->name_len = o->name_len;
    ev->flags = flags;
}

/* Close every open region of t matching `task` (0: all) as unended at end_ns. */
static void close_regions(ctr_reader *r, rthread *t, uint64_t task, uint64_t end_ns,
                          const char *why)
{
    uint32_t keep = 0;
    for (uint32_t i = 0; i < t->depth; i++) {
        ropen *o = &t->stack[i];
        if (task && o->task != task) {
            t->stack[keep++] = *o;
            continue;
        }
        emit_region(r, t, o, end_ns < o->begin_ns ? o->begin_ns : end_ns, CTR_F_UNENDED);
        warn(r, end_ns, t, "region \"%.*s\" begun at %.3f ms on thread %d was never ended; "
             "closed at %s", (int)o->name_len, o->name, (double)o->begin_ns / 1e6,
             t->tid, why);
    }
    t->depth = keep;
}

static ropen *stack_push(rthread *t)
{
    if (t->depth == t->cap) {
        if (t->cap >= MAX_DEPTH)
            return NULL;
        uint32_t cap = t->cap ? t->cap * 2 : 16;
        ropen *s = realloc(t->stack, cap * sizeof *s);
        if (!s)
            return NULL;
        t->stack = s;
        t->cap = cap;
    }
    return &t->stack[t->depth++];
}

/* End region `serial` of thread t (the one it began on). */
static void end_region(ctr_reader *r, rthread *t, uint64_t serial, uint64_t end_ns,
                       uint32_t flags, const rthread *ender)
{
    for (uint32_t i = t->depth; i-- > 0;) {
        ropen *o = &t->stack[i];
        if (o->serial != serial)
            continue;
        if (i + 1 != t->depth)
            flags |= CTR_F_OUT_OF_ORDER;
        emit_region(r, t, o, end_ns, flags);
        if (flags & CTR_F_OUT_OF_ORDER)
            warn(r, end_ns, ender, "region \"%.*s\" begun at %.3f ms on thread %d ended out "
                 "of order (regions nest LIFO)", (int)o->name_len, o->name,
                 (double)o->begin_ns / 1e6, t->tid);
        if (flags & CTR_F_OTHER_THREAD)
            warn(r, end_ns, ender, "region \"%.*s\" begun at %.3f ms on thread %d was ended "
                 "on thread %d", (int)o->name_len, o->name,
                 (double)o->begin_ns / 1e6, t->tid, ender->tid);
        memmove(o, o + 1, (t->depth - i - 1) * sizeof *o);
        t->depth--;
        return;
    }
    warn(r, end_ns, ender, "a region of thread %d was ended but is not open "
         "(ended twice, or begun before the trace)", t->tid);
}

/* ---- strings ----------------------------------------------------------------- */

static const rstring *string_of(ctr_reader *r, rthread *t, uint64_t id, uint64_t ts)
{
    if (id < t->nstrings && t->strings[id].bytes)
        return &t->strings[id];
    if (!t->warned_unknown_string) {
        t->warned_unknown_string = 1;
        warn(r, ts, t, "thread %d uses a name that was never defined (lost events?)", t->tid);
    }
    return &unknown_name;
}

static int define_string(rthread *t, uint64_t id, const uint8_t *bytes, uint64_t len)
{
    if (id == 0 || id >= MAX_STRING_ID)
        return -1;
    if (id >= t->nstrings) {
        uint32_t n = t->nstrings ? t->nstrings : 16;
        while (n <= id)
            n *= 2;
        rstring *s = realloc(t->strings, n * sizeof *s);
        if (!s)
            return -1;
        memset(s + t->nstrings, 0, (n - t->nstrings) * sizeof *s);
        t->strings = s;
        t->nstrings = n;
    }
    rstring *s = &t->strings[id];
    if (s->bytes)
        return 0; /* ids are never reused by writers: keep what regions point to */
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    s->bytes = copy;
    s->len = (uint32_t)len;
    return 0;
}

/* ---- records ----------------------------------------------------------------- */

static int get_fields(const uint8_t **pp, const uint8_t *e, const char *spec, uint64_t *v,
                      const uint8_t **str)
{
    const uint8_t *p = *pp;
    for (int i = 0; spec[i]; i++) {
        unsigned k = ct_get_uvarint(p, e, &v[i]);
        if (!k)
            return -1;
        p += k;
        if (spec[i] == 's' || spec[i] == 'b') {
            if (spec[i] == 'b') {
                p -= k; /* 'b' is the rest of the payload, no length */
                str[i] = p;
                v[i] = (uint64_t)(e - p);
                p = e;
                break;
            }
            if (v[i] > (uint64_t)(e - p))
                return -1;
            str[i] = p;
            p += v[i];
        }
    }
    *pp = p;
    return 0;
}

static uint64_t rel_ns(const ctr_reader *r, uint64_t abs_ns)
{
    return abs_ns > r->start_mono_ns ? abs_ns - r->start_mono_ns : 0;
}

static void process_end(ctr_reader *r, uint32_t proc, uint64_t how, uint64_t code,
                        uint64_t dropped)
{
    rproc *p = &r->procs[proc];
    uint64_t end = p->last_ns;
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        rthread *t = &r->threads[i];
        if (t->used && t->proc == proc && t->depth)
            close_regions(r, t, 0, end, "the end of its process");
    }
    for (uint32_t i = 0; i < r->tasks_cap; i++) {
        rtask *k = &r->tasks[i];
        if (!k->id || k->id == TASK_TOMB || k->proc != proc)
            continue;
        ctr_event *ev = emit(r, CTR_TASK_END, k->name);
        ev->process = proc;
        ev->pid = p->pid;
        ev->ts_ns = end;
        ev->begin_ns = k->begin_ns;
        ev->task = k->id;
        ev->task_kind = k->kind;
        ev->name = k->name;
        ev->name_len = k->name_len;
        ev->flags = CTR_F_UNENDED;
        task_remove(r, k);
    }
    ctr_event *ev = emit(r, CTR_PROCESS_END, NULL);
    ev->process = proc;
    ev->pid = p->pid;
    ev->ts_ns = end;
    ev->count = dropped;
    if (how == CT_EXIT_SIGNAL) {
        ev->flags = CTR_F_SIGNALED;
        ev->exit_code = -(int64_t)code;
    } else if (how == CT_EXIT_CODE) {
        ev->exit_code = (int64_t)code;
    } else if (how != CT_EXIT_STOPPED) {
        ev->flags = CTR_F_UNKNOWN_EXIT;
    }
    p->ended = 1;
}

void ctr__close_everything(ctr_reader *r)
{
    for (uint32_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].used && !r->procs[i].ended)
            process_end(r, i, CT_EXIT_UNKNOWN, 0, 0);
}

int ctr__record(ctr_reader *r, uint8_t kind, const uint8_t *p, size_t len)
{
    const uint8_t *e = p + len;
    uint64_t v[8];
    const uint8_t *s[8];
    switch (kind) {
    case CT_REC_PROCESS_BEGIN: {
        if (get_fields(&p, e, "uusuuuu", v, s) != 0)
            break;
        rproc *pr = proc_get(r, v[0]);
        if (!pr || pr->used)
            break;
        pr->used = 1;
        pr->pid = (int32_t)v[1];
        pr->clock = (uint32_t)v[3];
        pr->hz = v[4] ? v[4] : 1000000000u;
        pr->ns_int = 1000000000u / pr->hz;
        pr->ns_frac = (uint64_t)(((unsigned __int128)(1000000000u % pr->hz) << 64) / pr->hz);
        pr->last_ns = rel_ns(r, v[6]);
        r->clock_name = pr->clock == CT_CLOCK_TSC ? "tsc" : "monotonic";
        size_t exe_len = v[2];
        char *exe = malloc(exe_len + 1);
        if (exe) {
            memcpy(exe, s[2], exe_len);
            exe[exe_len] = '\0';
        }
        ctr_event *ev = emit(r, CTR_PROCESS_BEGIN, exe);
        ev->process = (uint32_t)v[0];
        ev->pid = pr->pid;
        ev->ts_ns = pr->last_ns;
        ev->name = exe ? exe : "";
        ev->name_len = exe ? exe_len : 0;
        return 0;
    }
    case CT_REC_PROCESS_END: {
        if (get_fields(&p, e, "uuuu", v, s) != 0 || v[0] >= r->nprocs ||
            !r->procs[v[0]].used || r->procs[v[0]].ended)
            break;
        process_end(r, (uint32_t)v[0], v[1], v[2], v[3]);
        return 0;
    }
    case CT_REC_BATCH: {
        if (get_fields(&p, e, "uuuuuub", v, s) != 0 || v[0] >= r->nprocs ||
            !r->procs[v[0]].used || v[1] == 0 || v[1] > UINT32_MAX)
            break;
        rthread *t = thread_get(r, (uint32_t)v[0], (uint32_t)v[1]);
        if (!t) {
            r->final_rc = CT_ENOMEM;
            return -1;
        }
        uint64_t seq = v[2], offset = v[3];
        int continues = t->have_chunk && seq == t->seq && offset == t->next_offset;
        if (!continues) {
            if (offset != 0 || (t->have_chunk && seq != t->seq + 1))
                warn(r, t->ns_base ? rel_ns(r, t->ns_base) : 0, t,
                     "thread %d: events missing before chunk %llu offset %llu", t->tid,
                     (unsigned long long)seq, (unsigned long long)offset);
            t->seq = seq;
            t->tsc_base = v[4];
            t->ns_base = v[5];
            t->last_ticks = v[4];
            t->have_chunk = 1;
        }
        t->next_offset = offset + v[6];
        r->ev_pos = s[6];
        r->ev_end = s[6] + v[6];
        r->ev_thread = t;
        return 0;
    }
    default:
        return 0; /* a record kind from a newer minor version: skip it */
    }
    ctr__set_damage(r, "malformed record of kind %u", kind);
    return -1;
}

/* ---- events ------------------------------------------------------------------ */

/* dt * 10^9 / hz in ns without dividing: within 1 ns below the exact
 * quotient, and never decreasing as dt grows, so a thread's events stay in
 * order. */
static inline uint64_t ticks_to_ns(const rproc *p, uint64_t dt)
{
    return dt * p->ns_int + (uint64_t)(((unsigned __int128)dt * p->ns_frac) >> 64);
}

static inline uint64_t ticks_to_rel_ns(ctr_reader *r, rthread *t)
{
    rproc *p = &r->procs[t->proc];
    uint64_t ts = rel_ns(r, t->ns_base + ticks_to_ns(p, t->last_ticks - t->tsc_base));
    if (ts > p->last_ns)
        p->last_ns = ts;
    return ts;
}

/* Read one varint field; most are a single byte. @return 0 if malformed. */
static inline int rd(const uint8_t **pp, const uint8_t *e, uint64_t *v)
{
    const uint8_t *p = *pp;
    if (__builtin_expect(p < e && *p < 0x80, 1)) {
        *v = *p;
        *pp = p + 1;
        return 1;
    }
    unsigned k = ct_get_uvarint(p, e, v);
    *pp = p + k;
    return k != 0;
}

/* Read a length-prefixed byte string. @return 0 if malformed. */
static inline int rd_str(const uint8_t **pp, const uint8_t *e, const uint8_t **s, uint64_t *len)
{
    if (!rd(pp, e, len) || *len > (uint64_t)(e - *pp))
        return 0;
    *s = *pp;
    *pp += *len;
    return 1;
}

/* An event kind this reader does not know, described by the file's SCHEMA
 * (a newer minor version): advance the clock and skip it. */
static int skip_unknown_event(ctr_reader *r, rthread *t, uint8_t code, const uint8_t *p,
                              const uint8_t *e)
{
    const ct_event_spec *spec = code < CT_EV__LIMIT && r->file_specs[code].name
                                    ? &r->file_specs[code]
                                    : NULL;
    if (!spec) {
        ctr__set_damage(r, "unknown event kind 0x%02x on thread %d", code, t->tid);
        r->ev_pos = NULL;
        return -1;
    }
    const uint8_t *start = p - 1;
    size_t size = ct_event_size(spec, start, e);
    uint64_t delta = 0;
    if (!size || (spec->timed && !rd(&p, e, &delta))) {
        ctr__set_damage(r, "malformed %s event on thread %d", spec->name, t->tid);
        r->ev_pos = NULL;
        return -1;
    }
    t->last_ticks += delta;
    r->ev_pos = start + size;
    return 0;
}

/* Decode any one event at r->ev_pos (the batch has one more) and advance
 * r->ev_pos past it. @return 0, or -1 on damage. */
static __attribute__((noinline)) int decode_event(ctr_reader *r)
{
    const uint8_t *p = r->ev_pos, *e = r->ev_end;
    rthread *t = r->ev_thread;
    uint8_t code = *p++;
    if (code == CT_EV_STRING) { /* the one untimed kind */
        uint64_t id, len;
        const uint8_t *bytes;
        if (!rd(&p, e, &id) || !rd_str(&p, e, &bytes, &len) ||
            define_string(t, id, bytes, len) != 0)
            goto bad;
        r->ev_pos = p;
        return 0;
    }
    if (code >= CT_EV__LIMIT || !ct_event_spec_of(code))
        return skip_unknown_event(r, t, code, p, e);

    uint64_t delta;
    if (!rd(&p, e, &delta))
        goto bad;
    uint64_t v[5] = {0};
    const uint8_t *str = NULL;
    switch (code) { /* the fields of wire.h's CT_EVENT_MAP */
    case CT_EV_THREAD_BEGIN:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd(&p, e, &v[2]) || !rd(&p, e, &v[3]) ||
            !rd(&p, e, &v[4]))
            goto bad;
        break;
    case CT_EV_THREAD_END:
        break;
    case CT_EV_TASK_BEGIN:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd(&p, e, &v[2]) || !rd(&p, e, &v[3]))
            goto bad;
        break;
    case CT_EV_TASK_STATUS:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd_str(&p, e, &str, &v[2]))
            goto bad;
        break;
    case CT_EV_REGION_BEGIN:
    case CT_EV_REGION_END_FOREIGN:
    case CT_EV_LOST:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]))
            goto bad;
        break;
    case CT_EV_LOG:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd_str(&p, e, &str, &v[2]) ||
            !rd(&p, e, &v[3]))
            goto bad;
        break;
    default: /* THREAD_NAME, TASK_END, REGION_END, TASK_ADOPT: one field */
        if (!rd(&p, e, &v[0]))
            goto bad;
        break;
    }
    r->ev_pos = p;
    t->last_ticks += delta;
    uint64_t ts = ticks_to_rel_ns(r, t);
    ctr_event *ev;

    switch (code) {
    case CT_EV_THREAD_BEGIN:
        t->tid = (int32_t)v[0];
        t->region_serial = v[4];
        ev = emit(r, CTR_THREAD_BEGIN, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->parent_tid = (int32_t)v[1];
        ev->task = trace_task_id(t->proc, v[2]);
        break;
    case CT_EV_THREAD_NAME: {
        const rstring *name = string_of(r, t, v[0], ts);
        ev = emit(r, CTR_THREAD_NAME, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->name = name->bytes;
        ev->name_len = name->len;
        break;
    }
    case CT_EV_THREAD_END:
        if (t->depth)
            close_regions(r, t, 0, ts, "the end of its thread");
        ev = emit(r, CTR_THREAD_END, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        break;
    case CT_EV_TASK_BEGIN: {
        uint64_t id = trace_task_id(t->proc, v[0]);
        const rstring *name = string_of(r, t, v[2], ts);
        rtask *k = id && !task_slot(r, id, 0) ? task_insert(r, id) : NULL;
        if (!k) {
            warn(r, ts, t, "task %llu begun twice or without an id", (unsigned long long)v[0]);
            break;
        }
        k->begin_ns = ts;
        k->proc = t->proc;
        k->kind = v[3] <= CTR_TASK_FIXTURE ? (ctr_task_kind)v[3] : CTR_TASK_USER;
        k->name = strndup(name->bytes, name->len);
        k->name_len = k->name ? name->len : 0;
        ev = emit(r, CTR_TASK_BEGIN, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = id;
        ev->parent = trace_task_id(t->proc, v[1]);
        ev->task_kind = k->kind;
        ev->name = name->bytes;
        ev->name_len = name->len;
        break;
    }
    case CT_EV_TASK_END: {
        uint64_t id = trace_task_id(t->proc, v[0]);
        rtask *k = task_slot(r, id, 0);
        if (!k) {
            warn(r, ts, t, "task %llu ended twice, or ended without beginning",
                 (unsigned long long)v[0]);
            break;
        }
        if (k->kind != CTR_TASK_USER) {
            /* A test that failed through longjmp, or crashed, left regions
             * open: they end with it. */
            char why[300];
            snprintf(why, sizeof why, "the end of %s \"%.*s\"",
                     k->kind == CTR_TASK_TEST ? "test" : "fixture", (int)k->name_len,
                     k->name ? k->name : "");
            for (uint32_t i = 0; i < r->threads_cap; i++) {
                rthread *o = &r->threads[i];
                if (o->used && o->proc == t->proc && o->depth)
                    close_regions(r, o, id, ts, why);
            }
        }
        ev = emit(r, CTR_TASK_END, k->name);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->begin_ns = k->begin_ns;
        ev->task = id;
        ev->task_kind = k->kind;
        ev->name = k->name ? k->name : "";
        ev->name_len = k->name_len;
        task_remove(r, k);
        break;
    }
    case CT_EV_TASK_STATUS:
        ev = emit(r, CTR_TASK_STATUS, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = trace_task_id(t->proc, v[0]);
        ev->status = v[1] <= CTR_STATUS_TIMEOUT ? (ctr_status)v[1] : CTR_STATUS_NONE;
        ev->message = (const char *)str;
        ev->message_len = v[2];
        break;
    case CT_EV_REGION_BEGIN: {
        t->region_serial++;
        ropen *o = stack_push(t);
        if (!o) {
            warn(r, ts, t, "thread %d has more than %d regions open: not tracking deeper ones",
                 t->tid, MAX_DEPTH);
            break;
        }
        o->serial = t->region_serial;
        o->task = trace_task_id(t->proc, v[0]);
        o->begin_ns = ts;
        const rstring *name = string_of(r, t, v[1], ts);
        o->name = name->bytes;
        o->name_len = name->len;
        break;
    }
    case CT_EV_REGION_END:
        end_region(r, t, v[0] <= t->region_serial ? t->region_serial - v[0] : 0, ts, 0, t);
        break;
    case CT_EV_REGION_END_FOREIGN: {
        rthread *origin = v[0] <= UINT32_MAX ? thread_find(r, t->proc, (uint32_t)v[0]) : NULL;
        if (!origin) {
            warn(r, ts, t, "thread %d ended a region of a thread not in the trace", t->tid);
            break;
        }
        end_region(r, origin, v[1], ts, CTR_F_OTHER_THREAD, t);
        break;
    }
    case CT_EV_LOG: {
        const rstring *cat = string_of(r, t, v[1], ts);
        ev = emit(r, CTR_LOG, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = trace_task_id(t->proc, v[0]);
        ev->name = cat->bytes;
        ev->name_len = cat->len;
        ev->message = (const char *)str;
        ev->message_len = v[2];
        ev->flags = v[3] & CT_LOG_TRUNCATED ? CTR_F_TRUNCATED : 0;
        break;
    }
    case CT_EV_LOST:
        t->region_serial = v[1];
        ev = emit(r, CTR_LOST, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->count = v[0];
        break;
    default:
        break; /* TASK_ADOPT: nothing to show */
    }
    return 0;
bad:
    ctr__set_damage(r, "malformed %s event on thread %d", ct_event_spec_of(code)->name, t->tid);
    r->ev_pos = NULL;
    return -1;
}

/* The regions of one thread, begun and ended by the million: decoded here
 * without leaving the loop. Anything else goes through decode_event(). */
int ctr__batch_step(ctr_reader *r)
{
    const uint8_t *p = r->ev_pos, *e = r->ev_end;
    rthread *t = r->ev_thread;
    while (p < e && r->direct) {
        uint64_t delta, a, b;
        const uint8_t *q = p + 1;
        if (*p == CT_EV_REGION_BEGIN && rd(&q, e, &delta) && rd(&q, e, &a) && rd(&q, e, &b) &&
            t->depth < t->cap && b < t->nstrings && t->strings[b].bytes) {
            p = q;
            t->last_ticks += delta;
            ropen *o = &t->stack[t->depth++];
            o->serial = ++t->region_serial;
            o->task = trace_task_id(t->proc, a);
            o->begin_ns = ticks_to_rel_ns(r, t);
            o->name = t->strings[b].bytes;
            o->name_len = t->strings[b].len;
            continue;
        }
        if (*p == CT_EV_REGION_END && rd(&q, e, &delta) && rd(&q, e, &a) && t->depth > 0 &&
            t->stack[t->depth - 1].serial + a == t->region_serial) {
            p = q;
            t->last_ticks += delta;
            emit_region(r, t, &t->stack[--t->depth], ticks_to_rel_ns(r, t), 0);
            continue;
        }
        r->ev_pos = p;
        if (decode_event(r) != 0)
            return -1;
        p = r->ev_pos;
    }
    r->ev_pos = p < e ? p : NULL;
    return r->ev_pos != NULL;
}

void ctr__free_state(ctr_reader *r)
{
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        rthread *t = &r->threads[i];
        if (!t->used)
            continue;
        for (uint32_t j = 0; j < t->nstrings; j++)
            free(t->strings[j].bytes);
        free(t->strings);
        free(t->stack);
    }
    free(r->threads);
    for (uint32_t i = 0; i < r->tasks_cap; i++)
        if (r->tasks[i].id && r->tasks[i].id != TASK_TOMB)
            free(r->tasks[i].name);
    free(r->tasks);
    for (uint32_t i = 0; i < r->pend_count; i++)
        free(r->pending[(r->pend_head + i) & (r->pend_cap - 1)].owned);
    free(r->pending);
    free(r->procs);
}
