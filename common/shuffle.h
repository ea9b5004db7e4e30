/*
 * shuffle.h - -shuffle=N: a test order decided by the seed alone.
 *
 * go test -shuffle reruns a failing order exactly from the seed it prints;
 * so must we, across processes (a binary restarted after a crash resumes in
 * the same order, CTRACE_RESUME) and machines. The generator is SplitMix64
 * (Steele, Lea, Flood 2014): fixed arithmetic, no libc state, so a seed means
 * the same order everywhere. The runner parses the flag with
 * ct_shuffle_parse(); the tracer orders each group's tests with
 * ct_shuffle_indices() (CTRACE_SHUFFLE).
 */
#ifndef CT_COMMON_SHUFFLE_H
#define CT_COMMON_SHUFFLE_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* int64_t, uint64_t */

typedef struct ct_shuffle {
    uint64_t state;
} ct_shuffle;

/*! ct_shuffle_seed() : a generator whose every draw follows from `seed`. */
void ct_shuffle_seed(ct_shuffle *s, int64_t seed);

/*! ct_shuffle_below() : a uniform draw in [0, n) (n >= 1; unbiased). */
uint64_t ct_shuffle_below(ct_shuffle *s, uint64_t n);

/*! ct_shuffle_indices() : permute v[0..n) uniformly (Fisher-Yates). */
void ct_shuffle_indices(ct_shuffle *s, size_t *v, size_t n);

/*! ct_shuffle_parse_seed() : a seed as go test takes it: a decimal int64,
 *  optionally signed. @return 0 with *seed set, or -1. */
int ct_shuffle_parse_seed(const char *text, int64_t *seed);

#endif /* CT_COMMON_SHUFFLE_H */
