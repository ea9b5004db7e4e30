/*
 * gate_stats.h - the statistics the CI latency gate stands on: is a metric
 * (a test's duration, a region's instance durations) significantly slower in
 * the new sample than in the old one, and by how much?
 *
 * Samples are durations in nanoseconds as doubles. Nothing here does I/O or
 * keeps state; a call allocates at most one scratch buffer. Internal to
 * libctrace (hidden), used by the runner, which links the static archive.
 *
 * Method (mirrors golang.org/x/perf/benchmath's AssumeNothing, the default of
 * benchstat, built on github.com/aclements/go-moremath/stats: utest.go,
 * udist.go, quantileci.go; our own C):
 *
 * - Summary: the sample median (the mean of the two middle values when n is
 *   even) and a distribution-free confidence interval from order statistics.
 *   The number of sample values below the true median is binomial(n, 1/2),
 *   so [x(k), x(n-k+1)] (1-based, sorted) covers it with probability
 *   P(k <= B <= n-k); k is the largest that reaches `confidence`, from the
 *   binomial itself at every n. benchstat (QuantileCI) accumulates the same
 *   binomial from its mode outward, which may end one order statistic
 *   lopsided, and uses a normal approximation of it above 30; ours is
 *   always symmetric, so its actual confidence is the same or a little
 *   higher. Below 6 samples no k reaches 0.95 (benchstat's "need >= 6
 *   samples for confidence interval").
 *
 * - Test: Mann-Whitney U (Wilcoxon rank-sum), ties given their mid-rank.
 *   It assumes no distribution, which suits durations: skewed, long-tailed,
 *   often bimodal. Two-sided: the gate must tell "faster" from "slower", and
 *   a one-sided test chosen after looking at the medians would halve p
 *   dishonestly. The p-value is P(|U - n1 n2/2| >= |u - n1 n2/2|) under
 *   random assignment of the pooled values to the two sides.
 *
 *   Exact for small samples: the distribution of U is counted over all
 *   C(n1+n2, n1) assignments by a dynamic programme over the tie groups in
 *   rank order (choose r of a group's t values: C(t, r) ways, each adding r
 *   times its mid-rank), so ties are exact too. Without ties this is
 *   benchstat's UDist, and the p-value equals its 2 CDF(min(U1, U2)); with
 *   ties benchstat doubles one tail of a distribution that ties can make
 *   lopsided, and its tie DP (Cheung & Klotz 1997) gives p = 0 on some
 *   inputs (go-moremath's own test: {2,1,3,5} against five 1s, where the
 *   count says 6/126); counting both tails directly is right for either.
 *   Exact while the work is no more than for 50 against 50 (about 2 ms
 *   here; CT_GATE_EXACT_WORK): every pair of sizes up to 50 (benchstat: 50
 *   without ties, 25 with), and uneven pairs as far as 10 against 511,
 *   2 against 3498, 1 against 262143 (then the 8 MiB table limits it).
 *
 *   Normal approximation beyond that, with the tie correction of the
 *   variance and a continuity correction of 1/2 (benchstat's formula), in
 *   O(n log n) for the sort: 22 ms for 100 000 against 100 000 here. Where
 *   the two meet, measured on uniform samples with and without heavy ties:
 *   at 50 against 50 within 0.007 of the exact p; with a smaller side of 20
 *   to 49, within 0.007; of 4 to 10, within 0.05; of 1 to 3, within 0.24,
 *   and there the normal p can be too small by up to 0.06 (a small side
 *   against a large one has lighter tails than the normal), which is why the
 *   exact rule stretches so far for small sides.
 *
 * - Too few samples: the smallest p the test can give for two sizes is that
 *   of complete separation (ct_gate_min_p). When it is not below alpha the
 *   gate cannot find anything whatever the samples say (3 against 3: 0.1),
 *   so the caller warns instead of judging (benchstat's "need >= N samples
 *   to detect a difference"; it compares equal sizes from a table, this
 *   computes any pair).
 */
#ifndef CT_ASSERTIONS_GATE_STATS_H
#define CT_ASSERTIONS_GATE_STATS_H

#include <stddef.h> /* size_t */

/* The exact distribution's limits, for the smaller size m and the larger M:
 * its work, m (m-1) (m+M)^2 / 2 steps, no more than for 50 against 50 (2 ms
 * here), and its table, (m+1) (2 m M + 1) doubles, at most 8 MiB. */
#define CT_GATE_EXACT_WORK (50.0 * 49.0 / 2 * 100.0 * 100.0)
#define CT_GATE_EXACT_CELLS (1024.0 * 1024.0)

/* A sample's median and its confidence interval (order statistics, as
 * benchstat's AssumeNothing: the interval's ends are sample values chosen
 * from the binomial(n, 1/2) distribution so that it covers the true median
 * with at least `confidence`). */
typedef struct ct_gate_summary {
    size_t n;
    double median;
    double lo, hi; /* the interval; both = median when !ci_ok */
    int ci_ok;     /* 0: too few samples for an interval at this confidence */
    size_t k;      /* lo is x(k), hi x(n-k+1), 1-based in sorted order; 0 when !ci_ok */
    double confidence; /* the interval's actual confidence (>= the one asked); 0 when !ci_ok */
} ct_gate_summary;

/* Sorts x in place (NaN after everything else). n may be 0 (all zeros,
 * ci_ok 0). confidence is in (0, 1). */
void ct_gate_summarize(double *x, size_t n, double confidence, ct_gate_summary *out);

/* Two-sided p-value of the Mann-Whitney U test of a (na) against b (nb),
 * ties at their mid-rank: exact when ct_gate_exact_sizes(na, nb), else the
 * normal approximation with tie and continuity correction. 1.0 when either
 * is empty or all values are equal. Does not modify a or b (they may be
 * unsorted; NaN sorts above everything). O((na+nb) log(na+nb)) for large
 * samples. Returns NaN only when its scratch memory cannot be allocated. */
double ct_gate_mann_whitney(const double *a, size_t na, const double *b, size_t nb);

/* The two methods alone, whatever the sizes (for tests, and for a caller
 * that wants to say which it used). The exact one costs no more than
 * CT_GATE_EXACT_WORK and _CELLS for sizes ct_gate_exact_sizes() accepts,
 * more beyond (use it there for tests only); it returns NaN, as both do when
 * memory cannot be allocated, when C(na+nb, na) would not fit a double. */
double ct_gate_mann_whitney_exact(const double *a, size_t na, const double *b, size_t nb);
double ct_gate_mann_whitney_normal(const double *a, size_t na, const double *b, size_t nb);

/* 1 when ct_gate_mann_whitney() uses the exact distribution for these sizes
 * (both non-empty, within CT_GATE_EXACT_WORK and CT_GATE_EXACT_CELLS). */
int ct_gate_exact_sizes(size_t na, size_t nb);

/* The smallest two-sided p-value the test can give for samples of these
 * sizes without ties (all of one side above all of the other), by the method
 * ct_gate_mann_whitney() uses for them: 2 / C(na+nb, na) when exact. When it
 * is not below alpha, no verdict is possible and the caller warns "too few
 * samples" instead of judging. 1 when either is 0. (A lopsided tie pattern
 * can give an exact p as low as half of it, never lower.) */
double ct_gate_min_p(size_t na, size_t nb);

typedef enum ct_gate_verdict {
    CT_GATE_SAME,      /* no significant change (p >= alpha), or a change within the limit */
    CT_GATE_FASTER,    /* significant and the median went down */
    CT_GATE_SLOWER,    /* significant, median up, but by no more than max_regression */
    CT_GATE_REGRESSED, /* significant and the median rose by more than max_regression */
    CT_GATE_TOO_FEW,   /* min_p(na, nb) >= alpha: cannot judge; warn */
} ct_gate_verdict;

typedef struct ct_gate_result {
    ct_gate_summary old, new_; /* medians with intervals */
    double delta_pct;          /* (new.median - old.median) / old.median * 100; 0 when both 0,
                                  +inf (HUGE_VAL) when old is 0 and new is not
                                  (-HUGE_VAL if new is negative: no duration is) */
    double p;                  /* Mann-Whitney two-sided p */
    double p_limit;            /* when the median grew past the limit: the one-sided
                                  p of new against old scaled by the limit (is it
                                  slower by more than the limit?); else 1 */
    ct_gate_verdict verdict;
} ct_gate_result;

/* Compare two samples (each sorted in place) at significance `alpha` (0.05
 * default) with the limit `max_regression_pct` (10 default): REGRESSED iff
 * p < alpha, delta_pct > max_regression_pct, and p_limit < alpha: the new
 * sample is significantly slower than the old one made slower by the limit,
 * not only its median. A machine whose speed drifts by about the limit
 * between the two samples (a shared CI runner under load) moves medians
 * past it half the time; it does not move a whole sample clearly past it.
 * Otherwise a significant slowdown is SLOWER.
 * Significant with equal medians is SAME. confidence of the intervals: 0.95.
 * When the test's scratch memory cannot be allocated, p is NaN and the
 * verdict TOO_FEW: no verdict, never a false alarm. */
void ct_gate_compare(double *old, size_t nold, double *new_, size_t nnew, double alpha,
                     double max_regression_pct, ct_gate_result *out);

/* The same, where a regression must also grow the median by more than
 * `min_delta` (ns), the old samples moved by it too in the test past the
 * limit: for metrics that are often 0 (a test's blocking totals), where
 * any limit in percent of 0 is 0. */
void ct_gate_compare_floor(double *old, size_t nold, double *new_, size_t nnew, double alpha,
                           double max_regression_pct, double min_delta, ct_gate_result *out);

/* The verdict's name for tables and JSON: "same", "faster", "slower",
 * "regressed", "too few samples". */
const char *ct_gate_verdict_name(ct_gate_verdict v);

#endif
