/*
 * run_opts.h - a run's flags, as parsed, and their checks before anything
 * runs (run.c parses them; the checks name the flag that is wrong).
 */
#ifndef RN_RUN_OPTS_H
#define RN_RUN_OPTS_H

#include <stdint.h> /* uint64_t */

#include "flags.h"      /* rn_strlist */
#include "output_tap.h" /* rn_tap */
#include "otlp_run.h"   /* rn_trace_context */
#include "run_args.h"   /* rn_format */

#define DEFAULT_TIMEOUT_NS (10 * 60 * 1000000000ull) /* as go test */

typedef struct run_opts {
    const char *trace;     /* --trace, or NULL */
    const char *trace_dir; /* --trace-dir, or NULL */
    const char *run_re;    /* -run, or NULL */
    const char *skip_re;   /* -skip, or NULL */
    const char *shard;     /* --shard K/N, or NULL */
    int verbose;           /* -v */
    int json;              /* --json */
    const char *format;    /* --format, or NULL */
    rn_tap *tap;           /* --format=tap: the run's TAP stream, or NULL */
    long count;            /* -count */
    uint64_t timeout_ns;   /* --timeout; 0: none */
    uint64_t total_ns;     /* --timeout-total; 0: none */
    const char *junit;     /* --junit, or NULL */
    const char *junit_dir; /* --junit-dir, or NULL */
    const char *attach_dir; /* --attach-dir, or NULL */
    int attach_report;     /* --attach-report: each trace attached with its HTML report */
    rn_strlist asserts;    /* --assert, repeated */
    rn_strlist assert_files; /* --assert-file, repeated */
    char *assert_env;      /* the rules of both, one a line, or NULL */
    char *preload;         /* libctrace.so for the child, or NULL */
    const char *overflow;  /* --overflow=wait|drop, or NULL (wait) */
    int overflow_mode;     /* CT_OVERFLOW_* from it */
    const char *no_preload; /* without it: why */
    const char *save_baseline, *baseline, *max_regression, *alpha; /* the gate's flags */
    uint64_t flight_bytes; /* --flight-recorder=SIZE, or NO_FLIGHT */
    const char *list_re;   /* -list, or NULL */
    int failfast;          /* -failfast */
    const char *follow_children; /* --follow-children=on|off, or NULL (on) */
    int no_children;       /* it said off */
    const char *shuffle;   /* -shuffle=on|off|N, or NULL (off) */
    char shuffle_seed[24]; /* its seed, decimal; "" when off */
    long procs;            /* -p: binaries at once */
    char *trace_shown;     /* -p's runner: the name of the trace it writes for */
    char *judged_out;      /* -p's runner: where its rule warnings go */
    const char *otlp_endpoint; /* --otlp-endpoint, or NULL */
    rn_trace_context context; /* TRACEPARENT, TRACESTATE: recorded in the trace */
} run_opts;

/*! rn_run_opts_check() : check the flags against each other and make what
 *  they need (the seed, the rules, the library to preload),
 *  and choose how results are printed (*format).
 *  @return 0, or -1 (message printed: the run exits 2). */
int rn_run_opts_check(run_opts *opts, rn_format *format);

/*! rn_run_opts_make_dirs() : make the directories --trace, --junit,
 *  --trace-dir and --junit-dir name, if missing: once the command line is
 *  known good (a refused one leaves nothing behind), before anything runs.
 *  @return 0, or -1 (message printed: the run exits 2). */
int rn_run_opts_make_dirs(const run_opts *opts);

#endif /* RN_RUN_OPTS_H */
