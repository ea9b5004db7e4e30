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

#ifdef CT_UNDER_TSAN
/* Inside an interposed blocking call (a usleep the tracer records) TSan does
 * not take atomics as synchronisation: say what the lock orders. */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#  define CT__TSAN_ACQUIRE(p) __tsan_acquire(p)
#  define CT__TSAN_RELEASE(p) __tsan_release(p)
#else
#  define CT__TSAN_ACQUIRE(p) ((void)(p))
#  define CT__TSAN_RELEASE(p) ((void)(p))
#endif

static inline void ct__spin_lock(int *lock)
{
    while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(lock, __ATOMIC_RELAXED))
            sched_yield();
    CT__TSAN_ACQUIRE(lock);
}

static inline void ct__spin_unlock(int *lock)
{
    CT__TSAN_RELEASE(lock);
    __atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* `size` zeroed bytes, 16-aligned, that live as long as the process; NULL
 * when the system is out of memory. Takes the arena's own lock. */
void *ct__arena_alloc(size_t size);

#endif /* CT_ASSERTIONS_LIVE_ARENA_H */
