/*
 * sync.c - what libctrace's sync interposers cost an uncontended
 * pthread_mutex_lock + unlock pair: through libc directly (as without
 * libctrace), through the interposer with no tracer, and while tracing.
 * Goal (issue 4): at most 5 ns more than bare. Best of 9 runs of 20 M pairs.
 *
 *     build/bench/sync
 */
#include <pthread.h>
#include <stdio.h>

#include "interposed.h"

#define PAIRS 20000000
#define RUNS 9

typedef int lock_fn(pthread_mutex_t *);

/* ns per pair of one run of PAIRS, locking through `fns` (unlock is libc's). */
static double pairs(const void *fns)
{
    lock_fn *lock = *(lock_fn *const *)fns;
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    double t0 = bench_now_ns();
    for (int i = 0; i < PAIRS; i++) {
        lock(&m);
        pthread_mutex_unlock(&m);
    }
    return (bench_now_ns() - t0) / PAIRS;
}

int main(void)
{
    lock_fn *interposed = pthread_mutex_lock;
    lock_fn *bare = (lock_fn *)bench_libc("pthread_mutex_lock", (void *)interposed);
    bench_three b;
    if (bare == NULL || bench_interleaved(pairs, &bare, &interposed, RUNS, &b) != 0)
        return 2;
    printf("uncontended pthread_mutex_lock+unlock, best of %d runs of %d pairs\n", RUNS, PAIRS);
    bench_print(&b, "pair");
    printf("  goal: tracing <= +5 ns: %s\n", b.traced - b.bare <= 5.0 ? "meets" : "misses");
    return 0;
}
