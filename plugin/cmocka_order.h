/*
 * cmocka_order.h - go test's -list, -failfast and -shuffle inside the test
 * process: which of a group's tests run, in what order, and when to stop
 * (CTRACE_LIST, CTRACE_FAILFAST, CTRACE_SHUFFLE in ctrace_collect.h).
 * Called on cmocka's thread only.
 */
#ifndef CT_PLUGIN_CMOCKA_ORDER_H
#define CT_PLUGIN_CMOCKA_ORDER_H

#include <stddef.h> /* size_t */

struct CMUnitTest;

/*! ct__cmocka_is_test() : whether cmocka runs entry `t` as a test (a name,
 *  and a function to run). */
int ct__cmocka_is_test(const struct CMUnitTest *t);

/*! ct__list_group() : -list: a list marker for each test of the group whose
 *  name matches CTRACE_LIST, then the group's (empty) plan, so the runner
 *  knows a group ran. Nothing of the group runs. @return 0 (no failure). */
int ct__list_group(const char *group_name, const struct CMUnitTest *tests, size_t count);

/*! ct__failfast_note() : a test or group fixture ended with `status`
 *  (CT__STATUS_*): under -failfast a failure stops the process's tests. */
void ct__failfast_note(int status);

/*! ct__failfast_stopped() : whether no test may start any more (-failfast,
 *  after a failure). */
int ct__failfast_stopped(void);

/*! ct__shuffle_order() : -shuffle: put a group's `n` selected tests (their
 *  indices in `v`) in the seed's order; nothing without -shuffle. */
void ct__shuffle_order(size_t *v, size_t n);

#endif /* CT_PLUGIN_CMOCKA_ORDER_H */
