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
 * Each calls the next definition after ours (a sanitizer's, which wraps
 * the program's handler, or libc's), looked up once by a constructor:
 * dlsym is not async-signal-safe. ThreadSanitizer's runtime installs its
 * own handlers through the next sigaction after its interceptor, which may
 * be this one, while it initialises, before that constructor ran and
 * before anything instrumented may run: so sigaction and what it calls on
 * that path are not instrumented, and until the constructor ran it calls
 * glibc's __sigaction (only a runtime's start calls it then).
 */
#include <errno.h>  /* errno, ENOSYS */
#include <signal.h> /* sigaction, signal, SIGPROF */

#include "plugin/cpu_sample.h"  /* ct__cpu_program_takes_sigprof */
#include "plugin/interpose.h"   /* ct__interpose_resolve, CT_EXPORT */
#include "plugin/thread_dump.h" /* ct__thread_dump_program_takes */

/* glibc's sigaction under its other exported name. */
extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

#define UNINSTRUMENTED __attribute__((no_sanitize("thread")))

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__signal_hook_linked = 1;

typedef void (*handler_fn)(int);
typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);

/* The next definitions; NULL until the constructor ran (or none found). */
static sigaction_fn next_sigaction;
static handler_fn (*next_signal)(int, handler_fn);
static handler_fn (*next_bsd_signal)(int, handler_fn);
static handler_fn (*next_sysv_signal)(int, handler_fn);
static handler_fn (*next_sigset)(int, handler_fn);

/* The next definition of `name`, looked up now: a call before the
 * constructor ran (another library's constructor), never in a handler. */
static handler_fn (*resolve(const char *name))(int, handler_fn)
{
    return (handler_fn(*)(int, handler_fn))ct__interpose_resolve(name);
}

__attribute__((constructor)) static void find_next(void)
{
    next_signal = resolve("signal");
    next_bsd_signal = resolve("bsd_signal");
    next_sysv_signal = resolve("sysv_signal");
    next_sigset = resolve("sigset");
    __atomic_store_n(&next_sigaction, (sigaction_fn)ct__interpose_resolve("sigaction"),
                     __ATOMIC_RELEASE);
}

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
    sigaction_fn next = __atomic_load_n(&next_sigaction, __ATOMIC_ACQUIRE);
    return next ? next(sig, act, old) : __sigaction(sig, act, old);
}

/* The signal() family sets: one definition for each name, since a
 * program's call through any of them reaches only the one it names. */
#define SET_DISPOSITION(name)                                                                      \
    CT_EXPORT handler_fn name(int sig, handler_fn handler)                                         \
    {                                                                                              \
        handler_fn (*real)(int, handler_fn) = next_##name ? next_##name : resolve(#name);           \
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
    handler_fn (*real)(int, handler_fn) = next_sigset ? next_sigset : resolve("sigset");
    if (real == NULL) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    if (handler != SIG_HOLD)
        program_sets(sig);
    return real(sig, handler);
}
