/*
 * signal_hook.c - the program takes a signal the tracer uses: the tracer
 * lets go of it before the program's disposition is in place.
 *
 * CPU samples come on SIGPROF, and the runner asks for stacks before a kill
 * on a real-time signal the program left alone (cpu_sample.h,
 * thread_dump.h). A program may take either later, while tests run (a
 * profiler starting, a handler reset to the default). The look each test's
 * begin makes comes after the fact: until then a timer's SIGPROF could
 * reach the program's handler, or kill it under the default action. So
 * sigaction and the signal() family are interposed: a call that changes
 * one of those signals' dispositions first stops the tracer's use of it,
 * then makes the change. What glibc does internally (profil) and raw
 * system calls are still left to the look at each test's begin.
 *
 * The tracer's own calls (an install, made untraced) pass straight
 * through, as do calls that only read a disposition. Everything here is
 * async-signal-safe, as sigaction is: a handler may call it.
 *
 * ThreadSanitizer's runtime installs its handlers through the next
 * sigaction after its own, which is this one, while it initialises: before
 * then nothing instrumented may run, nor dlsym. So sigaction and what it
 * calls on that path are not instrumented, and it calls glibc's __sigaction
 * (libc comes after us whichever sanitizer comes first), not a definition
 * looked up.
 */
#include <errno.h>  /* errno, ENOSYS */
#include <signal.h> /* sigaction, signal, SIGPROF */

#include "plugin/cpu_sample.h"  /* ct__cpu_program_takes_sigprof */
#include "plugin/interpose.h"   /* CT_REAL, CT_EXPORT */
#include "plugin/thread_dump.h" /* ct__thread_dump_program_takes */

/* glibc's sigaction under its other exported name. */
extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#define UNINSTRUMENTED __attribute__((no_sanitize("thread")))

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__signal_hook_linked = 1;

typedef void (*handler_fn)(int);

CT_REAL(handler_fn, signal, (int, handler_fn))
CT_REAL(handler_fn, bsd_signal, (int, handler_fn))
CT_REAL(handler_fn, sysv_signal, (int, handler_fn))
CT_REAL(handler_fn, sigset, (int, handler_fn))

/* The program is about to set `sig`'s disposition. What is instrumented
 * runs only once the tracer is in use, never in a sanitizer's start. */
UNINSTRUMENTED static void program_sets(int sig)
{
    if (ct__in_tracer)
        return; /* the tracer's own install */
    if (sig == SIGPROF) {
        if (__atomic_load_n(&ct__active, __ATOMIC_RELAXED))
            ct__cpu_program_takes_sigprof();
        return;
    }
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_RELAXED);
    if (pool != NULL && sig > 0 &&
        __atomic_load_n(&pool->stack_signal, __ATOMIC_RELAXED) == (uint32_t)sig)
        ct__thread_dump_program_takes(sig);
}

CT_EXPORT UNINSTRUMENTED int sigaction(int sig, const struct sigaction *act,
                                       struct sigaction *old)
{
    if (act)
        program_sets(sig);
    return __sigaction(sig, act, old);
}

/* The signal() family sets: one definition for each name, since a
 * program's call through any of them reaches only the one it names. */
#define SET_DISPOSITION(name)                                                                      \
    CT_EXPORT handler_fn name(int sig, handler_fn handler)                                         \
    {                                                                                              \
        handler_fn (*real)(int, handler_fn) = get_##name();                                        \
        if (real == NULL) {                                                                        \
            errno = ENOSYS;                                                                        \
            return SIG_ERR;                                                                        \
        }                                                                                          \
        program_sets(sig);                                                                         \
        return real(sig, handler);                                                                 \
    }

SET_DISPOSITION(signal)
SET_DISPOSITION(bsd_signal)
SET_DISPOSITION(sysv_signal)

/* sigset(sig, SIG_HOLD) only blocks the signal: its disposition stays. */
CT_EXPORT handler_fn sigset(int sig, handler_fn handler)
{
    handler_fn (*real)(int, handler_fn) = get_sigset();
    if (real == NULL) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    if (handler != SIG_HOLD)
        program_sets(sig);
    return real(sig, handler);
}
