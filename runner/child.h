/*
 * child.h - run one test binary traced, and collect its output and trace.
 *
 * The child gets a trace pool from the collector (ctrace_collect.h), prints
 * test markers (CTRACE_MARKERS=nonce), and has stdout and stderr on one pipe so
 * what a test prints and cmocka's failure messages keep their order. While it
 * runs, the collector drains its pool every ~10 ms and its output goes to a
 * callback as it comes.
 *
 * SIGINT, SIGTERM and SIGHUP to the runner are passed to the child (a second
 * one kills it), so the trace is still finished; the caller is told, to stop
 * and then die of the same signal.
 */
#ifndef RN_CHILD_H
#define RN_CHILD_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include <ctrace_collect.h> /* ct_collector */

typedef struct rn_child_spec {
    const char *exe;     /* path to execute (execve: no PATH search) */
    char *const *argv;   /* NULL-terminated, argv[0] included */
    const char *run_re;  /* -run, or NULL: passed as CTRACE_RUN */
    const char *skip_re; /* -skip, or NULL: passed as CTRACE_SKIP */
    const char *shard;   /* --shard K/N (checked), or NULL: passed as CTRACE_SHARD */
    const char *asserts; /* --assert rules, one a line, or NULL: passed as CTRACE_ASSERT */
    const char *nonce;   /* what markers carry: passed as CTRACE_MARKERS */
    const char *preload; /* libctrace.so to preload (LD_PRELOAD), or NULL */
    unsigned long count; /* -count: CTRACE_COUNT when > 1 */
    unsigned long resume; /* CTRACE_RESUME when > 0: test runs already done */
    uint64_t timeout_ns; /* kill the child once its deadline passes (0: never) */
    uint64_t run_deadline_ns; /* and at this time (rn_now_ns() clock) whatever its
                                 progress: the run's --timeout-total (0: never) */
    uint64_t run_timeout_ns;  /* that limit, for the trace */
    const char *list_re; /* -list, or NULL: passed as CTRACE_LIST (nothing runs) */
    int failfast;        /* -failfast: CTRACE_FAILFAST=1 */
    int no_children;     /* --follow-children=off: CTRACE_FOLLOW_CHILDREN=off */
    const char *shuffle_seed; /* -shuffle's seed (decimal), or NULL: CTRACE_SHUFFLE */
    unsigned long cpu_hz; /* --cpu-hz: CTRACE_CPU_HZ (0: no CPU samples) */
} rn_child_spec;

/* Output the child wrote, in order; `now_ns` as from rn_now_ns(). */
typedef void rn_output_fn(void *ctx, const char *data, size_t len, uint64_t now_ns);

/* With a timeout: when the child (started at `start_ns`) must be killed
 * (rn_now_ns() clock), given how far it got: the caller knows from markers
 * when its test began, and `traced_ns` is when its tracer last counted a
 * test or fixture beginning or ending (0: never), which a test that closed
 * its stdout cannot lose. Called every few milliseconds. */
typedef uint64_t rn_deadline_fn(void *ctx, uint64_t start_ns, uint64_t timeout_ns,
                                uint64_t traced_ns);

typedef struct rn_child_result {
    int pid;             /* the child's */
    int tests_pid;       /* the process that ran its tests, as the trace and the
                            markers name it: the child, or a program that a
                            wrapper the child is (env, sh -c) ran */
    int wait_status;     /* as from waitpid() */
    uint64_t elapsed_ns; /* from fork to the child's exit */
    uint64_t exited_ns;  /* when waitpid() said it ended (rn_now_ns() clock):
                            what a test it ended in lasted until, whatever
                            held its output open after */
    int interrupted;     /* the signal that interrupted the runner, or 0 */
    int trace_error;     /* first CT_E* code from the collector, or 0 */
    int output_open;     /* the pipe stayed open after the child exited (a
                            process it started holds it): output may be cut */
    int children_left;   /* processes its tests started, traced, still running
                            CHILDREN_GRACE_NS after it exited: traced no further */
    int timed_out;       /* killed at its deadline (SIGKILL), after asking each
                            of its threads for its stack (stacks_ask.h) */
    int run_timed_out;   /* that deadline was the run's (run_deadline_ns) */
    unsigned stacks_asked;    /* threads asked for their stack before the kill */
    unsigned stacks_answered; /* of those, how many answered in time */
    int stack_signal;         /* the signal they were asked with */
    int output_lost;     /* its output closed while it still ran: it closed or
                            redirected stdout and stderr (markers with them) */
    ct_child_progress progress; /* the markers its tracer printed, counted */
} rn_child_result;

/*! rn_child_run() : run `spec` under collector `c` until it exits and its
 *  output is read, calling `fn` with the output.
 *  @return 0 with *res filled, or -1 when the child could not be started
 *  (`err` says why: pool, pipe, fork, or exec failing with its errno text). */
int rn_child_run(ct_collector *c, const rn_child_spec *spec, rn_output_fn *fn,
                 rn_deadline_fn *deadline, void *ctx, rn_child_result *res, char *err,
                 size_t err_size);

/* A monotonic clock in nanoseconds. */
uint64_t rn_now_ns(void);

#endif /* RN_CHILD_H */
