/*
 * own_thread.c - starting the threads libctrace runs in a program, and
 * waiting until they run (own_thread.h says why).
 */
#include "plugin/own_thread.h"

#include <signal.h> /* pthread_sigmask, sigfillset */

#include "common/clock.h" /* ct__mono_ns */
#include "format/pool.h"  /* ct_pool_futex_wait, ct_pool_futex_wake */

#define START_WAIT_NS 1000000000ull /* the longest ct__own_thread_start waits */

static void *own_thread_main(void *arg)
{
    ct__own_thread *t = arg;
    void *(*fn)(void *) = t->main;
    __atomic_store_n(&t->running, 1, __ATOMIC_RELEASE);
    ct_pool_futex_wake(&t->running, 1); /* t is static: still there */
    return fn(NULL);
}

int ct__own_thread_start(ct__own_thread *t)
{
    __atomic_store_n(&t->running, 0, __ATOMIC_RELAXED);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&t->id, NULL, own_thread_main, t);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return rc;
    uint64_t until = ct__mono_ns() + START_WAIT_NS;
    for (;;) {
        if (__atomic_load_n(&t->running, __ATOMIC_ACQUIRE))
            break;
        uint64_t now = ct__mono_ns();
        if (now >= until)
            break; /* not started within the bound: go on, as before the wait */
        ct_pool_futex_wait(&t->running, 0, until - now); /* woken, timed out, or EINTR */
    }
    return 0;
}
