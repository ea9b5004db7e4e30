/*
 * rules_eval.h - --assert rules inside the test process.
 */
#ifndef CT_ASSERTIONS_RULES_EVAL_H
#define CT_ASSERTIONS_RULES_EVAL_H

/* Take the rules of CTRACE_ASSERT (one per line), at the session's start. */
void ct__rules_load(const char *text);

/* Judge the rules that apply to test `test_name` over the current test,
 * printing each failure the cmocka way (print_error). @return how many
 * failed, with *first_rule the 1-based number of the first. */
int ct__rules_judge(const char *test_name, int *first_rule);

#endif /* CT_ASSERTIONS_RULES_EVAL_H */
