/*
 * env_once.h - the tracer's settings from the environment (CTRACE_CLOCK,
 * CTRACE_STACKS, CTRACE_SCHED, CTRACE_OVERFLOW), readable from any thread.
 *
 * getenv() races a setenv() of the program (glibc may move environ under
 * the reader), so a tracer started from a thread of its own (a live
 * capture's listener) reads the values frozen on the program's thread.
 */
#ifndef CT_COMMON_ENV_ONCE_H
#define CT_COMMON_ENV_ONCE_H

/* Copy the settings now (the program's thread, before another thread
 * reads them); later calls change nothing. */
void ct_env_freeze(void);

/* A setting: its frozen copy once ct_env_freeze() ran, else getenv(name). */
const char *ct_env(const char *name);

#endif /* CT_COMMON_ENV_ONCE_H */
