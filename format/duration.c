/* duration.c - Go-style durations (duration.h). */
#include "format/duration.h"

#include <stdio.h>  /* snprintf */
#include <string.h> /* strlen, memcmp */

#include "format/decimal.h"

void ct_format_go_duration(char *buf, size_t cap, uint64_t ns)
{
    unsigned long long s = ns / 1000000000ull;
    if (s >= 3600)
        snprintf(buf, cap, "%lluh%llum%llus", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        snprintf(buf, cap, "%llum%llus", s / 60, s % 60);
    else if (ns >= 1000000000ull)
        snprintf(buf, cap, "%gs", (double)ns / 1e9);
    else if (ns >= 1000000ull)
        snprintf(buf, cap, "%gms", (double)ns / 1e6);
    else
        snprintf(buf, cap, "%lluns", (unsigned long long)ns);
}

static const struct {
    const char *name;
    uint64_t ns;
} units[] = {
    {"ns", 1ull},
    {"us", 1000ull},
    {"\xc2\xb5s", 1000ull}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000ull}, /* U+03BC Greek mu */
    {"ms", 1000000ull},
    {"s", 1000000000ull},
    {"m", 60ull * 1000000000ull},
    {"h", 3600ull * 1000000000ull},
};

/* Nanoseconds in the unit written in s[0..len), or 0 if it is none. */
static uint64_t unit_ns(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) == len && memcmp(units[i].name, s, len) == 0)
            return units[i].ns;
    }
    return 0;
}

#define UNITS "(ns, us, ms, s, m, h)"

static int refuse(const char **why, const char *reason, size_t *at, size_t offset)
{
    if (why != NULL)
        *why = reason;
    if (at != NULL)
        *at = offset;
    return -1;
}

int ct_parse_go_duration_n(const char *s, size_t len, uint64_t *ns, const char **why,
                           size_t *at)
{
    if (len == 0)
        return refuse(why, "empty duration", at, 0);
    const char *p = s, *end = s + len;
    if (*p == '-')
        return refuse(why, "negative duration", at, 0);
    if (*p == '+')
        p++;
    if (end - p == 1 && *p == '0') { /* as Go: the one duration without a unit */
        *ns = 0;
        return 0;
    }
    if (p == end)
        return refuse(why, "not a number and a unit (e.g. 500ms, 1m30s)", at, len);
    uint64_t total = 0;
    while (p < end) {
        const char *number = p;
        ct_decimal d;
        p = ct_decimal_read(p, end, &d);
        if (p == number)
            return refuse(why, "not a number and a unit (e.g. 500ms, 1m30s)", at,
                          (size_t)(number - s));
        if (d.nwhole == 0 && d.nfrac == 0)
            return refuse(why, "a '.' needs digits", at, (size_t)(number - s));
        const char *unit = p;
        while (p < end && *p != '.' && !(*p >= '0' && *p <= '9'))
            p++;
        if (p == unit)
            return refuse(why, "missing unit " UNITS, at, (size_t)(unit - s));
        uint64_t scale = unit_ns(unit, (size_t)(p - unit)), part;
        if (scale == 0)
            return refuse(why, "unknown unit " UNITS, at, (size_t)(unit - s));
        if (ct_decimal_scale(&d, scale, &part) != 0 || total > UINT64_MAX - part)
            return refuse(why, "out of range (over 584 years)", at, (size_t)(number - s));
        total += part;
    }
    *ns = total;
    return 0;
}

int ct_parse_go_duration(const char *s, uint64_t *ns, const char **why)
{
    if (s == NULL)
        return refuse(why, "empty duration", NULL, 0);
    return ct_parse_go_duration_n(s, strlen(s), ns, why, NULL);
}
