/*
 * cmocka_select.h - which of a group's tests run under the runner: -run and
 * -skip (CTRACE_RUN, CTRACE_SKIP), --shard (CTRACE_SHARD), the runs a process
 * before this one ran (CTRACE_RESUME), and cmocka's own test filters. Shared
 * by cmocka's group runner (cmocka_group.c) and its older run_tests()
 * (cmocka_old.c). Called on cmocka's thread only.
 */
#ifndef CT_PLUGIN_CMOCKA_SELECT_H
#define CT_PLUGIN_CMOCKA_SELECT_H

#include <regex.h> /* regex_t */

typedef struct ct__selection {
    regex_t run, skip;
    int has_run, has_skip;
} ct__selection;

/* Compile -run and -skip. @return 1 when they or --shard leave tests out,
 * else 0 (untraced, cmocka may then run the group untouched). */
int ct__selection_init(ct__selection *s);
void ct__selection_free(ct__selection *s);

/* Whether -run, -skip and --shard select the test named `name`. */
int ct__selection_selects(const ct__selection *s, const char *name);

/* Whether cmocka's own filters (cmocka_set_test_filter(),
 * cmocka_set_skip_filter()) let its group runner run `name`: it drops the
 * tests they reject from what it is given, so they must be dropped first. */
int ct__cmocka_filters_select(const char *name);

/* A selected test is about to be given to cmocka: its ordinal among the
 * selected runs of this process (over every group). @return 1 with
 * *ordinal set when it runs, 0 when a process before this one ran it
 * (CTRACE_RESUME). */
int ct__selection_take(unsigned long *ordinal);

/* The ordinal the next selected run will get (the end of a group's runs). */
unsigned long ct__selection_next_ordinal(void);

#endif /* CT_PLUGIN_CMOCKA_SELECT_H */
