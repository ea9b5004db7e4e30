/*
 * run_gate.c - --save-baseline, --baseline, --max-regression, --alpha
 * (run_gate.h).
 */
#include "run_gate.h"

#include <stdio.h>  /* snprintf, fprintf */
#include <stdlib.h> /* strtod, free */
#include <string.h> /* strcmp, strlen */

#include "baseline_json.h"
#include "baseline_trace.h"
#include "cli.h"
#include "gate.h"
#include "marker.h" /* rn_escape_name */

int rn_run_gate_init(rn_run_gate *g, const char *save_path, const char *baseline_path,
                     const char *max_regression, const char *alpha, long count, int verbose)
{
    *g = (rn_run_gate){.save_path = save_path, .baseline_path = baseline_path,
                       .alpha = RN_GATE_ALPHA, .max_regression_pct = RN_GATE_MAX_REGRESSION,
                       .verbose = verbose};
    rn_baseline_init(&g->old);
    rn_baseline_init(&g->measured);
    if (rn_gate_parse_flags(max_regression, alpha, &g->max_regression_pct, &g->alpha) != 0)
        return RN_EXIT_USAGE;
    if ((save_path && *save_path == '\0') || (baseline_path && *baseline_path == '\0'))
        return rn_usage_error("%s needs a file name",
                              save_path && !*save_path ? "--save-baseline" : "--baseline");
    if (baseline_path == NULL && (max_regression || alpha))
        return rn_usage_error("%s judges against a baseline: give --baseline=FILE too",
                              max_regression ? "--max-regression" : "--alpha");
    g->active = save_path != NULL || baseline_path != NULL;
    if (baseline_path != NULL) {
        char err[512];
        rn_baseline_free(&g->old);
        if (rn_baseline_read(&g->old, baseline_path, err, sizeof err) != 0)
            return rn_error_about(baseline_path, "", err, 0);
    }
    if (g->active && rn_facts_of_machine(&g->measured.facts, count) != 0)
        return rn_error("out of memory");
    return 0;
}

/* The binary's name in the baselines: its file name; the n-th binary of a
 * run with a name taken already: NAME#n. NULL when out of memory. */
static const char *unique_name(rn_run_gate *g, const char *arg)
{
    const char *base = rn_binary_name(arg);
    char *name = strdup(base);
    for (size_t k = 0, same = 1; name && k < g->nnames; k++) {
        if (strcmp(g->names[k], name) == 0) {
            free(name);
            if (asprintf(&name, "%s#%zu", base, ++same) < 0)
                name = NULL;
            k = (size_t)-1; /* check the new name against all again */
        }
    }
    char **grown = name ? realloc(g->names, (g->nnames + 1) * sizeof *grown) : NULL;
    if (grown == NULL) {
        free(name);
        return NULL;
    }
    g->names = grown;
    g->names[g->nnames++] = name;
    return name;
}

static int same_test(const rn_metric *a, const rn_metric *b)
{
    return a->test_len == b->test_len && memcmp(a->test, b->test, a->test_len) == 0;
}

/* Every row of one test, as a table. NULL when out of memory. */
static char *table_of_test(const rn_gate *g, const rn_metric *test)
{
    rn_gate mine = *g;
    mine.rows = malloc((g->n ? g->n : 1) * sizeof *mine.rows);
    if (mine.rows == NULL)
        return NULL;
    mine.n = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (same_test(g->rows[i].new_, test))
            mine.rows[mine.n++] = g->rows[i];
    }
    char *table = rn_gate_table(&mine, 1, 0, "");
    free(mine.rows);
    return table;
}

/* Say the gate's verdict on binary `name` through `o`. @return 0, 1 or 2. */
/* "CPU pressure 3%, the baseline's 1%", or "" when either is unknown. */
static void pressure_text(char *out, size_t size, int now, int then)
{
    if (now < 0 || then < 0)
        snprintf(out, size, "%s", "");
    else
        snprintf(out, size, "; CPU pressure %d.%d%%, the baseline's %d.%d%%", now / 10, now % 10,
                 then / 10, then % 10);
}

/* Say the gate's verdict on binary `name` through `o`; `pressure` the
 * binary's CPU pressure (per mille, -1 unknown). On a machine busier than
 * when the baseline was saved, by RN_GATE_BUSY_PERMILLE or more, a
 * regression still fails, with a warning that the machine may be why.
 * (Not judging then was tried: on this shared 2-core machine it let 6 of 20
 * doubled regions pass while it saved no false alarm; bench/gate_honesty.)
 * @return 0, 1 or 2. */
static int judge(rn_run_gate *g, rn_out *o, const rn_baseline *now, const char *name,
                 int pressure)
{
    rn_gate gate;
    if (rn_gate_compare(&gate, &g->old, now, name, g->alpha, g->max_regression_pct) != 0)
        return rn_error("out of memory");
    if (!g->warned_machine) {
        char *warning = rn_gate_machine_warning(&g->old, &g->measured);
        if (warning != NULL) {
            fflush(stdout);
            fprintf(stderr, "ctest-trace: %s\n", warning);
            free(warning);
        }
        g->warned_machine = 1;
    }
    int then = g->old.facts.cpu_pressure;
    int busy = pressure >= 0 && then >= 0 && pressure - then >= RN_GATE_BUSY_PERMILLE;
    char head[1024], load[96];
    pressure_text(load, sizeof load, pressure, then);
    char *shown = rn_escape_name(g->baseline_path, strlen(g->baseline_path));
    size_t tests = 0; /* regressions come first: count their tests */
    for (size_t i = 0; i < gate.regressions; i++) {
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            first = !same_test(gate.rows[k].new_, gate.rows[i].new_);
        tests += first;
    }
    char in_tests[48] = "";
    if (gate.regressions)
        snprintf(in_tests, sizeof in_tests, " in %zu test%s", tests, tests == 1 ? "" : "s");
    snprintf(head, sizeof head, "gate: %zu regression%s%s against %.400s (alpha %g, limit +%g%%%s)%s\n",
             gate.regressions, gate.regressions == 1 ? "" : "s", in_tests,
             shown ? shown : "?", gate.alpha, gate.max_regression_pct, load,
             gate.n == 0 ? ": no metric of this binary is in the baseline" : "");
    free(shown);
    char *table = rn_gate_table(&gate, g->verbose, 0, "    ");
    if (table == NULL) {
        rn_gate_free(&gate);
        return rn_error("out of memory");
    }
    rn_out_gate_table(o, head);
    rn_out_gate_table(o, table);
    free(table);
    char *too_few = rn_gate_too_few_warning(&gate, name);
    if (too_few != NULL) {
        fflush(stdout);
        fprintf(stderr, "ctest-trace: %s\n", too_few);
        free(too_few);
    }
    if (busy && gate.regressions) {
        char note[256];
        snprintf(note, sizeof note, "    the machine was busier than when the baseline was saved: "
                 "the machine, not the code, may be what got slower; run again on a quieter "
                 "machine to tell\n");
        rn_out_gate_table(o, note);
        fflush(stdout);
        fprintf(stderr, "ctest-trace: warning: %s: %zu regression%s on a busier machine than "
                        "the baseline's (CPU pressure %d.%d%%, the baseline's %d.%d%%)\n",
                name, gate.regressions, gate.regressions == 1 ? "" : "s", pressure / 10,
                pressure % 10, then / 10, then % 10);
    }
    /* A test fails once, with each of its regressed metrics on a line. */
    for (size_t i = 0; i < gate.n && i < gate.regressions; i++) {
        const rn_metric *test = gate.rows[i].new_;
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            first = !same_test(gate.rows[k].new_, test);
        if (!first)
            continue;
        char *why = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&why, &len);
        for (size_t k = i; f && k < gate.regressions; k++) {
            if (!same_test(gate.rows[k].new_, test))
                continue;
            char *line = rn_gate_row_text(&gate, &gate.rows[k]);
            fprintf(f, "%s%s", k > i ? "\n" : "", line ? line : "regression");
            free(line);
        }
        if (f == NULL || fclose(f) != 0) {
            free(why);
            why = NULL;
        }
        char *table = table_of_test(&gate, test);
        char *report = NULL; /* for --junit: the lines, then the test's whole table */
        if (why && table && asprintf(&report, "%s\n\n%s", why, table) < 0)
            report = NULL;
        rn_out_gate_failed(o, test->test, test->test_len, why ? why : "regression",
                           report ? report : why ? why : "regression");
        free(report);
        free(table);
        free(why);
    }
    int status = gate.regressions ? 1 : 0;
    rn_gate_free(&gate);
    return status;
}

void rn_run_gate_binary_start(rn_run_gate *g)
{
    if (g->active)
        g->binary_start = rn_pressure_now();
}

int rn_run_gate_binary(rn_run_gate *g, rn_out *o, const char *trace, const char *arg,
                       const int *pids, size_t npids)
{
    if (!g->active || npids == 0)
        return 0;
    const char *name = unique_name(g, arg);
    if (name == NULL)
        return rn_error("out of memory");
    /* The binary's own samples first, to judge them alone; then they join the run's. */
    rn_baseline now;
    rn_baseline_init(&now);
    char err[512];
    if (rn_baseline_gather(&now, trace, pids, npids, name, 1, err, sizeof err) < 0) {
        rn_baseline_free(&now);
        return rn_error_about(trace, "cannot read the trace for the gate: ", err, 0);
    }
    rn_pressure end = rn_pressure_now();
    int pressure = rn_pressure_permille(&g->binary_start, &end);
    if (pressure >= 0) { /* the run's, for --save-baseline */
        g->stalled_us += end.stalled_us - g->binary_start.stalled_us;
        g->run_us += end.at_us - g->binary_start.at_us;
        g->measured.facts.cpu_pressure = (int)(g->stalled_us * 1000 / g->run_us);
    }
    int status = 0;
    if (g->baseline_path != NULL)
        status = judge(g, o, &now, name, pressure);
    if (status != 2 && rn_baseline_merge(&g->measured, &now) != 0)
        status = rn_error("out of memory");
    rn_baseline_free(&now);
    return status;
}

int rn_run_gate_finish(rn_run_gate *g, int status)
{
    if (g->save_path == NULL)
        return 0;
    if (status != 0 && status != RN_EXIT_SKIPPED) {
        /* Its failed, crashed or missing tests would leave holes, and a
         * trace that could not be written leaves binaries out. */
        fflush(stdout);
        char *shown = rn_escape_name(g->save_path, strlen(g->save_path));
        fprintf(stderr, "ctest-trace: %s: not saved: a baseline is taken from a run that "
                        "passed (this one did not; the file is left as it was)\n",
                shown ? shown : "?");
        free(shown);
        return 0;
    }
    if (g->measured.facts.count < 4) { /* min_p(3, 3) = 0.1: never below alpha */
        fflush(stdout);
        fprintf(stderr, "ctest-trace: warning: a baseline of -count %ld cannot judge the tests' "
                        "durations and blocking totals (too few runs a side): save it with "
                        "-count 6 or more (8 is good)\n", g->measured.facts.count);
    }
    char err[512];
    if (rn_baseline_write(&g->measured, g->save_path, err, sizeof err) != 0)
        return rn_error_about(g->save_path, "cannot write the baseline: ", err, 0);
    return 0;
}

void rn_run_gate_free(rn_run_gate *g)
{
    rn_baseline_free(&g->old);
    rn_baseline_free(&g->measured);
    for (size_t i = 0; i < g->nnames; i++)
        free(g->names[i]);
    free(g->names);
    g->names = NULL;
    g->nnames = 0;
}
