/*
 * hist.c - log-linear histogram (the HdrHistogram layout, allocated lazily).
 *
 * Group 0 holds values 0..63, one per bucket. Group g >= 1 holds the octave
 * [2^(g+5), 2^(g+6)), cut into 64 buckets of width 2^(g-1).
 */
#include "common/hist.h"

#include <stdlib.h> /* calloc, free */

#include <ctrace.h> /* CT_ENOMEM */

void ctv_hist_init(ctv_hist *h)
{
    h->count = 0;
    h->total = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    for (unsigned g = 0; g < CTV_HIST_GROUPS; g++)
        h->groups[g] = NULL;
}

int ctv_hist_add_first_in_group(ctv_hist *h, uint64_t value)
{
    unsigned group, bucket;
    ctv_hist_locate(value, &group, &bucket);
    h->groups[group] = calloc(CTV_HIST_SUB, sizeof(uint64_t));
    if (!h->groups[group])
        return CT_ENOMEM;
    return ctv_hist_add(h, value);
}

uint64_t ctv_hist_quantile(const ctv_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0.0)) /* also NaN */
        return h->min;
    if (q >= 1.0)
        return h->max;

    uint64_t rank = ctv_hist_rank(q, h->count);

    uint64_t seen = 0;
    for (unsigned g = 0; g < CTV_HIST_GROUPS; g++) {
        if (!h->groups[g])
            continue;
        for (unsigned b = 0; b < CTV_HIST_SUB; b++) {
            seen += h->groups[g][b];
            if (seen >= rank) {
                uint64_t v = ctv_hist_midpoint(g, b);
                return v < h->min ? h->min : v > h->max ? h->max : v;
            }
        }
    }
    return h->max; /* not reached: the buckets hold count values */
}

void ctv_hist_free(ctv_hist *h)
{
    for (unsigned g = 0; g < CTV_HIST_GROUPS; g++) {
        free(h->groups[g]);
        h->groups[g] = NULL;
    }
}
