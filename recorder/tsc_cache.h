/*
 * tsc_cache.h - the TSC's rate, measured once per boot.
 *
 * Measuring it well takes tens of milliseconds, which a runner started for
 * a quick suite would pay every time. The rate of an invariant TSC does not
 * change until the machine reboots, so the measurement is kept in
 * $XDG_CACHE_HOME/ctest-trace/tsc-hz (or ~/.cache/...) with the boot's id.
 * A run that used it checks it at its end, against both clocks' progress over
 * the whole run (a longer and better window than a nap at its start, which
 * every run would pay): a rate found wrong is replaced for the next run.
 */
#ifndef CT_RECORDER_TSC_CACHE_H
#define CT_RECORDER_TSC_CACHE_H

#include <stdint.h>

/* Ticks per second of clock `kind` (common/clock.h): cached (*cached = 1),
 * or measured over 20 ms and cached (*cached = 0). 0 if it cannot be
 * measured. */
uint64_t ct__tsc_hz_cached(uint32_t kind, int *cached);

/* At the end of a run that took `hz` from the cache: the rate measured from
 * the pair (t0, n0) of ct__clock_pair() read at its start to now. When it
 * is off by more than 0.2% (over 1 ms or more), the cache is rewritten with
 * it (measured over 20 ms or more) or removed, and stderr says so.
 * @return 1 when the cached rate was found wrong, else 0. */
int ct__tsc_hz_verify(uint32_t kind, uint64_t hz, uint64_t t0, uint64_t n0);

#endif /* CT_RECORDER_TSC_CACHE_H */
