/*
 * decimal.h - the number in front of a unit, as Go durations ("1.5s") and
 * byte sizes ("1.5MiB") write it: digits, or digits '.' digits, either side
 * of the '.' possibly empty but not both. No sign, no exponent.
 */
#ifndef CT_FORMAT_DECIMAL_H
#define CT_FORMAT_DECIMAL_H

#include <stdint.h> /* uint64_t */

typedef struct ct_decimal {
    uint64_t whole;         /* the digits before the '.' */
    uint64_t frac;          /* the digits after it that fit, as an integer */
    long double frac_scale; /* 10^(digits in frac): the fraction is frac / frac_scale */
    int nwhole, nfrac;      /* how many digits each side; 0 and 0: no number (at
                               most a lone '.', which the caller refuses) */
    int overflow;           /* the whole part does not fit in 64 bits */
} ct_decimal;

/*! ct_decimal_read() : read a number at p, up to `end` at the most.
 *  Fraction digits past what 64 bits hold are read and ignored.
 *  @return where the number ends: p itself when there is none, just past
 *  it for a lone '.'. */
const char *ct_decimal_read(const char *p, const char *end, ct_decimal *d);

/*! ct_decimal_scale() : *out = d * unit (the fraction rounded down).
 *  @return 0, or -1 when it does not fit in 64 bits. */
int ct_decimal_scale(const ct_decimal *d, uint64_t unit, uint64_t *out);

#endif /* CT_FORMAT_DECIMAL_H */
