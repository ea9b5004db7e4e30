/*
 * pressure.h - how busy the machine was: Linux's pressure stall information
 * for CPUs (/proc/pressure/cpu, "some": the time during which at least one
 * runnable task waited for a CPU). The gate compares a run's with its
 * baseline's, since a test's latency on a machine busier than when the
 * baseline was saved says more about the machine than about the code.
 */
#ifndef RN_PRESSURE_H
#define RN_PRESSURE_H

#include <stdint.h> /* uint64_t */

/* A reading: PSI's "some" total and the monotonic clock, in microseconds. */
typedef struct rn_pressure {
    uint64_t stalled_us, at_us;
    int ok; /* PSI was readable (Linux 4.20+, not turned off, not hidden) */
} rn_pressure;

/*! rn_pressure_now() : a reading now. */
rn_pressure rn_pressure_now(void);

/*! rn_pressure_permille() : the share of the time from `then` to `now` during
 *  which some task waited for a CPU, in per mille (0 to 1000), or -1 when
 *  either reading failed or no time passed. */
int rn_pressure_permille(const rn_pressure *then, const rn_pressure *now);

#endif /* RN_PRESSURE_H */
