/*
 * run_opts.c - a run's flags checked before anything runs (run_opts.h).
 */
#include "run_opts.h"

#include <inttypes.h> /* PRId64 */
#include <regex.h>    /* regcomp, regerror */
#include <stdio.h>    /* fprintf, snprintf */
#include <stdlib.h>   /* free */
#include <string.h>   /* strcmp, strlen */
#include <time.h>     /* clock_gettime */

#include <ctrace_collect.h> /* CT_OVERFLOW_*, CT_WINDOW_MIN_BYTES */

#include "common/shard.h"   /* ct_shard_parse */
#include "common/shuffle.h" /* ct_shuffle_parse_seed */

#include "asserts.h"    /* rn_asserts_load */
#include "cli.h"        /* rn_usage_error */
#include "flight.h"     /* NO_FLIGHT */
#include "marker.h"     /* rn_escape_name */
#include "preload.h"    /* rn_preload_path */
#include "trace_dest.h" /* rn_make_flag_dir */

/* Compile `re` as the child's tracer will, to report a bad one here. */
static int check_regex(const char *flag, const char *re)
{
    if (re == NULL)
        return 0;
    regex_t compiled;
    int rc = regcomp(&compiled, re, REG_EXTENDED | REG_NOSUB);
    if (rc == 0) {
        regfree(&compiled);
        return 0;
    }
    char why[256];
    regerror(rc, &compiled, why, sizeof why);
    char *shown = rn_escape_name(re, strlen(re));
    rn_usage_error("invalid regular expression for %s \"%s\": %s", flag,
                   shown ? shown : "?", why);
    free(shown);
    return -1;
}

/* --shard=K/N, as the child's tracer will read it (common/shard.h).
 * @return 0, or -1 (message printed). */
static int check_shard(const char *text)
{
    ct_shard shard;
    const char *why;
    if (ct_shard_parse(text, &shard, &why) == 0)
        return 0;
    char *shown = rn_escape_name(text, strlen(text));
    rn_usage_error("invalid value \"%s\" for flag --shard: %s", shown ? shown : "?", why);
    free(shown);
    return -1;
}

/* -shuffle=on|off|N, as go test takes it: `seed` gets N, or for on a seed
 * from the clock (printed, so that the order can be had again), or "" for
 * off. @return 0, or -1 (message printed). */
static int check_shuffle(const char *text, char seed[24])
{
    int64_t n;
    seed[0] = '\0';
    if (strcmp(text, "off") == 0)
        return 0;
    if (strcmp(text, "on") == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        n = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    } else if (ct_shuffle_parse_seed(text, &n) != 0) {
        char *shown = rn_escape_name(text, strlen(text));
        rn_usage_error("invalid value \"%s\" for flag -shuffle: must be on, off or a whole "
                       "number (the seed)", shown ? shown : "?");
        free(shown);
        return -1;
    }
    snprintf(seed, 24, "%" PRId64, n);
    return 0;
}

/* `value` of flag --`flag` (NULL: not given) is `a` or `b`; else said. */
static int is_one_of(const char *value, const char *flag, const char *a, const char *b)
{
    if (value == NULL || strcmp(value, a) == 0 || strcmp(value, b) == 0)
        return 1;
    char *shown = rn_escape_name(value, strlen(value));
    rn_usage_error("invalid value \"%s\" for flag --%s: must be %s or %s", shown ? shown : "?",
                   flag, a, b);
    free(shown);
    return 0;
}

int rn_run_opts_check(run_opts *opts, rn_format *format)
{
    if (rn_run_format(opts->format, opts->json, format) != 0)
        return -1;
    opts->json = *format == RN_FORMAT_JSON;
    if (opts->trace != NULL && *opts->trace == '\0') {
        rn_usage_error("--trace needs a file name");
        return -1;
    }
    if (opts->trace_dir != NULL && (*opts->trace_dir == '\0' || opts->trace != NULL)) {
        rn_usage_error(*opts->trace_dir == '\0' ? "--trace-dir needs a directory"
                                                : "--trace and --trace-dir cannot be combined");
        return -1;
    }
    if ((opts->junit != NULL && *opts->junit == '\0') ||
        (opts->attach_dir != NULL && *opts->attach_dir == '\0')) {
        rn_usage_error("%s needs a %s", opts->junit && !*opts->junit ? "--junit" : "--attach-dir",
                       opts->junit && !*opts->junit ? "file name" : "directory");
        return -1;
    }
    if (opts->junit_dir != NULL) {
        if (*opts->junit_dir == '\0' || opts->junit != NULL) {
            rn_usage_error(*opts->junit_dir == '\0' ? "--junit-dir needs a directory"
                                                    : "--junit and --junit-dir cannot be combined");
            return -1;
        }
    }
    if (opts->attach_dir != NULL && opts->junit == NULL && opts->junit_dir == NULL &&
        opts->flight_bytes == NO_FLIGHT) {
        rn_usage_error("--attach-dir is where --junit or --flight-recorder puts its "
                       "attachments: give one of them too");
        return -1;
    }
    if (opts->attach_report && opts->junit == NULL && opts->junit_dir == NULL) {
        rn_usage_error("--attach-report adds a report to --junit's attachments: give "
                       "--junit or --junit-dir too");
        return -1;
    }
    if (opts->flight_bytes != NO_FLIGHT && opts->flight_bytes < CT_WINDOW_MIN_BYTES) {
        rn_usage_error("invalid value for flag --flight-recorder: at least 64KiB (a window "
                       "holds a pool chunk or more of each process's events)");
        return -1;
    }
    if (opts->flight_bytes != NO_FLIGHT && (opts->save_baseline || opts->baseline)) {
        rn_usage_error("%s needs every event of the run; --flight-recorder keeps only the "
                       "latest: use one or the other",
                       opts->baseline ? "--baseline" : "--save-baseline");
        return -1;
    }
    if (opts->otlp_endpoint != NULL && rn_otlp_check_endpoint(opts->otlp_endpoint) != 0)
        return -1;
    if (opts->otlp_endpoint != NULL && opts->flight_bytes != NO_FLIGHT) {
        rn_usage_error("--otlp-endpoint posts every span of the run; --flight-recorder keeps "
                       "only the latest events: use one or the other");
        return -1;
    }
    if (!is_one_of(opts->overflow, "overflow", "wait", "drop") ||
        !is_one_of(opts->follow_children, "follow-children", "on", "off"))
        return -1;
    opts->no_children = opts->follow_children && strcmp(opts->follow_children, "off") == 0;
    int drop = opts->overflow && strcmp(opts->overflow, "drop") == 0;
    opts->overflow_mode = drop ? CT_OVERFLOW_DROP : CT_OVERFLOW_WAIT;
    if (opts->procs < 1) {
        rn_usage_error("invalid value \"%ld\" for flag -p: must be at least 1", opts->procs);
        return -1;
    }
    if (opts->count < 1) {
        rn_usage_error("invalid value \"%ld\" for flag -count: must be at least 1", opts->count);
        return -1;
    }
    if (check_regex("-run", opts->run_re) != 0 || check_regex("-skip", opts->skip_re) != 0)
        return -1;
    if (opts->shard != NULL && check_shard(opts->shard) != 0)
        return -1;
    if (check_regex("-list", opts->list_re) != 0 ||
        (opts->shuffle != NULL && check_shuffle(opts->shuffle, opts->shuffle_seed) != 0))
        return -1;
    if (rn_asserts_load(&opts->assert_files, &opts->asserts, &opts->assert_env) != 0)
        return -1;
    const char *why_no_preload;
    opts->preload = rn_preload_path(&why_no_preload);
    if (opts->preload == NULL && why_no_preload != NULL)
        fprintf(stderr, "ctest-trace: warning: %s: only binaries that link libctrace get a "
                        "task per test\n", why_no_preload);
    if (opts->preload == NULL)
        opts->no_preload = why_no_preload ? why_no_preload : "CTRACE_PRELOAD is empty";
    return 0;
}

int rn_run_opts_make_dirs(const run_opts *opts)
{
    if (opts->trace_dir != NULL && rn_make_flag_dir("--trace-dir", opts->trace_dir, 0) != 0)
        return -1;
    if (opts->trace != NULL && rn_make_flag_dir("--trace", opts->trace, 1) != 0)
        return -1;
    if (opts->junit_dir != NULL && rn_make_flag_dir("--junit-dir", opts->junit_dir, 0) != 0)
        return -1;
    if (opts->junit != NULL && rn_make_flag_dir("--junit", opts->junit, 1) != 0)
        return -1;
    return 0;
}
