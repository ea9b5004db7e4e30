/*
 * thread.h - per-thread tracer state and the event-writing hot path.
 *
 * Each thread writes into a chunk of the session's pool that only it owns:
 * no lock and no atomic read-modify-write on the hot path. Writing an event:
 * reserve (one compare), encode kind + tick delta + varints, publish the
 * committed length with a release store (a plain store on x86).
 *
 * When the chunk is full the thread takes another (chunk.c): it waits for
 * the collector when none is free (the default), or, with the pool's
 * overflow set to drop, writes into a private scratch buffer and counts
 * every event it loses there.
 */
#ifndef CT_PLUGIN_THREAD_H
#define CT_PLUGIN_THREAD_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "format/pool.h"
#include "format/wire.h"
#include "common/clock.h"
#include "assertions/live.h"
#include "plugin/sched_state.h"

#define CT_NAME_CACHE 64 /* direct-mapped pointer -> string id cache */
#define CT_SMALL_EVENT 64 /* reserve for any event without a text payload */
#define CT_SCRATCH_BYTES (2 * CT_MAX_EVENT_BYTES) /* where events go while the pool is exhausted */

typedef struct ct__name_slot {
    const char *ptr;  /* the caller's pointer */
    const char *copy; /* our interned copy, to verify the contents still match */
    uint32_t id;
    uint32_t literal_epoch; /* ptr is a string literal, as of this epoch; 0: unknown */
    struct ct__shard *live_shard; /* regions of this name are timed here (api.c); NULL: not yet looked up */
} ct__name_slot;

#define CT_STACK_SLOTS 1024 /* a thread's stacks known at once (a power of two) */

struct ct__stack_slot {
    uint64_t h1, h2; /* two hashes of the return addresses; h1 0: free */
    uint64_t id;
};

typedef struct ct__string {
    char *bytes;
    uint32_t len;
    uint32_t id;
    uint64_t hash;
    uint8_t unsaid; /* defined in drop mode: its STRING was lost, say it again */
} ct__string;

/* A thread's CPU sampling (cpu_sample.c): its timer, and the sample that
 * arrived while the thread was inside the tracer, parked until it leaves. */
typedef struct ct__cpu {
    int32_t timer;        /* the kernel's timer id, while armed */
    int32_t slot;         /* where it is listed (cpu_sample.c), -1: not listed */
    uint8_t armed;        /* `timer` is this thread's, set in this session */
    uint8_t state;        /* ct_cpu_state its CPU_SOURCE said */
    uint64_t parked;      /* samples parked (0: none); the handler adds to it */
    uint64_t parked_task; /* the current task at the first of them */
    uint32_t parked_n;
    uint64_t parked_pcs[CT_MAX_STACK_DEPTH]; /* where the first of them interrupted */
} ct__cpu;

typedef struct ct__thread {
    /* Hot: touched by every event. */
    uint8_t *pos;        /* next byte to write */
    uint8_t *end;        /* end of the current chunk (or scratch) */
    uint8_t *base;       /* start of the current chunk (or scratch) */
    uint32_t *committed; /* where to publish pos - base */
    uint64_t last_ticks; /* tick of the previous event: deltas are from it */
    uint64_t region_serial; /* regions begun on this thread, ever */
    uint32_t serial;     /* thread serial, unique in the process */
    uint32_t session;    /* session the chunk belongs to (32 bits: no wrap over captures) */
    uint8_t busy;        /* inside the tracer: a signal handler must not nest */
    /* What else sends enter() off its fast path: one compare of `detour`.
     * Apart from `busy`, whose byte store at every event's end a wider
     * load would wait on (store forwarding). */
    union {
        struct {
            uint8_t dropping;     /* no chunk (drop mode): writing into scratch */
            uint8_t lost_pending; /* a signal handler lost an event: say so (LOST) */
            uint8_t cpu_parked;   /* a CPU sample waits in `cpu` (cpu_sample.c) */
            uint8_t unused[1];
        };
        uint32_t detour;
    };
    ct__name_slot cache[CT_NAME_CACHE];

    /* Cold: chunk changes, interning misses, drops. */
    ct_pool_header *pool;
    uint32_t chunk;      /* index in pool, UINT32_MAX if none */
    uint64_t chunk_seq;  /* chunks this thread claimed in this session */
    uint64_t dropped;    /* events dropped and not yet reported */
    uint64_t nested_lost; /* atomic: events of signal handlers that found the
                             thread inside the tracer, not yet reported */
    uint32_t freed_seen; /* the pool's `freed` when no chunk was free */
    struct ct_loss_slot *loss_slot; /* where it counts what it loses (pool.h) */
    uint8_t no_loss_slot; /* all were taken: it counts in the pool's `dropped` */
    uint32_t scratch_committed;
    uint8_t begin_lost;  /* THREAD_BEGIN went to scratch: repeat it */
    uint8_t source_lost; /* so did SCHED_SOURCE */
    uint64_t window_unsaid_task; /* a WINDOW_LOST that went to scratch: its */
    uint64_t window_unsaid_lost; /* test and count, to write after the drop */
    uint32_t names_seen; /* ct__names_changed when this thread last wrote its name */
    int32_t tid;
    int32_t parent_tid;
    uint64_t start_fn;
    uint64_t begin_task;
    ct__string *strings; /* open addressing, keyed by contents */
    uint32_t strings_cap, strings_used, next_string_id;
    uint32_t stacks_used;
    uint8_t stacks_zeroed; /* `stacks` is cleared: done at its first use, not per thread */
    uint64_t next_stack_id;
    ct__sched sched; /* sched.c: where this thread's scheduler waits come from */
    ct__live_thread live; /* assertions/live.h: its shards of the test's aggregates */
    ct__cpu cpu; /* cpu_sample.c */

    /* Large, and left uninitialised when the thread is made (most threads
     * of a test live microseconds: clearing 30 KiB would be a tenth of
     * that): everything above is zeroed, these are not. */
    struct ct__stack_slot stacks[CT_STACK_SLOTS]; /* stack.c: open addressing, by hashes */
    uint8_t scratch[CT_SCRATCH_BYTES];
} ct__thread;

/* The calling thread's state, NULL until it first records in a session.
 * initial-exec: a %fs-relative load, no __tls_get_addr call. */
extern __thread ct__thread *ct__self __attribute__((tls_model("initial-exec")));
/* The calling thread's current task id (0: none), traced or not. */
extern __thread uint64_t ct__cur_task __attribute__((tls_model("initial-exec")));

/* How the calling thread came to be, set by the pthread_create wrapper. */
struct ct__thread_origin {
    int32_t parent_tid; /* creator's OS thread id */
    uint64_t start_fn;  /* start routine address */
    uint8_t starting;   /* the thread attaches as it starts (pthread_hook.c) */
    uintptr_t stack_lo, stack_hi; /* its stack as its creation told (hi 0: unknown) */
    uint8_t learn;                /* its stack's layout is to be learnt from (pthread_hook.c) */
    void *block;                  /* its ct__thread's memory, from its creator (or NULL) */
};

/* Memory for a ct__thread: a spare one a thread left at its exit, else
 * malloc's; NULL without memory. A thread's creator takes it and hands it
 * over (ct__origin.block), so that a new thread allocates and frees
 * nothing of ours (glibc would build and tear down its malloc cache for
 * it). */
void *ct__thread_block_take(void);

/* `block` back among the spares (a few are kept), else freed. */
void ct__thread_block_keep(void *block);

/* The calling thread's stack top, as pthread_getattr_np found it: threads
 * made after it learn their bounds from their creation (pthread_hook.c). */
void ct__thread_stack_learn(uintptr_t hi);
extern __thread struct ct__thread_origin ct__origin __attribute__((tls_model("initial-exec")));

/* Process-wide tracer session. */
extern uint32_t ct__session_id;  /* changes at every start and stop */
extern ct_pool_header *ct__pool; /* where threads claim chunks */

/* The calling thread's state for the current session, attaching it (first
 * event, or first since a new session) if needed. NULL when not tracing, when
 * the thread already exited, or on allocation failure. */
ct__thread *ct__thread_get_slow(void);

static inline ct__thread *ct__thread_get(void)
{
    ct__thread *t = ct__self;
    /* Atomic (relaxed: a plain load) as another thread may stop the
     * session: ct_stop() or a live capture's end. */
    if (__builtin_expect(t != NULL &&
                             t->session == __atomic_load_n(&ct__session_id, __ATOMIC_RELAXED),
                         1))
        return t;
    return ct__thread_get_slow();
}

/* Make room for `need` bytes at t->pos (chunk.c): hand the chunk back and
 * take another, waiting for the collector if none is free; in drop mode, or
 * when the collector is gone, room in scratch. `event`: what goes there is
 * an event (counted if lost), not a definition (STRING, STACK). */
void ct__thread_refill(ct__thread *t, size_t need, int event);

/* Publish what was written up to p. */
static inline void ct__commit(ct__thread *t, uint8_t *p)
{
    t->pos = p;
    __atomic_store_n(t->committed, (uint32_t)(p - t->base), __ATOMIC_RELEASE);
}

/* Is there room for `need` bytes at t->pos? Signed: in drop mode `end` is
 * scratch's start, so every write comes back to the refill, which counts it. */
static inline int ct__has_room(const ct__thread *t, size_t need)
{
    return __builtin_expect(t->end - t->pos >= (ptrdiff_t)need, 1);
}

/* Make sure `need` bytes of a definition can be written at t->pos. */
static inline void ct__reserve(ct__thread *t, size_t need)
{
    if (!ct__has_room(t, need))
        ct__thread_refill(t, need, 0);
}

/* The kind and tick delta of an event stamped `now`, at t->pos (room
 * made); returns where its fields go. */
static inline uint8_t *ct__event_stamp_at(ct__thread *t, uint8_t kind, uint64_t now)
{
    uint8_t *p = t->pos;
    /* A migration between cores may show a tick or two backwards: clamp so
     * one thread's events stay in order. Without a branch (the sign as a
     * mask): the compiler would lay the rare case out as the straight one. */
    uint64_t delta = now - t->last_ticks;
    delta &= ~(uint64_t)((int64_t)delta >> 63);
    t->last_ticks += delta;
    *p++ = kind;
    return ct_put_uvarint(p, delta);
}

/* The same, stamped now. */
static inline uint8_t *ct__event_stamp(ct__thread *t, uint8_t kind)
{
    return ct__event_stamp_at(t, kind, ct__ticks());
}

/* Start an event of `kind` stamped now; returns where its fields go. */
static inline uint8_t *ct__event_begin(ct__thread *t, uint8_t kind, size_t need)
{
    if (!ct__has_room(t, need))
        ct__thread_refill(t, need, 1);
    return ct__event_stamp(t, kind);
}

/* ct__event_begin() for an event that is written again if it is lost (a
 * thread's begin, a module, a test's loss...): not counted lost. */
static inline uint8_t *ct__meta_begin(ct__thread *t, uint8_t kind, size_t need)
{
    if (!ct__has_room(t, need))
        ct__thread_refill(t, need, 0);
    return ct__event_stamp(t, kind);
}

/* FNV-1a of s[0..len), never 0: how names are keyed (intern.c, and the
 * assertions' series). */
uint64_t ct__hash_bytes(const char *s, size_t len);

/* Id of `name` in this thread's string table, defining it if new. */
uint32_t ct__intern_slow(ct__thread *t, const char *name, ct__name_slot *slot);

/* Id of `name` defined afresh, kept out of the table: for a name used once
 * (a test's, each test a task of its own), whose insertion in a table of
 * thousands would cost a cache miss or two, more than the rest of a tiny
 * test's tracing. Each call defines it again (api.c uses the table when a
 * test runs more than once, -count). */
uint32_t ct__intern_once(ct__thread *t, const char *name);

/* Where `name`'s pointer is cached. */
static inline ct__name_slot *ct__name_slot_of(ct__thread *t, const char *name)
{
    uintptr_t h = ((uintptr_t)name * 0x9E3779B97F4A7C15ull) >> 58;
    return &t->cache[h & (CT_NAME_CACHE - 1)];
}

static inline uint32_t ct__intern(ct__thread *t, const char *name)
{
    ct__name_slot *slot = ct__name_slot_of(t, name);
    if (__builtin_expect(slot->ptr == name, 1)) {
        /* The pointer matched; the bytes may have changed (a reused buffer). */
        const char *a = name, *b = slot->copy;
        while (*a == *b) {
            if (*a == '\0')
                return slot->id;
            a++;
            b++;
        }
    }
    return ct__intern_slow(t, name, slot);
}

/* Bumped whenever a module is unloaded (dlclose): a literal's address may
 * then hold another string, so literal slots verify their bytes again. */
extern uint32_t ct__names_epoch;

/* Id of `name`, a string literal (so its bytes cannot change while its
 * module is loaded): a pointer compare, without reading the bytes. */
static inline uint32_t ct__intern_literal(ct__thread *t, const char *name)
{
    ct__name_slot *slot = ct__name_slot_of(t, name);
    uint32_t epoch = __atomic_load_n(&ct__names_epoch, __ATOMIC_RELAXED);
    if (__builtin_expect(slot->ptr == name && slot->literal_epoch == epoch, 1))
        return slot->id;
    uint32_t id = ct__intern(t, name);
    if (slot->ptr == name)
        slot->literal_epoch = epoch;
    return id;
}

/* Forget the string table (too many names: start over). */
void ct__intern_reset(ct__thread *t);

/* A drop ended: names defined while it lasted are defined again at their
 * next use (same ids), stacks start over. Allocates and frees nothing: a
 * drop may end in a signal handler. */
void ct__intern_after_drop(ct__thread *t);
void ct__intern_free(ct__thread *t);

/* Emit THREAD_BEGIN (+ THREAD_NAME) for t. */
void ct__thread_emit_begin(ct__thread *t);

/* Bumped by pthread_setname_np (pthread_hook.c), on any thread. */
extern uint32_t ct__names_changed;

/* Write t's name again (THREAD_NAME) if a thread was renamed since it last
 * did: a thread renamed by another learns it here, at its next task begin
 * or end, recorded wait, or exit. t is the calling thread, inside the tracer. */
void ct__thread_name_refresh(ct__thread *t);

/* The calling thread is the tracer's own (a drain thread): never record it. */
void ct__thread_never_trace(void);
/* Set on a thread that exited or is never traced (the tracer's own). */
extern __thread uint8_t ct__thread_off __attribute__((tls_model("initial-exec")));
/* Set while this thread runs tracer code that calls functions libctrace
 * interposes (an interposer recording a wait, a marker going to the runner):
 * those calls are the tracer's, not the program's (interpose.h). */
extern __thread uint8_t ct__in_tracer __attribute__((tls_model("initial-exec")));

/* Calls from here to ct__untraced_end() are the tracer's own: none records.
 * Nests, and a signal handler that runs in between records nothing either.
 * @return what to hand to ct__untraced_end(). */
static inline uint8_t ct__untraced_begin(void)
{
    uint8_t was = ct__in_tracer;
    ct__in_tracer = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return was;
}

static inline void ct__untraced_end(uint8_t was)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ct__in_tracer = was;
}

/* Called where the calling thread cannot be inside the tracer (cmocka's
 * thread as a test begins): a crash in the tracer that cmocka caught and
 * longjmp'd out of left it marked inside, which would drop every later event
 * and judge no assertion on it. Clears that. @return 1 if it was so. */
int ct__thread_unstick(void);

/* A serial for a new thread of this process: unique in the process (the
 * owner's), or in the pool (a child process's, children.h). */
uint32_t ct__thread_serial_new(ct_pool_header *pool);

/* Serial of the calling thread, 0 if it never recorded. */
uint32_t ct__thread_serial_of_self(void);

/* Mark t's chunk full so the collector can recycle it. */
void ct__thread_release_chunk(ct__thread *t);

/* The chunk a thread starts a session with (chunk.c): claimed, waited for,
 * or scratch. */
void ct__thread_first_chunk(ct__thread *t);

/* enter()'s way when t is NULL, busy, or t->detour is set (chunk.c): NULL when the
 * event cannot be recorded (not tracing; a signal handler that found the
 * thread inside the tracer, whose event is counted lost); else t, marked
 * busy, with a drop that can end ended and any loss reported (LOST). */
ct__thread *ct__enter_detour(ct__thread *t);

/* The thread is about to exit: a last chance to leave drop mode and say
 * what it lost. t is busy. */
void ct__thread_settle_losses(ct__thread *t);



#endif /* CT_PLUGIN_THREAD_H */
