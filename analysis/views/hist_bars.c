/*
 * hist_bars.c - a histogram's buckets summed into bars (hist_bars.h).
 */
#include "hist_bars.h"

/* The last value of bucket b of group g (buckets of group g >= 1 are
 * 2^(g-1) wide; group 0's are 1). */
static uint64_t bucket_last(unsigned g, unsigned b)
{
    uint64_t width = g == 0 ? 1 : (uint64_t)1 << (g - 1);
    return ctv_hist_bucket_low(g, b) + (width - 1);
}

size_t ctv_hist_bars(const ctv_hist *h, ctv_bar bars[CTV_BARS_MAX])
{
    if (h->count == 0)
        return 0;
    unsigned g0, g1, b;
    ctv_hist_locate(h->min, &g0, &b);
    ctv_hist_locate(h->max, &g1, &b);
    unsigned octaves = g1 - g0 + 1;
    unsigned per_octave = CTV_HIST_SUB; /* bars an octave: a power of two */
    while (per_octave > 1 && octaves * per_octave > CTV_BARS_WANTED)
        per_octave /= 2;
    unsigned span = CTV_HIST_SUB / per_octave; /* buckets a bar */

    size_t n = 0;
    for (unsigned g = g0; g <= g1; g++) {
        for (unsigned b = 0; b < CTV_HIST_SUB; b += span) {
            ctv_bar *bar = &bars[n++];
            bar->lo = ctv_hist_bucket_low(g, b);
            bar->hi = bucket_last(g, b + span - 1);
            bar->count = 0;
            for (unsigned k = b; h->groups[g] && k < b + span; k++)
                bar->count += h->groups[g][k];
        }
    }
    return n;
}
