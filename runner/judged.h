/*
 * judged.h - which --assert rules judged a test over the whole run, and a
 * warning after the run for each that judged none: a rule on a misspelt
 * region ("region(fecth).max<1ms") or a TEST_REGEX that names no test
 * would otherwise pass silently, judging nothing.
 *
 * The test processes say how far each rule got (the rules marker, marker.h);
 * the runner sees which tests ran, and matches TEST_REGEXes against them
 * itself: a rule whose tests ran but failed before their bodies returned
 * was not judged, and is no typo (README: such a test is not judged).
 * Each function takes a NULL rn_judged (no rules) and does nothing.
 */
#ifndef RN_JUDGED_H
#define RN_JUDGED_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */

typedef struct rn_judged rn_judged;

/*! rn_judged_new() : follow the rules of `rules` (one a line, as
 *  rn_asserts_load() hands them down; every line a rule that parses).
 *  @return NULL when there are none or out of memory (then nothing is
 *  followed: the run goes on without the warning). */
rn_judged *rn_judged_new(const char *rules);

/*! rn_judged_test_ran() : a test named `name` (`len` bytes, decoded) began
 *  in some process of the run. */
void rn_judged_test_ran(rn_judged *j, const char *name, size_t len);

/*! rn_judged_states() : a process's rules marker: a ct_rule_state
 *  (assertions/rules.h) a rule; each rule keeps the furthest it got. States
 *  for another number of rules than followed are ignored (not our rules). */
void rn_judged_states(rn_judged *j, const char *states, size_t len);

/*! rn_judged_warn() : after the run, on `err`, a line for each rule that
 *  judged no test, saying why it could not:
 *      ctest-trace: warning: --assert "RULE" judged no test: no selected test
 *      finished a region "NAME"      (or: a task "NAME")
 *      ctest-trace: warning: --assert "RULE" judged no test: no test that ran
 *      matches "TEST_REGEX"
 *  (each on one line), rule and names escaped. Nothing when no test ran.
 *  @return how many lines. */
size_t rn_judged_warn(const rn_judged *j, FILE *err);

void rn_judged_free(rn_judged *j);

#endif /* RN_JUDGED_H */
