/*
 * own_thread.h - the threads libctrace starts in a program: the live
 * capture's listener (serve.c) and a self-trace's drain thread
 * (selftrace.c).
 */
#ifndef CT_PLUGIN_OWN_THREAD_H
#define CT_PLUGIN_OWN_THREAD_H

#include <pthread.h> /* pthread_t */
#include <stdint.h>  /* uint32_t */

typedef struct ct__own_thread {
    void *(*main)(void *); /* what the thread runs, with a NULL argument */
    pthread_t id;
    uint32_t running; /* futex: set once the thread runs main */
} ct__own_thread;

/* Start t->main on a new thread with every signal blocked (a handler of the
 * program run there could wait on a lock one of the program's threads
 * holds), and return once it runs main, or after a second at most (the
 * program is never held longer: a caller under the loader's lock, in a
 * constructor of a dlopen'd library, may hold what the start needs).
 *
 * Why wait: the runtime that starts a thread may allocate there, and the
 * program may fork() as soon as ct_serve() or ct_start() returns. gcc 12's
 * AddressSanitizer takes no allocator lock around fork(): a child forked
 * while our thread was being started inherited a held size-class lock and
 * hung at exit, in the leak check (1 fork in 10 under a loaded machine).
 * Past its start, neither of our threads allocates.
 *
 * `t` outlives the thread (static): the thread reads it after the caller
 * returns. @return pthread_create's: 0, or an error number. */
int ct__own_thread_start(ct__own_thread *t);

#endif /* CT_PLUGIN_OWN_THREAD_H */
