/*
 * gate_stats.c - medians with order-statistic intervals, the Mann-Whitney U
 * test (exact with ties, or normal), and the gate's verdict. The method and
 * what it mirrors from benchstat: gate_stats.h.
 */
#include "assertions/gate_stats.h"

#include <math.h>   /* erfc, sqrt, fabs, isnan, HUGE_VAL, NAN */
#include <stdint.h> /* SIZE_MAX */
#include <stdlib.h> /* malloc, calloc, free, qsort */
#include <string.h> /* memcpy */

/* Total order for qsort (an inconsistent comparator is undefined behaviour):
 * NaN after everything, equal to itself. */
static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

static void sort_doubles(double *x, size_t n)
{
    if (n > 1)
        qsort(x, n, sizeof *x, cmp_double);
}

/* ---- median and its interval ---------------------------------------------- */

/* binomial(n, 1/2) weights relative to the mode's, w(i-1) = w(i) i/(n-i+1),
 * summed over i = k..floor((n-1)/2); with the symmetry w(i) = w(n-i) that
 * gives P(k <= B <= n-k) without 2^-n underflowing for large n. Returns the
 * largest k >= 1 whose coverage reaches `confidence`, or 0. */
static size_t median_ci_order(size_t n, double confidence, double *coverage)
{
    if (n < 2)
        return 0;
    size_t half = (n - 1) / 2; /* the highest i below the middle */
    double centre = (n % 2 == 0) ? 1.0 : 0.0;
    /* Pass 1: total weight, with w(half) relative to the mode w(n/2) = 1
     * for even n, or w(half) = 1 for odd n (two equal modes). */
    double w = (n % 2 == 0) ? (double)(n / 2) / (double)(n / 2 + 1) : 1.0;
    double side = 0;
    for (size_t i = half + 1; i-- > 0;) {
        side += w;
        if (w == 0)
            break;
        w *= (double)i / (double)(n - i + 1);
    }
    double total = centre + 2 * side;
    /* Pass 2: widen from the middle until the coverage is reached. */
    w = (n % 2 == 0) ? (double)(n / 2) / (double)(n / 2 + 1) : 1.0;
    double inside = centre;
    for (size_t i = half; i >= 1; i--) { /* k = i: [x(i), x(n-i+1)] */
        inside += 2 * w;
        if (inside / total >= confidence) {
            *coverage = inside / total;
            return i;
        }
        w *= (double)i / (double)(n - i + 1);
    }
    return 0; /* only the whole real line covers it often enough */
}

void ct_gate_summarize(double *x, size_t n, double confidence, ct_gate_summary *out)
{
    *out = (ct_gate_summary){.n = n};
    if (n == 0)
        return;
    sort_doubles(x, n);
    out->median = (n % 2) ? x[n / 2] : x[n / 2 - 1] / 2 + x[n / 2] / 2; /* no overflow */
    out->lo = out->hi = out->median;
    double coverage = 0;
    size_t k = median_ci_order(n, confidence, &coverage);
    if (k == 0)
        return;
    out->ci_ok = 1;
    out->k = k;
    out->confidence = coverage;
    out->lo = x[k - 1];
    out->hi = x[n - k];
}

/* ---- Mann-Whitney U ------------------------------------------------------- */

/* The two samples sorted, walked together one tie group at a time (values
 * equal under cmp_double) in rank order. s is the smaller side. */
typedef struct pooled {
    const double *s, *l;
    size_t m, M;   /* sizes of s and l: m <= M */
    size_t i, j;   /* next unread of s and l */
} pooled;

/* Copies a and b into scratch (na + nb doubles), sorted, smaller side first. */
static pooled pool_sorted(const double *a, size_t na, const double *b, size_t nb, double *scratch)
{
    if (na > nb) {
        const double *t = a;
        a = b, b = t;
        size_t tn = na;
        na = nb, nb = tn;
    }
    memcpy(scratch, a, na * sizeof *a);
    memcpy(scratch + na, b, nb * sizeof *b);
    sort_doubles(scratch, na);
    sort_doubles(scratch + na, nb);
    return (pooled){.s = scratch, .l = scratch + na, .m = na, .M = nb};
}

/* The next tie group: how many of it are in s and in l. 0 when done. */
static int next_group(pooled *p, size_t *in_s, size_t *in_l)
{
    if (p->i == p->m && p->j == p->M)
        return 0;
    double v;
    if (p->i == p->m)
        v = p->l[p->j];
    else if (p->j == p->M)
        v = p->s[p->i];
    else
        v = cmp_double(&p->s[p->i], &p->l[p->j]) <= 0 ? p->s[p->i] : p->l[p->j];
    size_t i0 = p->i, j0 = p->j;
    while (p->i < p->m && cmp_double(&p->s[p->i], &v) == 0)
        p->i++;
    while (p->j < p->M && cmp_double(&p->l[p->j], &v) == 0)
        p->j++;
    *in_s = p->i - i0;
    *in_l = p->j - j0;
    return 1;
}

/* p of a distance |U - m M / 2| = d2 / 2 (d2 an integer: U moves in halves). */
static double normal_tail(double d2, size_t m, size_t M, double tie_sum)
{
    double N = (double)m + (double)M, mm = (double)m * (double)M;
    double var = mm / 12 * ((N + 1) - tie_sum / (N * (N - 1)));
    double d = d2 / 2 - 0.5; /* continuity correction: U is discrete */
    if (!(var > 0) || d <= 0)
        return 1;
    double p = erfc(d / sqrt(var) / M_SQRT2); /* 2 (1 - Phi(z)), accurate far out */
    return p < 1 ? p : 1;
}

double ct_gate_mann_whitney_normal(const double *a, size_t na, const double *b, size_t nb)
{
    if (na == 0 || nb == 0)
        return 1;
    double *scratch = malloc((na + nb) * sizeof *scratch);
    if (!scratch)
        return NAN;
    pooled p = pool_sorted(a, na, b, nb, scratch);
    /* Twice the small side's rank sum (mid-ranks are halves) and sum t^3 - t
     * over tie groups, in doubles: t^3 overflows 64 bits past 2.6 M ties. */
    double two_r = 0, tie_sum = 0, before = 0;
    size_t cs, cl;
    while (next_group(&p, &cs, &cl)) {
        double t = (double)(cs + cl);
        two_r += (double)cs * (2 * before + t + 1);
        tie_sum += t * t * t - t;
        before += t;
    }
    free(scratch);
    double two_u = two_r - (double)p.m * ((double)p.m + 1);
    return normal_tail(fabs(two_u - (double)p.m * (double)p.M), p.m, p.M, tie_sum);
}

/* C(n, k) in a double, HUGE_VAL past 1e300 (the exact table's limit). */
static double choose(size_t n, size_t k)
{
    double c = 1;
    for (size_t i = 1; i <= k; i++) {
        c = c * (double)(n - k + i) / (double)i;
        if (c > 1e300)
            return HUGE_VAL;
    }
    return c;
}

/* The exact table: row j (0..m) counts the ways to choose j of the values
 * read so far by s = 2 R - j (j + 1), R their rank sum (so s = 2 U of a
 * side of j against the rest read so far): 0 <= s <= 2 j (read - j). A tie
 * group of t values at ranks before+1..before+t, mid-rank (2 before + t + 1)
 * / 2, moves C(t, r) times row j-r's counts into row j, r = 1..min(t, j).
 * Rows are updated from j = m down, so row j-r still holds the old counts,
 * and row j's own old counts stay (r = 0). */
static void exact_add_group(double *table, size_t width, size_t m, size_t before, size_t t)
{
    size_t w2 = 2 * before + t + 1; /* twice the mid-rank */
    size_t top = before + t < m ? before + t : m;
    for (size_t j = top; j >= 1; j--) {
        double c = 1;
        double *row = table + j * width;
        for (size_t r = 1; r <= t && r <= j; r++) {
            c = c * (double)(t - r + 1) / (double)r;
            size_t from = j - r; /* chosen before this group */
            if (from > before)
                continue; /* cannot have chosen more than were read */
            /* 2 R grows by r w2; s is relative to j (j + 1), so shift by
             * r w2 + from (from + 1) - j (j + 1) (>= 0: from <= before). */
            size_t shift = r * w2 + from * (from + 1) - j * (j + 1);
            const double *src = table + from * width;
            size_t hi = 2 * from * (before - from);
            for (size_t s = 0; s <= hi; s++)
                row[s + shift] += c * src[s];
        }
    }
}

double ct_gate_mann_whitney_exact(const double *a, size_t na, const double *b, size_t nb)
{
    if (na == 0 || nb == 0)
        return 1;
    size_t m = na < nb ? na : nb, M = na < nb ? nb : na;
    if (choose(m + M, m) == HUGE_VAL)
        return NAN;
    double cells = ((double)m + 1) * (2.0 * (double)m * (double)M + 1);
    if (cells + (double)(m + M) > (double)(SIZE_MAX / 2 / sizeof(double)))
        return NAN;
    size_t width = 2 * m * M + 1;
    double *scratch = calloc((m + 1) * width + m + M, sizeof *scratch);
    if (!scratch)
        return NAN;
    double *table = scratch + m + M;
    pooled p = pool_sorted(a, na, b, nb, scratch);
    table[0] = 1; /* none chosen of none read: one way, s = 0 */
    size_t two_r = 0, before = 0, cs, cl;
    while (next_group(&p, &cs, &cl)) {
        size_t t = cs + cl;
        two_r += cs * (2 * before + t + 1);
        exact_add_group(table, width, m, before, t);
        before += t;
    }
    /* s of the observed small side is its 2 U; the centre is m M. */
    const double *last = table + m * width;
    size_t centre = m * M, obs = two_r - m * (m + 1);
    size_t dist = obs > centre ? obs - centre : centre - obs;
    double tail = 0, total = 0;
    for (size_t s = 0; s < width; s++) {
        size_t d = s > centre ? s - centre : centre - s;
        total += last[s];
        if (d >= dist)
            tail += last[s];
    }
    free(scratch);
    double pv = tail / total;
    return pv < 1 ? pv : 1;
}

/* Row `from` holds up to 2 from (read - from) + 1 counts and is added once a
 * value read (no ties), so the work is about sum over from < m of
 * from N^2 = m (m - 1) N^2 / 2; the table is (m + 1) (2 m M + 1) doubles. */
int ct_gate_exact_sizes(size_t na, size_t nb)
{
    if (na == 0 || nb == 0)
        return 0;
    double m = (double)(na < nb ? na : nb), M = (double)(na < nb ? nb : na);
    double work = m * (m - 1) / 2 * (m + M) * (m + M);
    return work <= CT_GATE_EXACT_WORK && (m + 1) * (2 * m * M + 1) <= CT_GATE_EXACT_CELLS;
}

double ct_gate_mann_whitney(const double *a, size_t na, const double *b, size_t nb)
{
    if (ct_gate_exact_sizes(na, nb))
        return ct_gate_mann_whitney_exact(a, na, b, nb);
    return ct_gate_mann_whitney_normal(a, na, b, nb);
}

double ct_gate_min_p(size_t na, size_t nb)
{
    if (na == 0 || nb == 0)
        return 1;
    size_t m = na < nb ? na : nb, M = na < nb ? nb : na;
    if (ct_gate_exact_sizes(na, nb)) {
        double p = 2 / choose(m + M, m);
        return p < 1 ? p : 1;
    }
    return normal_tail((double)m * (double)M, m, M, 0); /* U = 0, no ties */
}

/* ---- the verdict ---------------------------------------------------------- */

/* One-sided p that `new_` is slower than `old` made slower by the limit and
 * `min_delta`: the Mann-Whitney test against the old samples so moved. The
 * null distribution of U is symmetric, so the one-sided p is half the
 * two-sided one when new_ ranks above, and 1 - half when it ranks below
 * (a bimodal sample can have a higher median and still rank below). Both
 * arrays are sorted. NaN when memory runs out. */
static double beyond_limit_p(const double *old, size_t nold, const double *new_, size_t nnew,
                             double max_regression_pct, double min_delta)
{
    double *moved = malloc((nold ? nold : 1) * sizeof *moved);
    if (moved == NULL)
        return NAN;
    double factor = 1 + max_regression_pct / 100;
    for (size_t i = 0; i < nold; i++)
        moved[i] = old[i] * factor + min_delta;
    /* U of new_: pairs in which it is the larger, ties counting half. */
    double u = 0;
    for (size_t j = 0, below = 0, equal = 0; j < nnew; j++) {
        while (below < nold && moved[below] < new_[j])
            below++;
        for (equal = below; equal < nold && moved[equal] == new_[j]; equal++)
            ;
        u += (double)below + 0.5 * (double)(equal - below);
    }
    double two_sided = ct_gate_mann_whitney(moved, nold, new_, nnew);
    free(moved);
    return u > (double)nold * (double)nnew / 2 ? two_sided / 2 : 1 - two_sided / 2;
}

void ct_gate_compare_floor(double *old, size_t nold, double *new_, size_t nnew, double alpha,
                           double max_regression_pct, double min_delta, ct_gate_result *out)
{
    *out = (ct_gate_result){0};
    ct_gate_summarize(old, nold, 0.95, &out->old);
    ct_gate_summarize(new_, nnew, 0.95, &out->new_);
    double o = out->old.median, n = out->new_.median;
    if (o != 0)
        out->delta_pct = (n - o) / o * 100;
    else if (n != 0)
        out->delta_pct = n > 0 ? HUGE_VAL : -HUGE_VAL;
    out->p = ct_gate_mann_whitney(old, nold, new_, nnew);
    out->p_limit = 1.0;
    int past = out->delta_pct > max_regression_pct && n - o > min_delta;
    if (out->p < alpha && past)
        out->p_limit = beyond_limit_p(old, nold, new_, nnew, max_regression_pct, min_delta);
    if (isnan(out->p) || !(ct_gate_min_p(nold, nnew) < alpha))
        out->verdict = CT_GATE_TOO_FEW;
    else if (!(out->p < alpha))
        out->verdict = CT_GATE_SAME;
    else if (n < o)
        out->verdict = CT_GATE_FASTER;
    else if (past && out->p_limit < alpha)
        out->verdict = CT_GATE_REGRESSED;
    else if (n > o)
        out->verdict = CT_GATE_SLOWER;
    else
        out->verdict = CT_GATE_SAME;
}

void ct_gate_compare(double *old, size_t nold, double *new_, size_t nnew, double alpha,
                     double max_regression_pct, ct_gate_result *out)
{
    ct_gate_compare_floor(old, nold, new_, nnew, alpha, max_regression_pct, 0, out);
}

const char *ct_gate_verdict_name(ct_gate_verdict v)
{
    switch (v) {
    case CT_GATE_SAME: return "same";
    case CT_GATE_FASTER: return "faster";
    case CT_GATE_SLOWER: return "slower";
    case CT_GATE_REGRESSED: return "regressed";
    case CT_GATE_TOO_FEW: return "too few samples";
    }
    return "?";
}
