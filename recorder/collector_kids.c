/*
 * collector_kids.c - the processes a child's tests start (fork, exec), which
 * trace into the child's pool under slots of its process table
 * (format/pool.h): each is a process of the trace, begun when its slot is
 * first seen, ended once it is dead and its parent reaped it (how it ended
 * is then known), or its parent is gone too, or the child itself ended.
 * Whether it is dead: a pidfd (any process's, not only ours), else
 * common/proc_gone.h.
 */
#include <errno.h>       /* errno, ESRCH */
#include <poll.h>        /* poll */
#include <stdio.h>       /* snprintf */
#include <stdlib.h>      /* malloc, free */
#include <string.h>      /* strnlen, memcpy, strcmp, strdup */
#include <sys/syscall.h> /* SYS_pidfd_open */
#include <sys/wait.h>    /* WIFEXITED */
#include <unistd.h>      /* readlink, close, syscall */

#include "common/clock.h"
#include "common/proc_gone.h"
#include "recorder/collector_internal.h"

#define NAME_AFTER_NS 50000000ull /* 50 ms: PROCESS_BEGIN waits for an exec that soon */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

void ct__kids_init(ct_child_pool *p)
{
    for (uint32_t s = 0; s < CT_POOL_PROCS; s++)
        p->kids[s] = (ct_kid){.pidfd = -1};
}

/* What process `pid` runs now, into k->exe (kept if it cannot be told: it
 * is gone). */
int ct__proc_exe(uint32_t pid, char *exe, size_t cap)
{
    char link[48];
    snprintf(link, sizeof link, "/proc/%u/exe", pid);
    ssize_t n = readlink(link, exe, cap - 1);
    exe[n > 0 ? n : 0] = '\0';
    return n > 0 ? 0 : -1;
}

static void look_at_exe(ct_kid *k)
{
    char exe[4096];
    if (ct__proc_exe(k->pid, exe, sizeof exe) != 0)
        return;
    if (k->exe && strcmp(k->exe, exe) == 0)
        return;
    char *copy = strdup(exe);
    if (copy) {
        free(k->exe);
        k->exe = copy;
    }
}

/* Slot s is running: follow its pid from now on. */
static void see(ct_child_pool *p, uint32_t s, uint64_t now)
{
    ct_kid *k = &p->kids[s];
    k->seen = 1;
    k->seen_ns = now;
    k->pid = p->drainer.procs[s].pid;
    k->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)k->pid, 0);
    if (k->pidfd < 0 && errno == ESRCH) {
        k->exited = 1; /* already gone (and reaped) */
        k->exited_ns = now;
    }
}

/* PROCESS_BEGIN of slot s, under its parent's process (begun). */
static int begin(ct_collector *c, ct_child_pool *p, uint32_t s, uint32_t parent_proc)
{
    ct_pool_proc *slot = &p->drainer.procs[s];
    ct_kid *k = &p->kids[s];
    /* What it ran when last seen; else what it said it ran. */
    const char *exe = k->exe ? k->exe : slot->exe;
    size_t n = k->exe ? strlen(exe) : strnlen(exe, sizeof slot->exe);
    uint32_t proc = c->next_proc++;
    p->drainer.proc_of[s] = proc;
    p->drainer.ending[s] = 0;
    k->begun = 1;
    ct_tw_process begin = {
        .proc = proc, .pid = k->pid, .exe = exe, .exe_len = n, .clock = c->clock_kind,
        .hz = c->tsc_hz, .tsc0 = slot->tsc0, .ns0 = slot->ns0, .has_parent = 1,
        .parent = 1 + (uint64_t)parent_proc, /* since 1.8 */
        .ptask = slot->parent_task,
        .inherit = slot->inherit >= slot->parent_task ? slot->inherit : slot->parent_task};
    return ct_tw_process_begin(c->w, &begin);
}

/* Whether slot s's PROCESS_BEGIN is due: a while after it was first seen,
 * so that a fork that execs at once is named by what it exec'd (its events
 * wait in the pool meanwhile), or once it is dead, or at the end. */
static int due(const ct_child_pool *p, uint32_t s, uint64_t now, int final)
{
    const ct_kid *k = &p->kids[s];
    return final || k->exited || now - k->seen_ns >= NAME_AFTER_NS ||
           __atomic_load_n(&p->drainer.procs[s].state, __ATOMIC_ACQUIRE) == CT_PROC_REAPED;
}

/* The processes begun since the last look, parents first. */
static int begin_new(ct_collector *c, ct_child_pool *p, int final)
{
    int rc = 0;
    uint64_t now = ct__mono_ns();
    for (uint32_t s = 1; s < CT_POOL_PROCS; s++) {
        ct_kid *k = &p->kids[s];
        uint32_t state = __atomic_load_n(&p->drainer.procs[s].state, __ATOMIC_ACQUIRE);
        if (!k->seen && (state == CT_PROC_RUNNING || state == CT_PROC_REAPED))
            see(p, s, now);
        if (k->seen && !k->begun && !k->exited)
            look_at_exe(k);
    }
    for (int progress = 1; progress;) {
        progress = 0;
        for (uint32_t s = 1; s < CT_POOL_PROCS; s++) {
            if (!p->kids[s].seen || p->kids[s].begun || !due(p, s, now, final))
                continue;
            uint32_t parent = p->drainer.procs[s].parent;
            if (parent >= CT_POOL_PROCS || parent == s)
                parent = 0; /* scribbled on: the child's */
            if (parent != 0 && !p->kids[parent].begun && p->kids[parent].seen)
                continue; /* its parent first (a later round, or drain) */
            if (begin(c, p, s, p->drainer.proc_of[parent == 0 || p->kids[parent].begun
                                                        ? parent : 0]) != 0)
                rc = CT_EIO;
            progress = 1;
        }
    }
    return rc;
}

/* Look whether the running ones died. */
static void look(ct_child_pool *p)
{
    struct pollfd fds[CT_POOL_PROCS];
    uint32_t of[CT_POOL_PROCS], n = 0;
    uint64_t now = ct__mono_ns();
    for (uint32_t s = 1; s < CT_POOL_PROCS; s++) {
        ct_kid *k = &p->kids[s];
        if (!k->seen || k->exited)
            continue;
        uint32_t state = __atomic_load_n(&p->drainer.procs[s].state, __ATOMIC_ACQUIRE);
        if (state == CT_PROC_REAPED || (k->pidfd < 0 && ct_proc_gone((int)k->pid))) {
            k->exited = 1;
            k->exited_ns = now;
        } else if (k->pidfd >= 0) {
            fds[n] = (struct pollfd){.fd = k->pidfd, .events = POLLIN};
            of[n++] = s;
        }
    }
    if (n == 0 || poll(fds, n, 0) <= 0)
        return;
    for (uint32_t i = 0; i < n; i++)
        if (fds[i].revents) {
            p->kids[of[i]].exited = 1;
            p->kids[of[i]].exited_ns = now;
        }
}

/* Slot s can end: it is dead and how it ended is known or will never be
 * (its parent, which would reap it, is gone), or the child itself ended. */
static int can_end(const ct_child_pool *p, uint32_t s, int final)
{
    const ct_kid *k = &p->kids[s];
    if (final)
        return 1;
    if (!k->exited)
        return 0;
    if (__atomic_load_n(&p->drainer.procs[s].state, __ATOMIC_ACQUIRE) == CT_PROC_REAPED)
        return 1;
    uint32_t parent = p->drainer.procs[s].parent;
    if (parent == 0 || parent >= CT_POOL_PROCS)
        return p->exited;
    return !p->kids[parent].seen || p->kids[parent].exited;
}

/* PROCESS_END of slot s (its last chunks drained), and its slot freed. */
static int end(ct_collector *c, ct_child_pool *p, uint32_t s)
{
    ct_kid *k = &p->kids[s];
    ct_pool_proc *slot = &p->drainer.procs[s];
    uint64_t how = CT_EXIT_UNKNOWN, code = 0, end_ns = k->exited_ns;
    /* Its exit, or its parent's wait, saw it end before we did. */
    uint64_t said = __atomic_load_n(&slot->end_ns, __ATOMIC_RELAXED);
    if (said && said < end_ns && said >= slot->ns0)
        end_ns = said;
    if (!k->exited) {
        how = CT_EXIT_RUNNING; /* the child ended, this one runs on untraced */
        end_ns = ct__mono_ns();
    } else if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) == CT_PROC_REAPED) {
        int status = (int)slot->status;
        if (WIFEXITED(status))
            how = CT_EXIT_CODE, code = (uint64_t)WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
            how = CT_EXIT_SIGNAL, code = (uint64_t)WTERMSIG(status);
    }
    int rc = ct_drainer_end_slot(&p->drainer, c->w, s, how, code, end_ns);
    if (k->pidfd >= 0)
        close(k->pidfd);
    free(k->exe);
    *k = (ct_kid){.pidfd = -1};
    p->drainer.proc_of[s] = CT_DRAIN_NOT_YET;
    p->drainer.ending[s] = 0;
    if (how != CT_EXIT_RUNNING) /* dead: nothing of it writes there again */
        __atomic_store_n(&slot->state, CT_PROC_FREE, __ATOMIC_RELEASE);
    return rc;
}

/* PROCESS_BEGIN of the child itself, as the process that runs its tests
 * (collector_owner.c), or as started if none named itself by the end.
 * @return 1 begun, 0 not yet, or CT_EIO. */
static int begin_child(ct_collector *c, ct_child_pool *p, int final)
{
    if (!p->started || (!ct__owner_take(p) && !final))
        return 0; /* never started (its fork failed): no process to say */
    p->begun = 1;
    const char *exe = p->proc.exe ? p->proc.exe : "";
    ct_tw_process begin = {.proc = p->proc.proc, .pid = p->proc.pid, .exe = exe,
                           .exe_len = strnlen(exe, 4096), .clock = p->proc.clock,
                           .hz = p->proc.hz, .tsc0 = p->proc.tsc0, .ns0 = p->proc.ns0};
    return ct_tw_process_begin(c->w, &begin) != 0 ? CT_EIO : 1;
}

int ct__kids_drain(ct_collector *c, ct_child_pool *p, int final)
{
    if (!p->begun) {
        int begun = begin_child(c, p, final);
        if (begun <= 0)
            return begun; /* nothing of it is in the pool before it names itself */
    }
    int rc = begin_new(c, p, final);
    if (ct_drainer_pass(&p->drainer, c->w, final) != 0)
        rc = CT_EIO;
    look(p);
    uint32_t ending = 0;
    for (uint32_t s = 1; s < CT_POOL_PROCS; s++)
        if (p->kids[s].begun && can_end(p, s, final)) {
            p->drainer.ending[s] = 1;
            ending++;
        }
    if (ending == 0)
        return rc;
    /* Their last chunks (a dead thread never hands its chunk back). */
    if (!final && ct_drainer_pass(&p->drainer, c->w, 0) != 0)
        rc = CT_EIO;
    for (uint32_t s = 1; s < CT_POOL_PROCS; s++)
        if (p->drainer.ending[s] && end(c, p, s) != 0)
            rc = CT_EIO;
    return rc;
}

int ct__kids_running(ct_child_pool *p)
{
    look(p);
    int n = 0;
    for (uint32_t s = 1; s < CT_POOL_PROCS; s++)
        n += p->kids[s].seen && !p->kids[s].exited;
    /* Begun since the last drain: running too. */
    for (uint32_t s = 1; s < CT_POOL_PROCS; s++)
        n += !p->kids[s].seen &&
             __atomic_load_n(&p->drainer.procs[s].state, __ATOMIC_ACQUIRE) == CT_PROC_RUNNING;
    return n;
}

void ct__kids_free(ct_child_pool *p)
{
    for (uint32_t s = 1; s < CT_POOL_PROCS; s++) {
        if (p->kids[s].pidfd >= 0)
            close(p->kids[s].pidfd);
        free(p->kids[s].exe);
        p->kids[s] = (ct_kid){.pidfd = -1};
    }
}
