/*
 * cli.h - what the commands of ctest-trace share: usage text, messages and
 * exit statuses.
 */
#ifndef RN_CLI_H
#define RN_CLI_H

#include <stdint.h> /* uint64_t */
#include <stdio.h> /* FILE */

#ifndef CT_VERSION
#define CT_VERSION "unknown" /* meson passes the project version */
#endif

/* Exit statuses of a run (DESIGN.md §4). */
enum {
    RN_EXIT_OK = 0,   /* every selected test passed */
    RN_EXIT_FAIL = 1, /* a test failed, crashed, or the binary exited badly */
    RN_EXIT_USAGE = 2 /* the command could not do its job */
};

/* The full usage text. */
void rn_usage(FILE *out);

/*! rn_exit_worse() : the status of a run from two of its parts: the worse
 *  of 0, 1 and 2; a binary that skipped itself (77) yields to any other, so
 *  a run is 77 only when each of its binaries skipped itself. */
int rn_exit_worse(int a, int b);

/*! rn_say_not_run() : -failfast: the binaries `started` says did not start
 *  (0 of `n`), named on a line of `out` after the run's ("-failfast: 2
 *  binaries not run after the first failure: ./b ./c"); nothing when all
 *  started. */
void rn_say_not_run(FILE *out, char *const *bins, const unsigned char *started, size_t n);

/*! rn_say_out_of_time() : --timeout-total (`limit_ns`) passed: how many of
 *  the `n` binaries `started` says did not start, on stderr ("the run took
 *  longer than --timeout-total=5m: 2 binaries did not run"); nothing when
 *  all started. */
void rn_say_out_of_time(uint64_t limit_ns, const unsigned char *started, size_t n);

/* "ctest-trace: MESSAGE" on stderr. @return RN_EXIT_USAGE. */
int rn_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, then "run 'ctest-trace -h' for usage". @return RN_EXIT_USAGE. */
int rn_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "ctest-trace: WHAT: FMT_RESTDETAIL", WHAT (a path, a name: untrusted)
 * escaped; with `hint`, the usage hint after it. @return RN_EXIT_USAGE. */
int rn_error_about(const char *what, const char *fmt_rest, const char *detail, int hint);

/* The commands (argv without the program and command names). */
int rn_cmd_run(int argc, char **argv);
int rn_cmd_view(const char *view, int argc, char **argv);
/* ctest-trace compare [flags] OLD NEW (compare.c) */
int rn_cmd_compare(int argc, char **argv);
int rn_cmd_merge(int argc, char **argv); /* merge.c */

/* Is `word` the name of a view command (stats, tasks, ...)? */
int rn_is_view(const char *word);

#endif /* RN_CLI_H */
