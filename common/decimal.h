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

/* How many digits v has. */
static inline size_t ct_decimal_digits(uint64_t v)
{
    size_t n = 1;
    for (uint64_t limit = 10; v >= limit; limit *= 10) {
        n++;
        if (n == CT_DECIMAL_MAX) /* 10^19 is the last power below 2^64 */
            break;
    }
    return n;
}

/* Write v's digits into out (no sign, no terminator). @return how many.
 * Two digits a division, written from the end: a test's markers carry
 * three numbers. */
static inline size_t ct_decimal(char out[CT_DECIMAL_MAX], uint64_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    size_t n = ct_decimal_digits(v);
    char *p = out + n;
    while (v >= 100) {
        const char *two = &pairs[2 * (v % 100)];
        v /= 100;
        *--p = two[1];
        *--p = two[0];
    }
    if (v >= 10) {
        *--p = pairs[2 * v + 1];
        *--p = pairs[2 * v];
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

/* ct_decimal() at p, for a caller that made room for CT_DECIMAL_MAX bytes.
 * @return past the digits. */
static inline char *ct_put_decimal(char *p, uint64_t v)
{
    return p + ct_decimal(p, v);
}

#endif /* CT_COMMON_DECIMAL_H */
