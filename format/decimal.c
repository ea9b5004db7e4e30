/* decimal.c - numbers in front of units (decimal.h). */
#include "format/decimal.h"

static int is_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

const char *ct_decimal_read(const char *p, const char *end, ct_decimal *d)
{
    *d = (ct_decimal){.frac_scale = 1};
    /* Past what fits, the whole part is still read, so the caller sees
     * overflow rather than a number cut short. */
    for (; is_digit(p, end); p++, d->nwhole++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (d->whole > (UINT64_MAX - digit) / 10)
            d->overflow = 1;
        else
            d->whole = d->whole * 10 + digit;
    }
    if (p == end || *p != '.')
        return p;
    p++;
    int full = 0;
    for (; is_digit(p, end); p++, d->nfrac++) {
        uint64_t digit = (uint64_t)(*p - '0');
        if (full || d->frac > (UINT64_MAX - digit) / 10) {
            full = 1; /* digits this fine change nothing a unit can hold */
            continue;
        }
        d->frac = d->frac * 10 + digit;
        d->frac_scale *= 10;
    }
    return p;
}

int ct_decimal_scale(const ct_decimal *d, uint64_t unit, uint64_t *out)
{
    if (d->overflow || (d->whole != 0 && unit > UINT64_MAX / d->whole))
        return -1;
    uint64_t whole = d->whole * unit;
    long double frac = (long double)d->frac * ((long double)unit / d->frac_scale);
    if (frac >= 18446744073709551616.0L) /* 2^64 */
        return -1;
    uint64_t add = (uint64_t)frac;
    if (whole > UINT64_MAX - add)
        return -1;
    *out = whole + add;
    return 0;
}
