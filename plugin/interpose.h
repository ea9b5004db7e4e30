/*
 * interpose.h - what the plugin's interposers (block_*.c) share: finding
 * the definition they stand in front of, whether to record at all, and
 * recording a wait without disturbing the call they stand in for.
 *
 * An interposer's shape: not tracing, straight to the real function (one
 * load and a branch, no clock read); tracing, read the clock around the
 * real call and record a BLOCK event only if the call took at least the
 * kind's threshold. Recording runs out of line, keeps errno, and calls
 * nothing that records in turn (ct__untraced_begin, thread.h).
 */
#ifndef CT_PLUGIN_INTERPOSE_H
#define CT_PLUGIN_INTERPOSE_H

#include <pthread.h> /* pthread_mutex_t */
#include <stdint.h>

#include <ctrace.h> /* ct__active */

#include "common/clock.h"  /* ct__ticks */
#include "plugin/thread.h" /* ct__thread_off, ct__in_tracer, ct__pool */

#define CT_EXPORT __attribute__((visibility("default")))

/* Waits shorter than these are not recorded: a sync wait under 1 us was a
 * spin; a system call under 5 us did not make the thread wait in any way a
 * test cares about, and recording it would cost more than it took. */
#define CT_SYNC_MIN_US 1
#define CT_SYSCALL_MIN_US 5
#define CT_NET_MIN_US 5

/* The next definition of `name` after ours (libc's, or a sanitizer's), or
 * NULL when this thread is already looking `name` itself up: dlsym() called
 * it (a malloc that reads a file while dlsym allocates). Out of line. */
void *ct__interpose_resolve(const char *name);

/* get_NAME(): ct__interpose_resolve(NAME), looked up once. NULL only in
 * that recursion: read, write, open and openat then make the system call
 * themselves (block_file.c, block_open.c); the others are not known to be
 * called from inside dlsym, and would fail there as they did before. */
#define CT_REAL(ret, name, params)                                                     \
    static ret(*real_##name) params;                                                   \
    static ret(*get_##name(void)) params                                                \
    {                                                                                  \
        ret(*fn) params = __atomic_load_n(&real_##name, __ATOMIC_ACQUIRE);              \
        if (__builtin_expect(fn == NULL, 0)) {                                         \
            fn = (ret(*) params)ct__interpose_resolve(#name);                          \
            if (fn)                                                                    \
                __atomic_store_n(&real_##name, fn, __ATOMIC_RELEASE);                  \
        }                                                                              \
        return fn;                                                                     \
    }

/* Tracing, and on a thread that is traced (not the tracer's own drainer,
 * whose waits are none of the program's business), outside the tracer's own
 * code. Acquire: the session's clock was set before it became active. */
static inline int ct__interpose_tracing(void)
{
    return __builtin_expect(__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) != 0, 0) &&
           !(ct__thread_off | ct__in_tracer);
}

/* `m` is held as we ask for it (glibc's lock word is not 0): the lock is
 * likely to wait. Checked rather than trying first: an uncontended lock
 * then costs no clock read, and no trylock-then-lock either. */
static inline int ct__mutex_held(pthread_mutex_t *m)
{
    return __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) != 0;
}

/* The call that began at `t0` (ct__ticks()) took at least `min_us`. */
static inline int ct__interpose_blocked(uint64_t t0, uint64_t min_us)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    return pool != NULL && ct__ticks() - t0 >= pool->tsc_hz / 1000000 * min_us;
}

/* Where the program called the interposed function: its stack starts
 * there. Used only in the exported interposer itself, never in a helper it
 * calls (whose return address would be inside the interposer): hence the
 * macros below. */
#define CT_CALLER ((uint64_t)(uintptr_t)__builtin_return_address(0))

/* A wait (WAIT event) of `kind` (CT_BLOCK_*) from `t0` to now, on `object`
 * (a lock's address, an fd; 0: none), with the stack from `caller`
 * (CT_CALLER). errno is as the caller left it. */
void ct__interpose_record(unsigned kind, uint64_t t0, uint64_t object, uint64_t caller);

/* ThreadSanitizer's runtime when it is a library of its own (gcc's
 * libtsan.so): the range of its code, else 0s. Its symbolizer opens and
 * reads files while it reports a race, its allocator switched to its
 * internal one: a malloc or free of ours there fails TSan's CHECK, which
 * then spins, the report lost. Such calls are not the program's waits, and
 * are not recorded. Found once, before main (ct__interpose_find_sanitizer),
 * and only when our interposers come before TSan's: behind them, every call
 * reaches ours from TSan's code. */
extern uintptr_t ct__sanitizer_lo, ct__sanitizer_hi;
void ct__interpose_find_sanitizer(void);

static inline int ct__interpose_in_sanitizer(uint64_t caller)
{
    return caller - ct__sanitizer_lo < (uint64_t)(ct__sanitizer_hi - ct__sanitizer_lo);
}

/* The same for a call on file descriptors: kind net if `fd` or `fd2` (-1:
 * none) is a socket, else syscall (fd_kind.h); the object is the socket,
 * else `fd`. */
void ct__interpose_record_io(uint64_t t0, int fd, int fd2, uint64_t caller);

/* The call that began at `t0` is over: a wait of `kind` if it took at least
 * `min_us` (shorter is not a wait). A macro: see CT_CALLER. */
#define ct__interpose_waited(kind, t0, min_us, object)                                 \
    do {                                                                               \
        if (ct__interpose_blocked((t0), (min_us)))                                     \
            ct__interpose_record((kind), (t0), (object), CT_CALLER);                   \
    } while (0)

/* `return call;` timed when tracing: a wait of `kind` on `object` if it took
 * at least `min_us`. `call` runs once. */
#define CT_TIMED(call, kind, min_us, object)                                           \
    do {                                                                               \
        if (!ct__interpose_tracing())                                                  \
            return call;                                                               \
        uint64_t t0_ = ct__ticks();                                                    \
        __typeof__(call) rc_ = call;                                                   \
        ct__interpose_waited(kind, t0_, min_us, object);                               \
        return rc_;                                                                    \
    } while (0)

/* The same for a call on file descriptors `fd` and `fd2` (-1: none), whose
 * kind is known only if it waited (ct__interpose_record_io). */
#define CT_TIMED_IO(call, fd, fd2)                                                     \
    do {                                                                               \
        if (!ct__interpose_tracing())                                                  \
            return call;                                                               \
        uint64_t t0_ = ct__ticks();                                                    \
        __typeof__(call) rc_ = call;                                                   \
        if (ct__interpose_blocked(t0_, CT_SYSCALL_MIN_US))                             \
            ct__interpose_record_io(t0_, fd, fd2, CT_CALLER);                          \
        return rc_;                                                                    \
    } while (0)

#endif /* CT_PLUGIN_INTERPOSE_H */
