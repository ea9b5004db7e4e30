/*
 * compare.c - `ctest-trace compare [flags] OLD NEW`: the gate's table for two
 * baselines or two traces (or one of each), run nothing. Exit 1 on a
 * regression, so a CI job can compare the artifacts of two pipelines.
 *
 * A trace is taken in as a baseline of its own (baseline_trace.h): every
 * process's tests, keyed by their executable's file name. A damaged trace is
 * not judged (exit 2): a gate must not pass or fail on part of the samples.
 */
#include <errno.h>  /* errno */
#include <stdio.h>  /* fopen, fread, printf */
#include <stdlib.h> /* free */
#include <string.h> /* memcmp, strlen */

#include "baseline.h"
#include "baseline_json.h"
#include "baseline_trace.h"
#include "cli.h"
#include "flags.h"
#include "gate.h"
#include "marker.h"           /* rn_escape_name */
#include "recorder/outfile.h" /* ct_errno_text */

static const char trace_magic[8] = {'\x89', 'C', 'T', 'R', 'A', 'C', 'E', '\n'};

/* Whether `path` starts like a trace. @return 1, 0, or -1 with errno. */
static int is_trace(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char head[sizeof trace_magic];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && memcmp(head, trace_magic, sizeof head) == 0;
}

/* A baseline from `path`, a baseline file or a trace. @return 0, or 2
 * (message printed). */
static int load(rn_baseline *b, const char *path)
{
    char err[512];
    int trace = is_trace(path);
    if (trace < 0) {
        rn_baseline_init(b);
        return rn_error_about(path, "", ct_errno_text(errno), 0);
    }
    if (!trace)
        return rn_baseline_read(b, path, err, sizeof err) == 0 ? 0
                                                               : rn_error_about(path, "", err, 0);
    rn_baseline_init(b);
    int rc = rn_baseline_gather(b, path, NULL, 0, NULL, 0, err, sizeof err);
    if (rc == 0)
        return 0;
    rn_baseline_free(b); /* what came before the damage is not judged */
    if (rc > 0) {
        char why[700];
        snprintf(why, sizeof why, "%s: a damaged trace is not judged", err);
        return rn_error_about(path, "", why, 0);
    }
    return rn_error_about(path, "", err, 0);
}

static int several_binaries(const rn_baseline *b)
{
    for (size_t i = 1; i < b->nmetrics; i++) {
        if (strcmp(b->metrics[i].binary, b->metrics[0].binary) != 0)
            return 1;
    }
    return 0;
}

/* The table and the verdict. @return 0, 1 a regression, 2 out of memory. */
static int compare(const rn_baseline *old, const rn_baseline *new_, const char *old_path,
                   const char *new_path, double max_pct, double alpha, int verbose)
{
    rn_gate g;
    if (rn_gate_compare(&g, old, new_, NULL, alpha, max_pct) != 0)
        return rn_error("out of memory");
    char *warnings[2] = {rn_gate_machine_warning(old, new_),
                         rn_gate_too_few_warning(&g, new_path)};
    for (int i = 0; i < 2; i++) {
        if (warnings[i] != NULL)
            fprintf(stderr, "ctest-trace: %s\n", warnings[i]);
        free(warnings[i]);
    }
    char *table = rn_gate_table(&g, verbose, several_binaries(new_), "");
    char *o = rn_escape_name(old_path, strlen(old_path));
    char *n = rn_escape_name(new_path, strlen(new_path));
    printf("%s vs %s (alpha %g, limit +%g%%)\n", o ? o : "?", n ? n : "?", alpha, max_pct);
    free(o);
    free(n);
    if (table != NULL)
        fputs(table, stdout);
    free(table);
    if (g.only_new || g.only_old)
        printf("%zu metric%s only in NEW, %zu only in OLD (not compared)\n", g.only_new,
               g.only_new == 1 ? "" : "s", g.only_old);
    if (g.n == 0)
        printf("no metric is in both: nothing was compared\n");
    printf("%s: %zu regression%s\n", g.regressions ? "FAIL" : "ok", g.regressions,
           g.regressions == 1 ? "" : "s");
    int status = g.regressions ? 1 : 0;
    rn_gate_free(&g);
    return status;
}

int rn_cmd_compare(int argc, char **argv)
{
    const char *max_regression = NULL, *alpha = NULL;
    int verbose = 0, help = 0;
    const rn_flag flags[] = {
        {"max-regression", RN_FLAG_STRING, &max_regression},
        {"alpha", RN_FLAG_STRING, &alpha},
        {"v", RN_FLAG_BOOL, &verbose},
        {"h", RN_FLAG_BOOL, &help},
        {"help", RN_FLAG_BOOL, &help},
    };
    static const char usage[] = "usage: ctest-trace compare [--max-regression=PCT] "
                                "[--alpha=P] [-v] OLD NEW";
    rn_args a;
    char err[256];
    if (rn_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &a, err,
                       sizeof err) != 0)
        return rn_usage_error("%s", err);
    int status = RN_EXIT_USAGE;
    double max_pct, p;
    if (help) {
        printf("%s\n\nCompares two baselines (--save-baseline) or traces, as a run with\n"
               "--baseline does, and prints the table. Exit status: 0 no regression, 1 a\n"
               "regression, 2 an input could not be read.\n", usage);
        status = RN_EXIT_OK;
    } else if (a.npos != 2 || a.dashdash) {
        rn_usage_error("compare needs two files, OLD and NEW (%zu given)\n%s", a.npos, usage);
    } else if (rn_gate_parse_flags(max_regression, alpha, &max_pct, &p) == 0) {
        rn_baseline old, new_;
        int rc = load(&old, a.pos[0]);
        if (rc == 0 && (rc = load(&new_, a.pos[1])) != 0)
            rn_baseline_free(&old);
        if (rc == 0) {
            status = compare(&old, &new_, a.pos[0], a.pos[1], max_pct, p, verbose);
            rn_baseline_free(&old);
            rn_baseline_free(&new_);
        }
    }
    rn_args_free(&a);
    return status;
}
