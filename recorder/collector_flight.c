/*
 * collector_flight.c - the flight recorder of ctrace_collect.h: each child's
 * events go into a window of its most recent ones (window.h) instead of the
 * trace; traces are written from the window as a test fails, and when the
 * child ends (its last window, into the collector's trace if it has one).
 */
#include "recorder/collector_internal.h"

#include <errno.h>  /* errno */
#include <stdlib.h> /* free */
#include <string.h> /* strdup */
#include <unistd.h> /* close */

#include "common/clock.h" /* ct__mono_ns */

int ct__flight_pool(ct_collector *c, ct_child_pool *p)
{
    p->window = ct_window_new(c->window_bytes);
    if (!p->window)
        return CT_ENOMEM;
    ct_drainer_keep_window(&p->drainer, p->window);
    return 0;
}

void ct__flight_free(ct_child_pool *p)
{
    ct_window_free(p->window);
    free((char *)p->proc.exe);
    p->window = NULL;
    p->proc.exe = NULL;
}

void ct__flight_started(ct_collector *c, ct_child_pool *p, int pid, const char *exe,
                        uint64_t tsc0, uint64_t ns0)
{
    p->proc = (ct_window_proc){.proc = p->drainer.proc, .pid = (uint32_t)pid,
                               .exe = strdup(exe), .clock = c->clock_kind, .hz = c->tsc_hz,
                               .tsc0 = tsc0, .ns0 = ns0, .how = CT_EXIT_STOPPED};
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
        ct__flight_free(c->last);
        free(c->last);
    }
    c->last = p;
}

/* The child `pid` whose window a trace is asked of: running, or the last
 * that ended. */
static ct_child_pool *find_child(ct_collector *c, int pid)
{
    for (ct_child_pool *p = c->live; p; p = p->next)
        if (p->started && p->proc.pid == (uint32_t)pid)
            return p;
    return c->last && c->last->started && c->last->proc.pid == (uint32_t)pid ? c->last : NULL;
}

int ct_collector_window_write_fd(ct_collector *c, int pid, uint64_t task, int fd,
                                 ct_window_info *info)
{
    ct_child_pool *p = c && c->window_bytes ? find_child(c, pid) : NULL;
    if (!p) {
        close(fd);
        return CT_EINVAL;
    }
    ct_window_proc proc = p->proc;
    if (p->mem) { /* running: what it wrote until now, and how it stands */
        if (ct_drainer_pass(&p->drainer, c->w, 0) != 0)
            ct__collector_failed(c);
        take_counts(p);
        proc = p->proc;
        proc.end_ns = ct__mono_ns();
    }
    proc.proc = 0; /* the only process of its trace */
    ct_trace_writer *tw;
    int rc = ct_tw_open_fd(&tw, fd, c->start_mono_ns);
    if (rc != 0)
        return rc;
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
    if (rc == 0 && ct_outfile_commit(&f) != 0)
        rc = CT_EIO, e = errno;
    else if (rc != 0 && fd >= 0)
        ct_outfile_discard(&f);
    ct_outfile_free(&f);
    errno = e;
    return rc;
}
