/* collector.c - the public collector of ctrace_collect.h: pools for children
 * (the flight recorder's windows: collector_flight.c). */
#include <ctrace_collect.h>

#include <errno.h>    /* errno */
#include <fcntl.h>    /* fcntl */
#include <signal.h>   /* WIFSIGNALED */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* calloc, free */
#include <string.h>   /* strlen, memcpy */
#include <sys/mman.h> /* memfd_create, mmap */
#include <sys/wait.h> /* WIFEXITED */
#include <unistd.h>   /* ftruncate, close */

#include "format/pool.h"
#include "common/clock.h"
#include "recorder/drain.h"
#include "recorder/outfile.h"
#include "recorder/trace_writer.h"
#include "recorder/tsc_cache.h"
#include "recorder/collector_internal.h"

/* How often the trace file gets a whole zstd block of what was drained: a
 * file cut at any point holds what came before its last one. */
#define FLUSH_EVERY_NS 10000000u

/* A collector writing `path` (NULL: no trace, a flight recorder only). */
static int open_collector(ct_collector **out, const char *path, size_t pool_bytes,
                          size_t window_bytes)
{
    *out = NULL;
    ct_collector *c = calloc(1, sizeof *c);
    if (!c)
        return CT_ENOMEM;
    c->pool_bytes = pool_bytes ? pool_bytes : CT_POOL_DEFAULT_BYTES;
    if (window_bytes && !pool_bytes) /* a pool that stays small with its window */
        c->pool_bytes = window_bytes < CT_FLIGHT_POOL_MIN / 2   ? CT_FLIGHT_POOL_MIN
                        : window_bytes > CT_POOL_DEFAULT_BYTES / 2 ? CT_POOL_DEFAULT_BYTES
                                                                   : 2 * window_bytes;
    c->window_bytes = window_bytes;
    c->scratch_fd = -1;
    c->clock_kind = ct__clock_choose();
    /* One calibration for every child: the TSC is the machine's. */
    c->tsc_hz = ct__tsc_hz_cached(c->clock_kind, &c->tsc_hz_cached);
    if (c->tsc_hz == 0) {
        c->clock_kind = CT_CLOCK_MONOTONIC;
        c->tsc_hz = 1000000000u;
    }
    if (c->tsc_hz_cached)
        ct__tsc_mark(c->clock_kind, &c->start_mark);
    c->start_mono_ns = ct__mono_ns();
    if (path == NULL) {
        *out = c;
        return 0;
    }
    int rc = CT_EIO, fd = -1;
    if (ct_outfile_begin(&c->file, path) == 0 && (fd = ct_outfile_open(&c->file)) >= 0)
        rc = ct_tw_open_fd(&c->w, fd, c->start_mono_ns);
    if (rc == 0) /* the caller may drain more often: a block stays this long's worth */
        ct_tw_flush_every(c->w, FLUSH_EVERY_NS);
    if (rc != 0) {
        int e = errno;
        if (fd >= 0)
            ct_outfile_discard(&c->file); /* nothing worth keeping */
        ct_outfile_free(&c->file);
        free(c);
        errno = e;
        return rc == CT_ENOMEM ? rc : CT_EIO;
    }
    *out = c;
    return 0;
}

int ct_collector_open(ct_collector **out, const char *path, size_t pool_bytes)
{
    if (!out || !path)
        return CT_EINVAL;
    return open_collector(out, path, pool_bytes, 0);
}

int ct_collector_open_flight(ct_collector **out, const char *path, size_t pool_bytes,
                             size_t window_bytes)
{
    if (!out || window_bytes < CT_WINDOW_MIN_BYTES)
        return CT_EINVAL;
    return open_collector(out, path, pool_bytes, window_bytes);
}

int ct_collector_set_overflow(ct_collector *c, int mode)
{
    if (!c || (mode != CT_OVERFLOW_WAIT && mode != CT_OVERFLOW_DROP))
        return CT_EINVAL;
    c->overflow = (uint32_t)mode;
    return 0;
}

void ct_collector_child_progress(const ct_collector *c, const ct_child_pool *p,
                                 ct_child_progress *out)
{
    (void)c;
    const ct_pool_header *h = p->mem;
    out->tests_begun = __atomic_load_n(&h->tests_begun, __ATOMIC_ACQUIRE);
    out->tests_ended = __atomic_load_n(&h->tests_ended, __ATOMIC_ACQUIRE);
    out->fixtures_begun = __atomic_load_n(&h->fixtures_begun, __ATOMIC_ACQUIRE);
    out->fixtures_ended = __atomic_load_n(&h->fixtures_ended, __ATOMIC_ACQUIRE);
    out->progress_mono_ns = __atomic_load_n(&h->progress_ns, __ATOMIC_ACQUIRE);
    out->events_lost = ct_pool_dropped(h);
    out->stack_signal = (int)__atomic_load_n(&h->stack_signal, __ATOMIC_ACQUIRE);
    out->stacks_answered = __atomic_load_n(&h->stacks_answered, __ATOMIC_ACQUIRE);
    out->tests_pid = (int)__atomic_load_n(&p->drainer.procs[0].pid, __ATOMIC_ACQUIRE);
}

int ct_collector_child_waiting(const ct_collector *c, ct_child_pool *p)
{
    (void)c;
    return ct_pool_drain_again(p->mem, &p->freed_seen);
}

int ct_collector_set_context(ct_collector *c, const char *traceparent, const char *tracestate)
{
    if (!c || !traceparent || c->context)
        return CT_EINVAL;
    if (!tracestate)
        tracestate = "";
    size_t np = strlen(traceparent), ns = strlen(tracestate);
    uint8_t *buf = malloc(np + ns + 2 * CT_UVARINT_MAX), *p = buf;
    if (!buf)
        return CT_ENOMEM;
    p = ct_put_uvarint(p, np);
    memcpy(p, traceparent, np);
    p = ct_put_uvarint(p + np, ns);
    memcpy(p, tracestate, ns);
    c->context = buf;
    c->context_len = (size_t)(p + ns - buf);
    if (c->w && ct__collector_write_context(c, c->w) != 0) {
        ct__collector_failed(c);
        return CT_EIO;
    }
    return 0;
}

int ct__collector_write_context(const ct_collector *c, ct_trace_writer *w)
{
    if (!c->context)
        return 0;
    return ct_tw_record(w, CT_REC_TRACE_CONTEXT, c->context, c->context_len) == 0 &&
                   ct_tw_flush(w) == 0
               ? 0
               : CT_EIO;
}

const char *ct_collector_path(const ct_collector *c)
{
    return c->w ? ct_outfile_writing(&c->file) : NULL;
}

void ct__collector_failed(ct_collector *c)
{
    if (!c->failed)
        c->failed_errno = errno;
    c->failed = 1;
}

int ct_collector_pool(ct_collector *c, ct_child_pool **out, char *env, size_t env_size)
{
    *out = NULL;
    ct_child_pool *p = calloc(1, sizeof *p);
    if (!p)
        return CT_ENOMEM;
    p->bytes = c->pool_bytes;
    p->fd = memfd_create("ctrace-pool", MFD_CLOEXEC);
    if (p->fd < 0 || ftruncate(p->fd, (off_t)p->bytes) != 0)
        goto fail;
    p->mem = mmap(NULL, p->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
    if (p->mem == MAP_FAILED) {
        p->mem = NULL;
        goto fail;
    }
    if (ct_pool_init(p->mem, p->bytes, c->clock_kind, c->tsc_hz, c->overflow, 1) == 0) { /* a new memfd */
        errno = EINVAL;
        goto fail;
    }
    if (ct_drainer_init(&p->drainer, p->mem, c->next_proc++) != 0 ||
        (c->window_bytes && ct__flight_pool(c, p) != 0)) {
        errno = ENOMEM;
        goto fail;
    }
    ct__kids_init(p);
    if (c->window_bytes) /* a window holds one process: its children's events are not kept */
        for (uint32_t s = 1; s < CT_POOL_PROCS; s++)
            p->drainer.proc_of[s] = CT_DRAIN_DROP;
    if (env && (size_t)snprintf(env, env_size, "%s=%d", CT_ENV_POOL_FD, p->fd) >= env_size) {
        errno = ENOSPC;
        goto fail;
    }
    if (c->window_bytes) { /* found by its pid to write its window */
        p->next = c->live;
        c->live = p;
    }
    *out = p;
    return 0;
fail:;
    int e = errno;
    ct__flight_free(p);
    ct_drainer_free(&p->drainer);
    if (p->mem)
        munmap(p->mem, p->bytes);
    if (p->fd >= 0)
        close(p->fd);
    free(p);
    errno = e;
    return CT_ESYSTEM;
}

int ct_child_pool_inherit(const ct_child_pool *p)
{
    int flags = fcntl(p->fd, F_GETFD);
    if (flags < 0 || fcntl(p->fd, F_SETFD, flags & ~FD_CLOEXEC) != 0)
        return CT_ESYSTEM;
    return 0;
}

void ct_collector_child_started(ct_collector *c, ct_child_pool *p, int pid,
                                const char *exe_path)
{
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    p->started = 1;
    ct_pool_header *h = p->mem;
    const char *exe = exe_path ? exe_path : "";
    uint64_t tsc0, ns0;
    ct__clock_pair(h->clock_kind, &tsc0, &ns0);
    /* What its trace says of it (its PROCESS_BEGIN waits for the process
     * that runs its tests to name itself: ct__kids_drain()). */
    p->proc = (ct_window_proc){.proc = p->drainer.proc, .pid = (uint32_t)pid,
                               .exe = strdup(exe), .clock = c->clock_kind, .hz = c->tsc_hz,
                               .tsc0 = tsc0, .ns0 = ns0, .how = CT_EXIT_WINDOW};
    ct__owner_started(p, pid, exe);
    /* The child loads for a millisecond or so before it writes anything:
     * the compressor's set-up happens meanwhile, not after the child ends. */
    if (!p->window && ct_tw_prepare(c->w) != 0)
        ct__collector_failed(c);
}

int ct_collector_drain(ct_collector *c, ct_child_pool *p)
{
    if ((p->window ? ct_drainer_pass(&p->drainer, c->w, 0) : ct__kids_drain(c, p, 0)) != 0)
        ct__collector_failed(c);
    if (p->window)
        ct__flight_after_pass(c, p);
    return c->failed ? CT_EIO : 0;
}

void ct_collector_child_timed_out(ct_collector *c, ct_child_pool *p, uint64_t limit_ns)
{
    (void)c;
    p->timeout_ns = limit_ns ? limit_ns : 1;
}

void ct_collector_child_reaped(ct_collector *c, ct_child_pool *p)
{
    (void)c;
    if (!p->exited_ns)
        p->exited_ns = ct__mono_ns();
    p->exited = 1;
}

int ct_collector_children_running(const ct_collector *c, ct_child_pool *p)
{
    return c->window_bytes ? 0 : ct__kids_running(p);
}

int ct_collector_child_exited(ct_collector *c, ct_child_pool *p, int wait_status)
{
    uint64_t end_mono_ns = p->exited_ns ? p->exited_ns : ct__mono_ns();
    p->exited = 1;
    if ((p->window ? ct_drainer_pass(&p->drainer, c->w, 1) : ct__kids_drain(c, p, 1)) != 0)
        ct__collector_failed(c);
    ct__kids_free(p);
    /* Processes still running stop waiting for room: nothing drains it now. */
    __atomic_store_n(&((ct_pool_header *)p->mem)->closed, 1, __ATOMIC_RELEASE);
    ct_pool_note_freed(p->mem);
    uint64_t how = CT_EXIT_UNKNOWN, code = 0;
    if (WIFEXITED(wait_status)) {
        how = CT_EXIT_CODE;
        code = (uint64_t)WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
        how = CT_EXIT_SIGNAL;
        code = (uint64_t)WTERMSIG(wait_status);
    }
    /* Out of time: killed, or ended some other way once asked for its
     * stacks (let go early, or dead of the request's signal): a timeout. */
    if (p->timeout_ns) {
        how = CT_EXIT_TIMEOUT;
        code = p->timeout_ns;
    }
    /* end: when waitpid() said it ended */
    if (p->window)
        ct__flight_exited(c, p, how, code, end_mono_ns); /* p is kept, its window */
    else if (p->started && (ct_drainer_end(&p->drainer, c->w, how, code, end_mono_ns) != 0 ||
                            ct_tw_flush(c->w) != 0))
        ct__collector_failed(c);
    ct_drainer_free(&p->drainer);
    munmap(p->mem, p->bytes);
    p->mem = NULL;
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    if (!p->window) {
        ct__owner_free(p);
        free(p);
    }
    return c->failed ? CT_EIO : 0;
}

int ct_collector_close(ct_collector *c)
{
    if (!c)
        return 0;
    if (c->last) {
        ct__flight_free(c->last);
        free(c->last);
    }
    ct__flight_forget(c, -1);
    if (c->tsc_hz_cached)
        ct__tsc_hz_verify(c->clock_kind, c->tsc_hz, &c->start_mark);
    int rc = c->failed ? CT_EIO : ct_tw_close(c->w);
    int e = c->failed ? c->failed_errno : errno;
    if (c->failed)
        ct_tw_abandon(c->w); /* readable up to the failure: kept beside */
    else if (rc == 0 && c->w && ct_outfile_commit_swap(&c->file) != 0)
        rc = CT_EIO, e = errno;
    ct_outfile_free(&c->file);
    free(c->context);
    free(c);
    errno = e;
    return rc;
}
