/*
 * run_args.h - a run's command line as people and wrappers write it: which
 * arguments are binaries and which are theirs, and how results are printed.
 *
 *   ctest-trace [flags] BINARY [BINARY...] [-- ARGS]   ARGS go to each BINARY
 *   ctest-trace [flags] -- BINARY [ARGS...]            one command line, as
 *       meson's --wrapper, CMake's CMAKE_CROSSCOMPILING_EMULATOR and
 *       TEST_LAUNCHER, valgrind and env give it: a wrapper that ends in "--"
 *       passes the test's own arguments on, whatever they look like.
 *
 * Without "--", flags may follow binaries (go test ./pkg -v), so an argument
 * meant for the binary reads as a flag of ours or as another binary: the
 * messages then say where such arguments go (RN_RUN_ARGS_HINT).
 */
#ifndef RN_RUN_ARGS_H
#define RN_RUN_ARGS_H

#include <stddef.h> /* size_t */

#include "flags.h" /* rn_args, rn_flag */

/*! rn_run_args_command() : "--" before any binary: the first argument after
 *  it becomes the binary, the rest its arguments. A no-op otherwise. */
void rn_run_args_command(rn_args *a);

/* Where a binary's arguments go: said after a message when the mistake is
 * likely (a second "binary" that cannot run; rn_run_args_unknown_after()). */
#define RN_RUN_ARGS_HINT                                                                  \
    "a test binary's arguments go after \"--\": ctest-trace [flags] BINARY -- ARGS, or "   \
    "ctest-trace [flags] -- BINARY ARGS; end a wrapper (meson's --wrapper, CMake's "       \
    "emulator) with \"--\""

/*! rn_run_args_unknown_after() : did the flags in argv[0..argc) (as given
 *  to rn_flags_parse(), which refused them) fail on an unknown flag that
 *  came after a binary? It parses argv again: the values of `flags` (a
 *  repeatable flag's list too) are set again. */
int rn_run_args_unknown_after(const rn_flag *flags, size_t nflags, int argc, char **argv);

/* How a run prints its results. */
typedef enum rn_format { RN_FORMAT_TEXT, RN_FORMAT_JSON, RN_FORMAT_TAP } rn_format;

/*! rn_run_format() : from --format (NULL: not given) and --json. Neither
 *  given: TAP when CMOCKA_MESSAGE_OUTPUT=tap is in the environment (what a
 *  meson test of `protocol: 'tap'` sets for cmocka: meson reads the
 *  wrapper's output as TAP then), else text.
 *  @return 0 with *out, or 2 (message printed: a bad value, or --json with
 *  another --format). */
int rn_run_format(const char *format, int json, rn_format *out);

#endif /* RN_RUN_ARGS_H */
