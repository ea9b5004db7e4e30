/* shard.c - --shard=K/N by the hash of a test's name (shard.h). */
#include "common/shard.h"

#include <string.h> /* strlen */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

uint64_t ct_shard_hash(const char *bytes, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)bytes[i];
        h *= FNV_PRIME;
    }
    return h;
}

int ct_shard_selects(const ct_shard *s, const char *name)
{
    if (s->n == 0)
        return 1;
    return ct_shard_hash(name, strlen(name)) % s->n == s->k - 1;
}

/* Decimal digits at *p into *v, moving *p past them. @return 0, or -1 when
 * there are none or the number does not fit. */
static int digits(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *p = s;
    *v = x;
    return 0;
}

int ct_shard_parse(const char *text, ct_shard *out, const char **why)
{
    *out = (ct_shard){0, 0};
    uint64_t k, n;
    const char *p = text ? text : "";
    if (digits(&p, &k) != 0 || *p++ != '/' || digits(&p, &n) != 0 || *p != '\0') {
        *why = "must be K/N, two whole numbers (shard K of N)";
        return -1;
    }
    if (n == 0) {
        *why = "N must be at least 1";
        return -1;
    }
    if (k == 0) {
        *why = "K must be at least 1 (shards are numbered from 1)";
        return -1;
    }
    if (k > n) {
        *why = "K must not be greater than N";
        return -1;
    }
    *out = (ct_shard){k, n};
    return 0;
}
