/*
 * cmocka_group.h - a group's tests as tasks (cmocka_group.c), for the two
 * ways cmocka runs tests: its group runner (cmocka_run_group_tests(), in
 * cmocka_group.c) and its older run_tests() (cmocka_old.c). One group runs
 * at a time, on the thread cmocka runs it on; what cmocka prints about a
 * test (its messages, a signal it caught, a skip) is noted for the test
 * running, whichever runner drives it.
 */
#ifndef CT_PLUGIN_CMOCKA_GROUP_H
#define CT_PLUGIN_CMOCKA_GROUP_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* One selected run of a test. */
struct test_run {
    const struct CMUnitTest *orig; /* its name and body */
    unsigned long ordinal; /* which selected run of the process (CTRACE_RESUME) */
    int plain;   /* no setup or teardown of its own: no trampolines for them */
    int entered; /* its body was started */
    int setup_failed, teardown_started, teardown_rc;
    uint64_t task;
    uint64_t started_ticks; /* the tracer's clock (ct__ticks), of kind started_clock */
    uint32_t started_clock;
    int finished;
};

/* A group of `n` runs begins: the runner is told (a plan of them). `legacy`:
 * cmocka's run_tests(), whose tests end when ct__cmocka_test_end() says,
 * not at cmocka's verdict line (their teardown comes after it). */
void ct__cmocka_group_open(const char *name, struct test_run *runs, size_t n, int legacy);

/* The group is over: a test or fixture left open ends as judged.
 * @return how many tests cmocka passed that a late trace assertion failed. */
int ct__cmocka_group_close(void);

/* The next run begins, its task current on this thread (one left open ends
 * first, as judged). @return it, or NULL past the last. */
struct test_run *ct__cmocka_test_begin(void);

/* The running test's body: runs it, then the trace expectations declared
 * in it (which may fail it, by longjmp). */
void ct__cmocka_test_body(void **state);

/* The running test ends with `status` (CT__STATUS_*) and what cmocka said
 * about it, or `why` (may be NULL) when cmocka said nothing. */
void ct__cmocka_test_end(int status, const char *why);

/* Whether cmocka caught a signal in the running test (in its body or a
 * fixture). */
int ct__cmocka_test_crashed(void);

/* Run a group fixture `fn` as a task of kind fixture named "GROUP what". */
/*! ct__cmocka_cannot_select() : no memory to select a group's tests (or
 *  -count too large to count): said on stderr, and none of them runs, since
 *  running them all would ignore -run, -skip, --shard and a resume.
 *  @return the group's failures for cmocka's caller: all of its entries. */
int ct__cmocka_cannot_select(const char *group, size_t count, size_t repeats);

int ct__cmocka_fixture_run(CMFixtureFunction fn, const char *what, void **state);

#endif /* CT_PLUGIN_CMOCKA_GROUP_H */
