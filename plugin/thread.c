/* thread.c - attaching threads to a session and moving between chunks. */
#include "plugin/thread.h"
#include "plugin/cpu_sample.h"
#include "plugin/modules.h"
#include "plugin/sched.h"

#include <pthread.h>     /* pthread_key_create, pthread_getname_np */
#include <stddef.h>      /* offsetof */
#include <stdlib.h>      /* malloc, free */
#include <string.h>      /* strlen, memcpy, memset */
#include <sys/syscall.h> /* SYS_gettid */
#include <unistd.h>      /* syscall */

#include "format/schema.h"
#include "plugin/children.h"
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

/* THREAD_NAME, if the thread has a name (the kernel's, 15 bytes at most).
 * `again`: with its begin, which a drop makes it write again. The name at
 * the begin is defined once, outside the string table: a short thread that
 * names nothing else then never builds a table (a third of what attaching
 * cost it in instructions); renames go through the table. */
static void emit_name(ct__thread *t, int again)
{
    char name[32];
    if (pthread_getname_np(pthread_self(), name, sizeof name) == 0 && name[0]) {
        uint32_t id = again ? ct__intern_once(t, name) : ct__intern(t, name);
        uint8_t *p = again ? ct__meta_begin(t, CT_EV_THREAD_NAME, CT_SMALL_EVENT)
                           : ct__event_begin(t, CT_EV_THREAD_NAME, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, id);
        ct__commit(t, p);
    }
}

void ct__thread_emit_begin(ct__thread *t)
{
    uint8_t *p = ct__meta_begin(t, CT_EV_THREAD_BEGIN, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, (uint32_t)t->tid);
    p = ct_put_uvarint(p, (uint32_t)t->parent_tid);
    p = ct_put_uvarint(p, t->begin_task);
    p = ct_put_uvarint(p, t->start_fn);
    p = ct_put_uvarint(p, t->region_serial);
    ct__commit(t, p);
    if (t->dropping)
        t->begin_lost = 1;

    t->names_seen = __atomic_load_n(&ct__names_changed, __ATOMIC_RELAXED);
    emit_name(t, 1);
}

uint32_t ct__names_changed; /* atomic */

void ct__thread_name_refresh(ct__thread *t)
{
    uint32_t now = __atomic_load_n(&ct__names_changed, __ATOMIC_RELAXED);
    if (__builtin_expect(now == t->names_seen, 1))
        return;
    t->names_seen = now;
    emit_name(t, 0); /* perhaps another thread was renamed: the name is the same then */
}

/* Thread creation info handed from the pthread_create wrapper. */
__thread struct ct__thread_origin ct__origin __attribute__((tls_model("initial-exec")));

uint32_t ct__thread_serial_new(ct_pool_header *pool)
{
    if (ct__proc_slot) /* a child process: unique in the pool it shares */
        return CT_CHILD_THREAD_BASE +
               __atomic_add_fetch(&pool->child_threads, 1, __ATOMIC_RELAXED);
    return __atomic_add_fetch(&next_thread_serial, 1, __ATOMIC_RELAXED);
}

/* Spare ct__thread memory (thread.h): each slot holds one or NULL, taken
 * and given back by exchange, so no block is ever held twice. */
#define SPARE_BLOCKS 8
static void *spare_blocks[SPARE_BLOCKS]; /* atomic */

void *ct__thread_block_take(void)
{
    for (unsigned i = 0; i < SPARE_BLOCKS; i++) {
        if (!__atomic_load_n(&spare_blocks[i], __ATOMIC_RELAXED))
            continue;
        void *block = __atomic_exchange_n(&spare_blocks[i], NULL, __ATOMIC_ACQUIRE);
        if (block)
            return block;
    }
    return malloc(sizeof(ct__thread));
}

void ct__thread_block_keep(void *block)
{
    for (unsigned i = 0; i < SPARE_BLOCKS; i++) {
        void *none = NULL;
        if (__atomic_compare_exchange_n(&spare_blocks[i], &none, block, 0, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
            return;
    }
    free(block);
}

ct__thread *ct__thread_get_slow(void)
{
    if (!__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) || ct__thread_off)
        return NULL;
    ct__thread *t = ct__self;
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    uint32_t session = __atomic_load_n(&ct__session_id, __ATOMIC_ACQUIRE);
    if (!pool)
        return NULL;
    if (t == NULL) {
        t = ct__origin.block ? ct__origin.block : ct__thread_block_take();
        ct__origin.block = NULL;
        if (!t)
            return NULL;
        memset(t, 0, offsetof(ct__thread, stacks)); /* the rest is not read before written */
        t->serial = ct__thread_serial_new(pool);
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
        ct__cpu_detach(t);
        ct__intern_reset(t);
        t->live.n_open = 0; /* regions of the old session cannot end in this one */
        t->busy = 0;
        t->dropped = 0;
        t->lost_pending = 0;
        t->begin_lost = t->source_lost = 0;
        t->loss_slot = NULL; /* the new session's pool has slots of its own */
        t->no_loss_slot = 0;
        __atomic_store_n(&t->nested_lost, 0, __ATOMIC_RELAXED);
    }
    /* Inside the tracer from here: a signal handler's event now would land
     * amid ours, or find the thread half attached (it may wait for a chunk). */
    uint8_t busy = t->busy;
    t->busy = 1;
    t->session = session;
    t->pool = pool;
    t->chunk = UINT32_MAX;
    t->chunk_seq = 0;
    t->begin_task = ct__cur_task;
    ct__thread_first_chunk(t);
    ct__thread_emit_begin(t);
    /* Modules now, so the start routine (and later stacks) can be named. */
    ct__modules_note(t, &t->start_fn, t->start_fn != 0);
    ct__modules_settle(t);
    ct__sched_attach(t, ct__origin.starting);
    ct__cpu_attach(t); /* last: its samples need the thread attached */
    t->busy = busy;
    return t;
}

static void on_thread_exit(void *arg)
{
    ct__thread *t = arg;
    ct__thread_off = 1; /* first: a sample from now on is ignored */
    ct__cpu_detach(t);
    if (t->session == __atomic_load_n(&ct__session_id, __ATOMIC_RELAXED) &&
        __atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) &&
        !t->busy) {
        t->busy = 1;
        ct__thread_settle_losses(t); /* said before its end, if it can be */
        ct__cpu_flush_parked(t);
        ct__sched_read_to_now(t); /* the waits since its last poll point */
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
    ct__thread_block_keep(t);
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
