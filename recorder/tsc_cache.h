/*
 * tsc_cache.h - the TSC's rate, measured once per boot.
 *
 * Measuring it well takes tens of milliseconds, which a runner started for
 * a quick suite would pay every time. The rate of an invariant TSC does not
 * change until the machine reboots, so the measurement is kept in
 * $XDG_CACHE_HOME/ctest-trace/tsc-hz (or ~/.cache/...) with the boot's id.
 * A run that used it checks it at its end, against both clocks' progress over
 * the whole run (a longer and better window than a nap at its start, which
 * every run would pay): a rate found wrong is removed, for the next run to
 * measure again. A run across a suspend judges nothing: the TSC counted on
 * while CLOCK_MONOTONIC stood still, which CLOCK_BOOTTIME shows.
 */
#ifndef CT_RECORDER_TSC_CACHE_H
#define CT_RECORDER_TSC_CACHE_H

#include <stdint.h>

/* Ticks per second of clock `kind` (common/clock.h): cached (*cached = 1),
 * or measured over 20 ms and cached (*cached = 0). 0 if it cannot be
 * measured. */
uint64_t ct__tsc_hz_cached(uint32_t kind, int *cached);

/* The TSC rate cached for this boot, or 0 (none, another boot's, the
 * monotonic clock): measures nothing and writes nothing. ct_start() takes
 * it, checked at ct_stop() with ct__tsc_hz_verify(). */
uint64_t ct__tsc_hz_from_cache(uint32_t kind);

/* The clocks read together, at a run's start and at its end. */
typedef struct ct_tsc_mark {
    uint64_t ticks, mono_ns; /* ct__clock_pair() */
    uint64_t boot_ns;        /* CLOCK_BOOTTIME: ahead by the time suspended */
} ct_tsc_mark;

void ct__tsc_mark(uint32_t kind, ct_tsc_mark *m);

typedef enum ct_tsc_verdict {
    CT_TSC_RIGHT,     /* within 0.2% */
    CT_TSC_UNTOLD,    /* a run under 1 ms: too short to tell */
    CT_TSC_SUSPENDED, /* suspended between the marks: not judged */
    CT_TSC_WRONG,     /* off by more than 0.2% */
} ct_tsc_verdict;

/* What the marks of a run say of rate `hz`; *off: how far off it is (a
 * fraction; 0 unless judged). */
ct_tsc_verdict ct__tsc_hz_judge(uint64_t hz, const ct_tsc_mark *start, const ct_tsc_mark *end,
                                double *off);

/* At the end of a run that took `hz` from the cache, with the mark taken at
 * its start: when judged wrong, the cache is removed and stderr says so,
 * naming it. @return 1 when the cached rate was found wrong, else 0. */
int ct__tsc_hz_verify(uint32_t kind, uint64_t hz, const ct_tsc_mark *start);

#endif /* CT_RECORDER_TSC_CACHE_H */
