/*
 * block_sync.c - where threads wait for each other: pthread mutexes,
 * condition variables, semaphores and joins, recorded as BLOCK events of
 * kind sync (FORMAT.md) when the call really waits.
 *
 * libctrace comes before libc in the lookup order (linked or preloaded), so
 * these definitions take the calls. Not tracing, each is one load and a
 * branch before libc's. A mutex is timed only when it is held as we ask for
 * it (glibc's lock word is not 0): the uncontended lock costs no clock read,
 * and no trylock-then-lock either (that doubles an uncontended pair). A
 * wait shorter than CT_SYNC_MIN_US is not recorded: that was a spin, not a
 * block. Condition variables, semaphores that are not ready and joins of a
 * running thread always wait. Read-write locks are tried first (their state
 * is not one word), barriers and timed waits always timed.
 */
#include <errno.h> /* EBUSY */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "format/wire.h" /* CT_BLOCK_SYNC */
#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_sync_linked = 1;

CT_REAL(int, pthread_mutex_lock, (pthread_mutex_t *))
CT_REAL(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))
CT_REAL(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *))
CT_REAL(int, pthread_join, (pthread_t, void **))
CT_REAL(int, sem_wait, (sem_t *))
CT_REAL(int, sem_timedwait, (sem_t *, const struct timespec *))
CT_REAL(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))
CT_REAL(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))
CT_REAL(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))
CT_REAL(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))
CT_REAL(int, pthread_barrier_wait, (pthread_barrier_t *))

static void waited(uint64_t t0, const void *object)
{
    ct__interpose_waited(CT_BLOCK_SYNC, t0, CT_SYNC_MIN_US, (uint64_t)(uintptr_t)object);
}

CT_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    int (*lock)(pthread_mutex_t *) = get_pthread_mutex_lock();
    /* glibc's lock word: 0 when free. Held now, the call is likely to wait. */
    if (!ct__interpose_tracing() || __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0)
        return lock(m);
    uint64_t t0 = ct__ticks();
    int rc = lock(m);
    waited(t0, m);
    return rc;
}

CT_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    if (!ct__interpose_tracing())
        return get_pthread_cond_wait()(c, m);
    uint64_t t0 = ct__ticks();
    int rc = get_pthread_cond_wait()(c, m);
    waited(t0, c);
    return rc;
}

CT_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *until)
{
    if (!ct__interpose_tracing())
        return get_pthread_cond_timedwait()(c, m, until);
    uint64_t t0 = ct__ticks();
    int rc = get_pthread_cond_timedwait()(c, m, until);
    waited(t0, c);
    return rc;
}

CT_EXPORT int pthread_join(pthread_t thread, void **result)
{
    if (!ct__interpose_tracing())
        return get_pthread_join()(thread, result);
    uint64_t t0 = ct__ticks();
    int rc = get_pthread_join()(thread, result);
    waited(t0, (const void *)(uintptr_t)thread);
    return rc;
}

CT_EXPORT int sem_wait(sem_t *s)
{
    if (!ct__interpose_tracing())
        return get_sem_wait()(s);
    uint64_t t0 = ct__ticks();
    int rc = get_sem_wait()(s);
    waited(t0, s);
    return rc;
}

CT_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *until)
{
    if (!ct__interpose_tracing() || __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0)
        return get_pthread_mutex_timedlock()(m, until);
    uint64_t t0 = ct__ticks();
    int rc = get_pthread_mutex_timedlock()(m, until);
    waited(t0, m);
    return rc;
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
    uint64_t t0 = ct__ticks();
    rc = get_pthread_rwlock_rdlock()(l);
    waited(t0, l);
    return rc;
}

CT_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    if (!ct__interpose_tracing())
        return get_pthread_rwlock_wrlock()(l);
    int rc = get_pthread_rwlock_trywrlock()(l);
    if (rc != EBUSY)
        return rc == 0 ? 0 : get_pthread_rwlock_wrlock()(l);
    uint64_t t0 = ct__ticks();
    rc = get_pthread_rwlock_wrlock()(l);
    waited(t0, l);
    return rc;
}

CT_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *until)
{
    if (!ct__interpose_tracing())
        return get_pthread_rwlock_timedrdlock()(l, until);
    uint64_t t0 = ct__ticks();
    int rc = get_pthread_rwlock_timedrdlock()(l, until);
    waited(t0, l);
    return rc;
}

CT_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *until)
{
    if (!ct__interpose_tracing())
        return get_pthread_rwlock_timedwrlock()(l, until);
    uint64_t t0 = ct__ticks();
    int rc = get_pthread_rwlock_timedwrlock()(l, until);
    waited(t0, l);
    return rc;
}

CT_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    if (!ct__interpose_tracing())
        return get_pthread_barrier_wait()(b);
    uint64_t t0 = ct__ticks();
    int rc = get_pthread_barrier_wait()(b);
    waited(t0, b);
    return rc;
}

CT_EXPORT int sem_timedwait(sem_t *s, const struct timespec *until)
{
    if (!ct__interpose_tracing())
        return get_sem_timedwait()(s, until);
    uint64_t t0 = ct__ticks();
    int rc = get_sem_timedwait()(s, until);
    waited(t0, s);
    return rc;
}
