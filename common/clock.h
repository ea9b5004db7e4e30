/*
 * clock.h - the tracer's timestamps.
 *
 * Events carry raw ticks: the TSC when it is invariant (constant_tsc and
 * nonstop_tsc), else CLOCK_MONOTONIC nanoseconds. Each chunk records a
 * (ticks, monotonic ns) pair when claimed, and the trace records ticks per
 * second, so a reader turns ticks into ns without drift across chunks.
 * bench/hotpath prints what each clock costs here.
 */
#ifndef CT_PLUGIN_CLOCK_H
#define CT_PLUGIN_CLOCK_H

#include <stdint.h> /* uint64_t */
#include <time.h>   /* clock_gettime */

#include "format/wire.h" /* ct_clock_kind */

#if defined(__x86_64__) || defined(__i386__)
#  include <x86intrin.h> /* __rdtsc */
#  define CT_HAVE_TSC 1
#else
#  define CT_HAVE_TSC 0
#endif

/* Which clock events use in this process; set once at tracer start. */
extern uint32_t ct__clock_kind;

static inline uint64_t ct__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC as of the last timer tick (a few ms behind at most), for
 * times only compared against limits of seconds: no TSC or HPET read. */
static inline uint64_t ct__mono_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t ct__realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Ticks of the chosen clock. */
static inline uint64_t ct__ticks(void)
{
#if CT_HAVE_TSC
    /* Relaxed atomic (a plain load): a new session may set it meanwhile. */
    if (__builtin_expect(__atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED) == CT_CLOCK_TSC, 1))
        return __rdtsc();
#endif
    return ct__mono_ns();
}

/* The clock to use on this machine: TSC if invariant, unless the environment
 * says CTRACE_CLOCK=monotonic (or =tsc to insist). */
uint32_t ct__clock_choose(void);

/* Ticks per second of `kind`, measured against CLOCK_MONOTONIC over about
 * `window_ns` (1e9 for the monotonic clock). */
uint64_t ct__clock_calibrate(uint32_t kind, uint64_t window_ns);

/* A (ticks, monotonic ns) pair read as close together as possible. */
void ct__clock_pair(uint32_t kind, uint64_t *ticks, uint64_t *ns);
/* A pair within 256 ticks, at a third of the cost when the first read is
 * (it mostly is): a chunk's base, not a calibration, which measures the
 * rate between two pairs. */
void ct__clock_pair_quick(uint32_t kind, uint64_t *ticks, uint64_t *ns);

/* A span of `ns` nanoseconds in ticks at `hz` per second (exact for any hz
 * below 2^34, that is 17 GHz). */
uint64_t ct__clock_span_ticks(uint64_t hz, uint64_t ns);

/* The same, one tick more unless the clock counts ns: what a reader, which
 * converts ticks to ns to within 1 ns below the exact quotient, reads back
 * as `ns` or more (a wait kept for being that long reads that long). */
uint64_t ct__clock_span_ticks_up(uint64_t hz, uint64_t ns);

/* CLOCK_MONOTONIC time `ns` in ticks of `kind` at `hz` per second, through a
 * pair (ticks0, ns0) of ct__clock_pair() read near `ns` (the kernel stamps
 * perf records in monotonic ns; events carry ticks). 0 if it would fall
 * before tick 0. */
uint64_t ct__clock_ns_to_ticks(uint32_t kind, uint64_t hz, uint64_t ticks0, uint64_t ns0,
                               uint64_t ns);

#endif /* CT_PLUGIN_CLOCK_H */
