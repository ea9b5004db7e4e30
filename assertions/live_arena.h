/*
 * live_arena.h - memory for the live aggregates, and the lock that guards
 * making it.
 *
 * Everything the aggregates hold is made inside the tracer (a thread's
 * `busy` is set), possibly in a signal handler: so no malloc, only mmap'd
 * slabs cut by a bump pointer, and never freed (shards and rows are reused
 * instead). The lock is a spin lock whose every holder is inside the
 * tracer, where a signal handler's tracing is dropped rather than nested:
 * no thread can wait on a lock it holds itself.
 */
#ifndef CT_ASSERTIONS_LIVE_ARENA_H
#define CT_ASSERTIONS_LIVE_ARENA_H

#include <sched.h>  /* sched_yield */
#include <stddef.h> /* size_t */

static inline void ct__spin_lock(int *lock)
{
    while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(lock, __ATOMIC_RELAXED))
            sched_yield();
}

static inline void ct__spin_unlock(int *lock)
{
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* `size` zeroed bytes, 16-aligned, that live as long as the process; NULL
 * when the system is out of memory. Takes the arena's own lock. */
void *ct__arena_alloc(size_t size);

#endif /* CT_ASSERTIONS_LIVE_ARENA_H */
