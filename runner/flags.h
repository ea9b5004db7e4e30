/*
 * flags.h - command-line flags the way Go's flag package reads them, and the
 * value parsers behind them (byte sizes here; Go durations are
 * ct_parse_go_duration(), format/duration.h).
 *
 * A flag takes one dash or two (-run = --run), its value after '=' or as the
 * next argument (--trace=FILE, --trace FILE); a boolean flag takes no next
 * argument but accepts -v=true / -v=false. Flags and positional arguments may
 * be interleaved, as with `go test ./pkg -v`; "--" ends the flags and what
 * follows it is passed on untouched.
 *
 * Pure functions: no output, no exit. Errors come back as a message in the
 * caller's buffer, naming the flag as the user wrote it.
 */
#ifndef RN_FLAGS_H
#define RN_FLAGS_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

typedef enum rn_flag_kind {
    RN_FLAG_BOOL,     /* value: int *, set to 1 (or to -v=VALUE) */
    RN_FLAG_STRING,   /* value: const char **, points into argv; last wins */
    RN_FLAG_LIST,     /* value: rn_strlist *, repeatable (--assert=RULE) */
    RN_FLAG_INT,      /* value: long *, a decimal integer >= 0 */
    RN_FLAG_DURATION, /* value: uint64_t *, nanoseconds (Go syntax: 1m30s) */
    RN_FLAG_SIZE,     /* value: uint64_t *, bytes (64MiB, 10MB, 4096) */
} rn_flag_kind;

typedef struct rn_flag {
    const char *name; /* without dashes: "run", "trace", "v", "o" */
    rn_flag_kind kind;
    void *value;      /* where the parsed value goes; see rn_flag_kind */
} rn_flag;

/* The values of a repeatable flag, in the order given. */
typedef struct rn_strlist {
    const char **items; /* point into argv */
    size_t n;
} rn_strlist;

/* What is left once the flags are parsed. */
typedef struct rn_args {
    char **pos;   /* positional arguments, in order (array owned, strings in argv) */
    size_t npos;
    char **rest;  /* the arguments after "--" (points into argv) */
    size_t nrest;
    int dashdash; /* "--" was given */
} rn_args;

/*! rn_flags_parse() : parse argv[0..argc) against `flags`.
 *  @return 0 with *out filled (free it with rn_args_free()), or -1 with a
 *  message in `err` ("unknown flag: --bogus", "flag needs an argument: -run",
 *  "invalid value \"1x\" for flag --timeout: ..."); *out is then empty. */
int rn_flags_parse(const rn_flag *flags, size_t nflags, int argc, char **argv,
                   rn_args *out, char *err, size_t err_size);

/* A flag as written on the command line: argv[first..first+n), n 1
 * ("-v", "--trace=t.out") or 2 ("-run" "TestA"). */
typedef void rn_flag_words_fn(void *ctx, const char *name, char **words, size_t n);

/*! rn_flags_words() : call `fn` for each flag of a command line that
 *  rn_flags_parse() accepted, in order, with its name (no dashes, no
 *  "=value") and its words; positional arguments and what follows "--" are
 *  not flags. (-p hands the run's flags down to the runs it starts.) */
void rn_flags_words(const rn_flag *flags, size_t nflags, int argc, char **argv,
                    rn_flag_words_fn *fn, void *ctx);

void rn_args_free(rn_args *a);
void rn_strlist_free(rn_strlist *l);

/*! rn_parse_size() : a byte count: a number (fractions allowed) and a unit:
 *  none or B; KB MB GB TB (powers of 1000); KiB MiB GiB TiB, and K M G T as
 *  `dd` reads them (powers of 1024). Units are case-insensitive.
 *  @return 0 with *bytes, or -1 with a reason in `why`. */
int rn_parse_size(const char *s, uint64_t *bytes, const char **why);

/*! rn_parse_bool() : 1 0 t f true false (any case), yes no.
 *  @return 0 with *v, or -1. */
int rn_parse_bool(const char *s, int *v);

#endif /* RN_FLAGS_H */
