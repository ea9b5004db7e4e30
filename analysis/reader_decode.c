/*
 * reader_decode.c - from records and BATCH bytes to ctr_events: processes,
 * per-thread clocks, and each kind of event. Region begin and end, by far the
 * most frequent, are decoded in one tight loop.
 */
#include "analysis/reader_internal.h"

#include <stddef.h> /* offsetof */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* malloc */
#include <string.h> /* memcpy */

/* ---- records ----------------------------------------------------------------- */

static int get_fields(const uint8_t **pp, const uint8_t *e, const char *spec, uint64_t *v,
                      const uint8_t **str)
{
    const uint8_t *p = *pp;
    for (int i = 0; spec[i]; i++) {
        if (spec[i] == 'o' && p == e) {
            v[i] = 0; /* written by an older minor version */
            continue;
        }
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

int ctr__record(ctr_reader *r, uint8_t kind, const uint8_t *p, size_t len)
{
    const uint8_t *e = p + len;
    uint64_t v[12];
    const uint8_t *s[12];
    switch (kind) {
    case CT_REC_PROCESS_BEGIN: {
        if (get_fields(&p, e, "uusuuuuooo", v, s) != 0)
            break;
        rproc *pr = ctr__proc_get(r, v[0]);
        if (!pr || pr->used)
            break;
        pr->used = 1;
        /* Started by an earlier process (since 1.8); any other is damage
         * to ignore: the chain of parents must end. */
        if (v[7] && v[7] - 1 < v[0] && r->procs[v[7] - 1].used) {
            pr->parent = (uint32_t)v[7];
            pr->ptask = v[8];
            pr->inherit = v[9] > v[8] ? v[9] : v[8];
        }
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
        if (pr->parent) {
            ev->object = pr->parent;
            ev->parent = task_of(r, pr->parent - 1, pr->ptask);
        }
        return 0;
    }
    case CT_REC_PROCESS_END: {
        if (get_fields(&p, e, "uuuuoooo", v, s) != 0 || v[0] >= r->nprocs ||
            !r->procs[v[0]].used || r->procs[v[0]].ended)
            break;
        rproc *pr = &r->procs[v[0]];
        if (v[4] && rel_ns(r, v[4]) > pr->last_ns) /* when it ended (1.1) */
            pr->last_ns = rel_ns(r, v[4]);
        ctr__process_end(r, (uint32_t)v[0], v[1], v[2], v[3], v[5], v[6], v[7]);
        return 0;
    }
    case CT_REC_BATCH: {
        if (r->ev_thread) { /* the last batch was read: what it caught up with */
            ctr__settle_deferred(r, r->ev_thread);
            if (r->norphan_ends)
                ctr__task_ends_due(r, r->ev_thread);
        }
        if (get_fields(&p, e, "uuuuuub", v, s) != 0 || v[0] >= r->nprocs ||
            !r->procs[v[0]].used || v[1] == 0 || v[1] > UINT32_MAX)
            break;
        rthread *t = ctr__thread_get(r, (uint32_t)v[0], (uint32_t)v[1]);
        if (!t) {
            r->final_rc = CT_ENOMEM;
            return -1;
        }
        uint64_t seq = v[2], offset = v[3];
        int continues = t->have_chunk && seq == t->seq && offset == t->next_offset;
        if (t->have_chunk && (seq < t->seq || (seq == t->seq && offset < t->next_offset))) {
            /* A writer never sends bytes of a thread twice: these would be
             * read as events that happened twice. */
            ctr__set_damage(r, "thread %d: chunk %llu offset %llu comes again (batches "
                            "repeated; already read up to chunk %llu offset %llu)", t->tid,
                            (unsigned long long)seq, (unsigned long long)offset,
                            (unsigned long long)t->seq, (unsigned long long)t->next_offset);
            return -1;
        }
        if (!continues) {
            if (offset != 0 || (t->have_chunk && seq != t->seq + 1))
                ctr__warn(r, t->ns_base ? rel_ns(r, t->ns_base) : 0, t,
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
    t->last_ts = ts;
    return ts;
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

/* Whether this reader knows event kind `code` (ct_event_spec_of() without
 * the call). */
static inline int known_kind(uint8_t code)
{
#define CT__EV_BIT(name, code, timed, fields, names) | (1ull << (code))
    static const uint64_t known = 0 CT_EVENT_MAP(CT__EV_BIT);
#undef CT__EV_BIT
    return code < 64 && (known >> code & 1);
}

/* Whether the task ids among an event's fields v are below 2^PROC_SHIFT: a
 * larger one would collide with another process's ids. */
static int task_ids_fit(uint8_t code, const uint64_t *v)
{
    const uint64_t limit = 1ull << PROC_SHIFT;
    switch (code) {
    case CT_EV_THREAD_BEGIN: return v[2] < limit;
    case CT_EV_TASK_BEGIN: return v[0] < limit && v[1] < limit;
    case CT_EV_TASK_END:
    case CT_EV_TASK_ADOPT:
    case CT_EV_TASK_STATUS:
    case CT_EV_REGION_BEGIN:
    case CT_EV_BLOCK:
    case CT_EV_WAIT:
    case CT_EV_LOG:
    case CT_EV_WINDOW_LOST:
    case CT_EV_THREAD_STACK:
    case CT_EV_CPU_SAMPLE: return v[0] < limit;
    default: return 1;
    }
}

void ctr__task_begun(ctr_reader *r, const rthread *t, rtask *k, uint64_t id, uint64_t parent,
                     const rstring *name, uint64_t kind, uint64_t ts)
{
    k->begin_ns = ts;
    k->proc = t->proc;
    k->kind = kind <= CTR_TASK_FIXTURE ? (ctr_task_kind)kind : CTR_TASK_USER;
    if (k->kind != CTR_TASK_USER)
        k->root = id;
    else
        ctr__task_root(r, k, task_of(r, t->proc, parent));
    if (r->tasks_unrooted)
        ctr__task_root_waiting(r);
    k->name = name->bytes;
    k->name_len = name->len;
}

int ctr__decode_event(ctr_reader *r)
{
    const uint8_t *p = r->ev_pos, *e = r->ev_end;
    rthread *t = r->ev_thread;
    uint8_t code = *p++;
    if (code == CT_EV_STRING || code == CT_EV_STACK) { /* the untimed kinds */
        uint64_t id, len;
        const uint8_t *bytes;
        if (!rd(&p, e, &id) || !rd_str(&p, e, &bytes, &len) ||
            (code == CT_EV_STRING ? ctr__define_string(t, id, bytes, len)
                                  : ctr__define_stack(t, id, bytes, len)) != 0)
            goto bad;
        r->ev_pos = p;
        return 0;
    }
    if (!known_kind(code))
        return skip_unknown_event(r, t, code, p, e);

    uint64_t delta;
    if (!rd(&p, e, &delta))
        goto bad;
    uint64_t v[6] = {0};
    const uint8_t *str = NULL, *str2 = NULL;
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
    case CT_EV_WINDOW_LOST:
    case CT_EV_CUT:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]))
            goto bad;
        break;
    case CT_EV_LOG:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd_str(&p, e, &str, &v[2]) ||
            !rd(&p, e, &v[3]))
            goto bad;
        break;
    case CT_EV_BLOCK:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd(&p, e, &v[2]) || !rd(&p, e, &v[3]))
            goto bad;
        break;
    case CT_EV_THREAD_STACK:
    case CT_EV_CPU_SAMPLE:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd(&p, e, &v[2]))
            goto bad;
        break;
    case CT_EV_CPU_SOURCE:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]))
            goto bad;
        break;
    case CT_EV_WAIT:
        for (int i = 0; i < 6; i++)
            if (!rd(&p, e, &v[i]))
                goto bad;
        break;
    case CT_EV_MODULE:
        if (!rd(&p, e, &v[0]) || !rd(&p, e, &v[1]) || !rd(&p, e, &v[2]) ||
            !rd_str(&p, e, &str, &v[3]) || !rd_str(&p, e, &str2, &v[4]))
            goto bad;
        break;
    default: /* THREAD_NAME, TASK_END, REGION_END, TASK_ADOPT: one field */
        if (!rd(&p, e, &v[0]))
            goto bad;
        break;
    }
    if (!task_ids_fit(code, v))
        goto bad;
    r->ev_pos = p;
    r->wire_events++;
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
        ev->task = task_of(r, t->proc, v[2]);
        ev->object = v[3]; /* the start routine's address */
        break;
    case CT_EV_THREAD_NAME: {
        const rstring *name = ctr__string_of(r, t, v[0], ts);
        ev = emit(r, CTR_THREAD_NAME, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->name = name->bytes;
        ev->name_len = name->len;
        break;
    }
    case CT_EV_THREAD_END:
        t->last_ts = UINT64_MAX; /* nothing more of it will come */
        if (t->depth)
            ctr__thread_end_regions(r, t, ts);
        if (r->skim_times) /* skimmed before its end */
            ctr__skim_keep(r);
        ev = emit(r, CTR_THREAD_END, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        t->end_made = 1;
        return 0;
    case CT_EV_TASK_BEGIN: {
        uint64_t id = task_of(r, t->proc, v[0]);
        const rstring *name = ctr__string_of(r, t, v[2], ts);
        rtask *k = id && !ctr__task_slot(r, id, 0) ? ctr__task_insert(r, id) : NULL;
        if (!k) {
            ctr__warn(r, ts, t, "task %llu begun twice or without an id",
                      (unsigned long long)v[0]);
            break;
        }
        ctr__task_begun(r, t, k, id, v[1], name, v[3], ts);
        ev = emit(r, CTR_TASK_BEGIN, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = id;
        ev->parent = task_of(r, t->proc, v[1]);
        ev->task_kind = k->kind;
        ev->name = name->bytes;
        ev->name_len = name->len;
        if (r->norphan_ends) /* another thread's batch ended it already */
            ctr__task_end_early(r, k, t);
        break;
    }
    case CT_EV_TASK_END: {
        uint64_t id = task_of(r, t->proc, v[0]);
        rtask *k = ctr__task_slot(r, id, 0);
        if (k)
            ctr__task_end(r, k, ts, t);
        else
            ctr__task_end_unknown(r, id, v[0], ts, t);
        break;
    }
    case CT_EV_TASK_STATUS: {
        const rtask *k = ctr__task_slot(r, task_of(r, t->proc, v[0]), 0);
        ev = emit(r, CTR_TASK_STATUS, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = task_of(r, t->proc, v[0]);
        ev->task_kind = k ? k->kind : CTR_TASK_USER;
        ev->status = v[1] <= CTR_STATUS_TIMEOUT ? (ctr_status)v[1] : CTR_STATUS_NONE;
        ev->message = (const char *)str;
        ev->message_len = v[2];
        break;
    }
    case CT_EV_REGION_BEGIN: {
        t->region_serial++;
        ropen *o = ctr__stack_push(t);
        if (!o) {
            ctr__warn(r, ts, t, "thread %d has more than %d regions open: not tracking deeper ones",
                 t->tid, MAX_DEPTH);
            break;
        }
        o->serial = t->region_serial;
        o->task = task_of(r, t->proc, v[0]);
        o->parent_serial = region_parent(t);
        o->begin_ns = ts;
        o->deadline = 0;
        o->maybe_lost = 0;
        o->deadline_flags = 0;
        const rstring *name = ctr__string_of(r, t, v[1], ts);
        o->name = name->bytes;
        o->name_len = name->len;
        if (t->foreign_ends_due)
            ctr__foreign_end_due(r, t, o);
        break;
    }
    case CT_EV_REGION_END:
        ctr__end_region(r, t, v[0] <= t->region_serial ? t->region_serial - v[0] : 0, ts, 0, t);
        break;
    case CT_EV_REGION_END_FOREIGN:
        if (v[0] > UINT32_MAX)
            goto bad;
        ctr__foreign_end(r, t, (uint32_t)v[0], v[1], ts);
        break;
    case CT_EV_LOG: {
        const rstring *cat = ctr__string_of(r, t, v[1], ts);
        ev = emit(r, CTR_LOG, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = task_of(r, t->proc, v[0]);
        ev->name = cat->bytes;
        ev->name_len = cat->len;
        ev->message = (const char *)str;
        ev->message_len = v[2];
        ev->flags = v[3] & CT_LOG_TRUNCATED ? CTR_F_TRUNCATED : 0;
        break;
    }
    case CT_EV_BLOCK:
    case CT_EV_WAIT: {
        /* The wait ended v[5] ticks ago (WAIT) and lasted v[2] ticks. */
        const rproc *pr = &r->procs[t->proc];
        uint64_t ago_ns = code == CT_EV_WAIT ? ticks_to_ns(pr, v[5]) : 0;
        uint64_t end = ago_ns < ts ? ts - ago_ns : 0;
        uint64_t wait_ns = ticks_to_ns(pr, v[2]);
        ev = emit(r, CTR_BLOCK, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = end;
        ev->begin_ns = wait_ns < end ? end - wait_ns : 0;
        ev->task = task_of(r, t->proc, v[0]);
        ev->block_kind = (ctr_block_kind)(v[1] <= 255 ? v[1] : 0); /* a later kind: kept */
        ev->object = v[3];
        if (code == CT_EV_WAIT)
            ev->stack = ctr__stack_of(t, v[4], &ev->stack_len);
        break;
    }
    case CT_EV_THREAD_STACK:
        ev = emit(r, CTR_THREAD_STACK, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = task_of(r, t->proc, v[0]);
        ev->stack = ctr__stack_of(t, v[1], &ev->stack_len);
        ev->object = v[2];
        break;
    case CT_EV_CPU_SAMPLE:
        ctr__cpu_sample(r, t, ts, task_of(r, t->proc, v[0]), v[1], v[2]);
        break;
    case CT_EV_CPU_SOURCE:
        t->cpu_period_ns = v[0] == CT_CPU_ON && v[1] ? 1000000000u / v[1] : 0;
        ev = emit(r, CTR_CPU_SOURCE, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->object = v[0]; /* the state */
        ev->count = v[1];  /* the rate asked for */
        break;
    case CT_EV_MODULE:
        ev = emit(r, CTR_MODULE, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->object = v[0];
        ev->module_lo = v[1];
        ev->module_hi = v[2];
        ev->name = (const char *)str;
        ev->name_len = v[3];
        ev->message = (const char *)str2;
        ev->message_len = v[4];
        break;
    case CT_EV_SCHED_SOURCE:
    case CT_EV_SCHED_LOST:
        ev = emit(r, code == CT_EV_SCHED_SOURCE ? CTR_SCHED_SOURCE : CTR_SCHED_LOST, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        if (code == CT_EV_SCHED_SOURCE) {
            ev->object = v[0]; /* the source */
            if (t->sched_said) { /* replaces the one said before */
                ev->count = 1;
                ev->parent = t->sched_said - 1;
            }
            t->sched_said = v[0] < UINT64_MAX ? v[0] + 1 : UINT64_MAX;
        } else
            ev->count = v[0]; /* records lost */
        break;
    case CT_EV_LOST:
    case CT_EV_CUT:
        ctr__thread_missing(r, t, v[0], v[1], ts, code == CT_EV_CUT);
        ev = emit(r, code == CT_EV_CUT ? CTR_CUT : CTR_LOST, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->count = v[0];
        break;
    case CT_EV_WINDOW_LOST:
        ev = emit(r, CTR_WINDOW_LOST, NULL);
        fill_thread(r, ev, t);
        ev->ts_ns = ts;
        ev->task = task_of(r, t->proc, v[0]);
        ev->count = v[1];
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
