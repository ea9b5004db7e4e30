/* thread.c - attaching threads to a session and moving between chunks. */
#include "plugin/thread.h"
#include "plugin/modules.h"
#include "plugin/sched.h"

#include <pthread.h>     /* pthread_key_create, pthread_getname_np */
#include <stdlib.h>      /* calloc, free */
#include <string.h>      /* strlen, memcpy */
#include <sys/syscall.h> /* SYS_gettid */
#include <unistd.h>      /* syscall */

#include "format/schema.h"
#include "plugin/session.h"
#include "plugin/unwind.h"

__thread ct__thread *ct__self __attribute__((tls_model("initial-exec")));
__thread uint64_t ct__cur_task __attribute__((tls_model("initial-exec")));
/* Set once the thread's destructor ran: never attach again. */
__thread uint8_t ct__thread_off __attribute__((tls_model("initial-exec")));
__thread uint8_t ct__in_tracer __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static uint32_t next_thread_serial; /* atomic */

static void on_thread_exit(void *arg);

static void make_exit_key(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

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

static void enter_scratch(ct__thread *t)
{
    t->dropping = 1;
    t->base = t->pos = t->scratch;
    t->end = t->scratch + sizeof t->scratch;
    t->committed = &t->scratch_committed;
}

/* Count the whole events in scratch: they are dropped. */
static uint64_t count_scratch_events(ct__thread *t)
{
    uint64_t n = 0;
    const uint8_t *p = t->scratch, *end = t->pos;
    while (p < end) {
        const ct_event_spec *spec = ct_event_spec_of(*p);
        size_t size = spec ? ct_event_size(spec, p, end) : 0;
        if (size == 0)
            break;
        n += *p != CT_EV_STRING;
        p += size;
    }
    return n;
}

/* Hand the chunk back and claim another (or scratch). */
static void next_chunk(ct__thread *t)
{
    if (t->dropping) {
        uint64_t lost = count_scratch_events(t);
        t->dropped += lost;
        __atomic_fetch_add(&t->pool->dropped, lost, __ATOMIC_RELAXED);
    } else {
        ct__thread_release_chunk(t);
    }
    if (claim_chunk(t) != 0) {
        enter_scratch(t);
        return;
    }
    if (t->dropping) {
        /* Back in a chunk: say what was lost, and define anew what the lost
         * events may have defined. */
        t->dropping = 0;
        uint8_t *p = ct__event_begin(t, CT_EV_LOST, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, t->dropped);
        p = ct_put_uvarint(p, t->region_serial);
        ct__commit(t, p);
        t->dropped = 0;
        ct__intern_reset(t);
        if (t->begin_lost) {
            t->begin_lost = 0;
            ct__thread_emit_begin(t);
            ct__sched_emit_source(t);
        }
    }
}

void ct__thread_refill(ct__thread *t, size_t need)
{
    next_chunk(t); /* every event fits in an empty chunk: CT_MAX_EVENT_BYTES */
    /* A poll point: rare (every 32 KiB of events), so both sources. Its
     * waits go first and may take the room asked for: make it again. */
    ct__sched_read_all(t);
    while ((size_t)(t->end - t->pos) < need)
        next_chunk(t);
}

/* THREAD_NAME, if the thread has a name (the kernel's, 15 bytes at most). */
static void emit_name(ct__thread *t)
{
    char name[32];
    if (pthread_getname_np(pthread_self(), name, sizeof name) == 0 && name[0]) {
        uint32_t id = ct__intern(t, name);
        uint8_t *p = ct__event_begin(t, CT_EV_THREAD_NAME, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, id);
        ct__commit(t, p);
    }
}

void ct__thread_emit_begin(ct__thread *t)
{
    uint8_t *p = ct__event_begin(t, CT_EV_THREAD_BEGIN, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, (uint32_t)t->tid);
    p = ct_put_uvarint(p, (uint32_t)t->parent_tid);
    p = ct_put_uvarint(p, t->begin_task);
    p = ct_put_uvarint(p, t->start_fn);
    p = ct_put_uvarint(p, t->region_serial);
    ct__commit(t, p);
    if (t->dropping)
        t->begin_lost = 1;

    t->names_seen = __atomic_load_n(&ct__names_changed, __ATOMIC_RELAXED);
    emit_name(t);
}

uint32_t ct__names_changed; /* atomic */

void ct__thread_name_refresh(ct__thread *t)
{
    uint32_t now = __atomic_load_n(&ct__names_changed, __ATOMIC_RELAXED);
    if (__builtin_expect(now == t->names_seen, 1))
        return;
    t->names_seen = now;
    emit_name(t); /* perhaps another thread was renamed: the name is the same then */
}

/* Thread creation info handed from the pthread_create wrapper. */
__thread struct ct__thread_origin ct__origin __attribute__((tls_model("initial-exec")));

ct__thread *ct__thread_get_slow(void)
{
    if (!__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) || ct__thread_off)
        return NULL;
    ct__thread *t = ct__self;
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    uint16_t session = __atomic_load_n(&ct__session_id, __ATOMIC_ACQUIRE);
    if (!pool)
        return NULL;
    if (t == NULL) {
        t = calloc(1, sizeof *t);
        if (!t)
            return NULL;
        t->serial = __atomic_add_fetch(&next_thread_serial, 1, __ATOMIC_RELAXED);
        t->tid = (int32_t)syscall(SYS_gettid);
        t->parent_tid = ct__origin.parent_tid;
        t->start_fn = ct__origin.start_fn;
        pthread_once(&exit_key_once, make_exit_key);
        pthread_setspecific(exit_key, t);
        ct__self = t;
        ct__unwind_thread_init(); /* here, not in a signal handler's first wait */
    } else {
        /* Attached to an earlier session: start over in this one. Not from
         * a signal handler that interrupted the tracer on this thread: the
         * state it would reset is in use below it. */
        if (t->busy)
            return NULL;
        t->busy = 1;
        ct__sched_detach(t);
        ct__intern_reset(t);
        t->live.n_open = 0; /* regions of the old session cannot end in this one */
        t->busy = 0;
        t->dropping = 0;
        t->dropped = 0;
    }
    t->session = session;
    t->pool = pool;
    t->chunk = UINT32_MAX;
    t->chunk_seq = 0;
    t->begin_task = ct__cur_task;
    if (claim_chunk(t) != 0)
        enter_scratch(t);
    /* Inside the tracer while writing: a signal handler's event now would
     * land amid ours. */
    uint8_t busy = t->busy;
    t->busy = 1;
    ct__thread_emit_begin(t);
    /* Modules now, so the start routine (and later stacks) can be named. */
    ct__modules_note(t, &t->start_fn, t->start_fn != 0);
    ct__modules_settle(t);
    ct__sched_attach(t);
    t->busy = busy;
    return t;
}

static void on_thread_exit(void *arg)
{
    ct__thread *t = arg;
    ct__thread_off = 1;
    if (t->session == ct__session_id && __atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) &&
        !t->busy) {
        t->busy = 1;
        ct__sched_read_all(t); /* the waits since its last poll point */
        ct__thread_name_refresh(t);
        uint8_t *p = ct__event_begin(t, CT_EV_THREAD_END, CT_SMALL_EVENT);
        ct__commit(t, p);
        if (!t->dropping)
            ct__thread_release_chunk(t);
    }
    ct__sched_detach(t);
    t->busy = 1; /* its shards go back under a lock; ct__thread_off keeps signals out too */
    ct__live_thread_release(&t->live);
    ct__self = NULL;
    ct__intern_free(t);
    free(t);
}

int ct__thread_unstick(void)
{
    ct__thread *t = ct__self;
    int stuck = (t && t->busy) || ct__in_tracer;
    if (t)
        t->busy = 0;
    ct__in_tracer = 0;
    return stuck;
}

void ct__thread_never_trace(void)
{
    ct__thread_off = 1;
}

uint32_t ct__thread_serial_of_self(void)
{
    ct__thread *t = ct__self;
    return t ? t->serial : 0;
}
