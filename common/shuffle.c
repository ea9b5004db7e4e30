/* shuffle.c - a test order decided by a seed (shuffle.h). */
#include "common/shuffle.h"

#include <errno.h>  /* errno, ERANGE */
#include <stdlib.h> /* strtoll */

void ct_shuffle_seed(ct_shuffle *s, int64_t seed)
{
    s->state = (uint64_t)seed;
}

/* SplitMix64: every 64-bit state is visited, each draw well mixed. */
static uint64_t next(ct_shuffle *s)
{
    uint64_t z = (s->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t ct_shuffle_below(ct_shuffle *s, uint64_t n)
{
    /* Draws past the last whole multiple of n would favour small results. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = next(s);
    while (x >= limit);
    return x % n;
}

void ct_shuffle_indices(ct_shuffle *s, size_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ct_shuffle_below(s, i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

int ct_shuffle_parse_seed(const char *text, int64_t *seed)
{
    /* strtoll would also take leading blanks: a seed is a number, nothing else. */
    if (text == NULL || !((*text >= '0' && *text <= '9') || *text == '-' || *text == '+'))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end != '\0' || end == text || errno == ERANGE)
        return -1;
    *seed = (int64_t)v;
    return 0;
}
