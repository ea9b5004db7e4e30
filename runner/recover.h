/*
 * recover.h - what the trace says of one process's tests, for when its
 * markers cannot be trusted to have said it all.
 *
 * The runner learns where tests begin and end from marker lines on the
 * child's stdout (marker.h). A test that closes or redirects its stdout (code
 * that daemonizes: close every fd, or dup2 /dev/null onto 0, 1 and 2) takes
 * the markers with it; the trace cannot be lost that way (shared memory the
 * runner owns). So when the markers read from a process that ended are not
 * those its tracer counted in the pool (ct_collector_child_progress()), the
 * runner reads its own trace back through the public reader (ctrace_reader.h)
 * and takes each test's task from there: TASK_BEGIN of kind test, its
 * status, its end (output.h, rn_out_from_trace()). A marker's TASK field is
 * the test's task id in the trace.
 */
#ifndef RN_RECOVER_H
#define RN_RECOVER_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include "marker.h" /* rn_test_status */

/* A test, or a group's setup or teardown, of the process. */
typedef struct rn_traced_task {
    uint64_t task;          /* its id in the process, as markers say it */
    int fixture;            /* a group fixture ("GROUP setup"), not a test */
    char *name;             /* as the trace keeps it (any bytes) */
    size_t name_len;
    rn_test_status status;  /* RN_STATUS_UNKNOWN when the trace gives none */
    char *message;          /* its status message, or NULL */
    size_t message_len;
    uint64_t duration_ns;
    int unended;            /* still running when the process ended */
} rn_traced_task;

typedef struct rn_traced {
    rn_traced_task *v;      /* in the order they began */
    size_t n, cap;
    int found;              /* the process is in the trace */
    int ended;              /* its end is in the trace */
    uint64_t last_ns;       /* trace time of its last test or fixture begin or end */
    int cut;                /* a flight recorder's window: its first events were cut */
    uint32_t tests_counted; /* set by the caller: tests the process's tracer counted
                               ending (ct_child_progress), to tell, of a window, how
                               many results neither markers nor trace hold; 0: unknown */
} rn_traced;

/*! rn_traced_read() : read `trace` (complete, or still being written: then
 *  read up to what was flushed) and gather the tests and group fixtures of
 *  process `pid` (its last process of that pid). @return 0 (t->found says
 *  whether the process is there), or -1 with `err` set when the trace
 *  cannot be read at all. */
int rn_traced_read(const char *trace, int pid, rn_traced *t, char *err, size_t err_size);

void rn_traced_free(rn_traced *t);

#endif /* RN_RECOVER_H */
