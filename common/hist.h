/*
 * hist.h - a log-linear latency histogram of bounded size and error.
 *
 * Values below 64 are counted exactly; above, each power of two is split
 * into 64 equal buckets, so a bucket's midpoint is within 1/128 (0.78 %) of
 * any value in it. Buckets are allocated one power of two at a time, when a
 * value first lands there: a region whose durations span three octaves costs
 * about 1.5 KiB, whatever the number of values. Count, total, min and max
 * are exact, and quantiles are clamped into [min, max], so one value (or
 * all-equal values) gives back exactly that value.
 */
#ifndef CTV_HIST_H
#define CTV_HIST_H

#include <stdint.h> /* uint64_t */

#define CTV_HIST_SUB_BITS 6                   /* 64 buckets per octave */
#define CTV_HIST_SUB (1u << CTV_HIST_SUB_BITS)
#define CTV_HIST_GROUPS (64 - CTV_HIST_SUB_BITS + 1) /* exact group + octaves */

/* Where a value is counted: group 0 holds 0..63 one per bucket; group g >= 1
 * the octave [2^(g+5), 2^(g+6)), in CTV_HIST_SUB buckets of width 2^(g-1).
 * Shared with the live per-test histograms (assertions/live.h). */
static inline void ctv_hist_locate(uint64_t value, unsigned *group, unsigned *bucket)
{
    if (value < CTV_HIST_SUB) {
        *group = 0;
        *bucket = (unsigned)value;
        return;
    }
    unsigned shift = 63u - (unsigned)__builtin_clzll(value) - CTV_HIST_SUB_BITS;
    *group = shift + 1;
    *bucket = (unsigned)(value >> shift) - CTV_HIST_SUB;
}

/* The smallest value of a bucket. */
static inline uint64_t ctv_hist_bucket_low(unsigned group, unsigned bucket)
{
    return group == 0 ? bucket : (uint64_t)(CTV_HIST_SUB + bucket) << (group - 1);
}

/* Midpoint of a bucket: any value in it is within half a width of it. */
static inline uint64_t ctv_hist_midpoint(unsigned group, unsigned bucket)
{
    if (group == 0)
        return bucket;
    return ctv_hist_bucket_low(group, bucket) + (((uint64_t)1 << (group - 1)) >> 1);
}

/* Nearest rank (1-based) of quantile q among count values (q in (0, 1)). */
static inline uint64_t ctv_hist_rank(double q, uint64_t count)
{
    /* The float product can land a hair under an integer, so the rank is
     * computed then bounded into [1, count]. */
    double wanted = q * (double)count;
    uint64_t rank = (uint64_t)wanted;
    if ((double)rank < wanted)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > count)
        rank = count;
    return rank;
}

typedef struct ctv_hist {
    uint64_t count;
    uint64_t total; /* saturates at UINT64_MAX rather than wrapping */
    uint64_t min, max;
    uint64_t *groups[CTV_HIST_GROUPS]; /* CTV_HIST_SUB counters each, or NULL */
} ctv_hist;

void ctv_hist_init(ctv_hist *h);

/* ctv_hist_add() of a value whose group has no buckets yet. */
int ctv_hist_add_first_in_group(ctv_hist *h, uint64_t value);

/*! ctv_hist_add() : count one value. Inline: views count a value an event.
 *  @return 0, or CT_ENOMEM (the value is then not counted at all). */
static inline int ctv_hist_add(ctv_hist *h, uint64_t value)
{
    unsigned group, bucket;
    ctv_hist_locate(value, &group, &bucket);
    if (__builtin_expect(!h->groups[group], 0))
        return ctv_hist_add_first_in_group(h, value);
    h->groups[group][bucket]++;
    h->count++;
    h->total = h->total > UINT64_MAX - value ? UINT64_MAX : h->total + value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
    return 0;
}

/*! ctv_hist_quantile() : the value at quantile q (0..1, nearest rank: the
 *  smallest bucket holding at least ceil(q * count) values), as that bucket's
 *  midpoint clamped into [min, max]. 0 when the histogram is empty. */
uint64_t ctv_hist_quantile(const ctv_hist *h, double q);

void ctv_hist_free(ctv_hist *h);

#endif /* CTV_HIST_H */
