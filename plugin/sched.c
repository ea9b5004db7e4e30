/*
 * sched.c - each thread's scheduler-wait source: choosing it, reading it at
 * poll points, recording the waits (see sched.h; the sources are
 * sched_perf.c and sched_stat.c).
 *
 * Everything here runs on the thread whose waits it reads, inside the
 * tracer (busy), so a thread's source needs no lock. Syscalls here (opening,
 * reading schedstat) happen inside interposed calls and API calls: errno is
 * kept as the program left it.
 */
#include "plugin/sched.h"

#include <errno.h>        /* errno */
#include <stdio.h>        /* fprintf */
#include <stdlib.h>
#include <string.h>       /* strcmp */
#include <sys/resource.h> /* getrlimit, struct rusage, RUSAGE_THREAD */
#include <sys/syscall.h>  /* SYS_getrusage */
#include <unistd.h>       /* syscall */

#include "plugin/api_internal.h" /* ct__wait_write */
#include "plugin/modules.h"      /* ct__modules_note, ct__modules_known */
#include "plugin/sched_source.h"
#include "plugin/stack.h" /* ct__stack_mode */
#include "common/clock.h" /* ct__mono_ns */
#include "common/env_once.h"

/* Threads with a perf ring, at most: each pins a few pages of locked memory
 * (perf_event_mlock_kb, then RLIMIT_MEMLOCK for an unprivileged user).
 * Threads past it use schedstat. */
#define MAX_PERF_RINGS 128u
/* Threads keeping schedstat open, at most (and at most a sixteenth of
 * RLIMIT_NOFILE): past it, each read opens the file. */
#define MAX_STAT_FDS 128u

enum { MODE_AUTO, MODE_PERF, MODE_SCHEDSTAT, MODE_OFF };

static int mode;
static int perf_ok;        /* atomic: perf_event_open may work in this process */
static int stacks_denied;  /* atomic: no right to sample the kernel: switches only */
static uint32_t perf_rings; /* atomic: rings held */
static uint32_t stat_fds;   /* atomic: schedstat fds held */
static uint32_t stat_fd_cap;

void ct__sched_session_begin(void)
{
    const char *want = ct_env("CTRACE_SCHED");
    int chosen = MODE_AUTO;
    if (want && strcmp(want, "perf") == 0)
        chosen = MODE_PERF;
    else if (want && strcmp(want, "schedstat") == 0)
        chosen = MODE_SCHEDSTAT;
    else if (want && strcmp(want, "off") == 0)
        chosen = MODE_OFF;
    else if (want && *want && strcmp(want, "auto") != 0)
        fprintf(stderr, "ctest-trace: warning: CTRACE_SCHED=%s is not auto, perf, schedstat "
                        "or off: using auto\n", want);
    /* Stored only when they change: a live server starts a session per
     * capture while threads of the last one may still read them. */
    if (mode != chosen)
        mode = chosen;
    int perf = (mode == MODE_AUTO || mode == MODE_PERF) && ct__sched_perf_supported();
    __atomic_store_n(&perf_ok, perf, __ATOMIC_RELAXED);
    __atomic_store_n(&stacks_denied, 0, __ATOMIC_RELAXED);
    struct rlimit files;
    uint32_t cap = MAX_STAT_FDS;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur / 16 < cap)
        cap = (uint32_t)(files.rlim_cur / 16);
    if (stat_fd_cap != cap)
        stat_fd_cap = cap;
}

/* ---- choosing and opening ------------------------------------------------------ */

/* Worth trying again on another thread: a limit reached, not a refusal. */
static int transient(int err)
{
    return err == -EMFILE || err == -ENFILE || err == -ENOMEM || err == -EAGAIN ||
           err == -EBUSY || err == -EINTR;
}

static int open_perf(ct__thread *t)
{
    if (!__atomic_load_n(&perf_ok, __ATOMIC_RELAXED))
        return -EACCES;
    if (__atomic_add_fetch(&perf_rings, 1, __ATOMIC_RELAXED) > MAX_PERF_RINGS) {
        __atomic_sub_fetch(&perf_rings, 1, __ATOMIC_RELAXED);
        return -EMFILE;
    }
    /* The kernel walks the user stack by frame pointers: asked for with
     * CTRACE_STACKS=fp only, for its sample at every switch-out doubles
     * what perf costs a context switch (bench/sched). */
    int stacks = ct__stack_mode == CT__STACKS_FP &&
                 !__atomic_load_n(&stacks_denied, __ATOMIC_RELAXED);
    int rc = ct__sched_perf_open(&t->sched, t->tid, stacks);
    if (rc < 0 && stacks && !transient(rc)) {
        __atomic_store_n(&stacks_denied, 1, __ATOMIC_RELAXED);
        rc = ct__sched_perf_open(&t->sched, t->tid, 0);
    }
    if (rc < 0) {
        /* EACCES, EPERM (paranoid, seccomp), ENOSYS, ENOENT, EINVAL: for
         * good in this process; no other thread tries. */
        if (!transient(rc))
            __atomic_store_n(&perf_ok, 0, __ATOMIC_RELAXED);
        __atomic_sub_fetch(&perf_rings, 1, __ATOMIC_RELAXED);
    }
    return rc;
}

static int open_stat(ct__thread *t)
{
    ct__sched *s = &t->sched;
    int keep = __atomic_add_fetch(&stat_fds, 1, __ATOMIC_RELAXED) <= stat_fd_cap;
    int rc = ct__sched_stat_open(s, keep);
    s->holds_fd = rc == 0 && s->fd >= 0;
    if (!s->holds_fd)
        __atomic_sub_fetch(&stat_fds, 1, __ATOMIC_RELAXED);
    return rc;
}

/* The thread's fd was dropped by a read (not ours any more): give back its
 * place in the budget. */
static void note_fd_dropped(ct__sched *s)
{
    if (s->holds_fd && s->fd < 0) {
        s->holds_fd = 0;
        __atomic_sub_fetch(&stat_fds, 1, __ATOMIC_RELAXED);
    }
}

void ct__sched_emit_source(ct__thread *t)
{
    /* Lost with a drop, it is written again once the drop ends (chunk.c). */
    uint8_t *p = ct__meta_begin(t, CT_EV_SCHED_SOURCE, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, t->sched.source);
    ct__commit(t, p);
    if (t->dropping)
        t->source_lost = 1;
}

/* A deferred thread's poll points read this head: never equal to its tail
 * (0), so the cheap poll point comes in to see whether the source is due. */
static const uint64_t deferred_head = 1;

/* Defer the thread's source (auto, a thread attached as it started): most
 * threads of a test live a few microseconds, and a perf ring costs about
 * 25 us to open and close (bench/thread_start). */
static void defer(ct__thread *t)
{
    ct__sched *s = &t->sched;
    s->source = CT_SCHED_DEFERRED;
    s->nivcsw = 0;    /* counted from the thread's start, as run_delay is */
    s->run_delay = 0; /* recorded up to */
    s->due_ticks = ct__ticks() + ct__clock_span_ticks(t->pool->tsc_hz, CT_SCHED_DEFER_NS);
    s->born_ns = ct__mono_ns();
    s->perf_head = &deferred_head;
    s->perf_tail = 0;
}

void ct__sched_attach(ct__thread *t, int fresh)
{
    ct__sched *s = &t->sched;
    s->polling = 0;
    if (mode == MODE_AUTO && fresh) {
        defer(t);
        ct__sched_emit_source(t);
        return;
    }
    int saved_errno = errno;
    uint8_t untraced = ct__untraced_begin(); /* our open() is not the program's */
    s->source = CT_SCHED_NONE;
    if ((mode == MODE_AUTO || mode == MODE_PERF) && open_perf(t) == 0)
        s->source = CT_SCHED_PERF;
    else if ((mode == MODE_AUTO || mode == MODE_SCHEDSTAT) && open_stat(t) == 0)
        s->source = CT_SCHED_SCHEDSTAT;
    ct__sched_emit_source(t);
    ct__untraced_end(untraced);
    errno = saved_errno;
}

void ct__sched_detach(ct__thread *t)
{
    int saved_errno = errno;
    ct__sched *s = &t->sched;
    if (s->ring) {
        ct__sched_perf_close(s);
        __atomic_sub_fetch(&perf_rings, 1, __ATOMIC_RELAXED);
    }
    if (s->holds_fd) {
        ct__sched_stat_close(s);
        s->holds_fd = 0;
        __atomic_sub_fetch(&stat_fds, 1, __ATOMIC_RELAXED);
    }
    s->perf_head = NULL;
    s->source = CT_SCHED_NONE;
    errno = saved_errno;
}

void ct__sched_forget_inherited(void)
{
    ct__thread *t = ct__self;
    if (t) {
        ct__sched *s = &t->sched;
        /* The parent's ring is not mapped here (perf maps are not copied
         * across fork) and another mapping may be at its address now: let
         * it be. The schedstat fd names the parent's thread: close it. */
        s->ring = NULL;
        s->perf_head = NULL;
        if (s->holds_fd)
            ct__sched_stat_close(s);
        s->holds_fd = 0;
            s->source = CT_SCHED_NONE;
    }
    perf_rings = 0; /* the child's only thread holds none now */
    stat_fds = 0;
}

/* ---- reading and recording ----------------------------------------------------- */

void ct__sched_record(ct__thread *t, uint64_t end_ns, uint64_t wait_ns, const uint64_t *pcs,
                      unsigned n)
{
    if (wait_ns < CT_SCHED_MIN_NS)
        return;
    if (n > 1) {
        /* The kernel walked the user stack by frame pointers: in code built
         * without them, what follows the exact first address is noise. Keep
         * the frames that lie in a module, up to the first that does not. */
        ct__modules_note(t, pcs, 1);
        n = 1 + ct__modules_known(pcs + 1, n - 1);
    }
    /* Through the pair read at this poll: the TSC rate is known to a part in
     * 10^4 or so, so a time converted from afar could land after events
     * that followed it; from now it is off by that part of how late it is. */
    const ct__sched *s = &t->sched;
    uint64_t hz = t->pool->tsc_hz;
    uint64_t end = ct__clock_ns_to_ticks(__atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED), hz,
                                         s->now_ticks, s->now_ns, end_ns);
    /* Kept for lasting CT_SCHED_MIN_NS or more: it reads back so. */
    ct__wait_write(t, CT_BLOCK_SCHED, end, ct__clock_span_ticks_up(hz, wait_ns), 0, pcs, n);
}

/* ---- a deferred source ---------------------------------------------------------- */

/* The deferred thread's waits since the last sum, as one wait ending now:
 * run_delay from schedstat, read only if the thread was preempted since
 * (getrusage's involuntary switches; a perf ring would have shown no wait
 * otherwise). Syscalls: errno and untraced are the caller's. */
static void record_sum(ct__thread *t)
{
    ct__sched *s = &t->sched;
    /* The sum is placed inside the thread's life (below): a thread that has
     * lived less than the shortest wait recorded has none to tell, and
     * costs no system call (most threads of a test, at their end). */
    if (ct__mono_ns() - s->born_ns < CT_SCHED_MIN_NS)
        return;
    struct rusage ru; /* the bare system call: signal-safe, as below */
    if (syscall(SYS_getrusage, RUSAGE_THREAD, &ru) != 0 || (uint64_t)ru.ru_nivcsw == s->nivcsw)
        return;
    uint64_t recorded = s->run_delay;
    if (ct__sched_stat_open(s, 0) != 0) { /* run_delay := the value now */
        s->run_delay = recorded;
        return; /* nivcsw not taken: the next look tries again */
    }
    s->nivcsw = (uint64_t)ru.ru_nivcsw;
    if (s->run_delay - recorded >= CT_SCHED_MIN_NS) {
        ct__clock_pair(ct__clock_kind, &s->now_ticks, &s->now_ns);
        /* run_delay counts from the thread's start, before it attached
         * (its wait to first run): the sum is placed inside its life here. */
        uint64_t sum = s->run_delay - recorded, lived = s->now_ns - s->born_ns;
        ct__sched_record(t, s->now_ns, sum < lived ? sum : lived, NULL, 0);
    } else {
        s->run_delay = recorded; /* under the threshold: let it add up */
    }
}

/* The deferred thread's waits so far as one sum, then its source for good:
 * perf, else schedstat, as at an eager attach. */
static void open_deferred(ct__thread *t)
{
    ct__sched *s = &t->sched;
    int saved_errno = errno;
    uint8_t untraced = ct__untraced_begin();
    s->polling = 1;
    record_sum(t);
    s->perf_head = NULL;
    s->source = CT_SCHED_NONE;
    if ((mode == MODE_AUTO || mode == MODE_PERF) && open_perf(t) == 0)
        s->source = CT_SCHED_PERF;
    else if ((mode == MODE_AUTO || mode == MODE_SCHEDSTAT) && open_stat(t) == 0)
        s->source = CT_SCHED_SCHEDSTAT;
    ct__sched_emit_source(t); /* the source from here on */
    s->polling = 0;
    ct__untraced_end(untraced);
    errno = saved_errno;
}

/* A poll point of a deferred thread: open its source once it is due. */
static void poll_deferred(ct__thread *t)
{
    ct__sched *s = &t->sched;
    if (s->polling || t->dropping)
        return;
    if ((int64_t)(ct__ticks() - s->due_ticks) >= 0)
        open_deferred(t);
}

void ct__sched_on_cpu_sample(ct__thread *t)
{
    if (t->sched.source == CT_SCHED_DEFERRED)
        poll_deferred(t);
}

/* ---- reading and recording, continued ------------------------------------------ */

void ct__sched_read_perf(ct__thread *t)
{
    ct__sched *s = &t->sched;
    if (s->source == CT_SCHED_DEFERRED) {
        poll_deferred(t);
        return;
    }
    /* In scratch (pool exhausted) the waits would be dropped: leave them in
     * the ring until there is room. */
    if (!s->ring || s->polling || t->dropping)
        return;
    int saved_errno = errno;
    s->polling = 1;
    ct__clock_pair(__atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED), &s->now_ticks, &s->now_ns);
    ct__sched_perf_read(t);
    if (s->lost || s->ring_full) {
        /* The ring was full: say how many switch records it lost (0: some,
         * how many not known yet). */
        uint8_t *p = ct__event_begin(t, CT_EV_SCHED_LOST, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, s->lost);
        ct__commit(t, p);
        s->lost = 0;
        s->ring_full = 0;
    }
    s->polling = 0;
    errno = saved_errno;
}

void ct__sched_read_all(ct__thread *t)
{
    ct__sched *s = &t->sched;
    if (s->source == CT_SCHED_DEFERRED) {
        poll_deferred(t);
        return;
    }
    if (s->ring) {
        ct__sched_poll(t);
        return;
    }
    if (s->source != CT_SCHED_SCHEDSTAT || s->polling || t->dropping)
        return;
    int saved_errno = errno;
    s->polling = 1;
    uint64_t run_delay, read_ns;
    uint8_t untraced = ct__untraced_begin(); /* our pread() is not the program's */
    int rc = ct__sched_stat_read(s, &run_delay, &read_ns);
    ct__untraced_end(untraced);
    if (rc == 0) {
        /* Waits under the threshold add up until together they pass it. */
        if (run_delay - s->run_delay >= CT_SCHED_MIN_NS) {
            /* No detail: one wait, ending as we read it. */
            ct__clock_pair(__atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED), &s->now_ticks,
                           &s->now_ns);
            ct__sched_record(t, s->now_ns, run_delay - s->run_delay, NULL, 0);
            s->run_delay = run_delay;
        }
    } else if (!s->holds_fd) {
        s->source = CT_SCHED_NONE; /* cannot even open it: stop trying */
    }
    note_fd_dropped(s);
    s->polling = 0;
    errno = saved_errno;
}

void ct__sched_read_to_now(ct__thread *t)
{
    ct__sched *s = &t->sched;
    if (s->source != CT_SCHED_DEFERRED) {
        ct__sched_read_all(t);
        return;
    }
    if (s->polling || t->dropping)
        return;
    int saved_errno = errno;
    uint8_t untraced = ct__untraced_begin();
    s->polling = 1;
    record_sum(t);
    s->polling = 0;
    ct__untraced_end(untraced);
    errno = saved_errno;
}

void ct__sched_stop_self(void)
{
    ct__thread *t = ct__self;
    if (!t || t->session != __atomic_load_n(&ct__session_id, __ATOMIC_RELAXED) || t->busy)
        return;
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* a CPU sample's handler sees it busy */
    ct__sched_read_to_now(t);
    ct__sched_detach(t);
    t->busy = 0;
}
