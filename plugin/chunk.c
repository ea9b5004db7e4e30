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
 * back here and is counted as it is lost: in the pool (the thread's loss
 * slot, or `dropped`: shared with the collector, so exact even if the
 * process is killed), where the assertions' windows read it too, and in
 * the thread's count for its next LOST event. Drop mode ends at the next
 * enter() after a chunk was freed, never in the middle of a call (its
 * names may be pending).
 */
#include <errno.h>  /* errno, EINTR */
#include <unistd.h> /* getpid, write */

#include <ctrace.h> /* ct__active */

#include "common/clock.h"
#include "common/decimal.h" /* ct_decimal */
#include "common/proc_gone.h"
#include "plugin/children.h"
#include "plugin/cpu_sample.h"
#include "plugin/sched.h"
#include "plugin/thread.h"

#define WAIT_SLICE_NS 10000000u /* 10 ms: then look whether the collector is still there */
#define HELD_NS 100000000u /* no chunk free for 100 ms and two passes: held for good */

/* Claim a free chunk of the pool. @return 0, or -1 if none is free. */
static int claim_chunk(ct__thread *t)
{
    ct_pool_header *pool = t->pool;
    ct_chunk_desc *descs = ct_pool_descs(pool);
    uint32_t n = pool->nchunks;
    /* From the pool's hint: past the chunk claimed last, or a lower one the
     * collector just freed (ct_pool_chunk_free()). A run then keeps to the
     * chunks in flight between drains, not the whole pool (a fault and a
     * page zeroed in each process for every page of a chunk never used),
     * and a claim looks at a descriptor or two, not at every chunk claimed
     * since the last drain (hundreds, for short threads made one after
     * another: a cache line each, which the collector writes too). */
    uint32_t hint = __atomic_load_n(&pool->free_hint, __ATOMIC_RELAXED);
    for (uint32_t k = 0, i = hint < n ? hint : 0; k < n; k++, i = i + 1 < n ? i + 1 : 0) {
        uint32_t expect = CT_CHUNK_FREE;
        if (__atomic_load_n(&descs[i].state, __ATOMIC_RELAXED) != CT_CHUNK_FREE)
            continue;
        if (!__atomic_compare_exchange_n(&descs[i].state, &expect, CT_CHUNK_CLAIMED, 0,
                                         __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            continue;
        /* Raised before the chunk is OWNED: a drain pass that sees it owned
         * looks this far. */
        uint32_t end = __atomic_load_n(&pool->claimed_end, __ATOMIC_RELAXED);
        while (end < i + 1 && !__atomic_compare_exchange_n(&pool->claimed_end, &end, i + 1, 1,
                                                           __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        /* The next claim looks past this one, unless a free or another
         * claim moved the hint meanwhile: theirs stands. */
        __atomic_compare_exchange_n(&pool->free_hint, &hint, i + 1 < n ? i + 1 : 0, 0,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
        ct_chunk_desc *d = &descs[i];
        d->thread = t->serial;
        d->proc = ct__proc_slot;
        d->seq = t->chunk_seq++;
        ct__clock_pair_quick(__atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED), &d->tsc_base,
                             &d->ns_base);
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

/* The thread's own loss slot in the pool, taken at its first loss; NULL
 * when all are taken (it counts in the pool's shared `dropped` then). */
static struct ct_loss_slot *loss_slot(ct__thread *t)
{
    if (t->loss_slot || t->no_loss_slot)
        return t->loss_slot;
    ct_pool_header *h = t->pool;
    for (uint32_t i = 0; i < CT_POOL_LOSS_SLOTS; i++) {
        uint32_t free_slot = 0;
        if (__atomic_compare_exchange_n(&h->loss_slots[i].thread, &free_slot, t->serial, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            __atomic_add_fetch(&h->loss_slots_used, 1, __ATOMIC_RELEASE);
            return t->loss_slot = &h->loss_slots[i];
        }
    }
    t->no_loss_slot = 1;
    return NULL;
}

/* One event lost by the thread itself (not a nested signal handler). */
static void count_lost(ct__thread *t)
{
    t->dropped++;
    ct_pool_proc *child = ct__children_self();
    if (child) { /* a process a test started counts apart from the owner */
        __atomic_add_fetch(&child->dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    struct ct_loss_slot *slot = loss_slot(t);
    if (slot) /* one writer: a plain add, stored whole for the collector */
        __atomic_store_n(&slot->lost, __atomic_load_n(&slot->lost, __ATOMIC_RELAXED) + 1,
                         __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(&t->pool->dropped, 1, __ATOMIC_RELAXED);
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

/* Text for a message, built without stdio: these run in signal handlers. */
typedef struct text {
    char bytes[256];
    size_t len;
} text;

static void put_str(text *m, const char *s)
{
    while (*s && m->len < sizeof m->bytes)
        m->bytes[m->len++] = *s++;
}

static void put_num(text *m, uint64_t v)
{
    char digits[CT_DECIMAL_MAX];
    size_t n = ct_decimal(digits, v);
    for (size_t i = 0; i < n && m->len < sizeof m->bytes; i++)
        m->bytes[m->len++] = digits[i];
}

/* Untraced: the tracer's own write to stderr. */
static void say(const text *m)
{
    uint8_t was = ct__untraced_begin();
    ssize_t n;
    do
        n = write(STDERR_FILENO, m->bytes, m->len);
    while (n < 0 && errno == EINTR);
    ct__untraced_end(was);
}

/* The collector is gone: nothing will ever free a chunk. Stop tracing this
 * process, once, and say so. */
static void stop_tracing(ct_pool_header *h)
{
    uint32_t no = 0;
    if (__atomic_compare_exchange_n(&h->gone, &no, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        text m = {.len = 0};
        put_str(&m, "ctest-trace: the trace collector (pid ");
        put_num(&m, h->collector_pid);
        put_str(&m, ") is gone: tracing stopped in process ");
        put_num(&m, (uint64_t)getpid());
        put_str(&m, "\n");
        say(&m);
    }
    __atomic_store_n(&ct__active, 0, __ATOMIC_RELEASE);
    ct_pool_note_freed(h); /* the other waiters of this process look again now */
}

/* Whether the process that drains the pool is gone (dead, or a zombie its
 * parent has not reaped). The drain thread of ct_start is this process. */
static int collector_gone(const ct_pool_header *h)
{
    pid_t pid = (pid_t)h->collector_pid;
    if (pid <= 0 || pid == getpid())
        return 0;
    uint8_t was = ct__untraced_begin(); /* its open and read are the tracer's */
    int gone = ct_proc_gone(pid);
    ct__untraced_end(was);
    return gone;
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

/* Say once a process that threads hold every chunk, so a thread had to drop. */
static void say_pool_held(const ct_pool_header *h)
{
    static int said; /* atomic */
    if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
        return;
    text m = {.len = 0};
    put_str(&m, "ctest-trace: threads of process ");
    put_num(&m, (uint64_t)getpid());
    put_str(&m, " hold all ");
    put_num(&m, h->nchunks);
    put_str(&m, " chunks of the trace pool: events are lost (counted in the trace) until one "
                "is handed back\n");
    say(&m);
}

/* Wait until a chunk is free and claim it. @return 0, or -1: give up (the
 * wait is over, or no chunk came free through two drain passes and
 * HELD_NS: the threads that hold them all may never hand one back). errno
 * is kept. */
static int wait_for_chunk(ct__thread *t)
{
    ct_pool_header *h = t->pool;
    int saved_errno = errno;
    uint64_t begin_ns = ct__mono_ns(), progress_ns = begin_ns;
    __atomic_add_fetch(&h->waiters, 1, __ATOMIC_SEQ_CST);
    uint32_t passes_then = __atomic_load_n(&h->passes, __ATOMIC_ACQUIRE);
    uint32_t freed_then = __atomic_load_n(&h->freed, __ATOMIC_SEQ_CST);
    int rc = -1;
    for (unsigned slices = 0;; slices++) {
        /* Passes before freed: a pass that frees bumps freed, then passes. */
        uint32_t passes = __atomic_load_n(&h->passes, __ATOMIC_ACQUIRE);
        uint32_t seen = __atomic_load_n(&h->freed, __ATOMIC_SEQ_CST);
        if (wait_is_over(t))
            break;
        if (claim_chunk(t) == 0) {
            rc = 0;
            break;
        }
        uint64_t now = ct__mono_ns();
        if (seen != freed_then) { /* chunks come free, if to others: keep waiting */
            freed_then = seen;
            passes_then = passes;
            progress_ns = now;
        } else if (passes - passes_then >= 2 && now - progress_ns >= HELD_NS) {
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
    ct_pool_proc *child = ct__children_self();
    __atomic_add_fetch(child ? &child->stalls : &h->stalls, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(child ? &child->stall_ns : &h->stall_ns, ct__mono_ns() - begin_ns,
                       __ATOMIC_RELAXED);
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
 * say what was lost. After a drop, what went to scratch with the events and
 * must be said again is: names defined in it (at their next use), the
 * thread's begin, and the loss of a test that ended in it. Nothing here
 * allocates or frees: a drop may end in a signal handler. */
static void write_lost(ct__thread *t, int after_drop)
{
    t->lost_pending = 0;
    uint64_t lost = t->dropped + __atomic_exchange_n(&t->nested_lost, 0, __ATOMIC_RELAXED);
    t->dropped = 0;
    if (lost) {
        uint8_t *p = ct__meta_begin(t, CT_EV_LOST, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, lost);
        p = ct_put_uvarint(p, t->region_serial);
        ct__commit(t, p);
        if (t->dropping) /* a new drop took it: said with the next one's */
            t->dropped += lost;
    }
    if (!after_drop)
        return;
    ct__intern_after_drop(t);
    int begin = t->begin_lost, source = begin || t->source_lost;
    t->begin_lost = t->source_lost = 0; /* set again if a new drop takes them */
    if (begin)
        ct__thread_emit_begin(t);
    if (source) {
        ct__sched_emit_source(t);
        ct__cpu_emit_source(t);
    }
    if (t->window_unsaid_task) {
        uint8_t *p = ct__meta_begin(t, CT_EV_WINDOW_LOST, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, t->window_unsaid_task);
        p = ct_put_uvarint(p, t->window_unsaid_lost);
        ct__commit(t, p);
        if (!t->dropping)
            t->window_unsaid_task = 0;
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
         * land amid the one being written. Lost, and counted; but not by
         * the child of a fork under way (children.h): its parent's counts
         * are not its own. */
        if (t->pool && !ct__children_unready()) {
            /* The shared count: the thread's slot may be mid-add below us. */
            __atomic_add_fetch(&t->nested_lost, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(ct__children_self() ? &ct__children_self()->dropped
                                                   : &t->pool->dropped,
                               1, __ATOMIC_RELAXED);
            t->lost_pending = 1;
        }
        return NULL;
    }
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ct__thread_settle_losses(t);
    if (t->cpu_parked && !t->dropping)
        ct__cpu_flush_parked(t);
    return t;
}

void ct__thread_settle_losses(ct__thread *t)
{
    if (t->dropping)
        try_end_drop(t);
    if (!t->dropping && t->lost_pending)
        write_lost(t, 0);
}
