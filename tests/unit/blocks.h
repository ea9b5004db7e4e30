/* blocks.h - tests of the interposers: trace with ct_start(), do something
 * that waits, read the BLOCK events back. */
#ifndef CT_TESTS_BLOCKS_H
#define CT_TESTS_BLOCKS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h> /* pid_t */

#include "events.h"

#define ANY_OBJECT UINT64_MAX

/* cmocka setup and teardown: trace into a fresh file; stop and remove it. */
int blocks_start(void **state);
int blocks_stop(void **state);

/* Stop tracing and read the trace back: it must read whole, without
 * warnings or lost events. */
void blocks_read(tevs *t);

/* The longest wait of `kind` on thread `tid`, on `object` unless
 * ANY_OBJECT, in ns; 0 if none. */
uint64_t blocks_longest(const tevs *t, ctr_block_kind kind, uint64_t object, pid_t tid);

/* How many waits of `kind` on `object` (ANY_OBJECT: any) thread `tid` has. */
size_t blocks_count(const tevs *t, ctr_block_kind kind, uint64_t object, pid_t tid);

/* How many waits of `kind` thread `tid` has that took at least `min_ns`. */
size_t blocks_count_longer(const tevs *t, ctr_block_kind kind, pid_t tid, uint64_t min_ns);

/* The calling thread's OS id. */
pid_t blocks_tid(void);

void sleep_ms(long ms);

/* Call fn(arg) on a new thread `ms` from now; pthread_join the result. */
pthread_t blocks_after_ms(long ms, void (*fn)(void *), void *arg);

/* A 20 ms wait shows as at least this much: wide, for a loaded machine. */
#define WAITED_20MS 10000000u

#endif
