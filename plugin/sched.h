/*
 * sched.h - scheduler waits: how long a traced thread was runnable but not
 * running (waiting for a CPU), recorded as WAIT events of kind sched, like
 * the scheduler-latency profile of Go's tracer.
 *
 * Each thread captures its own, from one of two sources chosen when it
 * attaches (CTRACE_SCHED=auto|perf|schedstat|off, auto by default: perf,
 * else schedstat), and says which in a SCHED_SOURCE event:
 *   perf       its own perf_event_open ring of context-switch records
 *              (sched_perf.c): every preemption with its exact times, and
 *              with CTRACE_STACKS=fp the user stack where it was preempted,
 *              if the kernel may be sampled (root, CAP_PERFMON or
 *              perf_event_paranoid <= 1);
 *   schedstat  /proc/thread-self/schedstat run_delay (sched_stat.c): the
 *              time waited since the last read, one wait ending at the read.
 * A thread reads its source only at its own poll points, so no thread and no
 * lock is added: with perf, the cheap ones (ct__sched_poll: an empty ring
 * is two loads) at task begin and adopt; both sources at the rarer ones
 * (ct__sched_read_all: a syscall for schedstat) at task end, before another
 * wait of the thread is recorded, at a chunk refill and at thread exit. A
 * thread that computes without reaching one reports its waits late, at its
 * next poll point: with their own times from perf, as ending then from
 * schedstat. Never on regions and logs: the hot path pays nothing.
 */
#ifndef CT_PLUGIN_SCHED_H
#define CT_PLUGIN_SCHED_H

#include <stdint.h>

#include "plugin/thread.h"

/* A wait for a CPU shorter than this is not recorded: a thread woken on a
 * busy CPU preempts its current one for a few microseconds all the time, and
 * those are noise, not latency (schedstat adds them up until they pass it). */
#define CT_SCHED_MIN_NS 10000u

/* Read CTRACE_SCHED and what the kernel offers: at a session's start. */
void ct__sched_session_begin(void);

/* Choose t's source, open it and write its SCHED_SOURCE event: when t
 * attaches to a session, after its THREAD_BEGIN. */
void ct__sched_attach(ct__thread *t);

/* Write t's SCHED_SOURCE event (again, after its THREAD_BEGIN was lost). */
void ct__sched_emit_source(ct__thread *t);

/* Close t's source (its fd, its ring): at its exit, or before it attaches to
 * a new session. Writes nothing. */
void ct__sched_detach(ct__thread *t);

/* In a forked child: the calling thread's source belongs to the parent's
 * thread. Forget it without reading it. */
void ct__sched_forget_inherited(void);

/* ct_stop() on the calling thread: record what its source holds, close it. */
void ct__sched_stop_self(void);

/* Poll points, on an entered thread (busy). */
void ct__sched_read_perf(ct__thread *t);
void ct__sched_read_all(ct__thread *t);

/* The cheap poll point: a perf ring with new records is read. */
static inline void ct__sched_poll(ct__thread *t)
{
    const uint64_t *head = t->sched.perf_head;
    if (head && __atomic_load_n(head, __ATOMIC_ACQUIRE) != t->sched.perf_tail)
        ct__sched_read_perf(t);
}

#endif /* CT_PLUGIN_SCHED_H */
