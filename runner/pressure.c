/*
 * pressure.c - CPU pressure stall information (pressure.h).
 */
#include "pressure.h"

#include <inttypes.h> /* SCNu64 */
#include <stdio.h>    /* fopen, fscanf */
#include <time.h>     /* clock_gettime */

rn_pressure rn_pressure_now(void)
{
    rn_pressure p = {0};
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    p.at_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    FILE *f = fopen("/proc/pressure/cpu", "re");
    if (f == NULL)
        return p;
    /* "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345" */
    double a10, a60, a300;
    p.ok = fscanf(f, "some avg10=%lf avg60=%lf avg300=%lf total=%" SCNu64, &a10, &a60, &a300,
                  &p.stalled_us) == 4;
    fclose(f);
    return p;
}

int rn_pressure_permille(const rn_pressure *then, const rn_pressure *now)
{
    if (!then->ok || !now->ok || now->at_us <= then->at_us || now->stalled_us < then->stalled_us)
        return -1;
    uint64_t permille = (now->stalled_us - then->stalled_us) * 1000 / (now->at_us - then->at_us);
    return permille > 1000 ? 1000 : (int)permille;
}
