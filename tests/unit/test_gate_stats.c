/*
 * test_gate_stats.c - the gate's statistics (assertions/gate_stats.h) against
 * references computed here another way: every assignment of the pooled
 * values enumerated, the Mann-Whitney 1947 recurrence, Pascal's triangle for
 * the binomial, and published R wilcox.test values.
 */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>   /* fabs, floor, isinf, NAN */
#include <stdlib.h> /* malloc, calloc, free */
#include <string.h> /* memcpy, memcmp */

#include "assertions/gate_stats.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 11;
}

static double uniform(uint64_t *seed) /* [0, 1) */
{
    return (double)next_random(seed) * 0x1.0p-53;
}

static void assert_close(double got, double want, double tolerance)
{
    if (!(fabs(got - want) <= tolerance))
        fail_msg("got %.17g, want %.17g (within %g)", got, want, tolerance);
}

/* ---- references ----------------------------------------------------------- */

/* 2 U of x against y, pair by pair: 2 for x > y, 1 for a tie. */
static size_t twice_u(const double *x, size_t nx, const double *y, size_t ny)
{
    size_t u = 0;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < ny; j++)
            u += x[i] > y[j] ? 2 : x[i] == y[j] ? 1 : 0;
    return u;
}

/* The two-sided p by definition: of all ways to split the pooled values into
 * na and nb, the share whose U lies as far from na nb / 2 as a's does. */
static double enumerated_p(const double *a, size_t na, const double *b, size_t nb)
{
    size_t n = na + nb;
    assert_true(n <= 20);
    double pooled[20], x[20], y[20];
    memcpy(pooled, a, na * sizeof *a);
    memcpy(pooled + na, b, nb * sizeof *b);
    size_t centre = na * nb, obs = twice_u(a, na, b, nb);
    size_t far = obs > centre ? obs - centre : centre - obs;
    double hits = 0, all = 0;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        if ((size_t)__builtin_popcount(mask) != na)
            continue;
        size_t nx = 0, ny = 0;
        for (size_t i = 0; i < n; i++) {
            if (mask & (1u << i))
                x[nx++] = pooled[i];
            else
                y[ny++] = pooled[i];
        }
        size_t u = twice_u(x, nx, y, ny);
        all++;
        if ((u > centre ? u - centre : centre - u) >= far)
            hits++;
    }
    return hits / all;
}

/* Without ties: the share of the C(n1+n2, n1) orderings with U <= u, by
 * Mann and Whitney's recurrence on which sample holds the largest value:
 * f(i, j, u) = f(i-1, j, u - j) + f(i, j-1, u). */
static double recurrence_cdf(size_t n1, size_t n2, size_t u)
{
    size_t w = u + 1;
    double *prev = calloc((n2 + 1) * w, sizeof *prev), *cur = calloc((n2 + 1) * w, sizeof *cur);
    assert_non_null(prev);
    assert_non_null(cur);
    for (size_t i = 0; i <= n1; i++) {
        for (size_t j = 0; j <= n2; j++) {
            for (size_t v = 0; v < w; v++) {
                double f;
                if (i == 0 || j == 0)
                    f = v == 0;
                else
                    f = (v >= j ? prev[j * w + v - j] : 0) + cur[(j - 1) * w + v];
                cur[j * w + v] = f;
            }
        }
        double *t = prev;
        prev = cur, cur = t;
    }
    double below = 0, all = 1;
    for (size_t v = 0; v < w; v++)
        below += prev[n2 * w + v];
    for (size_t k = 1; k <= n1; k++)
        all = all * (double)(n2 + k) / (double)k;
    free(prev);
    free(cur);
    return below / all;
}

/* ---- the U test: small samples -------------------------------------------- */

static void test_mw_published_values(void **state)
{
    (void)state;
    /* R's ?wilcox.test (Hollander & Wolfe 1973, p. 69): W = 35, one-sided
     * p = 0.1272, so two-sided 0.2544 (no ties: symmetric). */
    const double x[] = {0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46};
    const double y[] = {1.15, 0.88, 0.90, 0.74, 1.21};
    double p = ct_gate_mann_whitney(x, ARRAY_LEN(x), y, ARRAY_LEN(y));
    assert_close(p, 0.2544, 0.00006);
    assert_close(p, enumerated_p(x, ARRAY_LEN(x), y, ARRAY_LEN(y)), 1e-12);
    assert_close(ct_gate_mann_whitney(y, ARRAY_LEN(y), x, ARRAY_LEN(x)), p, 1e-12);

    /* go-moremath's utest_test.go: wilcox.test(c(2,1,3,5), c(12,11,13,15)),
     * and against c(0,4,6,7) (interleaved, no ties). */
    const double s1[] = {2, 1, 3, 5}, s2[] = {12, 11, 13, 15}, s3[] = {0, 4, 6, 7};
    assert_close(ct_gate_mann_whitney(s1, 4, s2, 4), 2.0 / 70, 1e-15);
    assert_close(ct_gate_mann_whitney(s1, 4, s3, 4), 34.0 / 70, 1e-15);
    assert_close(enumerated_p(s1, 4, s3, 4), 34.0 / 70, 1e-15);
}

static void test_mw_matches_enumeration_with_ties(void **state)
{
    (void)state;
    /* Values from a few levels, so ties are everywhere, both within a side
     * and across the two. */
    uint64_t seed = 12;
    double a[10], b[10];
    for (int trial = 0; trial < 300; trial++) {
        size_t na = 1 + next_random(&seed) % 8, nb = 1 + next_random(&seed) % 8;
        double levels = (double)(2 + next_random(&seed) % 6);
        for (size_t i = 0; i < na; i++)
            a[i] = floor(uniform(&seed) * levels) + (trial % 3 == 0);
        for (size_t i = 0; i < nb; i++)
            b[i] = floor(uniform(&seed) * levels);
        double want = enumerated_p(a, na, b, nb);
        assert_close(ct_gate_mann_whitney(a, na, b, nb), want, 1e-12);
        assert_close(ct_gate_mann_whitney_exact(a, na, b, nb), want, 1e-12);
    }
    /* go-moremath's s1 against five 1s: its tie DP says p = 0. */
    const double s1[] = {2, 1, 3, 5}, ones[] = {1, 1, 1, 1, 1}, twos[] = {2, 2, 2, 2};
    double p = ct_gate_mann_whitney(s1, 4, ones, 5);
    assert_true(p > 0);
    assert_close(p, enumerated_p(s1, 4, ones, 5), 1e-15);
    assert_close(ct_gate_mann_whitney(s1, 4, twos, 4), enumerated_p(s1, 4, twos, 4), 1e-15);
    /* Ten against ten with ties: 184 756 assignments. */
    const double c[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3}, d[] = {5, 8, 9, 7, 9, 3, 2, 3, 8, 4};
    assert_close(ct_gate_mann_whitney(c, 10, d, 10), enumerated_p(c, 10, d, 10), 1e-12);
}

static void test_mw_matches_recurrence_without_ties(void **state)
{
    (void)state;
    /* Up to the crossover: a and b interleaved, then a moved up step by
     * step, which gives U values from the centre to the far tail. */
    static const size_t sizes[][2] = {{50, 50}, {20, 30}, {8, 8}, {3, 40}};
    for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
        size_t n1 = sizes[s][0], n2 = sizes[s][1];
        double a[64], b[64];
        for (size_t step = 0; step <= 8; step++) {
            uint64_t seed = 99 + step;
            for (size_t i = 0; i < n1; i++)
                a[i] = (double)i * 2 + uniform(&seed) * (double)step * 8;
            for (size_t i = 0; i < n2; i++)
                b[i] = (double)i * 2 + 1 + (double)step * 0.37;
            size_t u2 = twice_u(a, n1, b, n2), centre = n1 * n2;
            assert_true(u2 % 2 == 0); /* no ties */
            size_t low = (u2 < centre ? u2 : 2 * centre - u2) / 2;
            double want = low * 2 == centre ? 1 : 2 * recurrence_cdf(n1, n2, low);
            assert_close(ct_gate_mann_whitney_exact(a, n1, b, n2), want, want * 1e-10);
        }
    }
}

static void test_mw_empty_and_identical(void **state)
{
    (void)state;
    const double a[] = {5, 1, 3, 3, 9, 7};
    assert_true(ct_gate_mann_whitney(a, 0, a, 6) == 1.0);
    assert_true(ct_gate_mann_whitney(a, 6, a, 0) == 1.0);
    assert_true(ct_gate_mann_whitney(NULL, 0, NULL, 0) == 1.0);
    assert_true(ct_gate_mann_whitney(a, 6, a, 6) == 1.0);
    assert_true(ct_gate_mann_whitney_normal(a, 6, a, 6) == 1.0);
    const double same[] = {4, 4, 4};
    assert_true(ct_gate_mann_whitney(same, 3, same, 2) == 1.0);
    assert_true(ct_gate_mann_whitney_normal(same, 3, same, 2) == 1.0);
}

static void test_mw_complete_separation(void **state)
{
    (void)state;
    double lo[8], hi[8];
    for (size_t i = 0; i < 8; i++) {
        lo[i] = 100 + (double)((i * 5) % 8); /* unsorted */
        hi[i] = 200 + (double)((i * 3) % 8);
    }
    double want = 2.0 / 12870; /* C(16, 8) = 12870 */
    assert_close(ct_gate_mann_whitney(lo, 8, hi, 8), want, want * 1e-12);
    assert_close(ct_gate_mann_whitney(hi, 8, lo, 8), want, want * 1e-12);
    assert_close(ct_gate_min_p(8, 8), want, want * 1e-12);
}

static void test_mw_leaves_input_alone(void **state)
{
    (void)state;
    double a[] = {9, 3, 7, 1, NAN, 4}, b[] = {2, 8, 8, 6, 5};
    double a0[ARRAY_LEN(a)], b0[ARRAY_LEN(b)];
    memcpy(a0, a, sizeof a);
    memcpy(b0, b, sizeof b);
    double p = ct_gate_mann_whitney(a, ARRAY_LEN(a), b, ARRAY_LEN(b));
    assert_true(p >= 0 && p <= 1); /* NaN sorts above all: a value, not a crash */
    p = ct_gate_mann_whitney_normal(a, ARRAY_LEN(a), b, ARRAY_LEN(b));
    assert_true(p >= 0 && p <= 1);
    assert_memory_equal(a, a0, sizeof a); /* NaN compares bytes here */
    assert_memory_equal(b, b0, sizeof b);
}

/* ---- the U test: large samples -------------------------------------------- */

static void test_mw_normal_matches_r(void **state)
{
    (void)state;
    /* go-moremath's utest_test.go, from R: l1 <- seq(0, 499)*2;
     * l2 <- seq(0, 599)*2 - 41; l3 <- l2; l3[1:30] <- l1[1:30] (ties);
     * wilcox.test(l1, l2)$p.value (normal, continuity corrected). */
    double l1[500], l2[600], l3[600];
    for (size_t i = 0; i < 500; i++)
        l1[i] = (double)i * 2;
    for (size_t i = 0; i < 600; i++)
        l2[i] = l3[i] = (double)i * 2 - 41;
    for (size_t i = 0; i < 30; i++)
        l3[i] = l1[i];
    assert_false(ct_gate_exact_sizes(500, 600));
    assert_close(ct_gate_mann_whitney(l1, 500, l2, 600), 0.0049335360814172224, 1e-12);
    assert_close(ct_gate_mann_whitney(l1, 500, l3, 600), 0.0038703814239617884, 1e-12);
    assert_close(ct_gate_mann_whitney(l1, 500, l1, 500), 1.0, 1e-15);
}

enum { BIG = 100000 };

/* Uniform values over [0, range), optionally whole numbers (ties). */
static void fill_uniform(double *x, size_t n, double range, double shift, int whole,
                         uint64_t *seed)
{
    for (size_t i = 0; i < n; i++) {
        double v = uniform(seed) * range;
        x[i] = (whole ? floor(v) : v) + shift;
    }
}

static void test_mw_large_samples(void **state)
{
    (void)state;
    double *a = malloc(BIG * sizeof *a), *b = malloc(BIG * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    assert_false(ct_gate_exact_sizes(BIG, BIG));
    uint64_t seed = 2024;
    for (int whole = 0; whole <= 1; whole++) {
        /* A shift of 1 % of the range (z about 7.7 for uniform samples).
         * With whole numbers in [0, 1000) each value is tied 100 times. */
        for (int rep = 0; rep < 3; rep++) {
            fill_uniform(a, BIG, 1000, 0, whole, &seed);
            fill_uniform(b, BIG, 1000, 10, whole, &seed);
            double p = ct_gate_mann_whitney(a, BIG, b, BIG);
            if (!(p < 1e-6))
                fail_msg("shift of 1%% not found (whole %d, rep %d): p %g", whole, rep, p);
        }
        /* The same distribution: p is uniform on [0, 1], so each of these
         * fails one time in a thousand at the most (the seed is fixed). */
        for (int rep = 0; rep < 3; rep++) {
            fill_uniform(a, BIG, 1000, 0, whole, &seed);
            fill_uniform(b, BIG, 1000, 0, whole, &seed);
            double p = ct_gate_mann_whitney(a, BIG, b, BIG);
            if (!(p > 1e-3))
                fail_msg("identical distributions differ (whole %d, rep %d): p %g", whole, rep, p);
        }
    }
    free(a);
    free(b);
}

static void test_mw_normal_agrees_with_exact_at_crossover(void **state)
{
    (void)state;
    /* 50 against 50 is the largest equal pair done exactly. */
    assert_true(ct_gate_exact_sizes(50, 50));
    assert_false(ct_gate_exact_sizes(50, 51));
    assert_false(ct_gate_exact_sizes(51, 51));
    uint64_t seed = 7;
    double a[50], b[50], worst = 0;
    int significant = 0;
    for (int rep = 0; rep < 60; rep++) {
        double shift = 0.01 * (rep % 30);
        int whole = rep >= 30; /* values in 0..9: heavy ties */
        fill_uniform(a, 50, whole ? 10 : 1, shift * (whole ? 10 : 1), whole, &seed);
        fill_uniform(b, 50, whole ? 10 : 1, 0, whole, &seed);
        double exact = ct_gate_mann_whitney_exact(a, 50, b, 50);
        double normal = ct_gate_mann_whitney_normal(a, 50, b, 50);
        assert_close(normal, exact, 0.01);
        significant += exact < 0.05;
        worst = fmax(worst, fabs(normal - exact));
    }
    assert_true(significant >= 10); /* the draws span the range that matters */
    print_message("exact and normal at 50 vs 50: at most %.4f apart\n", worst);
}

/* ---- too few samples ------------------------------------------------------ */

static void test_min_p(void **state)
{
    (void)state;
    assert_true(ct_gate_min_p(0, 5) == 1.0);
    assert_true(ct_gate_min_p(5, 0) == 1.0);
    assert_close(ct_gate_min_p(1, 1), 1.0, 1e-15);
    assert_close(ct_gate_min_p(3, 3), 0.1, 1e-15);
    assert_close(ct_gate_min_p(4, 4), 2.0 / 70, 1e-15);
    assert_close(ct_gate_min_p(1, 39), 0.05, 1e-15); /* not below 0.05 */
    assert_true(ct_gate_min_p(1, 40) < 0.05);
    /* It is the p of complete separation, by whichever method is used. */
    static const size_t sizes[][2] = {{2, 5}, {5, 7}, {1, 40}, {50, 50}, {60, 60}, {3, 3000}};
    for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
        size_t na = sizes[s][0], nb = sizes[s][1];
        double *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
        assert_non_null(a);
        assert_non_null(b);
        for (size_t i = 0; i < na; i++)
            a[i] = 1e6 + (double)i;
        for (size_t i = 0; i < nb; i++)
            b[i] = (double)i;
        double p = ct_gate_mann_whitney(a, na, b, nb), min = ct_gate_min_p(na, nb);
        assert_close(p, min, min * 1e-9);
        free(a);
        free(b);
    }
}

static void test_compare_too_few(void **state)
{
    (void)state;
    ct_gate_result r;
    double o3[] = {10, 11, 12}, n3[] = {30, 31, 32};
    ct_gate_compare(o3, 3, n3, 3, 0.05, 10, &r);
    assert_int_equal(r.verdict, CT_GATE_TOO_FEW);
    assert_close(r.p, 0.1, 1e-15);
    double o4[] = {10, 12, 11, 13}, n4[] = {30, 31, 33, 32};
    ct_gate_compare(o4, 4, n4, 4, 0.05, 10, &r);
    assert_int_equal(r.verdict, CT_GATE_REGRESSED);
    assert_close(r.p, 2.0 / 70, 1e-15);
    ct_gate_compare(NULL, 0, n4, 4, 0.05, 10, &r);
    assert_int_equal(r.verdict, CT_GATE_TOO_FEW);
    assert_int_equal(r.old.n, 0);
    assert_true(r.old.median == 0 && r.old.lo == 0 && r.old.hi == 0 && !r.old.ci_ok);
    assert_true(r.p == 1.0);
}

/* ---- medians and intervals ------------------------------------------------ */

/* Largest k >= 1 with P(k <= B <= n-k) >= confidence for B ~ binomial(n,
 * 1/2), from Pascal's triangle (C(1000, 500) fits a double); 0 if none. */
static size_t pascal_k(size_t n, double confidence)
{
    double *row = calloc(n + 1, sizeof *row);
    assert_non_null(row);
    row[0] = 1;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = i; j >= 1; j--)
            row[j] += row[j - 1];
    double all = ldexp(1, (int)n), inside = 0;
    size_t found = 0;
    for (size_t k = n / 2; k >= 1; k--) {
        inside = 0;
        for (size_t i = k; i <= n - k; i++)
            inside += row[i];
        if (inside / all >= confidence) {
            found = k;
            break;
        }
    }
    free(row);
    return found;
}

static void test_median_interval_order(void **state)
{
    (void)state;
    /* The classic table: 95 % intervals of the median. */
    assert_int_equal(pascal_k(5, 0.95), 0);
    assert_int_equal(pascal_k(6, 0.95), 1);
    assert_int_equal(pascal_k(8, 0.95), 1);
    assert_int_equal(pascal_k(20, 0.95), 6);
    assert_int_equal(pascal_k(100, 0.95), 40);
    static const size_t ns[] = {1, 2, 5, 6, 7, 8, 9, 20, 21, 100, 101, 1000};
    static const double confidences[] = {0.95, 0.99, 0.8};
    uint64_t seed = 5;
    for (size_t c = 0; c < ARRAY_LEN(confidences); c++) {
        for (size_t t = 0; t < ARRAY_LEN(ns); t++) {
            size_t n = ns[t], k = pascal_k(n, confidences[c]);
            /* x(i) = 10 i, shuffled. */
            double *x = malloc(n * sizeof *x);
            assert_non_null(x);
            for (size_t i = 0; i < n; i++)
                x[i] = 10.0 * (double)(i + 1);
            for (size_t i = n; i > 1; i--) {
                size_t j = next_random(&seed) % i;
                double v = x[i - 1];
                x[i - 1] = x[j], x[j] = v;
            }
            ct_gate_summary s;
            ct_gate_summarize(x, n, confidences[c], &s);
            assert_int_equal(s.n, n);
            for (size_t i = 0; i < n; i++)
                assert_true(x[i] == 10.0 * (double)(i + 1)); /* sorted in place */
            double median = n % 2 ? 10.0 * (double)(n / 2 + 1) : 10.0 * (double)n / 2 + 5;
            assert_close(s.median, median, 0);
            if (s.k != k)
                fail_msg("n %zu confidence %g: k %zu, want %zu", n, confidences[c], s.k, k);
            assert_int_equal(s.ci_ok, k > 0);
            if (k > 0) {
                assert_close(s.lo, 10.0 * (double)k, 0);
                assert_close(s.hi, 10.0 * (double)(n - k + 1), 0);
                assert_true(s.lo <= s.median && s.median <= s.hi);
                assert_true(s.confidence >= confidences[c] && s.confidence <= 1);
            } else {
                assert_true(s.lo == s.median && s.hi == s.median && s.confidence == 0);
            }
            free(x);
        }
    }
    ct_gate_summary s;
    ct_gate_summarize(NULL, 0, 0.95, &s);
    assert_true(s.n == 0 && s.median == 0 && s.lo == 0 && s.hi == 0 && !s.ci_ok);
}

static void test_median_interval_covers(void **state)
{
    (void)state;
    /* 4000 samples of 20 uniform values: the true median 0.5 falls in the
     * interval as often as the binomial says (0.9586; sd 0.003). */
    uint64_t seed = 77;
    double x[20];
    int covered = 0, trials = 4000;
    for (int t = 0; t < trials; t++) {
        fill_uniform(x, 20, 1, 0, 0, &seed);
        ct_gate_summary s;
        ct_gate_summarize(x, 20, 0.95, &s);
        covered += s.lo <= 0.5 && 0.5 <= s.hi;
    }
    double share = (double)covered / trials;
    if (!(share > 0.94 && share < 0.975))
        fail_msg("covered %.4f of the time, want about 0.9586", share);
}

/* ---- verdicts ------------------------------------------------------------- */

/* The verdict on o against n * scale + add, at alpha and limit (%). */
static ct_gate_verdict judge(const double *o, size_t no, const double *n, size_t nn,
                             double scale, double add, double alpha, double limit,
                             ct_gate_result *r)
{
    double old[64], new_[64];
    memcpy(old, o, no * sizeof *o);
    for (size_t i = 0; i < nn; i++)
        new_[i] = n[i] * scale + add;
    ct_gate_compare(old, no, new_, nn, alpha, limit, r);
    return r->verdict;
}

/* At the defaults: alpha 0.05, limit 10 %. */
static ct_gate_verdict verdict(const double *o, size_t no, const double *n, size_t nn,
                               double scale, double add, ct_gate_result *r)
{
    return judge(o, no, n, nn, scale, add, 0.05, 10, r);
}

static void test_compare_verdicts(void **state)
{
    (void)state;
    double base[20];
    for (size_t i = 0; i < 20; i++)
        base[i] = 1000 + (double)((i * 7) % 20);
    ct_gate_result r;
    assert_int_equal(verdict(base, 20, base, 20, 1, 0, &r), CT_GATE_SAME);
    assert_true(r.p == 1.0 && r.delta_pct == 0);
    assert_int_equal(verdict(base, 20, base, 20, 1.5, 0, &r), CT_GATE_REGRESSED);
    assert_close(r.delta_pct, 50, 1e-9);
    assert_true(r.p < 1e-9);
    assert_int_equal(verdict(base, 20, base, 20, 0.5, 0, &r), CT_GATE_FASTER);
    assert_close(r.delta_pct, -50, 1e-9);
    /* Significant but 4 % slower: within the 10 % limit. */
    assert_int_equal(verdict(base, 20, base, 20, 1, 40, &r), CT_GATE_SLOWER);
    assert_true(r.p < 0.05);
    assert_close(r.delta_pct, 40 / 10.095, 1e-9);
    /* Just past the limit, and the limit and alpha as given. */
    assert_int_equal(verdict(base, 20, base, 20, 1.12, 0, &r), CT_GATE_REGRESSED);
    assert_int_equal(verdict(base, 20, base, 20, 1.08, 0, &r), CT_GATE_SLOWER);
    assert_int_equal(judge(base, 20, base, 20, 1.5, 0, 0.05, 60, &r), CT_GATE_SLOWER);
    assert_int_equal(judge(base, 20, base, 20, 1.5, 0, 0.05, 40, &r), CT_GATE_REGRESSED);
    /* Overlapping a little: significant at 0.05, not at 0.01. */
    assert_int_equal(verdict(base, 20, base, 20, 1, 5, &r), CT_GATE_SLOWER);
    assert_true(r.p > 0.01 && r.p < 0.05);
    assert_int_equal(judge(base, 20, base, 20, 1, 5, 0.01, 10, &r), CT_GATE_SAME);
    /* Past the limit in the median, and significant, but not clearly past
     * the limit: samples spread +-20 %, all 12 % slower (a machine that
     * drifted); the same spread 40 % slower is a regression. */
    double wide[40];
    for (size_t i = 0; i < 40; i++)
        wide[i] = 800 + (double)((i * 17) % 40) * 10;
    assert_int_equal(judge(wide, 40, wide, 40, 1.12, 0, 0.05, 10, &r), CT_GATE_SLOWER);
    assert_true(r.p < 0.05 && r.delta_pct > 10 && r.p_limit > 0.05);
    assert_int_equal(judge(wide, 40, wide, 40, 1.4, 0, 0.05, 10, &r), CT_GATE_REGRESSED);
    assert_true(r.p_limit < 0.05);
    /* 20 % slower in the median but not significant: one sample moved. */
    double few[] = {100, 100, 200, 200, 300, 300, 400, 400};
    double moved[] = {100, 100, 200, 300, 300, 400, 400, 400};
    assert_int_equal(verdict(few, 8, moved, 8, 1, 0, &r), CT_GATE_SAME);
    assert_close(r.delta_pct, 20, 1e-9);
    assert_true(r.p >= 0.05);
    assert_int_equal(r.old.n, 8);
    assert_true(r.new_.median == 300 && r.old.median == 250);
}

/* A bimodal sample whose median rose past the limit while most of it got
 * faster (a review's case): not a regression. */
static void test_compare_past_the_limit_needs_the_sample_above(void **state)
{
    (void)state;
    double old[100], new_[100];
    for (size_t i = 0; i < 100; i++) {
        old[i] = i < 51 ? 100 : 200;
        new_[i] = i < 49 ? 10 : 111;
    }
    ct_gate_result r;
    ct_gate_compare(old, 100, new_, 100, 0.05, 10, &r);
    assert_true(r.delta_pct > 10 && r.p < 0.05);
    assert_true(r.p_limit > 0.5);
    assert_int_equal(r.verdict, CT_GATE_SLOWER);
}

/* Often-zero metrics: any limit in percent of 0 is 0, so a floor decides. */
static void test_compare_floor(void **state)
{
    (void)state;
    double zeros[8] = {0}, small[8] = {0, 0, 0, 1, 1, 1, 1, 1};
    double big[8] = {20000, 21000, 22000, 20500, 21500, 20000, 23000, 22500};
    ct_gate_result r;
    ct_gate_compare_floor(zeros, 8, small, 8, 0.05, 10, 10000, &r);
    assert_int_not_equal(r.verdict, CT_GATE_REGRESSED);
    double zeros2[8] = {0};
    ct_gate_compare_floor(zeros2, 8, big, 8, 0.05, 10, 10000, &r);
    assert_int_equal(r.verdict, CT_GATE_REGRESSED);
    assert_true(r.p_limit < 0.05);
}

static void test_compare_delta_from_zero(void **state)
{
    (void)state;
    double zeros[8] = {0};
    double ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    ct_gate_result r;
    assert_int_equal(verdict(zeros, 8, zeros, 8, 1, 0, &r), CT_GATE_SAME);
    assert_true(r.delta_pct == 0 && r.p == 1.0);
    assert_int_equal(verdict(zeros, 8, ones, 8, 1, 0, &r), CT_GATE_REGRESSED);
    assert_true(isinf(r.delta_pct) && r.delta_pct > 0);
    assert_close(r.p, 2.0 / 12870, 1e-15);
    assert_int_equal(verdict(ones, 8, zeros, 8, 1, 0, &r), CT_GATE_FASTER);
    assert_close(r.delta_pct, -100, 0);
}

static void test_verdict_names(void **state)
{
    (void)state;
    assert_string_equal(ct_gate_verdict_name(CT_GATE_SAME), "same");
    assert_string_equal(ct_gate_verdict_name(CT_GATE_REGRESSED), "regressed");
    assert_string_equal(ct_gate_verdict_name(CT_GATE_TOO_FEW), "too few samples");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mw_published_values),
        cmocka_unit_test(test_mw_matches_enumeration_with_ties),
        cmocka_unit_test(test_mw_matches_recurrence_without_ties),
        cmocka_unit_test(test_mw_empty_and_identical),
        cmocka_unit_test(test_mw_complete_separation),
        cmocka_unit_test(test_mw_leaves_input_alone),
        cmocka_unit_test(test_mw_normal_matches_r),
        cmocka_unit_test(test_mw_large_samples),
        cmocka_unit_test(test_mw_normal_agrees_with_exact_at_crossover),
        cmocka_unit_test(test_min_p),
        cmocka_unit_test(test_compare_too_few),
        cmocka_unit_test(test_median_interval_order),
        cmocka_unit_test(test_median_interval_covers),
        cmocka_unit_test(test_compare_verdicts),
        cmocka_unit_test(test_compare_delta_from_zero),
        cmocka_unit_test(test_compare_past_the_limit_needs_the_sample_above),
        cmocka_unit_test(test_compare_floor),
        cmocka_unit_test(test_verdict_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
