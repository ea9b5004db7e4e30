/*
 * gate.h - judge a run's metrics against a baseline's: the CI latency gate.
 *
 * Each metric both have is compared with the Mann-Whitney U test
 * (assertions/gate_stats.h): a regression is a change significant at alpha
 * whose median grew by more than the limit (--max-regression, in percent),
 * the new samples significantly slower than the old ones made slower by the
 * limit.
 * Too few samples on a side to ever reach alpha give a warning, not a
 * verdict. A test's scheduler wait (sched.total) is shown but never judged:
 * it measures how busy the machine was, not the code.
 *
 * The table reads like benchstat's: each side's median ± the half-width of
 * its 95% confidence interval (in % of the median), the change, p and the
 * sample counts; regressions first.
 */
#ifndef RN_GATE_H
#define RN_GATE_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */

#include "assertions/gate_stats.h" /* ct_gate_result */
#include "baseline.h"

#define RN_GATE_ALPHA 0.05
#define RN_GATE_MAX_REGRESSION 10.0
/* A blocking total (sync, syscall, net) regresses only by growing more than
 * this too: most tests block for 0 ns, and any percentage of 0 is 0. */
#define RN_GATE_BLOCK_FLOOR_NS 10000.0
/* A run whose CPU pressure (pressure.h) exceeds its baseline's by this many
 * per mille (10 points) is on a busier machine: its regressions say so. */
#define RN_GATE_BUSY_PERMILLE 100

typedef struct rn_gate_row {
    const rn_metric *old, *new_;
    ct_gate_result r;
    int judged;   /* a kind the gate judges (not sched.total) */
} rn_gate_row;

typedef struct rn_gate {
    double alpha, max_regression_pct;
    rn_gate_row *rows; /* sorted: regressions first (see gate.c) */
    size_t n;
    size_t regressions;
    size_t too_few;     /* judged metrics with too few samples */
    size_t only_new;    /* metrics the baseline does not have */
    size_t only_old;    /* metrics of the baseline the run does not have */
} rn_gate;

/*! rn_gate_parse_flags() : --max-regression=PCT (10, 10%) and --alpha=P
 *  (0 < P < 1), NULL when not given (the defaults). @return 0, or 2 with a
 *  message printed naming the flag. */
int rn_gate_parse_flags(const char *max_regression, const char *alpha, double *max_pct,
                        double *alpha_out);

/*! rn_gate_compare() : compare `new_` against `old`, the metrics of binary
 *  `binary` only (a name; NULL: all). The rows point into both baselines.
 *  @return 0, or -1 out of memory. */
int rn_gate_compare(rn_gate *g, const rn_baseline *old, const rn_baseline *new_,
                    const char *binary, double alpha, double max_regression_pct);
void rn_gate_free(rn_gate *g);

/*! rn_gate_table() : the table as text (malloc'd, NUL-terminated), each line
 *  starting with `indent`; `all`: every row, else the regressions, the
 *  significant changes and a line counting the rest. `with_binary`: name
 *  tests as BINARY/TEST. NULL when out of memory. */
char *rn_gate_table(const rn_gate *g, int all, int with_binary, const char *indent);

/*! rn_gate_row_text() : one row as a sentence, for under its test:
 *  `region "parse" 1.02ms ± 2% -> 2.05ms ± 3%: +100.98% (p=0.000
 *  n=8000+8000), over the 10% limit`. Malloc'd, or NULL. */
char *rn_gate_row_text(const rn_gate *g, const rn_gate_row *row);

/*! rn_gate_too_few_warning() : when some judged metrics had too few samples
 *  to be judged, a warning line saying how many and what to do (malloc'd),
 *  else NULL. `what`: the binary, or the file compared. */
char *rn_gate_too_few_warning(const rn_gate *g, const char *what);

/*! rn_gate_machine_warning() : when the two baselines come from machines
 *  that differ (architecture, CPU model, CPU count) a warning line saying how
 *  (malloc'd), else NULL. */
char *rn_gate_machine_warning(const rn_baseline *old, const rn_baseline *new_);

#endif /* RN_GATE_H */
