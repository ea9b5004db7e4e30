/*
 * interpose.h - what the plugin's interposers (block_sync.c,
 * block_syscall.c) share: finding the definition they stand in front of,
 * and whether to record at all.
 */
#ifndef CT_PLUGIN_INTERPOSE_H
#define CT_PLUGIN_INTERPOSE_H

#include <dlfcn.h> /* dlsym, RTLD_NEXT */

#include <ctrace.h> /* ct__active */

#include "plugin/api_internal.h" /* ct__block_end */
#include "plugin/clock.h"        /* ct__ticks */
#include "plugin/thread.h"       /* ct__thread_off, ct__pool */

#define CT_EXPORT __attribute__((visibility("default")))

/* get_NAME(): the next definition of NAME after ours (libc's, or a
 * sanitizer's), looked up once. */
#define CT_REAL(ret, name, params)                                                     \
    static ret(*real_##name) params;                                                   \
    static ret(*get_##name(void)) params                                                \
    {                                                                                  \
        ret(*fn) params = __atomic_load_n(&real_##name, __ATOMIC_ACQUIRE);              \
        if (!fn) {                                                                     \
            fn = (ret(*) params)dlsym(RTLD_NEXT, #name);                                \
            __atomic_store_n(&real_##name, fn, __ATOMIC_RELEASE);                      \
        }                                                                              \
        return fn;                                                                     \
    }

/* Tracing, and on a thread that is traced (not the tracer's own drainer,
 * whose waits are none of the program's business). Acquire: the session's
 * clock was set before it became active. */
static inline int ct__interpose_tracing(void)
{
    return __builtin_expect(__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) != 0, 0) &&
           !ct__thread_off;
}

/* The call that began at `t0` (ct__ticks()) is over: a wait of `kind` if it
 * took at least `min_us` (shorter is not a wait). A macro, so that the
 * stack starts at the interposer's caller: the program's frame. */
#define ct__interpose_waited(kind, t0, min_us, object)                                   \
    ct__interpose_waited_at((kind), (t0), (min_us), (object),                           \
                            (uint64_t)(uintptr_t)__builtin_return_address(0))

static inline void ct__interpose_waited_at(unsigned kind, uint64_t t0, uint64_t min_us,
                                           uint64_t object, uint64_t caller)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (pool != NULL && ct__ticks() - t0 >= pool->tsc_hz / 1000000 * min_us)
        ct__block_end(kind, t0, object, caller);
}

#endif /* CT_PLUGIN_INTERPOSE_H */
