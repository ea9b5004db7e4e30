/*
 * reader_pairing.c - what the reader makes of begins and ends: regions
 * paired LIFO per thread, the output queue, warnings for misuse, and closing
 * what a test's end, a thread's end or a process's death left open.
 */
#include "analysis/reader_internal.h"
#include "format/duration.h"

#include <signal.h> /* sigabbrev_np */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memmove */

/* ---- output ------------------------------------------------------------------ */

/* A slot at the end of the pending ring, grown as needed. */
ctr_event *ctr__emit_queued(ctr_reader *r, char *owned)
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

void ctr__skipped_owns(ctr_reader *r, char *owned)
{
    free(r->skipped_owned);
    r->skipped_owned = owned;
}

ctr_event *ctr__warn(ctr_reader *r, uint64_t ts, const rthread *t, const char *fmt, ...)
{
    static ctr_event sink; /* out of memory: the warning is dropped */
    char *text = malloc(512);
    if (!text)
        return &sink;
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
    return ev;
}

/* ---- names in messages -------------------------------------------------------- */

const char *ctr__quote(char *buf, size_t cap, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (cap < 8)
        return "\"\"";
    buf[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i == MESSAGE_NAME || n + 8 > cap) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            buf[n++] = '\\';
            buf[n++] = 'x';
            buf[n++] = hex[c >> 4];
            buf[n++] = hex[c & 15];
        } else {
            buf[n++] = (char)c; /* UTF-8 passes; the views check it */
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

#define QUOTE_CAP (4 * MESSAGE_NAME + 8)

/* ---- regions ----------------------------------------------------------------- */

#define DEADLINE_WHY "the end of its test"
#define THREAD_END_WHY "the end of its thread"

/* Region o of t gets a deadline: its test or its thread ended at end_ns
 * while some thread that may end it had not been read that far. `flags`:
 * DEADLINE_*. */
static void defer(ctr_reader *r, rthread *t, ropen *o, uint64_t end_ns, unsigned flags)
{
    o->deadline = end_ns;
    o->deadline_flags = (uint16_t)flags;
    if (t->deferred++ == 0 || end_ns < t->deadline_min)
        t->deadline_min = end_ns;
    r->procs[t->proc].deferred++;
    r->procs[t->proc].lagger = 0;
}

/* Region o of t, which had a deadline, is closed or ended. */
static void undefer(ctr_reader *r, rthread *t)
{
    t->deferred--;
    r->procs[t->proc].deferred--;
}

/* Close region o, never ended, at end_ns (or its deadline). Its end may be
 * among lost events (`lost`: its process lost some, and nothing tells
 * more), or after a flight recorder's window ended: then it is marked so,
 * with no warning, for it is no misuse. */
static void close_one(ctr_reader *r, rthread *t, const ropen *o, uint64_t end_ns, const char *why,
                      int lost)
{
    char q[QUOTE_CAP];
    int cut = !o->deadline && r->procs[t->proc].window_end;
    if (o->deadline) { /* its test's (or its thread's) end came first */
        end_ns = o->deadline;
        why = o->deadline_flags & DEADLINE_THREAD_END ? THREAD_END_WHY : DEADLINE_WHY;
        undefer(r, t);
    }
    lost |= o->maybe_lost != 0;
    emit_region(r, t, o, end_ns < o->begin_ns ? o->begin_ns : end_ns,
                CTR_F_UNENDED | (cut ? CTR_F_CUT : lost ? CTR_F_LOST : 0));
    if (!lost && !cut)
        ctr__warn(r, end_ns, t, "region %s begun at %.3f ms on thread %d was never ended; closed "
                  "at %s", ctr__quote(q, sizeof q, o->name, o->name_len),
                  (double)o->begin_ns / 1e6, t->tid, why);
}

/* Whether what process p left open that began at begin_ns may have ended
 * in events it lost: losses no thread could tell (known at its end), or a
 * loss told after begin_ns (a LOST comes once its thread has room again, so
 * a loss told before it began ended before it began). */
static int loss_may_cover(const rproc *p, uint64_t begin_ns)
{
    return p->untold || (p->lost_any && p->last_lost_ns >= begin_ns);
}

/* Did process proc lose events, or were some cut (a flight recorder's
 * window), as far as the reader knows? Then an end may have no begin. */
static int proc_lost(const ctr_reader *r, uint32_t proc)
{
    return r->procs[proc].lost_any || r->procs[proc].cut_any;
}

void ctr__close_regions(ctr_reader *r, rthread *t, uint64_t end_ns, const char *why)
{
    const rproc *p = &r->procs[t->proc];
    for (uint32_t i = 0; i < t->depth; i++)
        close_one(r, t, &t->stack[i], end_ns, why, loss_may_cover(p, t->stack[i].begin_ns));
    t->depth = 0;
}

/* Regions (lo, hi] of t began in lost events. */
static void add_lost_range(rthread *t, uint64_t lo, uint64_t hi)
{
    if (t->nlost_ranges == LOST_RANGES) { /* the oldest two as one: more kept quiet, never less */
        t->lost_ranges[1].lo = t->lost_ranges[0].lo;
        memmove(t->lost_ranges, t->lost_ranges + 1, (LOST_RANGES - 1) * sizeof t->lost_ranges[0]);
        t->nlost_ranges--;
    }
    t->lost_ranges[t->nlost_ranges].lo = lo;
    t->lost_ranges[t->nlost_ranges].hi = hi;
    t->nlost_ranges++;
}

static int begun_in_lost_events(const rthread *t, uint64_t serial)
{
    for (uint32_t i = 0; i < t->nlost_ranges; i++)
        if (serial > t->lost_ranges[i].lo && serial <= t->lost_ranges[i].hi)
            return 1;
    return 0;
}

void ctr__thread_missing(ctr_reader *r, rthread *t, uint64_t count, uint64_t rserial,
                         uint64_t ts, int cut)
{
    /* Ends of the regions open now may be among lost events. Not among cut
     * ones: the window kept their begins because they were open after it. */
    for (uint32_t i = 0; i < t->depth && !cut; i++)
        t->stack[i].maybe_lost = 1;
    /* Regions begun in them have the serials after the last one read, up
     * to rserial. */
    if (rserial > t->region_serial)
        add_lost_range(t, t->region_serial, rserial);
    t->region_serial = rserial;
    rproc *p = &r->procs[t->proc];
    *(cut ? &p->cut : &p->lost) += count;
    *(cut ? &p->cut_any : &p->lost_any) = 1;
    uint64_t *latest = cut ? &p->last_cut_ns : &p->last_lost_ns;
    if (ts > *latest)
        *latest = ts;
}

void ctr__expire_regions(ctr_reader *r, rthread *t, uint64_t now)
{
    uint32_t keep = 0;
    uint64_t next = UINT64_MAX;
    for (uint32_t i = 0; i < t->depth; i++) {
        ropen *o = &t->stack[i];
        if (o->deadline && o->deadline <= now) {
            close_one(r, t, o, now, NULL, 0); /* the why of its deadline */
            continue;
        }
        if (o->deadline && o->deadline < next)
            next = o->deadline;
        t->stack[keep++] = *o;
    }
    t->depth = keep;
    t->deadline_min = next;
}

/* Whether `task` is test or fixture `root`, or a task begun in it. */
static int task_in(ctr_reader *r, uint64_t task, uint64_t root)
{
    if (task == root)
        return 1;
    const rtask *k = task ? ctr__task_slot(r, task, 0) : NULL;
    return k && k->root == root;
}

/* Whether every thread of `proc` but `ender` was read up to ts. */
static int all_read_to(const ctr_reader *r, uint32_t proc, const rthread *ender, uint64_t ts)
{
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        const rthread *t = &r->threads[i];
        if (t->used && t->proc == proc && t != ender && t->last_ts < ts)
            return 0;
    }
    return 1;
}

/* Close the regions of every thread of `proc` in test or fixture `root`,
 * which ended at end_ns on thread `ender` (NULL: its process ended).
 * Threads are drained in no particular order, and any thread may end a
 * region (ct_region_end on another thread): while one was not read up to
 * end_ns yet, it may still end them, so they get a deadline instead. */
static void close_regions_of_test(ctr_reader *r, uint32_t proc, uint64_t root, uint64_t end_ns,
                                  const char *why, const rthread *ender)
{
    int lagging = -1; /* not known yet */
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        rthread *t = &r->threads[i];
        if (!t->used || t->proc != proc || !t->depth)
            continue;
        uint32_t keep = 0;
        for (uint32_t j = 0; j < t->depth; j++) {
            ropen *o = &t->stack[j];
            if (!task_in(r, o->task, root)) {
                t->stack[keep++] = *o;
                continue;
            }
            if (lagging < 0)
                lagging = ender && !all_read_to(r, proc, ender, end_ns);
            if (!lagging || (!o->deadline && t->deferred >= MAX_DEFERRED)) {
                close_one(r, t, o, end_ns, why, 0);
                continue;
            }
            if (!o->deadline)
                defer(r, t, o, end_ns,
                      t != ender && t->last_ts < end_ns ? DEADLINE_OWNER_LAGGED : 0);
            t->stack[keep++] = *o;
        }
        t->depth = keep;
    }
}

void ctr__thread_end_regions(ctr_reader *r, rthread *t, uint64_t ts)
{
    if (all_read_to(r, t->proc, t, ts)) {
        ctr__close_regions(r, t, ts, THREAD_END_WHY);
        return;
    }
    uint32_t keep = 0;
    for (uint32_t i = 0; i < t->depth; i++) {
        ropen *o = &t->stack[i];
        if (!o->deadline && t->deferred >= MAX_DEFERRED) {
            close_one(r, t, o, ts, THREAD_END_WHY,
                      loss_may_cover(&r->procs[t->proc], o->begin_ns));
            continue;
        }
        if (!o->deadline)
            defer(r, t, o, ts, DEADLINE_THREAD_END);
        t->stack[keep++] = *o;
    }
    t->depth = keep;
}

void ctr__settle_deferred(ctr_reader *r, const rthread *read)
{
    uint32_t proc = read->proc;
    rproc *p = &r->procs[proc];
    /* A pass over the threads only once the one that held it back moved:
     * a thread idle for long costs no pass at each batch. */
    if (!p->deferred || (p->lagger && p->lagger != read->serial))
        return;
    uint64_t safe = UINT64_MAX; /* every thread of proc was read up to it */
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        const rthread *t = &r->threads[i];
        if (t->used && t->proc == proc && t->last_ts < safe) {
            safe = t->last_ts;
            p->lagger = t->serial;
        }
    }
    for (uint32_t i = 0; i < r->threads_cap && r->procs[proc].deferred; i++) {
        rthread *t = &r->threads[i];
        if (t->used && t->proc == proc && t->deferred && t->deadline_min <= safe)
            ctr__expire_regions(r, t, safe);
    }
}

ropen *ctr__stack_push(rthread *t)
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

void ctr__end_region(ctr_reader *r, rthread *t, uint64_t serial, uint64_t end_ns,
                     uint32_t flags, const rthread *ender)
{
    char q[QUOTE_CAP];
    for (uint32_t i = t->depth; i-- > 0;) {
        ropen *o = &t->stack[i];
        if (o->serial != serial)
            continue;
        if (o->deadline && end_ns > o->deadline && !(o->deadline_flags & DEADLINE_OWNER_LAGGED)) {
            /* Ended after the test (or thread) that closes it, which was
             * read when its own thread was: it reads as if nothing lagged,
             * closed then and ended twice, whichever thread happened to
             * lag (only the waits for ends before the deadline are new). */
            ropen closed = *o;
            memmove(o, o + 1, (t->depth - i - 1) * sizeof *o);
            t->depth--;
            close_one(r, t, &closed, closed.deadline, NULL, 0); /* remembered as ended */
            break; /* this end is its second, told below */
        }
        /* Out of order: a region begun later is still open. From another
         * thread, only one begun before this end counts: the begin thread's
         * later events may have been read before this end. */
        for (uint32_t j = i + 1; j < t->depth; j++)
            if (!(flags & CTR_F_OTHER_THREAD) || t->stack[j].begin_ns <= end_ns)
                flags |= CTR_F_OUT_OF_ORDER;
        ropen ended = *o;
        if (ended.deadline)
            undefer(r, t); /* ended after all: the thread that ended it was drained late */
        memmove(o, o + 1, (t->depth - i - 1) * sizeof *o);
        t->depth--;
        emit_region(r, t, &ended, end_ns, flags);
        if (flags & (CTR_F_OUT_OF_ORDER | CTR_F_OTHER_THREAD)) /* only a warning needs it */
            ctr__quote(q, sizeof q, ended.name, ended.name_len);
        if (flags & CTR_F_OUT_OF_ORDER)
            ctr__warn(r, end_ns, ender, "region %s begun at %.3f ms on thread %d ended out of "
                      "order (regions nest LIFO)", q, (double)ended.begin_ns / 1e6, t->tid);
        if (flags & CTR_F_OTHER_THREAD)
            ctr__warn(r, end_ns, ender, "region %s begun at %.3f ms on thread %d was ended on "
                      "thread %d", q, (double)ended.begin_ns / 1e6, t->tid, ender->tid);
        return;
    }
    const rended_region *was = &t->ended[serial & (RECENT_REGIONS - 1)];
    if (serial != 0 && was->serial != serial && begun_in_lost_events(t, serial))
        return; /* begun in events the thread lost: no misuse */
    if (serial != 0 && was->serial == serial)
        ctr__warn(r, end_ns, ender, "region %s begun at %.3f ms on thread %d was ended twice",
                  ctr__quote(q, sizeof q, was->name, was->name_len),
                  (double)was->begin_ns / 1e6, t->tid);
    else
        ctr__warn(r, end_ns, ender, "a region of thread %d was ended but is not open (ended "
                  "twice, or begun before the trace)", t->tid);
}

/* ---- regions ended on another thread ------------------------------------------- */

void ctr__foreign_end(ctr_reader *r, rthread *ender, uint32_t thread, uint64_t serial,
                      uint64_t ts)
{
    rthread *origin = ctr__thread_find(r, ender->proc, thread);
    if (origin && serial <= origin->region_serial) {
        ctr__end_region(r, origin, serial, ts, CTR_F_OTHER_THREAD, ender);
        return;
    }
    if (r->nforeign_ends == r->foreign_ends_cap) {
        uint32_t cap = r->foreign_ends_cap ? r->foreign_ends_cap * 2 : 16;
        rforeign_end *q = cap <= MAX_FOREIGN_ENDS
                              ? realloc(r->foreign_ends, cap * sizeof *q) : NULL;
        if (!q) {
            ctr__warn(r, ts, ender, "thread %d ended a region the trace has not begun (too many "
                      "such ends pending to keep this one)", ender->tid);
            return;
        }
        r->foreign_ends = q;
        r->foreign_ends_cap = cap;
    }
    r->foreign_ends[r->nforeign_ends++] =
        (rforeign_end){ender->proc, thread, serial, ts, ender->serial};
    if (origin)
        origin->foreign_ends_due++;
}

void ctr__foreign_ends_count(ctr_reader *r, rthread *t)
{
    for (uint32_t i = 0; i < r->nforeign_ends; i++)
        t->foreign_ends_due += r->foreign_ends[i].proc == t->proc &&
                               r->foreign_ends[i].thread == t->serial;
}

void ctr__foreign_end_due(ctr_reader *r, rthread *t, const ropen *o)
{
    uint64_t serial = o->serial, begin_ns = o->begin_ns;
    /* Every end read for this region: the second and later say "ended twice". */
    for (uint32_t i = 0; i < r->nforeign_ends;) {
        rforeign_end f = r->foreign_ends[i];
        if (f.proc != t->proc || f.thread != t->serial || f.serial != serial) {
            i++;
            continue;
        }
        r->foreign_ends[i] = r->foreign_ends[--r->nforeign_ends];
        t->foreign_ends_due--;
        rthread *ender = ctr__thread_find(r, f.proc, f.ender);
        ctr__end_region(r, t, f.serial, f.ts < begin_ns ? begin_ns : f.ts, CTR_F_OTHER_THREAD,
                        ender ? ender : t);
    }
}

/* Ends whose region never began by the end of its process. */
static void drop_foreign_ends(ctr_reader *r, uint32_t proc)
{
    for (uint32_t i = 0; i < r->nforeign_ends;) {
        rforeign_end f = r->foreign_ends[i];
        if (f.proc != proc) {
            i++;
            continue;
        }
        r->foreign_ends[i] = r->foreign_ends[--r->nforeign_ends];
        rthread *ender = ctr__thread_find(r, f.proc, f.ender);
        rthread *origin = ctr__thread_find(r, f.proc, f.thread);
        if (origin) {
            origin->foreign_ends_due--;
            ctr__warn(r, f.ts, ender, "a region of thread %d was ended on thread %d but never "
                      "began in the trace", origin->tid, ender ? ender->tid : 0);
        } else {
            ctr__warn(r, f.ts, ender, "thread %d ended a region of a thread not in the trace",
                      ender ? ender->tid : 0);
        }
    }
}

/* ---- tasks ------------------------------------------------------------------- */

void ctr__task_forget(ctr_reader *r, rtask *k)
{
    rended_task *was = &r->ended_tasks[r->ended_tasks_next++ % RECENT_TASKS];
    was->id = k->id;
    was->root = k->root;
    was->name_len = k->name_len < sizeof was->name ? k->name_len : sizeof was->name;
    if (was->name_len)
        memcpy(was->name, k->name, was->name_len);
    ctr__task_remove(r, k);
}

static void emit_task_end(ctr_reader *r, rtask *k, uint64_t ts, const rthread *t, uint32_t flags)
{
    event_who who = t ? who_of(r, t) : (event_who){k->proc, r->procs[k->proc].pid, 0, 0};
    make_task_end(emit_slot(r, CTR_TASK_END, NULL), k, who, t ? t->serial : 0, ts,
                  task_end_flags(r, k, flags));
    ctr__task_forget(r, k);
}

/* Close task k, begun in a test or fixture that ended at ts and never
 * ended itself. */
static int make_end_held_for(ctr_reader *r, const rtask *k);

static void close_member(ctr_reader *r, rtask *k, uint64_t ts, const char *why)
{
    if (make_end_held_for(r, k)) /* it ended, on another thread */
        return;
    if (r->procs[k->proc].window_end) { /* it went on past the window */
        emit_task_end(r, k, ts, NULL, CTR_F_UNENDED | CTR_F_CUT);
        return;
    }
    if (loss_may_cover(&r->procs[k->proc], k->begin_ns)) { /* its end may be among them */
        emit_task_end(r, k, ts, NULL, CTR_F_UNENDED | CTR_F_LOST);
        return;
    }
    char q[QUOTE_CAP];
    ctr_event *w = ctr__warn(r, ts, NULL, "task %s begun at %.3f ms was never ended; closed "
                             "at %s", ctr__quote(q, sizeof q, k->name ? k->name : "",
                                                 k->name_len),
                             (double)k->begin_ns / 1e6, why);
    w->process = k->proc;
    w->pid = r->procs[k->proc].pid;
    emit_task_end(r, k, ts, NULL, CTR_F_UNENDED);
}

/* Close the user tasks begun in test or fixture `root` that never ended,
 * at ts on `ender` (as close_regions_of_test(): while some thread lags, any
 * of them may still end the tasks, which get a deadline instead). */
static void close_tasks_of(ctr_reader *r, uint32_t proc, uint64_t root, uint64_t ts,
                           const char *why, const rthread *ender)
{
    int lagging = -1; /* not known yet */
    for (uint32_t i = 0; i < r->tasks_cap; i++) {
        rtask *k = &r->tasks[i];
        /* A process the test started ends its own tasks, or its end does. */
        if (!k->id || k->id == TASK_TOMB || k->root != root || k->id == root || k->proc != proc)
            continue;
        if (lagging < 0)
            lagging = ender && !all_read_to(r, k->proc, ender, ts);
        if (lagging) {
            if (!k->deadline)
                k->deadline = ts;
            continue;
        }
        close_member(r, k, ts, why);
    }
}

/* The open tasks of a process that were begun in a test or fixture, by
 * their root (then by slot: the order of a pass over the table). At the
 * end of a process with many open tests, one pass over the table makes
 * these, instead of one pass for each test (quadratic). Slots stay put
 * while the process ends: tasks are only removed then, never inserted. */
typedef struct member {
    uint64_t root;
    uint32_t slot;
} member;

static int by_root(const void *a, const void *b)
{
    const member *x = a, *y = b;
    if (x->root != y->root)
        return x->root < y->root ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* @return the members of proc's tests (*n of them), or NULL: none, or out
 * of memory (then close_tasks_of() for each test). */
static member *members_of(const ctr_reader *r, uint32_t proc, size_t *n)
{
    *n = 0;
    for (uint32_t i = 0; i < r->tasks_cap; i++) {
        const rtask *k = &r->tasks[i];
        *n += k->id && k->id != TASK_TOMB && k->proc == proc && k->root && k->id != k->root;
    }
    member *m = *n ? malloc(*n * sizeof *m) : NULL;
    if (!m)
        return NULL;
    size_t at = 0;
    for (uint32_t i = 0; i < r->tasks_cap; i++) {
        const rtask *k = &r->tasks[i];
        if (k->id && k->id != TASK_TOMB && k->proc == proc && k->root && k->id != k->root)
            m[at++] = (member){k->root, i};
    }
    qsort(m, *n, sizeof *m, by_root);
    return m;
}

/* close_tasks_of() at a process's end (nothing lags), from its members. */
static void close_members(ctr_reader *r, const member *m, size_t n, uint64_t root, uint64_t ts,
                          const char *why)
{
    size_t lo = 0, hi = n; /* the first of root's */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m[mid].root < root)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < n && m[i].root == root; i++) {
        rtask *k = &r->tasks[m[i].slot];
        if (k->id && k->id != TASK_TOMB && k->root == root && k->id != root)
            close_member(r, k, ts, why);
    }
}

/* What a test or fixture ending takes with it: its regions, and those and
 * the tasks it began that are still open. */
static void end_of_test(ctr_reader *r, const rtask *k, uint64_t ts, const char *why,
                        const rthread *ender)
{
    close_regions_of_test(r, k->proc, k->id, ts, why, ender);
    if (k->members) /* else no pass over every open task for none of them */
        close_tasks_of(r, k->proc, k->id, ts, why, ender);
}

void ctr__task_end(ctr_reader *r, rtask *k, uint64_t ts, const rthread *t)
{
    if (k->kind != CTR_TASK_USER) {
        /* A test that failed through longjmp left things open: they end
         * with it. */
        char why[QUOTE_CAP + 16], q[QUOTE_CAP];
        snprintf(why, sizeof why, "the end of %s %s",
                 k->kind == CTR_TASK_TEST ? "test" : "fixture",
                 ctr__quote(q, sizeof q, k->name ? k->name : "", k->name_len));
        end_of_test(r, k, ts, why, t);
    }
    emit_task_end(r, k, ts, t, 0);
}

void ctr__task_end_unknown(ctr_reader *r, uint64_t id, uint64_t local_id, uint64_t ts,
                           const rthread *t)
{
    char q[QUOTE_CAP];
    for (uint32_t i = 0; i < RECENT_TASKS; i++) {
        const rended_task *was = &r->ended_tasks[i];
        if (id && was->id == id) {
            ctr__warn(r, ts, t, "task %s was ended twice",
                      ctr__quote(q, sizeof q, was->name, was->name_len));
            return;
        }
    }
    if (t && r->norphan_ends < MAX_ORPHAN_ENDS) {
        /* Its begin may be among events its process lost, which the reader
         * may learn only later (another thread's LOST, the process's end). */
        if (r->norphan_ends == r->orphan_ends_cap) {
            uint32_t cap = r->orphan_ends_cap ? r->orphan_ends_cap * 2 : 16;
            rorphan_end *q = realloc(r->orphan_ends, cap * sizeof *q);
            if (q) {
                r->orphan_ends = q;
                r->orphan_ends_cap = cap;
            }
        }
        if (r->norphan_ends < r->orphan_ends_cap) {
            r->orphan_ends[r->norphan_ends++] =
                (rorphan_end){t->proc, t->tid, t->serial, 0, id, local_id, ts};
            return;
        }
    }
    ctr_event *w = ctr__warn(r, ts, t, "task %llu was ended but is not open (ended twice, or "
                             "begun before the trace)", (unsigned long long)local_id);
    if (t && proc_lost(r, t->proc))
        w->flags |= CTR_F_LOST;
}

void ctr__task_end_early(ctr_reader *r, rtask *k, const rthread *t)
{
    for (uint32_t i = 0; i < r->norphan_ends; i++) {
        rorphan_end *o = &r->orphan_ends[i];
        if (o->proc == t->proc && o->id == k->id && !o->begun_on) {
            o->begun_on = t->serial;
            k->end_held = 1;
            return;
        }
    }
}

/* Make held end i (its task begun): at its time, on the thread that ended it. */
static void make_held_end(ctr_reader *r, uint32_t i)
{
    rorphan_end o = r->orphan_ends[i];
    r->orphan_ends[i] = r->orphan_ends[--r->norphan_ends];
    const rthread *ender = ctr__thread_find(r, o.proc, o.thread);
    rtask *k = ctr__task_slot(r, o.id, 0);
    if (!k) { /* it ended on its own thread meanwhile: this end is its second */
        ctr__task_end_unknown(r, o.id, o.local_id, o.ts, ender);
        return;
    }
    k->end_held = 0;
    ctr__task_end(r, k, o.ts < k->begin_ns ? k->begin_ns : o.ts, ender);
}

void ctr__task_ends_due(ctr_reader *r, const rthread *read)
{
    for (uint32_t i = 0; i < r->norphan_ends;) {
        const rorphan_end *o = &r->orphan_ends[i];
        if (o->begun_on && o->proc == read->proc && o->begun_on == read->serial &&
            read->last_ts >= o->ts)
            make_held_end(r, i); /* the last entry moved to i: look at it next */
        else
            i++;
    }
}

/* Task k's held end, made now: its test or process ended first. @return 0
 * if it had none. */
static int make_end_held_for(ctr_reader *r, const rtask *k)
{
    if (!k->end_held)
        return 0;
    for (uint32_t i = 0; i < r->norphan_ends; i++) {
        if (r->orphan_ends[i].begun_on && r->orphan_ends[i].id == k->id) {
            make_held_end(r, i);
            return 1;
        }
    }
    return 0;
}

/* The ends of tasks not open, held for process proc: no misuse if it lost
 * events (counted as such), else a warning each. */
static void settle_orphan_ends(ctr_reader *r, uint32_t proc)
{
    int lost = proc_lost(r, proc);
    for (uint32_t i = 0; i < r->norphan_ends;) {
        rorphan_end o = r->orphan_ends[i];
        if (o.proc != proc) {
            i++;
            continue;
        }
        if (o.begun_on) { /* its task began: the end is made, not told */
            make_held_end(r, i);
            continue;
        }
        r->orphan_ends[i] = r->orphan_ends[--r->norphan_ends];
        if (lost)
            continue;
        ctr_event *w = ctr__warn(r, o.ts, NULL, "task %llu was ended but is not open (ended "
                                 "twice, or begun before the trace)",
                                 (unsigned long long)o.local_id);
        w->process = proc;
        w->pid = r->procs[proc].pid;
        w->tid = o.tid;
    }
}

/* ---- processes ---------------------------------------------------------------- */

static void crash_status(ctr_reader *r, const rtask *k, uint64_t ts, uint64_t how, uint64_t code)
{
    char *text = malloc(160);
    if (!text)
        return;
    int n;
    const char *abbrev = code < 256 ? sigabbrev_np((int)code) : NULL; /* "SEGV" */
    char limit[48];
    const char *what = k->kind == CTR_TASK_TEST ? "test" : "fixture";
    if (how == CT_EXIT_TIMEOUT) {
        ct_format_go_duration(limit, sizeof limit, code);
        n = snprintf(text, 160, "%s timed out after %s: killed by the runner", what, limit);
    } else if (how == CT_EXIT_SIGNAL)
        n = snprintf(text, 160, "the process was killed by signal %llu (SIG%s) during the %s",
                     (unsigned long long)code, abbrev ? abbrev : "?", what);
    else
        n = snprintf(text, 160, "the process exited with code %llu during the %s",
                     (unsigned long long)code, what);
    ctr_event *ev = emit(r, CTR_TASK_STATUS, text);
    ev->process = k->proc;
    ev->pid = r->procs[k->proc].pid;
    ev->ts_ns = ts;
    ev->task = k->id;
    ev->task_kind = k->kind;
    ev->status = how == CT_EXIT_TIMEOUT ? CTR_STATUS_TIMEOUT : CTR_STATUS_CRASH;
    ev->message = text;
    ev->message_len = n < 0 ? 0 : (size_t)(n < 160 ? n : 159);
}

void ctr__process_end(ctr_reader *r, uint32_t proc, uint64_t how, uint64_t code,
                      uint64_t dropped, uint64_t stalls, uint64_t stall_ns, uint64_t cut)
{
    rproc *p = &r->procs[proc];
    uint64_t end = p->last_ns;
    /* The writer counts every loss as it happens (since 1.4; before, those
     * of a signal handler went uncounted): what threads told is in it, and
     * what they could not tell (ending or dying while losing) too. */
    p->untold = dropped > p->lost;
    if (p->lost > dropped)
        dropped = p->lost;
    if (dropped)
        p->lost_any = 1;
    if (r->nforeign_ends)
        drop_foreign_ends(r, proc);
    if (r->norphan_ends)
        settle_orphan_ends(r, proc);
    /* A window that ends, or a process a test started that runs on after
     * the trace: what is open there was cut off, not left open. */
    p->window_end = how == CT_EXIT_WINDOW || how == CT_EXIT_RUNNING;
    /* A test still running when its process died crashed, unless the trace
     * merely stopped (ct_stop, a flight recorder's window) or was cut (how
     * unknown), or events lost may
     * hold its end (not for a timeout: the runner killed it in the test). */
    int died = how == CT_EXIT_SIGNAL || how == CT_EXIT_CODE || how == CT_EXIT_TIMEOUT;
    size_t nmembers;
    member *members = members_of(r, proc, &nmembers);
    for (uint32_t i = 0; i < r->tasks_cap; i++) {
        rtask *k = &r->tasks[i];
        if (!k->id || k->id == TASK_TOMB || k->proc != proc || k->kind == CTR_TASK_USER)
            continue;
        int lost = !p->window_end && loss_may_cover(p, k->begin_ns);
        if (died && (!lost || how == CT_EXIT_TIMEOUT)) { /* a test, a group fixture */
            crash_status(r, k, end, how, code);
        } else if (lost) {
            char q[QUOTE_CAP];
            ctr_event *w = ctr__warn(r, end, NULL, "%s %s never ended: its end may be among "
                                     "the %llu events lost", k->kind == CTR_TASK_TEST ? "test"
                                     : "fixture", ctr__quote(q, sizeof q, k->name ? k->name : "",
                                     k->name_len), (unsigned long long)dropped);
            w->process = proc;
            w->pid = p->pid;
            w->flags |= CTR_F_LOST;
        }
        close_regions_of_test(r, k->proc, k->id, end, "the end of its process", NULL);
        if (members)
            close_members(r, members, nmembers, k->id, end, "the end of its process");
        else if (nmembers) /* out of memory for them: a pass for each test */
            close_tasks_of(r, proc, k->id, end, "the end of its process", NULL);
        emit_task_end(r, k, end, NULL, CTR_F_UNENDED | (lost ? CTR_F_LOST : 0) |
                                           (p->window_end ? CTR_F_CUT : 0));
    }
    free(members);
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        rthread *t = &r->threads[i];
        if (t->used && t->proc == proc && t->depth)
            ctr__close_regions(r, t, end, "the end of its process");
    }
    char q[QUOTE_CAP];
    for (uint32_t i = 0; i < r->tasks_cap; i++) {
        rtask *k = &r->tasks[i];
        if (!k->id || k->id == TASK_TOMB || k->proc != proc)
            continue;
        uint64_t at = k->deadline ? k->deadline : end;
        int lost = loss_may_cover(p, k->begin_ns);
        int cut = !k->deadline && p->window_end;
        if (!lost && !cut) {
            ctr_event *w = ctr__warn(r, at, NULL, "task %s begun at %.3f ms was never ended; "
                                     "closed at %s",
                                     ctr__quote(q, sizeof q, k->name ? k->name : "", k->name_len),
                                     (double)k->begin_ns / 1e6,
                                     k->deadline ? DEADLINE_WHY : "the end of its process");
            w->process = proc;
            w->pid = p->pid;
        }
        emit_task_end(r, k, at, NULL, CTR_F_UNENDED | (cut ? CTR_F_CUT : lost ? CTR_F_LOST : 0));
    }
    if (r->skim_times) /* skimmed before its end */
        ctr__skim_keep(r);
    ctr_event *ev = emit(r, CTR_PROCESS_END, NULL);
    ev->process = proc;
    ev->pid = p->pid;
    ev->ts_ns = end;
    ev->count = dropped;
    ev->cut = cut > p->cut ? cut : p->cut; /* as losses: the larger holds all */
    ev->stalls = stalls;
    ev->stall_ns = stall_ns;
    if (how == CT_EXIT_SIGNAL) {
        ev->flags = CTR_F_SIGNALED;
        ev->exit_code = -(int64_t)code;
    } else if (how == CT_EXIT_TIMEOUT) {
        ev->flags = CTR_F_SIGNALED | CTR_F_TIMED_OUT;
        ev->exit_code = -9; /* SIGKILL */
    } else if (how == CT_EXIT_CODE) {
        ev->exit_code = (int64_t)code;
    } else if (how == CT_EXIT_WINDOW) {
        ev->flags = CTR_F_CUT;
    } else if (how == CT_EXIT_RUNNING) {
        ev->flags = CTR_F_RUNNING | CTR_F_UNKNOWN_EXIT;
    } else if (how != CT_EXIT_STOPPED) {
        ev->flags = CTR_F_UNKNOWN_EXIT;
    }
    p->ended = 1;
}

void ctr__close_everything(ctr_reader *r)
{
    for (uint32_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].used && !r->procs[i].ended)
            ctr__process_end(r, i, CT_EXIT_UNKNOWN, 0, 0, 0, 0, 0);
}
