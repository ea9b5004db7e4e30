/*
 * output_internal.h - the printer of a binary's run (output.h), split in two:
 *   output.c      line assembly, markers, routing, each test's result
 *   output_end.c  how the binary ended: a death in a test, results the trace
 *                 told when the markers could not, the binary's last lines
 */
#ifndef RN_OUTPUT_INTERNAL_H
#define RN_OUTPUT_INTERNAL_H

#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

#include "buf.h"
#include "judged.h"
#include "marker.h"
#include "output.h"
#include "results.h"

struct rn_out {
    FILE *out, *err;
    int verbose;

    char *line;        /* the line being assembled */
    size_t line_len;
    int continued;     /* pieces of this line were passed on already */
    unsigned blanks;   /* blank lines held back (one precedes cmocka's summary) */

    int seen_marker;
    int in_test;
    char *test;        /* decoded name of the running test */
    size_t test_len;
    uint64_t test_start_ns;
    uint64_t progress_ns; /* when the last marker came */
    char *last;        /* name of the last finished test */
    size_t last_len;

    rn_buf test_out;   /* non-verbose: the running test's output */
    rn_buf pending;    /* non-verbose: output outside tests */
    rn_buf pre_raw;    /* before the first marker, as printed */
    rn_buf pre_kept;   /* before the first marker, filtered */
    int saw_cmocka_run;
    int run_line_unmatched; /* cmocka's "[ RUN      ]" outside the traced tests,
                               no run marker after it yet */
    int untraced_after;     /* one that none followed: a group the tracer did
                               not see */

    int failed;        /* the run fails */
    int col0;          /* what we printed ends a line */
    rn_out_counts counts;

    rn_results *results; /* where finished tests go, or NULL */
    size_t binary;       /* their binary's index */
    rn_judged *judged;   /* what the --assert rules judged, or NULL */
    uint64_t test_pid, test_task; /* the running test's, from its marker */
    uint64_t test_lost;           /* events it lost, from a lost marker */
    uint64_t lost;                /* events the binary's tests lost, their markers said */
    uint64_t lost_counted;        /* events its processes lost, their pools counted */
    char *test_group;
    size_t test_group_len;
    char *test_group_enc;      /* test_group as its marker said it (percent-encoded), */
    size_t test_group_enc_len; /* or NULL when it was set otherwise */

    rn_progress progress;     /* what passing tests show without -v */
    uint64_t planned, done;   /* tests the groups announced, and finished */
    uint64_t next_ordinal;    /* after the last test begun (CTRACE_RESUME) */
    uint64_t group_end;       /* after the current group's last test */
    int has_ordinals;         /* markers carry them */
    int in_fixture;           /* a group's setup or teardown is running */
    char *fixture;            /* its name ("GROUP setup") */
    size_t fixture_len;
    unsigned process_markers; /* markers from the process running now */
    ct_child_progress markers_read; /* its test and fixture begins and ends */
    int resume_unknown;       /* tests came from the trace past a gap in the
                                 ordinals: where to go on is not known */
    char *lost_in;            /* the test the binary's output was lost in (or
                                 before), or NULL */
    size_t lost_in_len;
    int lost_in_test;         /* in it, not before it */
    unsigned from_trace;      /* tests whose end only the trace told */
    char *timeout_why;        /* rn_out_timed_out(): the next death's line, or NULL */
    char *timeout_stacks;     /* and what follows it, or NULL */
    size_t timeout_stacks_len;
    char *group;              /* the group last announced (decoded) */
    size_t group_len;
    int counter_shown;        /* the live counter is on the current line */
    rn_attach_fn *attach_fn;  /* a failed test's attachment, or NULL */
    void *attach_ctx;
    const char *json_package; /* --json: events for this binary, or NULL */
    rn_out_event_fn *event_fn; /* the events go there instead, or NULL */
    void *event_ctx;
    char *jline;              /* --json: the output line being assembled */
    size_t jline_len, jline_cap;
};
/* --json: one go test -json event of the binary (with_test: of its running
 * test), and the output line being assembled as an output event. */
void rn__out_json_event(rn_out *o, const char *action, int with_test, double elapsed,
                        const char *output, size_t output_len);
void rn__out_json_flush_line(rn_out *o);

/* Printing: the live counter off, bytes out (or --json output), a newline
 * unless at a line's start, a buffer indented under a result, a name escaped. */
void rn__out_counter_clear(rn_out *o);
void rn__out_put(rn_out *o, const char *s, size_t n);
void rn__out_end_line(rn_out *o);
void rn__out_print_buf(rn_out *o, const rn_buf *b, int indent);
void rn__out_put_name(rn_out *o, const char *name, size_t len);

/* Routing: the run fails; output to where it belongs now; blank lines held. */
void rn__out_set_failed(rn_out *o);
void rn__out_sink(rn_out *o, const char *s, size_t n);
void rn__out_flush_blanks(rn_out *o);

/* Tests: a copy of a name; a test ends or begins; the binary is traced; a
 * whole line of output (or a marker). */
int rn__out_set_name(char **dst, size_t *dst_len, const char *s, size_t n);
void rn__out_finish_test(rn_out *o, rn_test_status status, uint64_t elapsed_ns);
void rn__out_begin_test(rn_out *o, const char *name, size_t len, uint64_t now_ns);
/* How long the running test ran until `now_ns`: 0 when its begin was read
 * after then (the output of a process is read after it exited, and its run
 * marker is stamped when read). */
static inline uint64_t rn__out_since_test_start(const rn_out *o, uint64_t now_ns)
{
    return now_ns > o->test_start_ns ? now_ns - o->test_start_ns : 0;
}
void rn__out_traced(rn_out *o);
void rn__out_handle_line(rn_out *o, const char *s, size_t n, int continued, uint64_t now_ns);

#endif /* RN_OUTPUT_INTERNAL_H */
