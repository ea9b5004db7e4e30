/*
 * workload.c - bench/compare's C workloads, one source for two tracers, so
 * that ctrace and LTTng-UST run the very same loops:
 *
 *   built with libctrace (meson: build/bench/compare_ctrace): ct_start(TRACE)
 *   built with -DCOMPARE_LTTNG by compare.sh (compare_lttng): tracepoints
 *   from lttng_tp.h, recorded by whatever LTTng session is active
 *
 *   workload pair  N TRACE   ns per region begin+end pair (best and median)
 *   workload log   N TRACE   ns per short log
 *   workload write N TRACE   N events (N/2 region pairs), as fast as it can
 *
 * Timings are in thread CPU time (the loop's own cost, not other load on a
 * shared machine), best and median of REPS runs, one line of `key value`
 * pairs on stdout for compare.sh. TRACE is ignored by the LTTng build (the
 * session says where its trace goes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h> /* strtoull, qsort */
#include <string.h> /* strcmp */
#include <time.h>   /* clock_gettime, nanosleep */

#ifdef COMPARE_LTTNG
#  define LTTNG_UST_TRACEPOINT_DEFINE
#  define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#  include "lttng_tp.h"
#  define TRACER "lttng"
#  define REGION_BEGIN(name) lttng_ust_tracepoint(compare, region_begin, name)
#  define REGION_END(name) lttng_ust_tracepoint(compare, region_end, name)
#  define LOG(cat, msg) lttng_ust_tracepoint(compare, log, cat, msg)
static int tracer_start(const char *path) { (void)path; return 0; }
static int tracer_stop(void) { return 0; }
static const char *tracer_error(int rc) { (void)rc; return "error"; }
#else
#  include <ctrace.h>
#  define TRACER "ctrace"
#  define REGION_BEGIN(name) ct_region r_ = ct_region_begin(NULL, name)
#  define REGION_END(name) ct_region_end(&r_)
#  define LOG(cat, msg) ct_log(NULL, cat, msg)
static int tracer_start(const char *path) { return ct_start(path); }
static int tracer_stop(void) { return ct_stop(); }
static const char *tracer_error(int rc) { return ct_strerror(rc); }
#endif

#define REPS 7
#define BARRIER() __asm__ volatile("" : : : "memory")

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Lets the tracer's drain (ctrace's collector, LTTng's consumer daemon)
 * empty its buffers between timed runs: each run times the writer. */
static void settle(void)
{
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static double pairs(uint64_t n)
{
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        REGION_BEGIN("tight");
        REGION_END("tight");
        BARRIER();
    }
    return (double)(cpu_ns() - t0) / (double)n;
}

__attribute__((noinline)) static double logs(uint64_t n)
{
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        LOG("c", "short message");
        BARRIER();
    }
    return (double)(cpu_ns() - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void timed(const char *what, double (*loop)(uint64_t), uint64_t n)
{
    double v[REPS];
    loop(n / 4 + 1); /* warm: buffers faulted in, names interned */
    settle();
    for (int i = 0; i < REPS; i++) {
        v[i] = loop(n);
        settle();
    }
    qsort(v, REPS, sizeof v[0], cmp_double);
    printf("tracer %s what %s n %llu best_ns %.2f median_ns %.2f\n", TRACER, what,
           (unsigned long long)n, v[0], v[REPS / 2]);
}

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long long n = argc == 4 ? strtoull(argv[2], &end, 10) : 0;
    if (argc != 4 || n == 0 || *end != '\0' ||
        (strcmp(argv[1], "pair") && strcmp(argv[1], "log") && strcmp(argv[1], "write"))) {
        fprintf(stderr, "usage: %s pair|log|write N TRACE (N a positive count)\n", argv[0]);
        return 2;
    }
    int rc = tracer_start(argv[3]);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot start tracing to %s: %s\n", argv[0], argv[3], tracer_error(rc));
        return 2;
    }
    if (strcmp(argv[1], "pair") == 0)
        timed("pair", pairs, n);
    else if (strcmp(argv[1], "log") == 0)
        timed("log", logs, n);
    else
        pairs(n / 2);
    rc = tracer_stop();
    if (rc != 0) {
        fprintf(stderr, "%s: stopping the trace %s failed: %s\n", argv[0], argv[3],
                tracer_error(rc));
        return 2;
    }
    return 0;
}
