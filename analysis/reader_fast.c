/*
 * reader_fast.c - the reader's hot loop. The kinds that make most of a trace
 * (region begins and ends, logs, waits, user tasks' begins and ends) are
 * decoded here, the thread's clock, stack and serial in locals, as long as
 * they are ones the general path (ctr__decode_event()) would treat no
 * differently; anything else, or out of the ordinary (a name never defined,
 * a test's end, a task begun twice, a field too large), goes through
 * ctr__decode_event() with the locals stored before and loaded after.
 *
 * An event of a kind the caller does not want (ctr_set_kinds()) is skimmed:
 * its clock read, the state later events need kept (open regions and tasks,
 * the ones ended last, which a second end names), nothing made; it counts
 * as delivered, its time in the trace's duration (and its thread's skimmed
 * times: ctr__keep_skim_times()). Half of what a view reads is of kinds it
 * does not look at.
 */
#include "analysis/reader_internal.h"

#include <stddef.h> /* offsetof */
#include <string.h> /* memcpy */

/* Read one varint; `roomy`: at least CT_UVARINT_MAX bytes can be read at
 * *pp, no bound to test. @return 0 if malformed. */
static inline int rd_fast(const uint8_t **pp, const uint8_t *e, int roomy, uint64_t *v)
{
    const uint8_t *p = *pp;
    if (!roomy)
        return rd(pp, e, v);
    if (__builtin_expect(*p < 0x80, 1)) {
        *v = *p;
        *pp = p + 1;
        return 1;
    }
    unsigned k = ct_get_uvarint_unbounded(p, v);
    *pp = p + k;
    return k != 0;
}

/* Bytes readable at an event for its fields to be read without bounds: the
 * largest region begin (a kind byte, three varints). */
#define FAST_SLACK (1 + 3 * CT_UVARINT_MAX)

/* *ev zeroed, of `kind`, thread t's (who) at ts. */
static inline ctr_event *start_event(ctr_event *ev, ctr_kind kind, event_who who,
                                     uint32_t thread, uint64_t ts)
{
    zero_event(ev);
    ev->kind = kind;
    memcpy(&ev->process, &who, sizeof who);
    ev->thread = thread;
    ev->ts_ns = ts;
    return ev;
}

/* Decode the current batch until the output is full or the batch ends.
 * `spans`: the regions ended go to r->spans (ctr_next_spans()), not r->out;
 * `keep`: r->skim_times, the skimmed events' times kept per thread. Constants,
 * so each caller below has a loop of its own. @return 1 if the batch has
 * more, 0 when it is done, -1 on damage. */
static inline __attribute__((always_inline)) int batch_step(ctr_reader *r, const int spans,
                                                            const int keep)
{
    rthread *t = r->ev_thread;
    rproc *pr = &r->procs[t->proc];
    const uint8_t *p = r->ev_pos, *const e = r->ev_end;
    const uint64_t ns_int = pr->ns_int, ns_frac = pr->ns_frac, start = r->start_mono_ns;
    const uint64_t base = t->ns_base, tsc_base = t->tsc_base;
    /* Ticks that are ns (a monotonic clock) and a chunk that began after the
     * trace: ticks_to_rel_ns() is one addition, of `shift` (mod 2^64). */
    const int ns_ticks = ns_int == 1 && ns_frac == 0;
    const int plain = ns_ticks && base >= start;
    const uint64_t shift = base - start - tsc_base;
    const uint64_t task_hi = (uint64_t)t->proc << PROC_SHIFT;
    const uint64_t id_limit = 1ull << PROC_SHIFT; /* task_ids_fit() */
    /* A process a test started: ids up to this are its parent's (task_of()). */
    const uint64_t inherited = pr->parent ? pr->inherit : 0;
    /* What is made; the rest is skimmed. ctr_next_spans() wants regions alone. */
    const uint64_t kinds = r->kinds;
    const int want_regions = kinds >> CTR_REGION & 1, want_logs = kinds >> CTR_LOG & 1,
              want_blocks = kinds >> CTR_BLOCK & 1, want_begins = kinds >> CTR_TASK_BEGIN & 1,
              want_ends = kinds >> CTR_TASK_END & 1;
#define TICKS_TO_NS(dt) /* ticks_to_ns() */                                                \
    (ns_ticks ? (dt) : (dt) * ns_int + (uint64_t)(((unsigned __int128)(dt) * ns_frac) >> 64))
#define TICKS_TO_REL_NS(ticks) /* ticks_to_rel_ns() */                                    \
    (plain ? (ticks) + shift : ({                                                          \
        uint64_t abs_ = base + TICKS_TO_NS((ticks) - tsc_base);                            \
        abs_ > start ? abs_ - start : 0;                                                   \
    }))
#define TASK_OF(local) ((local) > inherited ? task_hi | (local) : task_of(r, t->proc, (local)))
/* The event's fields are all read and fit: it is taken, at ts. */
#define TAKE(ts)                                                                           \
    uint64_t ts;                                                                           \
    do {                                                                                   \
        p = q;                                                                             \
        ticks += delta;                                                                    \
        ts = TICKS_TO_REL_NS(ticks);                                                       \
        proc_last = ts > proc_last ? ts : proc_last;                                       \
        decoded++;                                                                         \
    } while (0)
/* Not made: counted, its time kept (from: its begin_ns or ts_ns, as
 * ctr__keep_skim_times() keeps them). */
#define SKIM(from, ts)                                                                     \
    do {                                                                                   \
        skimmed++;                                                                         \
        skimmed_ns = (ts) > skimmed_ns ? (ts) : skimmed_ns;                                \
        if (keep)                                                                          \
            skimmed_from = (from) < skimmed_from ? (from) : skimmed_from;                  \
    } while (0)
    for (;;) {
        ctr_event *out = r->out, *const out_end = r->out_end;
        ctr_span *span = r->spans, *const span_end = r->spans_end;
        uint64_t ticks = t->last_ticks, serial = t->region_serial;
        uint64_t proc_last = pr->last_ns;
        uint32_t depth = t->depth;
        ropen *const stack = t->stack;
        const rstring *const strings = t->strings;
        const uint32_t nstrings = t->nstrings, cap = t->cap;
        const event_who who = who_of(r, t); /* the tid as it is now: a THREAD_BEGIN sets it */
        const uint8_t *const p0 = p;
        uint64_t decoded = 0, skimmed = 0, skimmed_ns = 0, skimmed_from = UINT64_MAX;
        /* A foreign end due: each region begun may be ended by it. */
        if (t->foreign_ends_due)
            goto slow;
        while (p < e && (spans ? span < span_end : out < out_end)) {
            uint64_t delta, a, b;
            const uint8_t *q = p + 1;
            const uint8_t code = *p;
            if (code == CT_EV_REGION_BEGIN) {
                int roomy = e - p >= FAST_SLACK;
                if (!rd_fast(&q, e, roomy, &delta) || !rd_fast(&q, e, roomy, &a) ||
                    !rd_fast(&q, e, roomy, &b) || depth >= cap || b >= nstrings ||
                    !strings[b].bytes || a >= id_limit)
                    break;
                TAKE(ts);
                ropen *o = &stack[depth++];
                uint64_t task = TASK_OF(a);
                *o = (ropen){.serial = ++serial,
                             .parent_serial = region_parent_in(stack, depth - 1, task),
                             .task = task,
                             .begin_ns = ts, .name = strings[b].bytes,
                             .name_len = strings[b].len};
            } else if (code == CT_EV_REGION_END) {
                int roomy = e - p >= FAST_SLACK;
                if (!rd_fast(&q, e, roomy, &delta) || !rd_fast(&q, e, roomy, &a) || depth == 0 ||
                    stack[depth - 1].serial + a != serial || stack[depth - 1].deadline)
                    break; /* (one with a deadline: the general path counts it ended) */
                TAKE(ts);
                const ropen *o = &stack[--depth];
                if (spans) /* as emit_region() */
                    *span++ = span_of(o, ts, 0);
                else if (want_regions)
                    make_region(out++, o, who, t->serial, ts, 0);
                else
                    SKIM(o->begin_ns, ts);
                remember_ended(t, o);
            } else if (code == CT_EV_LOG) {
                uint64_t len, flags;
                const uint8_t *text;
                if (!rd(&q, e, &delta) || !rd(&q, e, &a) || !rd(&q, e, &b) ||
                    !rd_str(&q, e, &text, &len) || !rd(&q, e, &flags) || a >= id_limit ||
                    b >= nstrings || !strings[b].bytes)
                    break;
                TAKE(ts);
                if (want_logs) {
                    ctr_event *ev = start_event(out++, CTR_LOG, who, t->serial, ts);
                    ev->task = TASK_OF(a);
                    ev->name = strings[b].bytes;
                    ev->name_len = strings[b].len;
                    ev->message = (const char *)text;
                    ev->message_len = len;
                    ev->flags = flags & CT_LOG_TRUNCATED ? CTR_F_TRUNCATED : 0;
                } else {
                    SKIM(ts, ts);
                }
            } else if (code == CT_EV_BLOCK || code == CT_EV_WAIT) {
                uint64_t how, wait, object, stack_id = 0, ago = 0;
                if (!rd(&q, e, &delta) || !rd(&q, e, &a) || !rd(&q, e, &how) ||
                    !rd(&q, e, &wait) || !rd(&q, e, &object) ||
                    (code == CT_EV_WAIT && (!rd(&q, e, &stack_id) || !rd(&q, e, &ago))) ||
                    a >= id_limit)
                    break;
                TAKE(ts);
                /* The wait ended `ago` ticks before (WAIT) and lasted `wait`. */
                uint64_t ago_ns = TICKS_TO_NS(ago);
                uint64_t end = ago_ns < ts ? ts - ago_ns : 0;
                if (want_blocks) {
                    uint64_t wait_ns = TICKS_TO_NS(wait);
                    ctr_event *ev = start_event(out++, CTR_BLOCK, who, t->serial, end);
                    ev->begin_ns = wait_ns < end ? end - wait_ns : 0;
                    ev->task = TASK_OF(a);
                    ev->block_kind = (ctr_block_kind)(how <= 255 ? how : 0);
                    ev->object = object;
                    if (code == CT_EV_WAIT)
                        ev->stack = ctr__stack_of(t, stack_id, &ev->stack_len);
                } else {
                    uint64_t wait_ns = keep ? TICKS_TO_NS(wait) : 0;
                    SKIM(wait_ns < end ? end - wait_ns : 0, end);
                }
            } else if (code == CT_EV_TASK_BEGIN) {
                uint64_t parent, kind;
                rtask *k;
                if (!rd(&q, e, &delta) || !rd(&q, e, &a) || !rd(&q, e, &parent) ||
                    !rd(&q, e, &b) || !rd(&q, e, &kind) || a >= id_limit ||
                    parent >= id_limit || b >= nstrings || !strings[b].bytes)
                    break;
                uint64_t id = TASK_OF(a);
                if (!id || r->norphan_ends || ctr__task_slot(r, id, 0) ||
                    !(k = ctr__task_insert(r, id)))
                    break; /* begun twice, no memory, or an end read before: the general path */
                TAKE(ts);
                ctr__task_begun(r, t, k, id, parent, &strings[b], kind, ts);
                if (want_begins) {
                    ctr_event *ev = start_event(out++, CTR_TASK_BEGIN, who, t->serial, ts);
                    ev->task = id;
                    ev->parent = TASK_OF(parent);
                    ev->task_kind = k->kind;
                    ev->name = strings[b].bytes;
                    ev->name_len = strings[b].len;
                } else {
                    SKIM(ts, ts);
                }
            } else if (code == CT_EV_TASK_END) {
                rtask *k;
                /* A test's or fixture's end closes what is left in it. */
                if (!rd(&q, e, &delta) || !rd(&q, e, &a) || a >= id_limit ||
                    !(k = ctr__task_slot(r, TASK_OF(a), 0)) || k->kind != CTR_TASK_USER)
                    break;
                TAKE(ts);
                uint32_t flags = task_end_flags(r, k, 0);
                if (want_ends)
                    make_task_end(out++, k, who, t->serial, ts, flags);
                else {
                    uint64_t at = ts < k->begin_ns ? k->begin_ns : ts; /* make_task_end() */
                    SKIM(at, at);
                }
                ctr__task_forget(r, k);
            } else {
                break;
            }
        }
        if (p != p0) { /* what ticks_to_rel_ns() and emit_slot() would have left */
            t->last_ticks = ticks;
            t->region_serial = serial;
            t->depth = depth;
            t->last_ts = TICKS_TO_REL_NS(ticks);
            pr->last_ns = proc_last;
            r->out = out;
            r->spans = span;
            r->wire_events += decoded;
            r->events += skimmed;
            r->last_ns = skimmed_ns > r->last_ns ? skimmed_ns : r->last_ns;
            if (keep && skimmed)
                skim_times_of(r, t, who.tid, skimmed_from, skimmed_ns);
        }
        if (p >= e || (spans ? span >= span_end : out >= out_end))
            break;
    slow:
        r->ev_pos = p;
        if (ctr__decode_event(r) != 0)
            return -1;
        p = r->ev_pos;
        if (p >= e || !out_room(r))
            break;
    }
#undef SKIM
#undef TAKE
#undef TASK_OF
#undef TICKS_TO_REL_NS
#undef TICKS_TO_NS
    r->ev_pos = p < e ? p : NULL;
    return r->ev_pos != NULL;
}

int ctr__batch_step(ctr_reader *r)
{
    if (r->spans)
        return r->skim_times ? batch_step(r, 1, 1) : batch_step(r, 1, 0);
    return r->skim_times ? batch_step(r, 0, 1) : batch_step(r, 0, 0);
}
