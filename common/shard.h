/*
 * shard.h - --shard=K/N: which tests a shard runs, decided by name alone.
 *
 * Every shard of a suite (a GitLab `parallel:` job, a GitHub Actions matrix
 * entry) must agree on who runs what without talking, and a test must stay
 * on its shard as tests are added or removed around it. So a test belongs
 * to shard K of N when the 64-bit FNV-1a hash of its name (the bytes cmocka
 * names it by, no terminating NUL), mod N, is K-1: nothing but the name and
 * N decides. The runner checks the flag with ct_shard_parse(); the tracer in
 * the test process selects with ct_shard_selects() (CTRACE_SHARD).
 */
#ifndef CT_COMMON_SHARD_H
#define CT_COMMON_SHARD_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

typedef struct ct_shard {
    uint64_t k, n; /* shard k of n, 1 <= k <= n; n 0: no sharding */
} ct_shard;

/*! ct_shard_parse() : "K/N", decimal, 1 <= K <= N (no sign, no spaces).
 *  @return 0 with *out set, or -1 (*out is then no sharding) with `why`
 *  saying what is wrong ("K must be at least 1"). */
int ct_shard_parse(const char *text, ct_shard *out, const char **why);

/*! ct_shard_hash() : 64-bit FNV-1a of `len` bytes. */
uint64_t ct_shard_hash(const char *bytes, size_t len);

/*! ct_shard_selects() : whether the test named `name` (NUL-terminated)
 *  runs in shard s; always 1 without sharding (s->n 0). */
int ct_shard_selects(const ct_shard *s, const char *name);

#endif /* CT_COMMON_SHARD_H */
