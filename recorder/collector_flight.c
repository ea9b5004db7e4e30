/*
 * collector_flight.c - the flight recorder of ctrace_collect.h: each child's
 * events go into a window of its most recent ones (window.h) instead of the
 * trace. A test that fails and ends in a drain pass has its trace written
 * from the window right after that pass (into a memfd, until asked for: the
 * child runs on, and the window with it, while the runner reads its
 * output); a crash or a timeout, when asked for; and each child's last
 * window when it ends, into the collector's trace if it has one.
 */
#include "recorder/collector_internal.h"

#include <errno.h>    /* errno */
#include <stdlib.h>   /* free, malloc, realloc */
#include <string.h>   /* strdup, memmove */
#include <sys/mman.h> /* memfd_create */
#include <sys/stat.h> /* fstat */
#include <unistd.h>   /* close, dup, ftruncate, lseek, pread, write */

#include "common/clock.h" /* ct__mono_ns */

static void prepare(ct_collector *c, ct_child_pool *p, uint64_t task);

/* The window is about to move past a test that failed: its trace now. */
static void failed_now(void *ctx, uint64_t task)
{
    ct_child_pool *p = ctx;
    prepare(p->collector, p, task);
}

int ct__flight_pool(ct_collector *c, ct_child_pool *p)
{
    p->window = ct_window_new(c->window_bytes);
    if (!p->window)
        return CT_ENOMEM;
    p->collector = c;
    ct_window_on_failed(p->window, failed_now, p);
    ct_drainer_keep_window(&p->drainer, p->window);
    return 0;
}

void ct__flight_free(ct_child_pool *p)
{
    ct_window_free(p->window);
    ct__owner_free(p);
    p->window = NULL;
}

/* What p's pool counted: its losses and its waits for room. */
static void take_counts(ct_child_pool *p)
{
    const ct_pool_header *h = p->mem;
    p->proc.dropped = ct_pool_dropped(h);
    p->proc.stalls = __atomic_load_n(&h->stalls, __ATOMIC_RELAXED);
    p->proc.stall_ns = __atomic_load_n(&h->stall_ns, __ATOMIC_RELAXED);
}

static void unlink_live(ct_collector *c, ct_child_pool *p)
{
    for (ct_child_pool **at = &c->live; *at; at = &(*at)->next) {
        if (*at == p) {
            *at = p->next;
            p->next = NULL;
            return;
        }
    }
}

void ct__flight_exited(ct_collector *c, ct_child_pool *p, uint64_t how, uint64_t code,
                       uint64_t end_mono_ns)
{
    ct__flight_after_pass(c, p); /* its final pass */
    unlink_live(c, p);
    take_counts(p);
    p->proc.how = how;
    p->proc.code = code;
    p->proc.end_ns = end_mono_ns;
    /* The trace gets each child's last window, whole. */
    if (c->w && p->started &&
        (ct_window_write(p->window, c->w, &p->proc, 0, NULL) != 0 || ct_tw_flush(c->w) != 0))
        ct__collector_failed(c);
    if (c->last) {
        ct__flight_forget(c, c->last->child_pid);
        ct__flight_free(c->last);
        free(c->last);
    }
    c->last = p;
}

/* The child whose window a trace is asked of, running or the last that
 * ended: by its pid, or by the pid of the process that ran its tests (the
 * markers' and the trace's, when a wrapper started that process). */
static int is_child(const ct_child_pool *p, int pid)
{
    return p->started && (p->child_pid == pid || (p->owner_known && (int)p->proc.pid == pid));
}

static ct_child_pool *find_child(ct_collector *c, int pid)
{
    for (ct_child_pool *p = c->live; p; p = p->next)
        if (is_child(p, pid))
            return p;
    return c->last && is_child(c->last, pid) ? c->last : NULL;
}

/* A trace of p's window (of `task`, 0: all of it) on fd, closed. */
static int write_window(ct_collector *c, ct_child_pool *p, uint64_t task, int fd,
                        ct_window_info *info)
{
    ct_window_proc proc = p->proc;
    if (p->mem) { /* running: how it stands now */
        take_counts(p);
        proc = p->proc;
        proc.end_ns = ct__mono_ns();
    }
    proc.proc = 0; /* the only process of its trace */
    ct_trace_writer *tw;
    int rc = ct_tw_open_fd(&tw, fd, c->start_mono_ns);
    if (rc != 0)
        return rc;
    if (ct__collector_write_context(c, tw) != 0) {
        ct_tw_abandon(tw);
        return CT_EIO;
    }
    ct_window_report r;
    rc = ct_window_write(p->window, tw, &proc, task, &r);
    if (rc != 0) {
        ct_tw_abandon(tw);
        return rc;
    }
    if (ct_tw_close(tw) != 0)
        return CT_EIO;
    if (info) {
        uint64_t end = r.end_ns > r.begin_ns ? r.end_ns : r.begin_ns;
        *info = (ct_window_info){
            .found = r.found,
            .task_cut = r.task_cut,
            .cut_events = r.cut,
            .task_ns = r.found ? end - r.begin_ns : 0,
            .kept_ns = r.found && end > r.kept_from_ns ? end - r.kept_from_ns : 0,
        };
    }
    return 0;
}

static void forget(ct_collector *c, size_t i)
{
    ct_prepared *w = &c->prepared[i];
    c->prepared_bytes -= sizeof *w + w->len;
    free(w->trace);
    memmove(w, w + 1, (--c->nprepared - i) * sizeof *w);
}

void ct__flight_forget(ct_collector *c, int pid)
{
    for (size_t i = c->nprepared; i-- > 0;)
        if (pid < 0 || c->prepared[i].pid == pid || c->prepared[i].tests_pid == pid)
            forget(c, i);
    if (pid < 0) {
        free(c->prepared);
        c->prepared = NULL;
        c->prepared_cap = 0;
        if (c->scratch_fd >= 0)
            close(c->scratch_fd);
        c->scratch_fd = -1;
    }
}

/* The trace of `task` of p, written into the scratch memfd, read back into
 * *out (malloc'd) unless it is over `room` bytes. @return 0, 1 (too large:
 * *out NULL), -1. */
static int write_scratch(ct_collector *c, ct_child_pool *p, uint64_t task, size_t room,
                         uint8_t **out, size_t *len, ct_window_info *info)
{
    *out = NULL;
    if (c->scratch_fd < 0 && (c->scratch_fd = memfd_create("ctest-trace-failed",
                                                           MFD_CLOEXEC)) < 0)
        return -1;
    int copy = ftruncate(c->scratch_fd, 0) == 0 && lseek(c->scratch_fd, 0, SEEK_SET) == 0
                   ? dup(c->scratch_fd) : -1;
    if (copy < 0 || write_window(c, p, task, copy, info) != 0)
        return -1;
    struct stat st;
    if (fstat(c->scratch_fd, &st) != 0)
        return -1;
    *len = (size_t)st.st_size;
    if (*len > room)
        return 1;
    if (!(*out = malloc(*len ? *len : 1)))
        return -1;
    for (size_t done = 0; done < *len;) {
        ssize_t n = pread(c->scratch_fd, *out + done, *len - done, (off_t)done);
        if (n <= 0 && !(n < 0 && errno == EINTR)) {
            free(*out);
            *out = NULL;
            return -1;
        }
        done += n > 0 ? (size_t)n : 0;
    }
    return 0;
}

/* Write the trace of failed task `task` of p, until asked for: kept while
 * the traces waiting (and these notes) take less than
 * CT_WINDOW_WAITING_BYTES(), else a note that it was not kept
 * (neither, past that: asked for, it is written from the window as it is
 * then, and says so). */
static void prepare(ct_collector *c, ct_child_pool *p, uint64_t task)
{
    size_t budget = CT_WINDOW_WAITING_BYTES(c->window_bytes);
    ct_prepared w = {.pid = p->child_pid, .tests_pid = (int)p->proc.pid, .task = task};
    if (!p->started || c->prepared_bytes + sizeof w > budget)
        return;
    if (c->nprepared == c->prepared_cap) {
        size_t cap = c->prepared_cap ? 2 * c->prepared_cap : 16;
        ct_prepared *v = realloc(c->prepared, cap * sizeof *v);
        if (!v)
            return;
        c->prepared = v;
        c->prepared_cap = cap;
    }
    int rc = write_scratch(c, p, task, budget - c->prepared_bytes - sizeof w, &w.trace, &w.len,
                           &w.info);
    if (rc < 0)
        return; /* asked for, it is written from the window then */
    if (rc > 0)
        w = (ct_prepared){.pid = w.pid, .tests_pid = w.tests_pid, .task = task,
                          .info.not_kept = 1};
    c->prepared[c->nprepared++] = w;
    c->prepared_bytes += sizeof w + w.len;
}

void ct__flight_after_pass(ct_collector *c, ct_child_pool *p)
{
    ct__owner_take(p); /* before a window is written: its process */
    uint64_t tasks[CT_WINDOW_FAILED_MAX];
    size_t n = ct_window_take_failed(p->window, tasks, CT_WINDOW_FAILED_MAX);
    for (size_t i = 0; i < n; i++)
        prepare(c, p, tasks[i]);
}

/* Write `len` bytes to fd. @return 0 or -1. */
static int write_all(int fd, const uint8_t *bytes, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t k = write(fd, bytes + done, len - done);
        if (k < 0 && errno != EINTR)
            return -1;
        done += k > 0 ? (size_t)k : 0;
    }
    return 0;
}

/* The trace of `task` of `pid`, if it was written as the task ended: copied
 * to fd (closed). @return 1 with *rc, or 0 if there is none (*not_kept: its
 * trace was written but not kept). */
static int take_prepared(ct_collector *c, int pid, uint64_t task, int fd, ct_window_info *info,
                         int *rc, int *not_kept)
{
    for (size_t i = 0; task && i < c->nprepared; i++) {
        ct_prepared *w = &c->prepared[i];
        if ((w->pid != pid && w->tests_pid != pid) || w->task != task)
            continue;
        if (!w->trace) {
            *not_kept = 1;
            forget(c, i);
            return 0;
        }
        *rc = write_all(fd, w->trace, w->len) == 0 ? 0 : CT_EIO;
        if (close(fd) != 0 && *rc == 0)
            *rc = CT_EIO;
        if (*rc == 0 && info)
            *info = w->info;
        forget(c, i);
        return 1;
    }
    return 0;
}

int ct_collector_window_write_fd(ct_collector *c, int pid, uint64_t task, int fd,
                                 ct_window_info *info)
{
    int rc, not_kept = 0;
    if (c && take_prepared(c, pid, task, fd, info, &rc, &not_kept))
        return rc;
    ct_child_pool *p = c && c->window_bytes ? find_child(c, pid) : NULL;
    if (!p) {
        close(fd);
        return CT_EINVAL;
    }
    if (p->mem) { /* running: what it wrote until now (the task may end in it) */
        if (ct_drainer_pass(&p->drainer, c->w, 0) != 0)
            ct__collector_failed(c);
        ct__flight_after_pass(c, p);
        if (take_prepared(c, pid, task, fd, info, &rc, &not_kept))
            return rc;
    }
    rc = write_window(c, p, task, fd, info);
    if (rc == 0 && info && !info->found)
        info->not_kept = not_kept;
    return rc;
}

int ct_collector_window_write(ct_collector *c, int pid, uint64_t task, const char *path,
                              ct_window_info *info)
{
    if (!path)
        return CT_EINVAL;
    ct_outfile f;
    if (ct_outfile_begin(&f, path) != 0)
        return CT_EIO;
    int fd = ct_outfile_open(&f);
    int rc = fd < 0 ? CT_EIO : ct_collector_window_write_fd(c, pid, task, fd, info);
    int e = errno;
    if (rc == 0 && ct_outfile_commit_swap(&f) != 0)
        rc = CT_EIO, e = errno;
    else if (rc != 0 && fd >= 0)
        ct_outfile_discard(&f);
    ct_outfile_free(&f);
    errno = e;
    return rc;
}
