/*
 * interposed.h - what bench/sync.c and bench/io.c share: measuring a call
 * libctrace interposes three ways, interleaved so that a change in the
 * machine's load hits them alike, and keeping each way's best run:
 *
 *   bare    libc's own function, found past libctrace's (as without it)
 *   idle    libctrace's interposer, no tracer
 *   traced  libctrace's interposer while ct_start() traces
 */
#ifndef CT_BENCH_INTERPOSED_H
#define CT_BENCH_INTERPOSED_H

#include <dlfcn.h>  /* dlopen, dlsym */
#include <stdio.h>  /* fprintf */
#include <time.h>   /* clock_gettime */
#include <unistd.h> /* unlink */

#include <ctrace.h>

/* Thread CPU time (user and kernel): what other load on the machine takes
 * from this thread is mostly left out. */
static inline double bench_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* libc's own `name`, or NULL if it cannot be told apart from `ours`. */
static inline void *bench_libc(const char *name, void *ours)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *fn = libc ? dlsym(libc, name) : NULL;
    if (fn == NULL || fn == ours) {
        fprintf(stderr, "cannot find libc's %s apart from libctrace's\n", name);
        return NULL;
    }
    return fn;
}

typedef struct bench_three {
    double bare, idle, traced; /* ns per operation, best run of each */
} bench_three;

/* `runs` runs of each way: run(bare_fns) for bare, run(our_fns) idle and
 * traced. run() returns ns per operation. @return 0, or -1 if ct_start
 * failed. */
static inline int bench_interleaved(double (*run)(const void *fns), const void *bare_fns,
                                    const void *our_fns, int runs, bench_three *best)
{
    const char *trace = "/tmp/ctrace-bench-interposed.trace";
    *best = (bench_three){1e30, 1e30, 1e30};
    for (int r = 0; r < runs; r++) {
        double ns = run(bare_fns);
        best->bare = ns < best->bare ? ns : best->bare;
        ns = run(our_fns);
        best->idle = ns < best->idle ? ns : best->idle;
        if (ct_start(trace) != 0) {
            fprintf(stderr, "ct_start failed\n");
            return -1;
        }
        ns = run(our_fns);
        ct_stop();
        best->traced = ns < best->traced ? ns : best->traced;
    }
    unlink(trace);
    return 0;
}

/* The three figures, each against bare. */
static inline void bench_print(const bench_three *b, const char *unit)
{
    printf("  libc directly              %7.2f ns/%s\n", b->bare, unit);
    printf("  interposer, no tracer      %7.2f ns/%s  (%+.2f ns)\n", b->idle, unit,
           b->idle - b->bare);
    printf("  interposer, tracing        %7.2f ns/%s  (%+.2f ns)\n", b->traced, unit,
           b->traced - b->bare);
}

#endif /* CT_BENCH_INTERPOSED_H */
