/*
 * chunk.c - a thread moving between chunks of the pool: claiming one,
 * waiting for the collector when none is free, and, in drop mode, losing
 * events and saying exactly how many.
 *
 * Waiting (the default, CT_POOL_OVERFLOW_WAIT): the thread sleeps on the
 * pool's `freed` futex until the collector frees a chunk. It never waits on
 * anything else, so it is safe in a signal handler and with the program's
 * locks held: the collector (another process, or the drain thread of
 * ct_start, which takes no lock of the program and blocks every signal)
 * needs nothing from this thread to free a chunk. It gives up and stops
 * tracing the process when the collector process is gone; it drops (and
 * counts) rather than wait forever when chunks can no longer come back
 * because other threads hold them all.
 *
 * Dropping (CT_POOL_OVERFLOW_DROP, or after giving up): events go to a
 * private scratch buffer whose `end` is its start, so every event comes
 * back here and is counted as it is lost: in the pool's `dropped` (shared
 * with the collector, so exact even if the process is killed), in the
 * thread's count for its next LOST event, and in ct__lost_events for the
 * assertions' windows. Drop mode ends at the next enter() after a chunk was
 * freed, never in the middle of a call (its names may be pending).
 */
#include <errno.h>  /* errno, ESRCH */
#include <signal.h> /* kill */
#include <stdio.h>  /* snprintf */
#include <unistd.h> /* getpid, write */

#include <ctrace.h> /* ct__active */

#include "plugin/clock.h"
#include "plugin/sched.h"
#include "plugin/thread.h"

#define WAIT_SLICE_NS 10000000u /* 10 ms: then look whether the collector is still there */

uint64_t ct__lost_events;

/* Claim a free chunk of the pool. @return 0, or -1 if none is free. */
static int claim_chunk(ct__thread *t)
{
    ct_pool_header *pool = t->pool;
    ct_chunk_desc *descs = ct_pool_descs(pool);
    for (uint32_t i = 0; i < pool->nchunks; i++) {
        uint32_t expect = CT_CHUNK_FREE;
        if (__atomic_load_n(&descs[i].state, __ATOMIC_RELAXED) != CT_CHUNK_FREE)
            continue;
        if (!__atomic_compare_exchange_n(&descs[i].state, &expect, CT_CHUNK_CLAIMED, 0,
                                         __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            continue;
        ct_chunk_desc *d = &descs[i];
        d->thread = t->serial;
        d->seq = t->chunk_seq++;
        ct__clock_pair(ct__clock_kind, &d->tsc_base, &d->ns_base);
        __atomic_store_n(&d->committed, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&d->state, CT_CHUNK_OWNED, __ATOMIC_RELEASE);
        t->chunk = i;
        t->base = t->pos = ct_pool_chunk(pool, i);
        t->end = t->base + pool->chunk_bytes;
        t->committed = &d->committed;
        t->last_ticks = d->tsc_base;
        return 0;
    }
    return -1;
}

void ct__thread_release_chunk(ct__thread *t)
{
    if (t->chunk == UINT32_MAX)
        return;
    ct_chunk_desc *d = &ct_pool_descs(t->pool)[t->chunk];
    __atomic_store_n(&d->state, CT_CHUNK_FULL, __ATOMIC_RELEASE);
    t->chunk = UINT32_MAX;
}

/* One event lost by the thread itself (not a nested signal handler). */
static void count_lost(ct__thread *t)
{
    t->dropped++;
    __atomic_add_fetch(&t->pool->dropped, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&ct__lost_events, 1, __ATOMIC_RELAXED);
}

/* Scratch with no room: the next write comes back to the refill. */
static void rewind_scratch(ct__thread *t)
{
    t->base = t->pos = t->end = t->scratch;
    t->committed = &t->scratch_committed;
}

static void start_dropping(ct__thread *t)
{
    t->dropping = 1;
    t->freed_seen = __atomic_load_n(&t->pool->freed, __ATOMIC_ACQUIRE);
    rewind_scratch(t);
}

/* Untraced: the tracer's own write to stderr. */
static void say(const char *text, size_t len)
{
    uint8_t was = ct__untraced_begin();
    ssize_t n;
    do
        n = write(STDERR_FILENO, text, len);
    while (n < 0 && errno == EINTR);
    ct__untraced_end(was);
}

/* The collector is gone: nothing will ever free a chunk. Stop tracing this
 * process, once, and say so. */
static void stop_tracing(ct_pool_header *h)
{
    uint32_t no = 0;
    if (__atomic_compare_exchange_n(&h->gone, &no, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        char text[200];
        int n = snprintf(text, sizeof text,
                         "ctest-trace: the trace collector (pid %u) is gone: tracing stopped in "
                         "process %d\n",
                         h->collector_pid, (int)getpid());
        if (n > 0)
            say(text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
    }
    __atomic_store_n(&ct__active, 0, __ATOMIC_RELEASE);
    ct_pool_futex_wake(&h->freed, 0x7fffffff); /* the other waiters of this process */
}

static int collector_gone(const ct_pool_header *h)
{
    pid_t pid = (pid_t)h->collector_pid;
    return pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH;
}

/* Nothing to wait for: the session is over, the collector drains no more,
 * or this process stopped tracing. */
static int wait_is_over(const ct__thread *t)
{
    const ct_pool_header *h = t->pool;
    return !__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) ||
           t->session != __atomic_load_n(&ct__session_id, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&h->closed, __ATOMIC_ACQUIRE) ||
           __atomic_load_n(&h->gone, __ATOMIC_ACQUIRE);
}

/* Say once that threads hold every chunk, so a thread had to drop. */
static void say_pool_held(const ct_pool_header *h)
{
    static int said; /* atomic */
    if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
        return;
    char text[240];
    int n = snprintf(text, sizeof text,
                     "ctest-trace: threads of process %d hold all %u chunks of the trace pool: "
                     "events are lost (counted in the trace) until one is handed back\n",
                     (int)getpid(), h->nchunks);
    if (n > 0)
        say(text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

/* Wait until a chunk is free and claim it. @return 0, or -1: give up (the
 * wait is over, or two drain passes freed nothing: other threads hold every
 * chunk and may never hand one back). errno is kept. */
static int wait_for_chunk(ct__thread *t)
{
    ct_pool_header *h = t->pool;
    int saved_errno = errno;
    uint64_t begin_ns = ct__mono_ns();
    __atomic_add_fetch(&h->waiters, 1, __ATOMIC_SEQ_CST);
    uint32_t freed0 = __atomic_load_n(&h->freed, __ATOMIC_SEQ_CST);
    uint32_t passes0 = __atomic_load_n(&h->passes, __ATOMIC_ACQUIRE);
    int rc = -1;
    for (unsigned slices = 0;; slices++) {
        uint32_t seen = __atomic_load_n(&h->freed, __ATOMIC_SEQ_CST);
        if (claim_chunk(t) == 0) {
            rc = 0;
            break;
        }
        if (wait_is_over(t))
            break;
        if (seen == freed0 && __atomic_load_n(&h->passes, __ATOMIC_ACQUIRE) - passes0 >= 2) {
            say_pool_held(h);
            break;
        }
        if (slices > 0 && collector_gone(h)) {
            stop_tracing(h);
            break;
        }
        /* Ring for a drainer that sleeps (ct_start's), then sleep until a
         * chunk is freed or a slice has passed. */
        __atomic_add_fetch(&h->doorbell, 1, __ATOMIC_RELEASE);
        ct_pool_futex_wake(&h->doorbell, 1);
        ct_pool_futex_wait(&h->freed, seen, WAIT_SLICE_NS);
    }
    __atomic_sub_fetch(&h->waiters, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&h->stalls, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->stall_ns, ct__mono_ns() - begin_ns, __ATOMIC_RELAXED);
    errno = saved_errno;
    return rc;
}

/* A chunk, or drop mode. */
static void take_chunk(ct__thread *t)
{
    if (claim_chunk(t) == 0)
        return;
    if (__atomic_load_n(&t->pool->overflow, __ATOMIC_RELAXED) == CT_POOL_OVERFLOW_WAIT &&
        !wait_is_over(t) && wait_for_chunk(t) == 0)
        return;
    start_dropping(t);
}

void ct__thread_first_chunk(ct__thread *t)
{
    t->dropping = 0;
    take_chunk(t);
}

void ct__thread_refill(ct__thread *t, size_t need, int event)
{
    if (!t->dropping) {
        ct__thread_release_chunk(t);
        take_chunk(t);
        if (!t->dropping) {
            /* A poll point: rare (every 32 KiB of events), so both sources.
             * Its waits go first and may take the room asked for: look
             * again. Every event fits in an empty chunk (CT_MAX_EVENT_BYTES). */
            ct__sched_read_all(t);
            if (!ct__has_room(t, need))
                ct__thread_refill(t, need, event);
            return;
        }
    }
    /* Dropping: this write goes to scratch, and is lost. */
    rewind_scratch(t);
    if (event)
        count_lost(t);
}

/* Back in a chunk (`after_drop`), or after a signal handler lost an event:
 * say what was lost. After a drop, start the tables over: definitions went
 * to scratch with the events, and names are defined anew when next used. A
 * handler's loss wrote nothing, and keeps them (a handler that would then
 * intern a name calls malloc). A drop that lost only definitions writes a
 * LOST of 0 events. */
static void write_lost(ct__thread *t, int after_drop)
{
    t->lost_pending = 0;
    uint64_t lost = t->dropped + __atomic_exchange_n(&t->nested_lost, 0, __ATOMIC_RELAXED);
    t->dropped = 0;
    if (lost == 0 && !after_drop)
        return;
    uint8_t *p = ct__event_begin(t, CT_EV_LOST, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, lost);
    p = ct_put_uvarint(p, t->region_serial);
    ct__commit(t, p);
    if (!after_drop)
        return;
    ct__intern_reset(t);
    if (t->begin_lost) {
        t->begin_lost = 0;
        ct__thread_emit_begin(t);
        ct__sched_emit_source(t);
    }
}

/* In drop mode: a chunk was freed since the drop began: try to end it. */
static void try_end_drop(ct__thread *t)
{
    uint32_t freed = __atomic_load_n(&t->pool->freed, __ATOMIC_ACQUIRE);
    if (freed == t->freed_seen || wait_is_over(t))
        return;
    t->freed_seen = freed;
    if (claim_chunk(t) != 0)
        return;
    t->dropping = 0;
    write_lost(t, 1);
}

ct__thread *ct__enter_detour(ct__thread *t)
{
    if (t == NULL)
        return NULL;
    if (t->busy) {
        /* A signal handler on a thread inside the tracer: its event would
         * land amid the one being written. Lost, and counted. */
        if (t->pool) {
            __atomic_add_fetch(&t->nested_lost, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&t->pool->dropped, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&ct__lost_events, 1, __ATOMIC_RELAXED);
            t->lost_pending = 1;
        }
        return NULL;
    }
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (t->dropping)
        try_end_drop(t);
    if (!t->dropping && t->lost_pending)
        write_lost(t, 0);
    return t;
}

void ct__thread_settle_losses(ct__thread *t)
{
    if (t->dropping)
        try_end_drop(t);
    if (!t->dropping && t->lost_pending)
        write_lost(t, 0);
}
