/*
 * hist_bars.h - a latency histogram (common/hist.h) cut into bars for a
 * picture: log-scale buckets, as Go's trace viewer draws its user task and
 * region histograms. Each octave (power of two) is split into the same
 * number of bars, as many as fit CTV_BARS_WANTED for the octaves the values
 * span (from 32 bars an octave down to 1), so a narrow distribution still
 * shows its shape. Values under 64 ns, counted exactly, make bars of their
 * own on the same scale.
 */
#ifndef CTV_HIST_BARS_H
#define CTV_HIST_BARS_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "common/hist.h"

#define CTV_BARS_WANTED 48 /* at most this many, unless the values span more octaves */
#define CTV_BARS_MAX CTV_HIST_GROUPS /* room for any histogram: one bar per octave */

typedef struct ctv_bar {
    uint64_t lo, hi; /* the values counted here: lo..hi, both included */
    uint64_t count;
} ctv_bar;

/*! ctv_hist_bars() : the bars of h, over the whole octaves from the one
 *  holding its smallest value to the one holding its largest, empty bars
 *  included (a single value shows where it lies in its octave), into bars
 *  (room for CTV_BARS_MAX). Their counts sum to h->count, and each bar's
 *  range begins where the one before ended.
 *  @return how many (0 for an empty histogram). */
size_t ctv_hist_bars(const ctv_hist *h, ctv_bar bars[CTV_BARS_MAX]);

#endif /* CTV_HIST_BARS_H */
