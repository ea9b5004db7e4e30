/*
 * rules_eval.h - --assert rules inside the test process.
 */
#ifndef CT_ASSERTIONS_RULES_EVAL_H
#define CT_ASSERTIONS_RULES_EVAL_H

#include <stddef.h> /* size_t */

/* Take the rules of CTRACE_ASSERT (one per line), at the session's start. */
void ct__rules_load(const char *text);

/* Judge the rules that apply to test `test_name` over the current test,
 * printing each failure the cmocka way (print_error). @return how many
 * failed, with *first_rule the 1-based number of the first. */
int ct__rules_judge(const char *test_name, int *first_rule);

/* How far each rule got so far in this process (the rules marker of
 * <ctrace_collect.h>): a ct_rule_state (assertions/rules.h) a line of
 * CTRACE_ASSERT, in order, written to out (not NUL-terminated) when cap
 * holds them all. @return how many lines CTRACE_ASSERT had (0: no rules). */
size_t ct__rules_report(char *out, size_t cap);

/* 1 if a rule got further since this last returned 1 (or since the rules
 * were taken): time to tell the runner. */
int ct__rules_changed(void);

#endif /* CT_ASSERTIONS_RULES_EVAL_H */
