/*
 * window_write.c - a trace of a flight recorder's window (window.h,
 * format/FORMAT.md *Windows*).
 *
 * For a task, four walks through the batches: find when it began and ended;
 * fold into a copy of the window's state what each thread did before it
 * began; write each thread's state as events (its prelude); write the
 * batches from there to the task's end. Memory: the state's copy and a
 * batch being built, never the events.
 */
#include "recorder/window.h"

#include <stdlib.h> /* malloc, realloc, free, qsort */
#include <string.h> /* memcpy */

#include <ctrace.h> /* CT_E* */

#include "format/schema.h" /* ct_event_parse */
#include "format/wire.h"

#define PRELUDE_BATCH (256u << 10) /* a prelude's batch is cut past this */

/* ---- per thread, while writing ----------------------------------------------------- */

typedef struct wthread {
    uint32_t serial;
    /* walking its batches: the chunk, the next byte, the tick there */
    int have_chunk;
    uint64_t seq, next_offset, tick;
    /* cutting before the task: where its events in the trace start */
    int started;                /* found: batch `start_index`, byte `start_at` */
    size_t start_index, start_at;
    int done;                   /* past the task's end: nothing more of it */
    int of_task;                /* it has events of the task (walk 1) */
    /* writing */
    uint64_t out_seq;           /* the trace's next chunk number for it */
    int out_open;               /* a chunk of it is being continued: */
    uint64_t out_src_seq, out_src_next, out_offset;
    /* what its written events and open items name: string ids << 1, stack
     * ids << 1 | 1, sorted and unique once marked (mark_used()) */
    uint64_t *used;
    size_t nused, used_cap;
} wthread;

typedef struct wthreads {
    wthread *v;                 /* open addressing on serial */
    uint32_t cap, used;
} wthreads;

static wthread *wt_probe(wthreads *m, uint32_t serial)
{
    for (uint32_t i = (serial * 2654435761u) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
        if (m->v[i].serial == serial || m->v[i].serial == 0)
            return &m->v[i];
}

/* Thread `serial`'s entry, made when new from what the state knows of it. */
static wthread *wt_get(wthreads *m, uint32_t serial, const ct_wstate *st)
{
    if ((m->used + 1) * 2 > m->cap) {
        wthreads bigger = {calloc(m->cap ? m->cap * 2 : 16, sizeof *m->v),
                           m->cap ? m->cap * 2 : 16, m->used};
        if (!bigger.v)
            return NULL;
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->v[i].serial)
                *wt_probe(&bigger, m->v[i].serial) = m->v[i];
        free(m->v);
        *m = bigger;
    }
    wthread *t = wt_probe(m, serial);
    if (t->serial)
        return t;
    *t = (wthread){.serial = serial};
    m->used++;
    const ct_wthread *s = ct_ws_thread((ct_wstate *)st, serial, 0);
    if (s && s->have_chunk) { /* its batches go on from what was folded */
        t->have_chunk = 1;
        t->seq = s->seq;
        t->next_offset = s->next_offset;
        t->tick = s->tick;
    }
    return t;
}

/* The tick before byte 0 of batch b of thread t: where its walk stands if
 * b continues its chunk, else b's chunk begins. */
static void wt_enter(wthread *t, const ct_wbatch *b)
{
    if (!t->have_chunk || t->seq != b->seq || t->next_offset != b->offset)
        t->tick = b->clock.tsc;
    t->have_chunk = 1;
    t->seq = b->seq;
}

/* ---- clocks ------------------------------------------------------------------------ */

static uint64_t tick_ns(ct_wclock c, uint64_t hz, uint64_t tick)
{
    uint64_t dt = tick > c.tsc ? tick - c.tsc : 0;
    return c.ns + (uint64_t)((unsigned __int128)dt * 1000000000u / (hz ? hz : 1));
}

/* ---- building batches --------------------------------------------------------------- */

typedef struct emitter {
    ct_trace_writer *tw;
    uint32_t proc;
    uint64_t hz;
    uint64_t lost_written; /* what the LOST events written told */
    wthread *t;
    ct_wclock clock;
    int have_clock;
    uint64_t tick;      /* of the last timed event put */
    uint8_t *buf;
    size_t len, cap;
    int rc;
} emitter;

static void em_flush(emitter *e)
{
    if (e->len == 0 || e->rc)
        return;
    uint8_t head[6 * CT_UVARINT_MAX], *p = head;
    p = ct_put_uvarint(p, e->proc);
    p = ct_put_uvarint(p, e->t->serial);
    p = ct_put_uvarint(p, e->t->out_seq++);
    p = ct_put_uvarint(p, 0);
    p = ct_put_uvarint(p, e->clock.tsc);
    p = ct_put_uvarint(p, e->clock.ns);
    if (ct_tw_batch(e->tw, head, (size_t)(p - head), e->buf, e->len) != 0)
        e->rc = CT_EIO;
    e->len = 0;
    e->tick = e->clock.tsc; /* the next batch counts from its clock pair */
}

/* Room for `n` more bytes. */
static uint8_t *em_room(emitter *e, size_t n)
{
    if (e->len + n > e->cap) {
        size_t cap = (e->len + n) * 2;
        uint8_t *b = realloc(e->buf, cap);
        if (!b) {
            e->rc = CT_ENOMEM;
            return NULL;
        }
        e->buf = b;
        e->cap = cap;
    }
    return e->buf + e->len;
}

static void em_clock(emitter *e, ct_wclock c)
{
    if (e->have_clock && e->clock.tsc == c.tsc && e->clock.ns == c.ns)
        return;
    em_flush(e);
    e->clock = c;
    e->have_clock = 1;
    e->tick = c.tsc;
}

static void em_u(emitter *e, uint64_t v)
{
    uint8_t *p = em_room(e, CT_UVARINT_MAX);
    if (p)
        e->len = (size_t)(ct_put_uvarint(p, v) - e->buf);
}

static void em_s(emitter *e, const uint8_t *s, size_t n)
{
    em_u(e, n);
    uint8_t *p = em_room(e, n);
    if (p && n) {
        memcpy(p, s, n);
        e->len += n;
    }
}

/* The kind byte of an event, and for a timed one its delta to `tick` (never
 * back in time). */
static void em_event(emitter *e, uint8_t code, uint64_t tick)
{
    if (e->len >= PRELUDE_BATCH)
        em_flush(e);
    uint8_t *p = em_room(e, 1);
    if (!p)
        return;
    *p = code;
    e->len++;
    if (ct_event_spec_of(code)->timed) {
        uint64_t at = tick > e->tick ? tick : e->tick;
        em_u(e, at - e->tick);
        e->tick = at;
    }
}

/* ---- what a prelude says again ------------------------------------------------------ */

static int use(wthread *t, uint64_t id, int stack)
{
    if (id == 0)
        return 0;
    if (t->nused == t->used_cap) {
        size_t cap = t->used_cap ? t->used_cap * 2 : 64;
        uint64_t *grown = realloc(t->used, cap * sizeof *grown);
        if (!grown)
            return CT_ENOMEM;
        t->used = grown;
        t->used_cap = cap;
    }
    t->used[t->nused++] = id << 1 | (uint64_t)(stack != 0);
    return 0;
}

static int by_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int used(const wthread *t, uint64_t id, int stack)
{
    uint64_t key = id << 1 | (uint64_t)(stack != 0);
    return t && bsearch(&key, t->used, t->nused, sizeof key, by_u64) != NULL;
}

/* Whether batch `index` of thread t is in the trace written (from where
 * fold_before() found the thread starts): 1 with *from, where in the batch
 * its written part begins; 0 when none of it is. */
static int written_from(const wthread *t, size_t index, size_t *from)
{
    if (!t->started || index < t->start_index)
        return 0;
    *from = index == t->start_index ? t->start_at : 0;
    return 1;
}

/* Walk 2b: the strings and stacks the written events name (all of a kept
 * batch's, past the task's end too: a superset within the window). A
 * thread's table holds every name it ever defined; its prelude says only
 * these again, so an attachment's size follows the window, not the suite
 * (it grew 6.1 -> 10.9 KB from the 1000th to the 2000th failing test). */
static int mark_used(const ct_window *w, const ct_wstate *st, wthreads *m)
{
    ct_wcursor c;
    ct_wbatch b;
    ct_window_first(w, &c);
    for (size_t index = 0; ct_window_next(w, &c, &b); index++) {
        wthread *t = wt_get(m, b.thread, st);
        if (!t)
            return CT_ENOMEM;
        size_t at;
        if (!written_from(t, index, &at))
            continue;
        ct_event_fields f;
        for (size_t k; at < b.len && (k = ct_event_parse(b.events + at, b.events + b.len, &f));
             at += k) {
            int rc = 0;
            switch (f.code) {
            case CT_EV_TASK_BEGIN: rc = use(t, f.v[2], 0); break;
            case CT_EV_REGION_BEGIN: rc = use(t, f.v[1], 0); break;
            case CT_EV_LOG: rc = use(t, f.v[1], 0); break;
            case CT_EV_THREAD_NAME: rc = use(t, f.v[0], 0); break;
            case CT_EV_WAIT: rc = use(t, f.v[4], 1); break;
            case CT_EV_THREAD_STACK:
            case CT_EV_CPU_SAMPLE: rc = use(t, f.v[1], 1); break;
            default: break;
            }
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Thread th's prelude names too: its name, its open tasks and regions. */
static int mark_prelude(wthread *t, const ct_wstate *st, const ct_wthread *th)
{
    int rc = th->named ? use(t, th->name, 0) : 0;
    for (uint32_t i = 0; !rc && i < st->ntasks; i++)
        if (st->tasks[i].thread == th->serial)
            rc = use(t, st->tasks[i].name, 0);
    for (uint32_t i = 0; !rc && i < th->depth; i++)
        rc = use(t, th->regions[i].name, 0);
    if (!rc && t->nused) {
        qsort(t->used, t->nused, sizeof *t->used, by_u64);
        size_t n = 1;
        for (size_t i = 1; i < t->nused; i++)
            if (t->used[i] != t->used[n - 1])
                t->used[n++] = t->used[i];
        t->nused = n;
    }
    return rc;
}

/* ---- a thread's prelude ------------------------------------------------------------ */

typedef struct item {
    const ct_wopen *o;
    int region;
} item;

static int by_tick(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->o->tick != y->o->tick)
        return x->o->tick < y->o->tick ? -1 : 1;
    return x->region - y->region; /* a task before the regions begun in it */
}

/* What thread th's events in the window need, as events (FORMAT.md,
 * *Windows*). @return the events said again (not cut). */
static uint64_t prelude(emitter *e, const ct_wstate *st, const ct_wthread *th, int modules)
{
    item *items = malloc(((size_t)st->ntasks + th->depth + 1) * sizeof *items);
    size_t n = 0;
    if (!items) {
        e->rc = CT_ENOMEM;
        return 0;
    }
    for (uint32_t i = 0; i < st->ntasks; i++)
        if (st->tasks[i].thread == th->serial)
            items[n++] = (item){&st->tasks[i], 0};
    for (uint32_t i = 0; i < th->depth; i++)
        items[n++] = (item){&th->regions[i], 1};
    qsort(items, n, sizeof *items, by_tick);

    em_clock(e, th->begun ? th->begin_clock : n ? items[0].o->clock : th->clock);
    uint64_t serial = th->begun ? th->begin[4] : 0;
    em_event(e, CT_EV_THREAD_BEGIN, th->begun ? th->begin_tick : e->tick);
    for (int i = 0; i < 5; i++)
        em_u(e, th->begun ? th->begin[i] : 0);
    for (uint32_t id = 1; id < th->nstrings; id++) {
        if (!th->strings[id].bytes || !used(e->t, id, 0))
            continue;
        em_event(e, CT_EV_STRING, 0);
        em_u(e, id);
        em_s(e, th->strings[id].bytes, th->strings[id].len);
    }
    for (uint32_t i = 0; i < th->nstacks; i++) {
        if (!used(e->t, th->stacks[i].id, 1))
            continue;
        em_event(e, CT_EV_STACK, 0);
        em_u(e, th->stacks[i].id);
        em_s(e, th->stacks[i].pcs.bytes, th->stacks[i].pcs.len);
    }
    if (th->named) {
        em_event(e, CT_EV_THREAD_NAME, e->tick);
        em_u(e, th->name);
    }
    if (th->has_sched) {
        em_event(e, CT_EV_SCHED_SOURCE, e->tick);
        em_u(e, th->sched);
    }
    if (th->has_cpu) {
        em_event(e, CT_EV_CPU_SOURCE, e->tick);
        em_u(e, th->cpu[0]);
        em_u(e, th->cpu[1]);
    }
    for (uint32_t i = 0; modules && i < st->nmodules; i++) {
        const ct_wmodule *m = &st->modules[i];
        em_event(e, CT_EV_MODULE, e->tick);
        em_u(e, m->bias);
        em_u(e, m->lo);
        em_u(e, m->hi);
        em_s(e, m->path.bytes, m->path.len);
        em_s(e, m->build_id.bytes, m->build_id.len);
    }
    for (size_t i = 0; i < n; i++) {
        const ct_wopen *o = items[i].o;
        em_clock(e, o->clock);
        if (items[i].region) {
            if (o->serial != serial + 1) { /* regions begun and ended before it were cut */
                em_event(e, CT_EV_CUT, o->tick);
                em_u(e, 0);
                em_u(e, o->serial - 1);
            }
            em_event(e, CT_EV_REGION_BEGIN, o->tick);
            em_u(e, o->task);
            em_u(e, o->name);
            serial = o->serial;
        } else {
            em_event(e, CT_EV_TASK_BEGIN, o->tick);
            em_u(e, o->task);
            em_u(e, o->parent);
            em_u(e, o->name);
            em_u(e, o->kind);
        }
    }
    free(items);
    /* What it lost before, then what was cut: both up to its last event
     * folded. */
    em_clock(e, th->clock);
    if (th->lost) {
        em_event(e, CT_EV_LOST, th->tick);
        em_u(e, th->lost);
        em_u(e, serial);
    }
    uint64_t said = n;
    em_event(e, CT_EV_CUT, th->tick);
    em_u(e, th->cut > said ? th->cut - said : 0);
    em_u(e, th->region_serial);
    em_flush(e);
    return said;
}

/* ---- the batches --------------------------------------------------------------------- */

/* Write bytes [from, to) of batch b of thread t, which began at chunk
 * offset b->offset + from with the tick `base` before it. */
static int put_batch(emitter *e, wthread *t, const ct_wbatch *b, size_t from, size_t to,
                     uint64_t base)
{
    if (to <= from)
        return 0;
    uint64_t at = b->offset + from;
    const uint8_t *bytes = b->events + from;
    size_t n = to - from;
    uint8_t head[6 * CT_UVARINT_MAX], *p = head;
    int goes_on = t->out_open && t->out_src_seq == b->seq && t->out_src_next == at;
    if (!goes_on) {
        t->out_open = 1;
        t->out_src_seq = b->seq;
        t->out_offset = 0;
        t->out_seq++;
    }
    p = ct_put_uvarint(p, e->proc);
    p = ct_put_uvarint(p, t->serial);
    p = ct_put_uvarint(p, t->out_seq - 1);
    p = ct_put_uvarint(p, t->out_offset);
    p = ct_put_uvarint(p, b->clock.tsc);
    p = ct_put_uvarint(p, b->clock.ns);
    t->out_src_next = at + n;
    if (goes_on || at == 0) { /* as drained */
        t->out_offset += n;
        return ct_tw_batch(e->tw, head, (size_t)(p - head), bytes, n) ? CT_EIO : 0;
    }
    /* Its chunk's start is not in the trace: the first timed event counts
     * from the chunk's clock pair instead of the event before it. */
    e->len = 0;
    uint8_t *q = em_room(e, n + CT_UVARINT_MAX);
    if (!q)
        return e->rc;
    size_t i = 0, k = 0;
    ct_event_fields f;
    while (i < n && (k = ct_event_parse(bytes + i, bytes + n, &f)) && !f.spec->timed)
        i += k;
    if (i < n && k) {
        uint64_t tick = base + f.delta;
        memcpy(q, bytes, i + 1); /* the definitions before it, its kind */
        q += i + 1;
        q = ct_put_uvarint(q, tick > b->clock.tsc ? tick - b->clock.tsc : 0);
        i += 1 + f.delta_len;
    }
    memcpy(q, bytes + i, n - i); /* the rest as it is */
    q += n - i;
    size_t len = (size_t)(q - e->buf);
    t->out_offset += len;
    return ct_tw_batch(e->tw, head, (size_t)(p - head), e->buf, len) ? CT_EIO : 0;
}

/* ---- the walks ----------------------------------------------------------------------- */

typedef struct span {
    uint64_t task;
    uint64_t lost_told;  /* what the LOST events in the window told */
    uint64_t events;     /* the events in the window */
    int begun, ended;
    uint64_t begin_tick, end_tick;
    ct_wclock begin_clock, end_clock;
    int begin_cut;       /* its begin had left the window */
} span;

/* Whether event f is of task `task` (its task field names it). */
static int of_task(const ct_event_fields *f, uint64_t task)
{
    switch (f->code) {
    case CT_EV_TASK_BEGIN:
    case CT_EV_TASK_END:
    case CT_EV_TASK_STATUS:
    case CT_EV_REGION_BEGIN:
    case CT_EV_LOG:
    case CT_EV_TASK_ADOPT:
    case CT_EV_BLOCK:
    case CT_EV_WAIT:
    case CT_EV_WINDOW_LOST:
    case CT_EV_THREAD_STACK:
    case CT_EV_CPU_SAMPLE:
        return f->v[0] == task;
    default:
        return 0;
    }
}

/* Walk 1: when the task began and ended, and which threads have events of
 * it (in *m, which the caller frees). @return 0 or CT_ENOMEM. */
static int find_span(const ct_window *w, const ct_wstate *base, span *s, wthreads *m)
{
    for (uint32_t i = 0; i < base->ntasks; i++) {
        if (base->tasks[i].task == s->task) {
            s->begun = s->begin_cut = 1;
            s->begin_tick = base->tasks[i].tick;
            s->begin_clock = base->tasks[i].clock;
        }
    }
    ct_wcursor c;
    ct_wbatch b;
    ct_window_first(w, &c);
    while (ct_window_next(w, &c, &b)) {
        wthread *t = wt_get(m, b.thread, base);
        if (!t)
            return CT_ENOMEM;
        wt_enter(t, &b);
        ct_event_fields f;
        for (size_t at = 0, k; at < b.len && (k = ct_event_parse(b.events + at,
                                                                  b.events + b.len, &f));
             at += k) {
            t->tick += f.delta;
            s->events += (uint64_t)ct_ws_counts_as_cut(f.code);
            if (f.code == CT_EV_LOST)
                s->lost_told += f.v[0];
            t->of_task |= s->task && of_task(&f, s->task);
            int begins = f.code == CT_EV_TASK_BEGIN && f.v[0] == s->task && !s->begun;
            int ends = f.code == CT_EV_TASK_END && f.v[0] == s->task;
            if (begins || (ends && !s->ended)) {
                *(begins ? &s->begun : &s->ended) = 1;
                *(begins ? &s->begin_tick : &s->end_tick) = t->tick;
                *(begins ? &s->begin_clock : &s->end_clock) = b.clock;
            }
        }
        t->next_offset = b.offset + b.len;
    }
    return 0;
}

/* Walk 2: fold into st what each thread did before `cut_tick`, and note
 * where its events in the trace start. */
static int fold_before(const ct_window *w, ct_wstate *st, wthreads *m, uint64_t cut_tick)
{
    ct_wcursor c;
    ct_wbatch b;
    ct_window_first(w, &c);
    for (size_t index = 0; ct_window_next(w, &c, &b); index++) {
        wthread *t = wt_get(m, b.thread, st);
        if (!t)
            return CT_ENOMEM;
        if (t->started)
            continue;
        long folded = cut_tick ? ct_ws_fold(st, b.thread, b.seq, b.offset, b.clock, b.events,
                                            b.len, cut_tick)
                               : 0;
        if (folded < 0)
            return CT_ENOMEM;
        if ((size_t)folded < b.len) {
            t->started = 1;
            t->start_index = index;
            t->start_at = (size_t)folded;
        }
    }
    return 0;
}

/* Walk 4, one batch (ring index `index`): its thread's events from where
 * the thread starts to the end. */
static int write_one(emitter *e, const ct_wstate *st, wthreads *m, const ct_wbatch *b,
                     size_t index, uint64_t end_tick)
{
    wthread *t = wt_get(m, b->thread, st);
    if (!t)
        return CT_ENOMEM;
    size_t from;
    if (t->done || !written_from(t, index, &from))
        return 0;
    const ct_wthread *s = ct_ws_thread((ct_wstate *)st, b->thread, 0);
    if (index == t->start_index) { /* its walk goes on from the state's */
        t->have_chunk = s && s->have_chunk;
        if (t->have_chunk) {
            t->seq = s->seq;
            t->next_offset = s->next_offset;
            t->tick = s->tick;
        }
    }
    if (from == 0)
        wt_enter(t, b);
    uint64_t tick = t->tick; /* before byte `from` (the fold stopped there) */
    size_t at = from, to = b->len;
    ct_event_fields f;
    for (size_t k; at < b->len && (k = ct_event_parse(b->events + at, b->events + b->len, &f));
         at += k) {
        if (tick + f.delta > end_tick) {
            to = at;
            t->done = 1;
            break;
        }
        tick += f.delta;
        if (f.code == CT_EV_LOST)
            e->lost_written += f.v[0];
    }
    int rc = put_batch(e, t, b, from, to, t->tick);
    if (rc)
        return rc;
    t->tick = tick;
    t->seq = b->seq;
    t->next_offset = b->offset + b->len;
    return 0;
}

/* A batch of a drain pass, and where it is in the ring. */
typedef struct pass_item {
    ct_wbatch b;
    size_t index;
} pass_item;

/* Newest thread first, each thread's batches as they came: the order a
 * drain pass writes a trace in (recorder/drain.c), so that a reader meets
 * the ends a test's own threads made of its regions before the test's end. */
static int newest_first(const void *a, const void *b)
{
    const pass_item *x = a, *y = b;
    if (x->b.thread != y->b.thread)
        return x->b.thread > y->b.thread ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Walk 4: the batches, each thread's from where it starts to the end, a
 * drain pass at a time (its batches ordered as newest_first()). */
static int write_batches(const ct_window *w, emitter *e, const ct_wstate *st, wthreads *m,
                         uint64_t end_tick)
{
    ct_wcursor c;
    ct_wbatch b;
    pass_item *pass = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    ct_window_first(w, &c);
    for (size_t index = 0; !rc && !e->rc; index++) {
        int more = ct_window_next(w, &c, &b);
        if (n && (!more || b.pass_begins)) {
            qsort(pass, n, sizeof *pass, newest_first);
            for (size_t i = 0; i < n && !rc && !e->rc; i++)
                rc = write_one(e, st, m, &pass[i].b, pass[i].index, end_tick);
            n = 0;
        }
        if (!more)
            break;
        if (n == cap) {
            size_t grown = cap ? 2 * cap : 64;
            pass_item *q = realloc(pass, grown * sizeof *q);
            if (!q) {
                rc = CT_ENOMEM;
                break;
            }
            pass = q;
            cap = grown;
        }
        pass[n++] = (pass_item){b, index};
    }
    free(pass);
    return rc ? rc : e->rc;
}

/* ---- the trace ----------------------------------------------------------------------- */

static int process_record(ct_trace_writer *tw, const ct_window_proc *p, int end, uint64_t how,
                          uint64_t code, uint64_t end_ns, uint64_t dropped, uint64_t cut)
{
    if (!end) {
        const char *exe = p->exe ? p->exe : "";
        ct_tw_process begin = {.proc = p->proc, .pid = p->pid, .exe = exe,
                               .exe_len = strnlen(exe, 4096), .clock = p->clock, .hz = p->hz,
                               .tsc0 = p->tsc0, .ns0 = p->ns0};
        return ct_tw_process_begin(tw, &begin);
    }
    uint8_t buf[8 * CT_UVARINT_MAX], *q = buf;
    q = ct_put_uvarint(q, p->proc);
    uint64_t v[7] = {how, code, dropped, end_ns, p->stalls, p->stall_ns, cut};
    for (int i = 0; i < 7; i++)
        q = ct_put_uvarint(q, v[i]);
    return ct_tw_record(tw, CT_REC_PROCESS_END, buf, (size_t)(q - buf));
}

/* Threads with a state, by serial: the trace says them in a fixed order. */
static int by_serial(const void *a, const void *b)
{
    const ct_wthread *x = *(const ct_wthread *const *)a, *y = *(const ct_wthread *const *)b;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

/* Whether thread th has events of the task: in the window (`seen`, walk
 * 1's), or a region of it open across the cut. */
static int thread_of_task(const ct_wthread *th, wthreads *seen, const span *s)
{
    if (seen->cap && wt_probe(seen, th->serial)->of_task)
        return 1;
    for (uint32_t i = 0; i < th->depth; i++)
        if (th->regions[i].task == s->task)
            return 1;
    return 0;
}

/* Walk 3: every thread's prelude. @return the events said again, or sets
 * e->rc. The task was cut if a thread's events after its begin were; it
 * is held from the latest such cut of a thread with events of it. */
static uint64_t write_preludes(emitter *e, const ct_wstate *st, wthreads *m, wthreads *seen,
                               ct_window_report *r, const span *s)
{
    const ct_wthread **order = malloc((st->threads_used + 1) * sizeof *order);
    if (!order) {
        e->rc = CT_ENOMEM;
        return 0;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < st->threads_cap; i++)
        if (st->threads[i].serial)
            order[n++] = &st->threads[i];
    qsort(order, n, sizeof *order, by_serial);
    uint64_t said = 0;
    for (size_t i = 0; i < n && !e->rc; i++) {
        e->t = wt_get(m, order[i]->serial, st);
        if (!e->t) {
            e->rc = CT_ENOMEM;
            break;
        }
        e->have_clock = 0;
        if (mark_prelude(e->t, st, order[i]) != 0) {
            e->rc = CT_ENOMEM;
            break;
        }
        said += prelude(e, st, order[i], i == 0);
        /* Events of it after the task began were cut. */
        if (s->begun && order[i]->cut && order[i]->tick > s->begin_tick) {
            r->task_cut = 1;
            uint64_t ns = tick_ns(order[i]->clock, e->hz, order[i]->tick);
            if (ns > r->kept_from_ns && thread_of_task(order[i], seen, s))
                r->kept_from_ns = ns;
        }
    }
    free(order);
    return said;
}

/* A trace of p that holds none of its events: everything the window and
 * its state hold is cut. */
static int write_nothing(const ct_window *w, ct_trace_writer *tw, const ct_window_proc *p,
                         const span *s, ct_window_report *out)
{
    const ct_wstate *base = ct_window_state(w);
    uint64_t cut = ct_ws_cut_total(base) + s->events;
    uint64_t told = base->lost_told + s->lost_told;
    uint64_t lost = p->dropped > told ? p->dropped : told;
    if (out)
        *out = (ct_window_report){.cut = cut, .end_ns = p->end_ns};
    if (process_record(tw, p, 0, 0, 0, 0, 0, 0) != 0 ||
        process_record(tw, p, 1, p->how, p->code, p->end_ns, lost, cut) != 0)
        return CT_EIO;
    return 0;
}

int ct_window_write(ct_window *w, ct_trace_writer *tw, const ct_window_proc *p, uint64_t task,
                    ct_window_report *out)
{
    ct_window_report r = {0};
    const ct_wstate *base = ct_window_state(w);
    span s = {.task = task};
    wthreads seen = {0};
    int rc = find_span(w, base, &s, &seen);
    if (rc || (task && !s.begun)) { /* none of its events: none of the others' either */
        free(seen.v);
        return rc ? rc : write_nothing(w, tw, p, &s, out);
    }
    r.found = task && s.begun;
    uint64_t cut_tick = r.found ? s.begin_tick : 0, end_tick = UINT64_MAX;
    if (r.found && s.ended)
        end_tick = s.end_tick;

    ct_wstate st;
    wthreads m = {0};
    emitter e = {.tw = tw, .proc = p->proc, .hz = p->hz};
    if ((rc = ct_ws_copy(&st, base)) != 0)
        return rc;
    rc = fold_before(w, &st, &m, cut_tick);
    if (!rc)
        rc = mark_used(w, &st, &m);
    if (!rc)
        rc = process_record(tw, p, 0, 0, 0, 0, 0, 0) ? CT_EIO : 0;
    uint64_t said = rc ? 0 : write_preludes(&e, &st, &m, &seen, &r, &s);
    if (!rc && !e.rc)
        rc = write_batches(w, &e, &st, &m, end_tick);
    rc = rc ? rc : e.rc;

    /* How it ends here: as the task did (the window ends there, the process
     * went on), else as the process did, or the window ends now. */
    uint64_t how = p->how, code = p->code, end_ns = p->end_ns;
    if (r.found && s.ended) {
        how = CT_EXIT_WINDOW;
        code = 0;
        end_ns = tick_ns(s.end_clock, p->hz, s.end_tick);
    }
    uint64_t told = base->lost_told + s.lost_told;
    uint64_t untold = p->dropped > told ? p->dropped - told : 0;
    uint64_t lost = e.lost_written + untold;
    for (uint32_t i = 0; i < st.threads_cap; i++)
        lost += st.threads[i].serial ? st.threads[i].lost : 0;
    uint64_t cut_total = ct_ws_cut_total(&st);
    r.cut = cut_total > said ? cut_total - said : 0;
    if (!rc)
        rc = process_record(tw, p, 1, how, code, end_ns, lost, r.cut) ? CT_EIO : 0;
    if (r.found) {
        r.task_cut |= s.begin_cut;
        r.begin_ns = tick_ns(s.begin_clock, p->hz, s.begin_tick);
        if (r.kept_from_ns < r.begin_ns) /* within the task's span */
            r.kept_from_ns = r.begin_ns;
        if (r.kept_from_ns > end_ns && end_ns >= r.begin_ns)
            r.kept_from_ns = end_ns;
    }
    r.end_ns = end_ns;
    ct_ws_free(&st);
    for (uint32_t i = 0; i < m.cap; i++)
        free(m.v[i].used);
    free(m.v);
    free(seen.v);
    free(e.buf);
    if (out)
        *out = r;
    return rc;
}
