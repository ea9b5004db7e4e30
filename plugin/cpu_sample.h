/*
 * cpu_sample.h - CPU profile samples of every traced thread, as Go's tracer
 * carries its CPU profile: where each thread spent its CPU time, with the
 * task and region it was in (attributed when the trace is read).
 *
 * Each thread that attaches to a session arms a timer of its own CPU time
 * (timer_create(CLOCK_THREAD_CPUTIME_ID) delivering SIGPROF to that thread,
 * as Go does since 1.18): no perf permission needed, and a thread that
 * sleeps costs nothing. Its handler walks the interrupted stack (unwind.h:
 * no allocation, no lock) and writes a CPU_SAMPLE event into the thread's
 * own stream. A sample that finds its thread inside the tracer, mid-event,
 * is parked in the thread's slot (ct__cpu) and written at the thread's next
 * entry into the tracer, so none is lost for being untimely.
 *
 * The rate is CTRACE_CPU_HZ (the runner's --cpu-hz), 100 by default, 0 off.
 * A program that handles SIGPROF itself (gprof, gperftools) keeps it: its
 * threads are not sampled, and it is said once on stderr and in each
 * thread's CPU_SOURCE event. One that takes it while tests run has every
 * timer deleted before its disposition is in place (signal_hook.c).
 */
#ifndef CT_PLUGIN_CPU_SAMPLE_H
#define CT_PLUGIN_CPU_SAMPLE_H

#include <stdint.h>

#include <ctrace_collect.h> /* CT_ENV_CPU_HZ, CT_CPU_HZ_DEFAULT, CT_CPU_HZ_MAX */

#include "plugin/thread.h"

/* Read CTRACE_CPU_HZ and take SIGPROF if the program left it alone: at a
 * session's start, before any thread attaches. */
void ct__cpu_session_begin(void);

/* Arm t's timer and write its CPU_SOURCE event: t, the calling thread, is
 * attaching to the session (busy). */
void ct__cpu_attach(ct__thread *t);

/* Write t's CPU_SOURCE event again (after its THREAD_BEGIN was lost). */
void ct__cpu_emit_source(ct__thread *t);

/* Delete t's timer: at its exit, before it attaches to a new session, at
 * ct_stop() on the calling thread. Writes nothing. */
void ct__cpu_detach(ct__thread *t);

/* Delete the calling thread's timer: its session ends (ct_stop()). */
void ct__cpu_stop_self(void);

/* Write the sample parked in t (busy): from ct__enter_detour(), and before
 * the thread's end. */
void ct__cpu_flush_parked(ct__thread *t);

/* In a forked child: timers are not inherited; the ids the parent's thread
 * held may name the child's own. Forget them. */
void ct__cpu_forget_inherited(void);

/* The program is setting SIGPROF's disposition (signal_hook.c), about to:
 * say so once, delete every thread's timer, and sample no thread that
 * attaches from now on. Async-signal-safe; keeps errno. */
void ct__cpu_program_takes_sigprof(void);

/* At a test's begin (a safe point): the same, if the program took SIGPROF
 * since in a way signal_hook.c does not see (libc's own calls, a raw
 * system call). */
void ct__cpu_check(uint64_t now_ns);

#endif /* CT_PLUGIN_CPU_SAMPLE_H */
