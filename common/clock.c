/* clock.c - choosing and calibrating the tracer's clock (see clock.h). */
#include "common/clock.h"
#include "common/env_once.h"

#include <stdio.h>  /* fopen, fgets */
#include <string.h> /* strstr, strcmp */

/* Ticks between the two TSC reads around a clock_gettime below which
 * ct__clock_pair_quick() keeps a pair: a read takes tens of ns (under 128
 * ticks 99.8% of the time on this VM), a preemption or a VM exit between
 * them a microsecond or more. The pair is then within 256 ticks. */
#define PAIR_TIGHT_TICKS 512u

uint32_t ct__clock_kind = CT_CLOCK_MONOTONIC;

static int cpu_has_invariant_tsc(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0;
    char line[4096];
    int constant = 0, nonstop = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0)
            continue;
        constant = strstr(line, " constant_tsc") != NULL;
        nonstop = strstr(line, " nonstop_tsc") != NULL;
        break;
    }
    fclose(f);
    return constant && nonstop;
}

uint32_t ct__clock_choose(void)
{
    const char *want = ct_env("CTRACE_CLOCK");
    if (want && strcmp(want, "monotonic") == 0)
        return CT_CLOCK_MONOTONIC;
#if CT_HAVE_TSC
    if (want && strcmp(want, "tsc") == 0)
        return CT_CLOCK_TSC;
    return cpu_has_invariant_tsc() ? CT_CLOCK_TSC : CT_CLOCK_MONOTONIC;
#else
    return CT_CLOCK_MONOTONIC;
#endif
}

static uint64_t read_ticks(uint32_t kind)
{
#if CT_HAVE_TSC
    if (kind == CT_CLOCK_TSC)
        return __rdtsc();
#endif
    (void)kind;
    return ct__mono_ns();
}

/* Take the tightest of four reads: a preemption between the two reads would
 * otherwise skew the pair. `good_enough`: stop at a read at least that
 * tight (0: all four). */
static void pair(uint32_t kind, uint64_t *ticks, uint64_t *ns, uint64_t good_enough)
{
    if (kind == CT_CLOCK_MONOTONIC) {
        *ticks = *ns = ct__mono_ns();
        return;
    }
    uint64_t best_gap = UINT64_MAX;
    for (int i = 0; i < 4 && best_gap > good_enough; i++) {
        uint64_t t0 = read_ticks(kind);
        uint64_t n = ct__mono_ns();
        uint64_t t1 = read_ticks(kind);
        if (t1 - t0 < best_gap) {
            best_gap = t1 - t0;
            *ticks = t0 + (t1 - t0) / 2;
            *ns = n;
        }
    }
}

void ct__clock_pair(uint32_t kind, uint64_t *ticks, uint64_t *ns)
{
    pair(kind, ticks, ns, 0);
}

void ct__clock_pair_quick(uint32_t kind, uint64_t *ticks, uint64_t *ns)
{
    pair(kind, ticks, ns, PAIR_TIGHT_TICKS);
}

uint64_t ct__clock_calibrate(uint32_t kind, uint64_t window_ns)
{
    if (kind == CT_CLOCK_MONOTONIC)
        return 1000000000u;
    uint64_t t0, n0, t1, n1;
    ct__clock_pair(kind, &t0, &n0);
    struct timespec nap = {0, (long)window_ns};
    while (nanosleep(&nap, &nap) != 0) {
    }
    ct__clock_pair(kind, &t1, &n1);
    if (n1 <= n0 || t1 <= t0)
        return 0;
    return (uint64_t)((double)(t1 - t0) * 1e9 / (double)(n1 - n0) + 0.5);
}

uint64_t ct__clock_span_ticks(uint64_t hz, uint64_t ns)
{
    /* Whole seconds and the rest apart: ns * hz alone overflows past 2 s. */
    return ns / 1000000000u * hz + ns % 1000000000u * hz / 1000000000u;
}

uint64_t ct__clock_span_ticks_up(uint64_t hz, uint64_t ns)
{
    uint64_t ticks = ct__clock_span_ticks(hz, ns);
    return hz == 1000000000u ? ticks : ticks + 1;
}

uint64_t ct__clock_ns_to_ticks(uint32_t kind, uint64_t hz, uint64_t ticks0, uint64_t ns0,
                               uint64_t ns)
{
    if (kind == CT_CLOCK_MONOTONIC)
        return ns;
    if (ns >= ns0)
        return ticks0 + ct__clock_span_ticks(hz, ns - ns0);
    uint64_t back = ct__clock_span_ticks(hz, ns0 - ns);
    return back < ticks0 ? ticks0 - back : 0;
}
