/*
 * io.c - what libctrace's file I/O interposers cost a program's hottest
 * calls: a 1-byte write into a pipe and the read that takes it back, which
 * never wait. Through libc directly (as without libctrace), through the
 * interposers with no tracer, and while tracing (two clock reads each; no
 * fstat, which only a wait that is recorded costs: printed apart). Best of
 * 9 runs of 1 M pairs.
 *
 * All three run with a second, idle thread in the process: ct_start()'s
 * drain thread makes it multi-threaded, and glibc then does cancellation
 * bookkeeping around every read and write (here +300 ns a pair), which is
 * not the interposers' cost. Under the runner the drain is another process.
 *
 *     build/bench/io
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h> /* fstat */
#include <unistd.h>   /* pipe, read, write, pause */

#include "interposed.h"

#define PAIRS 1000000
#define RUNS 9

typedef ssize_t read_fn(int, void *, size_t);
typedef ssize_t write_fn(int, const void *, size_t);

struct io_fns {
    read_fn *read;
    write_fn *write;
};

static int p[2];

/* ns per write+read pair of one run of PAIRS through `fns`. */
static double pairs(const void *fns)
{
    const struct io_fns *io = fns;
    char byte = 'x';
    double t0 = bench_now_ns();
    for (int i = 0; i < PAIRS; i++) {
        if (io->write(p[1], &byte, 1) != 1 || io->read(p[0], &byte, 1) != 1)
            return 1e30;
    }
    return (bench_now_ns() - t0) / PAIRS;
}

/* ns per fstat: what classifying a recorded wait adds to it. */
static double fstat_ns(void)
{
    struct stat st;
    double best = 1e30;
    for (int r = 0; r < RUNS; r++) {
        double t0 = bench_now_ns();
        for (int i = 0; i < PAIRS; i++)
            fstat(p[0], &st);
        double ns = (bench_now_ns() - t0) / PAIRS;
        best = ns < best ? ns : best;
    }
    return best;
}

static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    pthread_t idler;
    if (pthread_create(&idler, NULL, idle, NULL) != 0)
        return 2;
    struct io_fns ours = {read, write};
    struct io_fns bare = {(read_fn *)bench_libc("read", (void *)read),
                          (write_fn *)bench_libc("write", (void *)write)};
    if (bare.read == NULL || bare.write == NULL || pipe(p) != 0)
        return 2;
    bench_three b;
    if (bench_interleaved(pairs, &bare, &ours, RUNS, &b) != 0)
        return 2;
    printf("1-byte pipe write+read, best of %d runs of %d pairs (2 threads)\n", RUNS, PAIRS);
    bench_print(&b, "pair");
    printf("  tracing adds %.1f%% to a pair; fstat (a recorded wait only): %.0f ns\n",
           100.0 * (b.traced - b.bare) / b.bare, fstat_ns());
    return 0;
}
