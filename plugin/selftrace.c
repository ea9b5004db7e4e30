/*
 * selftrace.c - ct_start()/ct_stop(): a process tracing itself; and the
 * same start and stop over a file descriptor for a live capture (serve.c).
 *
 * Same pool and drainer as under the runner, but the pool is private memory
 * and a thread of this process drains it into the file every few ms, or at
 * once when a thread waits for room (CTRACE_OVERFLOW=wait, the default;
 * =drop loses and counts events rather than wait). An
 * atexit handler stops the tracer, so exit() loses nothing; _exit() or a
 * crash loses what was not drained yet (run under ctest-trace for that).
 */
#include <errno.h>    /* errno */
#include <pthread.h>  /* pthread_mutex_t */
#include <stdio.h>    /* fprintf */
#include <stdlib.h>   /* atexit, getenv */
#include <string.h>   /* strcmp */
#include <sys/mman.h> /* mmap, madvise */
#include <unistd.h>   /* getpid, readlink */

#include <ctrace.h>
#include <ctrace_collect.h> /* CT_ENV_OVERFLOW */

#include "format/pool.h"
#include "common/clock.h"
#include "common/env_once.h"
#include "plugin/own_thread.h"
#include "plugin/sched.h"
#include "plugin/selftrace.h"
#include "plugin/session.h"
#include "plugin/stack.h" /* ct__stack_prepare */
#include "plugin/thread.h"
#include "recorder/drain.h"
#include "recorder/trace_writer.h"
#include "recorder/tsc_cache.h"

#define DRAIN_PERIOD_NS 10000000 /* 10 ms */

static pthread_mutex_t self_lock = PTHREAD_MUTEX_INITIALIZER; /* start/stop */
static void *drain_loop(void *arg);
static struct {
    int running; /* CT_SELF_* of whoever started it, 0: none */
    ct_trace_writer *w;
    ct_drainer drainer;
    void *pool;   /* the running session's: one of pools[] */
    /* Two mappings, taken in turn and kept: a thread still finishing an
     * event in the last session's pool is a whole session behind before its
     * pool is laid out again (a live server captures again and again). */
    void *pools[2];
    int next_pool;
    ct__own_thread thread; /* drain_loop, signals blocked (own_thread.h) */
    int stop; /* atomic: the drain thread ends */
    /* The session's clock rate, when it came from the TSC rate a run of
     * ctest-trace cached this boot: checked at the stop, over the session. */
    int hz_cached;
    uint32_t clock_kind;
    uint64_t hz;
    ct_tsc_mark start_mark;
} self = {.thread = {.main = drain_loop}};

/* Drain every DRAIN_PERIOD_NS, at once when a thread rings the pool's
 * doorbell (it waits for room), and without pause while threads wait. The
 * thread takes no lock: a waiting thread of the program may hold any. */
static void *drain_loop(void *arg)
{
    (void)arg;
    ct__thread_never_trace();
    ct_pool_header *h = self.pool;
    uint32_t freed_seen = 0;
    for (;;) {
        uint32_t bell = __atomic_load_n(&h->doorbell, __ATOMIC_ACQUIRE);
        if (__atomic_load_n(&self.stop, __ATOMIC_ACQUIRE))
            break;
        ct_drainer_pass(&self.drainer, self.w, 0); /* an error sticks in the writer */
        if (!ct_pool_drain_again(h, &freed_seen))
            ct_pool_futex_wait(&h->doorbell, bell, DRAIN_PERIOD_NS);
    }
    return NULL;
}

/* CTRACE_OVERFLOW: what a thread does when the pool is full. */
static uint32_t overflow_from_env(void)
{
    const char *mode = ct_env(CT_ENV_OVERFLOW);
    if (mode == NULL || strcmp(mode, "wait") == 0)
        return CT_POOL_OVERFLOW_WAIT;
    if (strcmp(mode, "drop") == 0)
        return CT_POOL_OVERFLOW_DROP;
    fprintf(stderr, "ctrace: %s=%s is neither wait nor drop: waiting (no event is lost)\n",
            CT_ENV_OVERFLOW, mode);
    return CT_POOL_OVERFLOW_WAIT;
}

static int write_process_begin(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe);
    if (n < 0)
        n = 0;
    ct_pool_header *h = self.pool;
    ct_tw_process p = {.proc = 0, .pid = (uint64_t)getpid(), .exe = exe,
                       .exe_len = (size_t)n, .clock = h->clock_kind, .hz = h->tsc_hz};
    ct__clock_pair(h->clock_kind, &p.tsc0, &p.ns0);
    return ct_tw_process_begin(self.w, &p);
}

static void free_self(void)
{
    ct_drainer_free(&self.drainer);
    ct_tw_abandon(self.w);
    self.w = NULL;
    self.pool = NULL; /* its mapping stays in pools[], for the next start */
}

/* Under self_lock: the pool the next session uses. Its address is mapped
 * once; a reused one gets fresh pages mapped over it in one step (never
 * unmapped: a thread far behind writes into pages that exist), which also
 * tells TSan the old session's writes are gone. */
static void *take_pool(void)
{
    void **slot = &self.pools[self.next_pool];
    void *mem = mmap(*slot, CT_POOL_DEFAULT_BYTES, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (*slot ? MAP_FIXED : 0), -1,
                     0);
    *slot = mem == MAP_FAILED ? NULL : mem;
    return *slot;
}

static void stop_at_exit(void)
{
    ct_stop();
}

/* A forked child has no drain thread, and its copy of the writer shares the
 * parent's file: stopping it there (exit() runs stop_at_exit) would write
 * into the parent's trace. The child forgets the tracer, untraced (as
 * session.c makes it), free to start its own: it frees its copies, writing
 * nothing, and closes only its own descriptor. The pools' mappings stay, as
 * after ct_stop(). stop_locked() clears self.* before it frees, so a fork
 * while another thread stops never frees twice here. */
static void forget_in_child(void)
{
    pthread_mutex_init(&self_lock, NULL);
    if (!self.running)
        return;
    ct_drainer_free(&self.drainer);
    ct_tw_abandon(self.w);
    self.w = NULL;
    self.pool = NULL;
    self.running = CT_SELF_NONE;
}

/* Under self_lock: who traces this process now (CT_SELF_*). */
static int owner_locked(void)
{
    if (self.running)
        return self.running;
    if (__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) || ct__session_mode == CT_SESSION_RUNNER)
        return CT_SELF_RUNNER;
    return CT_SELF_NONE;
}

/* Under self_lock, nothing running: start tracing into w (taken) with
 * `pool` (from take_pool()). */
static int start_locked(ct_trace_writer *w, int owner, void *pool)
{
    self.w = w;
    static int hooks_done;
    if (!hooks_done)
        hooks_done = atexit(stop_at_exit) == 0 && pthread_atfork(NULL, NULL, forget_in_child) == 0;

    uint32_t kind = ct__clock_choose();
    /* The rate ctest-trace measured over 20 ms and cached this boot
     * (recorder/tsc_cache.h), else one measured now over 5 ms: a start
     * then costs a fraction of a millisecond, not 5. */
    uint64_t hz = ct__tsc_hz_from_cache(kind);
    self.hz_cached = hz != 0;
    if (self.hz_cached)
        ct__tsc_mark(kind, &self.start_mark);
    else
        hz = ct__clock_calibrate(kind, 5000000);
    if (hz == 0) {
        kind = CT_CLOCK_MONOTONIC;
        hz = 1000000000u;
    }
    self.clock_kind = kind;
    self.hz = hz;
    self.pool = pool;
    int rc = CT_ENOMEM;
    /* take_pool() mapped it afresh: zeros. */
    if (ct_pool_init(self.pool, CT_POOL_DEFAULT_BYTES, kind, hz, overflow_from_env(), 1) == 0 ||
        ct_drainer_init(&self.drainer, self.pool, 0) != 0)
        goto fail;
    rc = CT_EIO;
    if (write_process_begin() != 0 || ct_tw_flush(self.w) != 0)
        goto fail;

    __atomic_store_n(&self.stop, 0, __ATOMIC_RELEASE);
    /* The drain thread must not be traced: create it before the session
     * begins. */
    if (ct__own_thread_start(&self.thread) != 0)
        goto fail;
    self.running = owner;
    self.next_pool ^= 1;
    ct__session_begin(self.pool, CT_SESSION_SELF);
    return 0;
fail:;
    int e = errno;
    free_self();
    errno = e;
    return rc;
}

/* Start tracing into `path` (created), or into `fd` when path is NULL. */
static int start_into(const char *path, int fd, int owner, int *busy_owner)
{
    ct__stack_prepare(); /* not under self_lock: see stack.h */
    pthread_mutex_lock(&self_lock);
    int rc = CT_EALREADY;
    *busy_owner = owner_locked();
    void *pool = NULL;
    if (*busy_owner == CT_SELF_NONE && !(pool = take_pool()))
        rc = CT_ENOMEM; /* before the file: ct_start leaves it untouched then */
    if (!pool) {
        if (!path)
            close(fd);
    } else {
        ct_trace_writer *w;
        rc = path ? ct_tw_open(&w, path, ct__mono_ns()) : ct_tw_open_fd(&w, fd, ct__mono_ns());
        if (rc == 0 && !path && ct_tw_guard_fd(w) != 0) {
            ct_tw_abandon(w);
            rc = CT_EIO;
        }
        if (rc == 0)
            rc = start_locked(w, owner, pool);
    }
    pthread_mutex_unlock(&self_lock);
    return rc;
}

int ct_start(const char *path)
{
    int busy_owner;
    return path ? start_into(path, -1, CT_SELF_START, &busy_owner) : CT_EINVAL;
}

int ct__self_start_fd(int fd, int owner, int *busy_owner)
{
    return start_into(NULL, fd, owner, busy_owner);
}

/* Under self_lock, running: stop, write the trace's end, close the file. */
static int stop_locked(void)
{
    ct__sched_stop_self(); /* the waits this thread has not reported yet */
    __atomic_store_n(&((ct_pool_header *)self.pool)->closed, 1, __ATOMIC_RELEASE);
    ct__session_end(); /* wakes the threads that wait for room: none will come */
    uint64_t stop_mono_ns = ct__mono_ns();
    ct_pool_header *h = self.pool;
    __atomic_store_n(&self.stop, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&h->doorbell, 1, __ATOMIC_RELEASE);
    ct_pool_futex_wake(&h->doorbell, 1);
    pthread_join(self.thread.id, NULL);

    /* Ours alone from here: a fork by another thread now leaves a child
     * that sees nothing running (forget_in_child frees nothing twice). */
    ct_trace_writer *w = self.w;
    ct_drainer d = self.drainer;
    __atomic_store_n(&self.w, NULL, __ATOMIC_RELAXED);
    memset(&self.drainer, 0, sizeof self.drainer);
    __atomic_store_n(&self.running, CT_SELF_NONE, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* cleared before freed, as compiled */

    int rc = ct_drainer_pass(&d, w, 1);
    if (ct_drainer_end(&d, w, CT_EXIT_STOPPED, 0, stop_mono_ns) != 0)
        rc = CT_EIO;
    if (self.hz_cached) /* a wrong one is removed, said on stderr */
        ct__tsc_hz_verify(self.clock_kind, self.hz, &self.start_mark);
    if (ct_tw_close(w) != 0)
        rc = CT_EIO;
    ct_drainer_free(&d);
    /* Keep the mapping (pools[]): a thread may still be finishing an event
     * in it. Give its pages back; they read as zeros if touched again. */
    madvise(self.pool, CT_POOL_DEFAULT_BYTES, MADV_DONTNEED);
    self.pool = NULL;
    return rc;
}

int ct__self_stop(int owner)
{
    pthread_mutex_lock(&self_lock);
    int rc = self.running == owner ? stop_locked() : CT_ENOTRACER;
    pthread_mutex_unlock(&self_lock);
    return rc;
}

int ct_stop(void)
{
    return ct__self_stop(CT_SELF_START);
}
