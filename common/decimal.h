/*
 * decimal.h - an unsigned number's decimal digits, written by hand.
 *
 * For the places that cannot or should not ask printf: signal handlers and
 * fork handlers (no stdio there), and paths taken once a test or a line,
 * where snprintf's cost shows (the runner's markers, durations for people).
 * No libc, no locale, no errno: async-signal-safe.
 */
#ifndef CT_COMMON_DECIMAL_H
#define CT_COMMON_DECIMAL_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

/* The most digits a uint64_t has (18446744073709551615). */
#define CT_DECIMAL_MAX 20

/* Write v's digits into out (no sign, no terminator). @return how many. */
static inline size_t ct_decimal(char out[CT_DECIMAL_MAX], uint64_t v)
{
    char rev[CT_DECIMAL_MAX];
    size_t n = 0;
    do
        rev[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    return n;
}

/* ct_decimal() at p, for a caller that made room for CT_DECIMAL_MAX bytes.
 * @return past the digits. */
static inline char *ct_put_decimal(char *p, uint64_t v)
{
    return p + ct_decimal(p, v);
}

#endif /* CT_COMMON_DECIMAL_H */
