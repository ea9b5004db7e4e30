/*
 * block_sync.c - where threads wait for each other: pthread mutexes,
 * condition variables, semaphores and joins, recorded as BLOCK events of
 * kind sync (FORMAT.md) when the call really waits. C11's mtx_*, cnd_* and
 * thrd_join are in block_c11.c, file locks in block_flock.c.
 *
 * libctrace comes before libc in the lookup order (linked or preloaded), so
 * these definitions take the calls. Not tracing, each is one load and a
 * branch before libc's. A mutex is timed only when it is held as we ask for
 * it (ct__mutex_held). A wait shorter than CT_SYNC_MIN_US is not recorded:
 * that was a spin, not a block. Condition variables, semaphores that are
 * not ready and joins of a running thread always wait. Read-write locks are
 * tried first (their state is not one word), but for their timed and clock
 * forms, which are always timed, as barriers and the _np joins are; the
 * mutex's timedlock and clocklock, like its lock, only when it is held.
 */
#include <errno.h> /* EBUSY */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <time.h>  /* clockid_t */

#include "format/wire.h" /* CT_BLOCK_SYNC */
#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_sync_linked = 1;

CT_REAL(int, pthread_mutex_lock, (pthread_mutex_t *))
CT_REAL(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))
CT_REAL(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))
CT_REAL(int, pthread_cond_clockwait,
        (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))
CT_REAL(int, pthread_join, (pthread_t, void **))
CT_REAL(int, pthread_timedjoin_np, (pthread_t, void **, const struct timespec *))
CT_REAL(int, pthread_clockjoin_np, (pthread_t, void **, clockid_t, const struct timespec *))
CT_REAL(int, sem_wait, (sem_t *))
CT_REAL(int, sem_timedwait, (sem_t *, const struct timespec *))
CT_REAL(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))
CT_REAL(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))
CT_REAL(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *))
CT_REAL(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))
CT_REAL(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))
CT_REAL(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))
CT_REAL(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))
CT_REAL(int, pthread_barrier_wait, (pthread_barrier_t *))

/* The call, timed when tracing; `object` (a pointer or a pthread_t) names
 * what it waited for. */
#define TIMED(call, object)                                                            \
    CT_TIMED(call, CT_BLOCK_SYNC, CT_SYNC_MIN_US, (uint64_t)(uintptr_t)(object))

CT_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    if (!ct__interpose_tracing() || !ct__mutex_held(m))
        return get_pthread_mutex_lock()(m);
    TIMED(get_pthread_mutex_lock()(m), m);
}

CT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *until)
{
    if (!ct__interpose_tracing() || !ct__mutex_held(m))
        return get_pthread_mutex_timedlock()(m, until);
    TIMED(get_pthread_mutex_timedlock()(m, until), m);
}

CT_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                      const struct timespec *until)
{
    if (!ct__interpose_tracing() || !ct__mutex_held(m))
        return get_pthread_mutex_clocklock()(m, clock, until);
    TIMED(get_pthread_mutex_clocklock()(m, clock, until), m);
}

CT_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    TIMED(get_pthread_cond_wait()(c, m), c);
}

CT_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *until)
{
    TIMED(get_pthread_cond_timedwait()(c, m, until), c);
}

CT_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                     const struct timespec *until)
{
    TIMED(get_pthread_cond_clockwait()(c, m, clock, until), c);
}

CT_EXPORT int pthread_join(pthread_t thread, void **result)
{
    TIMED(get_pthread_join()(thread, result), thread);
}

CT_EXPORT int pthread_timedjoin_np(pthread_t thread, void **result, const struct timespec *until)
{
    TIMED(get_pthread_timedjoin_np()(thread, result, until), thread);
}

CT_EXPORT int pthread_clockjoin_np(pthread_t thread, void **result, clockid_t clock,
                                   const struct timespec *until)
{
    TIMED(get_pthread_clockjoin_np()(thread, result, clock, until), thread);
}

CT_EXPORT int sem_wait(sem_t *s)
{
    TIMED(get_sem_wait()(s), s);
}

CT_EXPORT int sem_timedwait(sem_t *s, const struct timespec *until)
{
    TIMED(get_sem_timedwait()(s, until), s);
}

CT_EXPORT int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *until)
{
    TIMED(get_sem_clockwait()(s, clock, until), s);
}

/* A read-write lock's state is not one word: try first, and time the real
 * call only when the try finds it taken (an uncontended lock costs the try
 * alone, which takes it). */
CT_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    if (!ct__interpose_tracing())
        return get_pthread_rwlock_rdlock()(l);
    int rc = get_pthread_rwlock_tryrdlock()(l);
    if (rc != EBUSY)
        return rc == 0 ? 0 : get_pthread_rwlock_rdlock()(l); /* EAGAIN, EDEADLK: as libc says */
    TIMED(get_pthread_rwlock_rdlock()(l), l);
}

CT_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    if (!ct__interpose_tracing())
        return get_pthread_rwlock_wrlock()(l);
    int rc = get_pthread_rwlock_trywrlock()(l);
    if (rc != EBUSY)
        return rc == 0 ? 0 : get_pthread_rwlock_wrlock()(l);
    TIMED(get_pthread_rwlock_wrlock()(l), l);
}

CT_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *until)
{
    TIMED(get_pthread_rwlock_timedrdlock()(l, until), l);
}

CT_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *until)
{
    TIMED(get_pthread_rwlock_timedwrlock()(l, until), l);
}

CT_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                         const struct timespec *until)
{
    TIMED(get_pthread_rwlock_clockrdlock()(l, clock, until), l);
}

CT_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                         const struct timespec *until)
{
    TIMED(get_pthread_rwlock_clockwrlock()(l, clock, until), l);
}

CT_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    TIMED(get_pthread_barrier_wait()(b), b);
}
