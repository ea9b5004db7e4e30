/*
 * sched_source.h - the two sources of scheduler waits (sched_perf.c,
 * sched_stat.c) and what they hand back to sched.c. Not for the rest of the
 * plugin: it goes through sched.h.
 */
#ifndef CT_PLUGIN_SCHED_SOURCE_H
#define CT_PLUGIN_SCHED_SOURCE_H

#include <stdint.h>

#include "plugin/thread.h"

/* sched.c: the calling thread t waited `wait_ns` for a CPU until `end_ns`
 * (CLOCK_MONOTONIC), preempted at pcs[0..n) (innermost first; n may be 0).
 * Recorded if it is long enough (CT_SCHED_MIN_NS). */
void ct__sched_record(ct__thread *t, uint64_t end_ns, uint64_t wait_ns, const uint64_t *pcs,
                      unsigned n);

/* ---- perf (sched_perf.c) ---------------------------------------------------- */

/* Whether this kernel's switch records say which switch-outs were
 * preemptions (Linux 4.17 and later). */
int ct__sched_perf_supported(void);

/* Open the calling thread's (`tid`) event and map its ring into s, with user
 * stacks at preemptions if `stacks` (needs the right to sample the kernel).
 * The fd is closed once mapped. @return 0, or a negative errno:
 * -EAGAIN when the event opened but its ring could not be mapped (the
 * locked-memory budget). */
int ct__sched_perf_open(ct__sched *s, int32_t tid, int stacks);

/* Read the calling thread's ring up to its head: each preemption to
 * ct__sched_record, lost records into s->lost. */
void ct__sched_perf_read(ct__thread *t);

/* Unmap s's ring (the event goes with it). */
void ct__sched_perf_close(ct__sched *s);

/* ---- schedstat (sched_stat.c) ----------------------------------------------- */

/* Start reading the calling thread's run_delay into s (s->run_delay is the
 * value now): keep the file open if `keep_fd`. @return 0, or a negative
 * errno. */
int ct__sched_stat_open(ct__sched *s, int keep_fd);

/* The calling thread's run_delay (ns) now, at CLOCK_MONOTONIC *now_ns.
 * @return 0, or -1 if it cannot be read (then the fd, if any, is dropped:
 * s->fd is -1 afterwards and reads open the file each time). */
int ct__sched_stat_read(ct__sched *s, uint64_t *run_delay, uint64_t *now_ns);

/* Close s's file if it is still the one opened. */
void ct__sched_stat_close(ct__sched *s);

#endif /* CT_PLUGIN_SCHED_SOURCE_H */
