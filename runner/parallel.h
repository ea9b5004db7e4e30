/*
 * parallel.h - `-p N`: up to N binaries at once, each in a runner of its own.
 *
 * As go test runs a test binary a package, each binary runs in a ctest-trace
 * of its own (this program again, with the run's flags and that binary alone),
 * which writes its trace, JUnit report and baseline beside the others in a
 * temporary directory, and its output into files. Each binary's output is
 * printed whole once it and every binary before it have ended, in the order
 * given: never interleaved, the same lines as a run of one binary at a time
 * prints when stdout is not a terminal. When all have ended, the traces are
 * merged into --trace (analysis/trace_merge.h: processes renumbered, one
 * clock), the reports into --junit (merge.h), the baselines into
 * --save-baseline (only when every binary passed, as a run of one at a
 * time). --trace-dir and --junit-dir names are claimed here, before any
 * starts, and each runner writes its own. With --otlp-endpoint, the spans
 * of every runner's trace are posted from here, once all have ended. An --assert rule is warned about
 * when it judged no test in any binary.
 */
#ifndef RN_PARALLEL_H
#define RN_PARALLEL_H

#include <stddef.h> /* size_t */

#include "flags.h" /* rn_flag */

typedef struct rn_parallel {
    const rn_flag *flags; /* the run's flags, and its command line as given: */
    size_t nflags;        /* what each runner is handed (rn_flags_words()), */
    int argc;             /* less the flags rewritten below */
    char **argv;
    char *const *bins;    /* the binaries, as given */
    size_t nbins;
    char **rest;          /* the ARGS after "--" */
    size_t nrest;
    long procs;           /* -p */
    const char *trace, *trace_dir, *junit, *junit_dir, *attach_dir, *save_baseline;
    const char *shuffle_seed; /* -shuffle's seed, or "" */
    int failfast, json;
    const char *otlp_endpoint; /* --otlp-endpoint: the runners' traces posted here, once */
    uint64_t total_ns;        /* --timeout-total, or 0: each runner is given what */
    uint64_t run_deadline_ns; /* is left until this time (rn_now_ns() clock) */
} rn_parallel;

/* The environment variables a runner started by -p reads: the trace's name
 * for its last line (its --trace is a temporary file), and the file its
 * warnings about --assert rules that judged no test go to. */
#define RN_ENV_TRACE_SHOWN "CTRACE_RUN_TRACE_SHOWN"
#define RN_ENV_JUDGED_OUT "CTRACE_RUN_JUDGED_OUT"
/* and, with --timeout-total, the nanoseconds left of the run's time: its
 * deadline, while its messages name the limit as the user gave it. */
#define RN_ENV_TIME_LEFT "CTRACE_RUN_TIME_LEFT_NS"

/*! rn_parallel_run() : run `p`'s binaries, up to p->procs at once.
 *  @return the run's exit status (0, 1, 2 or 77, as a run of one at a
 *  time); interrupted, it dies of the signal after printing what ended. */
int rn_parallel_run(const rn_parallel *p);

#endif /* RN_PARALLEL_H */
