/*
 * sched.h - scheduler waits: how long a traced thread was runnable but not
 * running (waiting for a CPU), recorded as WAIT events of kind sched, like
 * the scheduler-latency profile of Go's tracer.
 *
 * Each thread captures its own, from one of two sources chosen when it
 * attaches (CTRACE_SCHED=auto|perf|schedstat|off, auto by default: perf,
 * else schedstat), and says which in a SCHED_SOURCE event. With auto, a
 * thread that attaches as it starts defers the choice (SCHED_SOURCE
 * deferred): opening a perf ring and closing it costs ~25 us, more than most
 * threads of a test live. At its first poll point once it has lived
 * CT_SCHED_DEFER_NS, it records its waits so far as a sum (schedstat,
 * read only if getrusage says it was preempted: no wait a ring would have
 * shown otherwise) and opens its source for good, saying which. A thread
 * that ends first records that sum at its end, if it was preempted and
 * lived CT_SCHED_MIN_NS (no system call else: most threads); one that
 * reaches no poll point opens it at a CPU sample past that age. What a
 * deferred thread loses: the time and stack of each wait before its source
 * opens (they come as sums); nothing when it was never preempted.
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

/* How long a deferred thread lives before its source opens (see above). */
#define CT_SCHED_DEFER_NS 1000000u

/* Read CTRACE_SCHED and what the kernel offers: at a session's start. */
void ct__sched_session_begin(void);

/* Choose t's source, open it (or defer it, if t is `fresh`: attached as it
 * started) and write its SCHED_SOURCE event: when t attaches to a session,
 * after its THREAD_BEGIN. */
void ct__sched_attach(ct__thread *t, int fresh);

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
/* ct__sched_read_all, and a deferred thread's waits since its last sum as one
 * (without opening its source): at its end, or to judge its waits now. */
void ct__sched_read_to_now(ct__thread *t);

/* A CPU sample on t, in its signal handler, t entered: a deferred source
 * that is due opens (a thread that computes without poll points would
 * otherwise stay deferred to its end). Bare system calls (getrusage, the
 * schedstat file, perf_event_open, mmap) and the thread's own event writes,
 * as a sample's; its first sched wait may take the live aggregates' lock,
 * which the thread itself never holds outside the tracer. */
void ct__sched_on_cpu_sample(ct__thread *t);

/* The cheap poll point: a perf ring with new records is read (a deferred
 * thread's head is never at its tail: it comes in to see if it is due). */
static inline void ct__sched_poll(ct__thread *t)
{
    const uint64_t *head = t->sched.perf_head;
    if (head && __atomic_load_n(head, __ATOMIC_ACQUIRE) != t->sched.perf_tail)
        ct__sched_read_perf(t);
}

#endif /* CT_PLUGIN_SCHED_H */
