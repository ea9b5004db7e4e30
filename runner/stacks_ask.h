/*
 * stacks_ask.h - before a process is killed for time, ask each of its
 * threads for its stack (ct_child_progress.stack_signal): every hang then
 * says where it hung, in the trace (THREAD_STACK events).
 */
#ifndef RN_STACKS_ASK_H
#define RN_STACKS_ASK_H

/* How long the threads asked have to answer before the kill: a thread that
 * blocks the signal, or one stuck where signals wait (uninterruptible I/O),
 * delays the kill by this much at most. */
#define RN_STACKS_WAIT_NS 1000000000ull

/*! rn_stacks_ask() : send `sig` to each thread of process `pid` (tgkill:
 *  one blocked in a system call is reached too; the tracer restarts it).
 *  @return how many threads were sent it (0: none, or `sig` 0). */
unsigned rn_stacks_ask(int pid, int sig);

#endif /* RN_STACKS_ASK_H */
