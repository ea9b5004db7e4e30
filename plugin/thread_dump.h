/*
 * thread_dump.h - every thread writes its stack when the runner asks
 * (before it kills the process for time): THREAD_STACK events.
 */
#ifndef CT_PLUGIN_THREAD_DUMP_H
#define CT_PLUGIN_THREAD_DUMP_H

#include "format/pool.h"

/* Take the runner's request signal (one of the highest real-time signals
 * the program leaves at their default) and name it in pool->stack_signal;
 * none free: it stays 0 and the runner kills without asking. Before main,
 * once the session began. */
void ct__thread_dump_install(ct_pool_header *pool);

/*! ct__thread_dump_check() : at a test's begin (a safe point), at
 *  CLOCK_MONOTONIC `now_ns` (the coarse clock will do): if the program has
 *  since taken the signal for itself (its own handler, or the default,
 *  which would kill), say none in the pool: the runner then kills without
 *  asking. One sigaction() call, made only when the last was
 *  CT_THREAD_DUMP_CHECK_NS ago or more: a run of tiny tests does not pay a
 *  system call each. Taken by a test that then hangs, or by one of the
 *  tests of that last millisecond (or timer tick: the coarse clock's step),
 *  the signal is sent all the same: the program's handler, or its death of
 *  the signal, ends it as a timeout. A program that takes it through
 *  sigaction or signal() is seen at once (ct__thread_dump_program_takes). */
#define CT_THREAD_DUMP_CHECK_NS 1000000u
void ct__thread_dump_check(uint64_t now_ns);

/* The program is setting `sig`'s disposition (signal_hook.c): if it is the
 * stack signal, the runner must not send it from now on. Async-signal-safe. */
void ct__thread_dump_program_takes(int sig);

#endif /* CT_PLUGIN_THREAD_DUMP_H */
