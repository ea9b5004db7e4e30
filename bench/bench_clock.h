/*
 * bench_clock.h - the clocks the thread-start benches read: wall time
 * (common/clock.h's ct__mono_ns), and the CPU time of every thread of the
 * process (those ended included), both in ns. Header-only:
 * bench/thread_start_suite links no part of ctrace.
 */
#ifndef CT_BENCH_CLOCK_H
#define CT_BENCH_CLOCK_H

#include <stdint.h>       /* uint64_t */
#include <sys/resource.h> /* getrusage */

#include "common/clock.h" /* ct__mono_ns: wall time */

static inline uint64_t bench_process_cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

#endif /* CT_BENCH_CLOCK_H */
