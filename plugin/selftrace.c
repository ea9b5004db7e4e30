/*
 * selftrace.c - ct_start()/ct_stop(): a process tracing itself.
 *
 * Same pool and drainer as under the runner, but the pool is private memory
 * and a thread of this process drains it into the file every few ms. An
 * atexit handler stops the tracer, so exit() loses nothing; _exit() or a
 * crash loses what was not drained yet (run under ctest-trace for that).
 */
#include <errno.h>    /* errno */
#include <pthread.h>  /* pthread_mutex_t */
#include <stdlib.h>   /* atexit */
#include <sys/mman.h> /* mmap, madvise */
#include <time.h>     /* clock_gettime */
#include <unistd.h>   /* getpid, readlink */

#include <ctrace.h>

#include "format/pool.h"
#include "plugin/clock.h"
#include "plugin/sched.h"
#include "plugin/session.h"
#include "plugin/thread.h"
#include "recorder/drain.h"
#include "recorder/trace_writer.h"

#define DRAIN_PERIOD_NS 10000000 /* 10 ms */

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                 void *);

static pthread_mutex_t self_lock = PTHREAD_MUTEX_INITIALIZER; /* start/stop */
static struct {
    int running;
    ct_trace_writer *w;
    ct_drainer drainer;
    void *pool;
    size_t pool_bytes;
    pthread_t thread;
    pthread_mutex_t lock; /* drainer vs stop */
    pthread_cond_t wake;
    int stop;
} self;

static void *drain_loop(void *arg)
{
    (void)arg;
    ct__thread_never_trace();
    pthread_mutex_lock(&self.lock);
    while (!self.stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += DRAIN_PERIOD_NS;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&self.wake, &self.lock, &until);
        if (!self.stop)
            ct_drainer_pass(&self.drainer, self.w, 0);
    }
    pthread_mutex_unlock(&self.lock);
    return NULL;
}

static void stop_at_exit(void)
{
    ct_stop();
}

static int write_process_begin(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe);
    if (n < 0)
        n = 0;
    ct_pool_header *h = self.pool;
    uint8_t buf[4096 + 8 * CT_UVARINT_MAX], *q = buf;
    uint64_t tsc0, ns0;
    ct__clock_pair(h->clock_kind, &tsc0, &ns0);
    q = ct_put_uvarint(q, 0);
    q = ct_put_uvarint(q, (uint64_t)getpid());
    q = ct_put_uvarint(q, (uint64_t)n);
    for (ssize_t i = 0; i < n; i++)
        *q++ = (uint8_t)exe[i];
    q = ct_put_uvarint(q, h->clock_kind);
    q = ct_put_uvarint(q, h->tsc_hz);
    q = ct_put_uvarint(q, tsc0);
    q = ct_put_uvarint(q, ns0);
    return ct_tw_record(self.w, CT_REC_PROCESS_BEGIN, buf, (size_t)(q - buf));
}

static void free_self(void)
{
    ct_drainer_free(&self.drainer);
    ct_tw_abandon(self.w);
    self.w = NULL;
    if (self.pool)
        munmap(self.pool, self.pool_bytes);
    self.pool = NULL;
}

int ct_start(const char *path)
{
    if (!path)
        return CT_EINVAL;
    pthread_mutex_lock(&self_lock);
    if (__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) || self.running) {
        pthread_mutex_unlock(&self_lock);
        return CT_EALREADY;
    }
    static int atexit_done;
    if (!atexit_done)
        atexit_done = atexit(stop_at_exit) == 0;

    uint32_t kind = ct__clock_choose();
    uint64_t hz = ct__clock_calibrate(kind, 5000000);
    if (hz == 0) {
        kind = CT_CLOCK_MONOTONIC;
        hz = 1000000000u;
    }
    self.pool_bytes = CT_POOL_DEFAULT_BYTES;
    self.pool = mmap(NULL, self.pool_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (self.pool == MAP_FAILED) {
        self.pool = NULL;
        pthread_mutex_unlock(&self_lock);
        return CT_ENOMEM;
    }
    int rc = CT_ENOMEM;
    if (ct_pool_init(self.pool, self.pool_bytes, kind, hz) == 0 ||
        ct_drainer_init(&self.drainer, self.pool, 0) != 0)
        goto fail;
    rc = ct_tw_open(&self.w, path, ct__mono_ns());
    if (rc != 0)
        goto fail;
    rc = CT_EIO;
    if (write_process_begin() != 0 || ct_tw_flush(self.w) != 0)
        goto fail;

    pthread_mutex_init(&self.lock, NULL);
    pthread_cond_init(&self.wake, NULL);
    self.stop = 0;
    /* The drain thread must not be traced: create it with libc's own
     * pthread_create before the session begins. */
    if (pthread_create(&self.thread, NULL, drain_loop, NULL) != 0)
        goto fail;
    self.running = 1;
    ct__session_begin(self.pool, CT_SESSION_SELF);
    pthread_mutex_unlock(&self_lock);
    return 0;
fail:;
    int e = errno;
    free_self();
    pthread_mutex_unlock(&self_lock);
    errno = e;
    return rc;
}

int ct_stop(void)
{
    pthread_mutex_lock(&self_lock);
    if (!self.running) {
        pthread_mutex_unlock(&self_lock);
        return CT_ENOTRACER;
    }
    ct__sched_stop_self(); /* the waits this thread has not reported yet */
    ct__session_end();
    uint64_t stop_mono_ns = ct__mono_ns();
    pthread_mutex_lock(&self.lock);
    self.stop = 1;
    pthread_cond_signal(&self.wake);
    pthread_mutex_unlock(&self.lock);
    pthread_join(self.thread, NULL);

    int rc = ct_drainer_pass(&self.drainer, self.w, 1);
    ct_pool_header *h = self.pool;
    uint8_t buf[5 * CT_UVARINT_MAX], *q = buf;
    q = ct_put_uvarint(q, 0);
    q = ct_put_uvarint(q, CT_EXIT_STOPPED);
    q = ct_put_uvarint(q, 0);
    q = ct_put_uvarint(q, __atomic_load_n(&h->dropped, __ATOMIC_RELAXED));
    q = ct_put_uvarint(q, stop_mono_ns);
    if (ct_tw_record(self.w, CT_REC_PROCESS_END, buf, (size_t)(q - buf)) != 0)
        rc = CT_EIO;
    if (ct_tw_close(self.w) != 0)
        rc = CT_EIO;
    self.w = NULL;
    ct_drainer_free(&self.drainer);
    /* Keep the mapping: a thread may still be finishing an event in it.
     * Give its pages back; they read as zeros if touched again. */
    madvise(self.pool, self.pool_bytes, MADV_DONTNEED);
    self.pool = NULL;
    self.running = 0;
    pthread_cond_destroy(&self.wake);
    pthread_mutex_destroy(&self.lock);
    pthread_mutex_unlock(&self_lock);
    return rc;
}
