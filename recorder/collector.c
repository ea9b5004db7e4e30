/* collector.c - the public collector of ctrace_collect.h: pools for children. */
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

struct ct_collector {
    ct_trace_writer *w;
    ct_outfile file;   /* written beside, renamed when closed */
    int failed_errno;  /* errno of the first write that failed */
    size_t pool_bytes;
    uint32_t clock_kind;
    uint64_t tsc_hz;
    uint32_t next_proc;
    uint32_t overflow; /* CT_POOL_OVERFLOW_* */
    int failed;
};

_Static_assert(CT_OVERFLOW_WAIT == CT_POOL_OVERFLOW_WAIT &&
                   CT_OVERFLOW_DROP == CT_POOL_OVERFLOW_DROP,
               "the public overflow modes are the pool's");

struct ct_child_pool {
    int fd;
    void *mem;
    size_t bytes;
    ct_drainer drainer;
    int started;
    uint64_t timeout_ns; /* killed for running past this, or 0 */
    uint32_t freed_seen; /* the pool's `freed` at the last ct_collector_child_waiting() */
};

int ct_collector_open(ct_collector **out, const char *path, size_t pool_bytes)
{
    if (!out || !path)
        return CT_EINVAL;
    *out = NULL;
    ct_collector *c = calloc(1, sizeof *c);
    if (!c)
        return CT_ENOMEM;
    c->pool_bytes = pool_bytes ? pool_bytes : CT_POOL_DEFAULT_BYTES;
    c->clock_kind = ct__clock_choose();
    /* One calibration for every child: the TSC is the machine's. */
    c->tsc_hz = ct__tsc_hz_cached(c->clock_kind);
    if (c->tsc_hz == 0) {
        c->clock_kind = CT_CLOCK_MONOTONIC;
        c->tsc_hz = 1000000000u;
    }
    int rc = CT_EIO, fd = -1;
    if (ct_outfile_begin(&c->file, path) == 0 && (fd = ct_outfile_open(&c->file)) >= 0)
        rc = ct_tw_open_fd(&c->w, fd, ct__mono_ns());
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
}

int ct_collector_child_waiting(const ct_collector *c, ct_child_pool *p)
{
    (void)c;
    return ct_pool_drain_again(p->mem, &p->freed_seen);
}

const char *ct_collector_path(const ct_collector *c)
{
    return ct_outfile_writing(&c->file);
}

/* A write failed: remember why for ct_collector_close(). */
static void note_failure(ct_collector *c)
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
    if (ct_pool_init(p->mem, p->bytes, c->clock_kind, c->tsc_hz, c->overflow) == 0) {
        errno = EINVAL;
        goto fail;
    }
    if (ct_drainer_init(&p->drainer, p->mem, c->next_proc++) != 0) {
        errno = ENOMEM;
        goto fail;
    }
    if (env && (size_t)snprintf(env, env_size, "%s=%d", CT_ENV_POOL_FD, p->fd) >= env_size) {
        errno = ENOSPC;
        goto fail;
    }
    *out = p;
    return 0;
fail:;
    int e = errno;
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
    size_t exe_len = strnlen(exe, 4096);
    uint8_t buf[4096 + 8 * CT_UVARINT_MAX], *q = buf;
    uint64_t tsc0, ns0;
    ct__clock_pair(h->clock_kind, &tsc0, &ns0);
    q = ct_put_uvarint(q, p->drainer.proc);
    q = ct_put_uvarint(q, (uint64_t)(uint32_t)pid);
    q = ct_put_uvarint(q, exe_len);
    memcpy(q, exe, exe_len);
    q += exe_len;
    q = ct_put_uvarint(q, c->clock_kind);
    q = ct_put_uvarint(q, c->tsc_hz);
    q = ct_put_uvarint(q, tsc0);
    q = ct_put_uvarint(q, ns0);
    if (ct_tw_record(c->w, CT_REC_PROCESS_BEGIN, buf, (size_t)(q - buf)) != 0)
        note_failure(c);
}

int ct_collector_drain(ct_collector *c, ct_child_pool *p)
{
    if (ct_drainer_pass(&p->drainer, c->w, 0) != 0)
        note_failure(c);
    return c->failed ? CT_EIO : 0;
}

void ct_collector_child_timed_out(ct_collector *c, ct_child_pool *p, uint64_t limit_ns)
{
    (void)c;
    p->timeout_ns = limit_ns ? limit_ns : 1;
}

int ct_collector_child_exited(ct_collector *c, ct_child_pool *p, int wait_status)
{
    uint64_t end_mono_ns = ct__mono_ns();
    if (ct_drainer_pass(&p->drainer, c->w, 1) != 0)
        note_failure(c);
    uint64_t how = CT_EXIT_UNKNOWN, code = 0;
    if (WIFEXITED(wait_status)) {
        how = CT_EXIT_CODE;
        code = (uint64_t)WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
        how = CT_EXIT_SIGNAL;
        code = (uint64_t)WTERMSIG(wait_status);
    }
    if (p->timeout_ns && how == CT_EXIT_SIGNAL && code == SIGKILL) {
        how = CT_EXIT_TIMEOUT;
        code = p->timeout_ns;
    }
    /* end: when waitpid() said it ended */
    if (ct_drainer_end(&p->drainer, c->w, how, code, end_mono_ns) != 0 ||
        ct_tw_flush(c->w) != 0)
        note_failure(c);
    ct_drainer_free(&p->drainer);
    munmap(p->mem, p->bytes);
    if (p->fd >= 0)
        close(p->fd);
    free(p);
    return c->failed ? CT_EIO : 0;
}

int ct_collector_close(ct_collector *c)
{
    if (!c)
        return 0;
    int rc = c->failed ? CT_EIO : ct_tw_close(c->w);
    int e = c->failed ? c->failed_errno : errno;
    if (c->failed)
        ct_tw_abandon(c->w); /* readable up to the failure: kept beside */
    else if (rc == 0 && ct_outfile_commit(&c->file) != 0)
        rc = CT_EIO, e = errno;
    ct_outfile_free(&c->file);
    free(c);
    errno = e;
    return rc;
}
