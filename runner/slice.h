/*
 * slice.h - cut one test out of a trace into a trace of its own: the test's
 * task, the tasks begun in it, their regions and logs, on the threads they
 * ran on, with the names they need. What --junit attaches to a failure.
 */
#ifndef RN_SLICE_H
#define RN_SLICE_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#define RN_SLICE_SLOWEST 3

/* One test to find in the trace; the caller fills the first block. */
typedef struct rn_slice {
    uint64_t pid, task;   /* the test's process and per-process task id */
    const char *out_path; /* write its trace here; NULL: only read what it says */

    int found;            /* the test's task was in the trace */
    int written;          /* out_path was written (replaced whole) */
    int write_errno;      /* else why not (errno), when the test was found */
    char *message;        /* its status message (malloc'd), or NULL */
    size_t message_len;
    uint64_t duration_ns, events, regions, unended, logs, threads;
    struct rn_slice_region { /* its slowest regions, slowest first */
        char *name;
        size_t name_len;
        uint64_t ns;
    } slowest[RN_SLICE_SLOWEST];
    uint64_t blocks;      /* waits (BLOCK events) in it */
    uint64_t longest_block_ns;
    int longest_block_kind; /* ctr_block_kind of the longest */
    int truncated;        /* too many events: the slice holds the first ones */
} rn_slice;

/*! rn_slice_trace() : read `trace` once and fill in each of `slices`,
 *  writing the trace files asked for. @return 0, or -1 with `err` set (the
 *  trace could not be read at all; a damaged one is read up to the damage). */
int rn_slice_trace(const char *trace, rn_slice *slices, size_t n, char *err, size_t err_size);

void rn_slice_free(rn_slice *s);

#endif /* RN_SLICE_H */
