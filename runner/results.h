/*
 * results.h - every test the run saw, as the runner learnt it from markers
 * and the child's end: what --junit reports (junit.h).
 */
#ifndef RN_RESULTS_H
#define RN_RESULTS_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include "marker.h" /* rn_test_status */

typedef struct rn_result {
    size_t binary;          /* index of the binary in the run, from 0 */
    char *name, *group;     /* decoded; may hold any bytes (untrusted) */
    size_t name_len, group_len;
    uint64_t pid, task;     /* where it is in the trace; 0 if unknown */
    rn_test_status status;
    uint64_t elapsed_ns;
    uint64_t lost;          /* events lost while it ran (every thread's) */
    char *output;           /* what a failed test printed, or NULL */
    size_t output_len;
    char *gate;             /* --baseline: why the gate failed it (the test
                               passed, its latency regressed), or NULL */
    char *attachment;       /* its trace, written as it failed (--flight-recorder), or NULL */
    char *attachment_note;  /* what that trace lacks, or NULL */
} rn_result;

typedef struct rn_results {
    rn_result *v;
    size_t n, cap;
    int oom;                /* a result could not be kept */
} rn_results;

/* `n` bytes of `s` (NULL only if n is 0) as a NUL-terminated malloc'd copy;
 * NULL when out of memory. */
char *rn_dup_bytes(const char *s, size_t n);

/* Append a result (the strings are copied). */
void rn_results_add(rn_results *rs, const rn_result *r);
void rn_results_free(rn_results *rs);

#endif /* RN_RESULTS_H */
