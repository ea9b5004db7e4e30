/*
 * tsc_cache.h - the TSC's rate, measured once per boot.
 *
 * Measuring it well takes tens of milliseconds, which a runner started for
 * a quick suite would pay every time. The rate of an invariant TSC does not
 * change until the machine reboots, so the measurement is kept in
 * $XDG_CACHE_HOME/ctest-trace/tsc-hz (or ~/.cache/...) with the boot's id,
 * and a 1 ms measurement checks it before it is used.
 */
#ifndef CT_RECORDER_TSC_CACHE_H
#define CT_RECORDER_TSC_CACHE_H

#include <stdint.h>

/* Ticks per second of clock `kind` (common/clock.h): cached, or measured
 * over 20 ms and cached. 0 if it cannot be measured. */
uint64_t ct__tsc_hz_cached(uint32_t kind);

#endif /* CT_RECORDER_TSC_CACHE_H */
