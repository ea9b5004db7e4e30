/*
 * block_c11.c - C11's <threads.h>: mtx_lock and mtx_timedlock, cnd_wait and
 * cnd_timedwait, thrd_join (kind sync, as their pthread twins in
 * block_sync.c) and thrd_sleep (kind syscall, as nanosleep).
 *
 * glibc implements them on its pthread functions, but calls those inside
 * libc, not through the PLT: the pthread interposers never see them, so
 * they are taken here on their own. An mtx_t is a pthread_mutex_t (mtx_init
 * hands it to pthread_mutex_init as one), so its lock word says whether it
 * is held, as for pthread_mutex_lock.
 */
#include <pthread.h> /* pthread_mutex_t */
#include <stdint.h>
#include <threads.h>
#include <time.h>

#include "format/wire.h" /* CT_BLOCK_SYNC, CT_BLOCK_SYSCALL */
#include "plugin/interpose.h"

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t) &&
                   _Alignof(mtx_t) == _Alignof(pthread_mutex_t),
               "glibc's mtx_t is a pthread_mutex_t");

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_c11_linked = 1;

CT_REAL(int, mtx_lock, (mtx_t *))
CT_REAL(int, mtx_timedlock, (mtx_t *__restrict, const struct timespec *__restrict))
CT_REAL(int, cnd_wait, (cnd_t *, mtx_t *))
CT_REAL(int, cnd_timedwait,
        (cnd_t *__restrict, mtx_t *__restrict, const struct timespec *__restrict))
CT_REAL(int, thrd_join, (thrd_t, int *))
CT_REAL(int, thrd_sleep, (const struct timespec *, struct timespec *))

#define TIMED(call, object)                                                            \
    CT_TIMED(call, CT_BLOCK_SYNC, CT_SYNC_MIN_US, (uint64_t)(uintptr_t)(object))

static int held(mtx_t *m)
{
    return ct__mutex_held((pthread_mutex_t *)(void *)m);
}

CT_EXPORT int mtx_lock(mtx_t *m)
{
    if (!ct__interpose_tracing() || !held(m))
        return get_mtx_lock()(m);
    TIMED(get_mtx_lock()(m), m);
}

CT_EXPORT int mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict until)
{
    if (!ct__interpose_tracing() || !held(m))
        return get_mtx_timedlock()(m, until);
    TIMED(get_mtx_timedlock()(m, until), m);
}

CT_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    TIMED(get_cnd_wait()(c, m), c);
}

CT_EXPORT int cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m,
                            const struct timespec *__restrict until)
{
    TIMED(get_cnd_timedwait()(c, m, until), c);
}

CT_EXPORT int thrd_join(thrd_t thread, int *result)
{
    TIMED(get_thrd_join()(thread, result), thread);
}

CT_EXPORT int thrd_sleep(const struct timespec *want, struct timespec *left)
{
    CT_TIMED(get_thrd_sleep()(want, left), CT_BLOCK_SYSCALL, CT_SYSCALL_MIN_US, 0);
}
