/*
 * run_gate.h - a run's baselines: --save-baseline keeps what the run
 * measured, --baseline judges each binary against a saved one (gate.h) as
 * soon as its processes ended, so its verdict is part of its output and its
 * status.
 */
#ifndef RN_RUN_GATE_H
#define RN_RUN_GATE_H

#include <stddef.h> /* size_t */

#include "baseline.h"
#include "output.h"
#include "pressure.h"

typedef struct rn_run_gate {
    int active;                /* --save-baseline or --baseline */
    const char *save_path;     /* --save-baseline, or NULL */
    const char *baseline_path; /* --baseline, or NULL */
    double alpha, max_regression_pct;
    int verbose;               /* -v: every row of the table */
    rn_baseline old;           /* --baseline's */
    rn_baseline measured;      /* this run's */
    char **names;              /* the binaries' names so far (unique) */
    size_t nnames;
    int warned_machine;
    rn_pressure binary_start;  /* when the binary running now started */
    uint64_t stalled_us, run_us; /* the run's CPU pressure so far */
} rn_run_gate;

/*! rn_run_gate_init() : from the flags' values (NULL: not given).
 *  @return 0, or 2 with a message printed (a bad value, a baseline that
 *  cannot be read). */
int rn_run_gate_init(rn_run_gate *g, const char *save_path, const char *baseline_path,
                     const char *max_regression, const char *alpha, long count, int verbose);

/*! rn_run_gate_binary_start() : a binary starts: its CPU pressure is
 *  measured from now. */
void rn_run_gate_binary_start(rn_run_gate *g);

/*! rn_run_gate_binary() : binary `arg` ran as processes pids[0..npids) into
 *  `trace` (still being written): take in its samples and, with --baseline,
 *  judge them, printing through `o` before its last lines.
 *  @return 0, 1 a regression (the binary fails), or 2 (message printed). */
int rn_run_gate_binary(rn_run_gate *g, rn_out *o, const char *trace, const char *arg,
                       const int *pids, size_t npids);

/*! rn_run_gate_finish() : write --save-baseline, if the run's `status` so
 *  far is 0 (or 77): a run that failed leaves it as it was, saying so.
 *  @return 0, or 2 (message printed). */
int rn_run_gate_finish(rn_run_gate *g, int status);

void rn_run_gate_free(rn_run_gate *g);

#endif /* RN_RUN_GATE_H */
