/*
 * expect.c - ct_assert_* / ct_expect_* (ctrace_cmocka.h) and when they are
 * judged: now, when the test body returns, or (for a ct_assert_* on another
 * thread, where cmocka's longjmp cannot go) when the test body returns too.
 *
 * The cmocka hook (plugin/cmocka_group.c) says when a test begins, when its
 * body returns and when it ends (expect.h).
 */
#include "assertions/expect.h"

#include <pthread.h> /* pthread_self, pthread_equal */
#include <stdio.h>   /* fprintf */
#include <stdlib.h>  /* malloc, free, realloc */
#include <string.h>  /* strdup */

#include <ctrace_cmocka.h>

#include "assertions/check.h"
#include "assertions/live_arena.h" /* ct__spin_lock */
#include "assertions/rules_eval.h"
#include "plugin/api_internal.h" /* ct__enter */
#include "plugin/clock.h"        /* ct__ticks */
#include "plugin/sched.h"        /* ct__sched_read_all */
#include "plugin/thread.h"       /* ct__untraced_begin */

struct expectation {
    ct__check_spec check; /* name and text are our copies */
    const char *file;
    int line;
};

struct failure {
    char *message;
    const char *file;
    int line;
};

/* One test runs at a time (cmocka's thread); ct_assert_* may come from any
 * thread, so the lists are behind a lock. */
static struct {
    int lock;
    int in_test;
    pthread_t test_thread;
    struct expectation *expect;
    size_t n_expect, cap_expect;
    struct failure *failed; /* ct_assert_* that failed off the test's thread */
    size_t n_failed, cap_failed;
} g;

static void say_once(int *said, const char *text)
{
    if (__atomic_exchange_n(said, 1, __ATOMIC_RELAXED))
        return;
    uint8_t was = ct__untraced_begin();
    fprintf(stderr, "ctrace: %s\n", text);
    ct__untraced_end(was);
}

static char *copy_or_null(const char *s)
{
    return s ? strndup(s, CT_MAX_LOG_BYTES) : NULL;
}

static void clear_lists(void)
{
    for (size_t i = 0; i < g.n_expect; i++) {
        free((char *)g.expect[i].check.name);
        free((char *)g.expect[i].check.text);
    }
    for (size_t i = 0; i < g.n_failed; i++)
        free(g.failed[i].message);
    g.n_expect = g.n_failed = 0;
}

/* Grow *v (elements of `size`) to hold one more. @return 0, or -1. */
static int room_for_one(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, want * size);
    if (!p)
        return -1;
    *v = p;
    *cap = want;
    return 0;
}

/* cmocka's own way to fail: the message, then the failure at file:line
 * (a longjmp out of the test; outside a test cmocka exits). */
static void fail_at(const char *message, const char *file, int line)
{
    print_error("%s\n", message);
    _fail(file, line);
}

static void keep_failure(const char *message, const char *file, int line)
{
    ct__spin_lock(&g.lock);
    if (room_for_one((void **)&g.failed, &g.cap_failed, g.n_failed, sizeof *g.failed) == 0) {
        char *copy = strdup(message);
        if (copy)
            g.failed[g.n_failed++] = (struct failure){copy, file, line};
    }
    ct__spin_unlock(&g.lock);
}

ct__thread *ct__judge_enter(void)
{
    ct__thread *t = ct__enter();
    if (t)
        ct__sched_read_all(t); /* this thread's own waits for a CPU, up to now */
    return t;
}

/* Judge c now. @return 1 with msg when it fails. */
static int judge(const ct__check_spec *c, int so_far, char *msg, size_t cap)
{
    ct__thread *t = ct__judge_enter();
    if (!t)
        return 0; /* a signal handler inside the tracer: nothing to judge with */
    int rc = ct__check_run(c, so_far, msg, cap);
    ct__leave(t);
    return rc != 0;
}

void ct__check(int expect, int what, const char *name, const char *text, double q, uint64_t a,
               uint64_t b, const char *file, int line)
{
    static int said_untraced, said_outside;
    if (!ct_is_enabled()) {
        say_once(&said_untraced, "trace assertions check nothing without a tracer: run the "
                                 "tests under ctest-trace, or call ct_start()");
        return;
    }
    ct__check_spec c = {what, name, text, q, a, b};
    char msg[CT_CHECK_MESSAGE];
    if (what == CT__CHECK_REGION_QUANTILE && !(q > 0.0 && q <= 1.0)) {
        ct__check_run(&c, 1, msg, sizeof msg); /* says what is wrong with q */
        fail_at(msg, file, line);
        return;
    }
    if (expect) {
        ct__spin_lock(&g.lock);
        int in_test = g.in_test;
        if (in_test && room_for_one((void **)&g.expect, &g.cap_expect, g.n_expect,
                                    sizeof *g.expect) == 0) {
            c.name = copy_or_null(name);
            c.text = copy_or_null(text);
            g.expect[g.n_expect++] = (struct expectation){c, file, line};
        }
        ct__spin_unlock(&g.lock);
        if (!in_test)
            say_once(&said_outside, "a ct_expect_* outside a test run by ct_run_group_tests "
                                    "(or under ctest-trace) is never checked");
        return;
    }
    if (!judge(&c, 1, msg, sizeof msg))
        return;
    ct__spin_lock(&g.lock);
    int elsewhere = g.in_test && !pthread_equal(pthread_self(), g.test_thread);
    ct__spin_unlock(&g.lock);
    if (elsewhere)
        keep_failure(msg, file, line);
    else
        fail_at(msg, file, line);
}

void ct__expect_test_begin(void)
{
    ct__live_test_begin(ct__ticks());
    ct__spin_lock(&g.lock);
    clear_lists();
    g.in_test = 1;
    g.test_thread = pthread_self();
    ct__spin_unlock(&g.lock);
}

/* Say a failure judged at body return: with its place when there are
 * several (cmocka's own line names the first one's). */
static void say_failure(int *failures, const char **first_file, int *first_line,
                        const char *file, int line, const char *message, const char *note)
{
    if ((*failures)++ == 0) {
        *first_file = file;
        *first_line = line;
    }
    print_error("%s:%d: %s%s\n", file, line, message, note);
}

void ct__expect_body_returned(const char *test_name)
{
    if (!ct_is_enabled())
        return;
    const char *first_file = NULL;
    int first_line = 0, failures = 0;
    char msg[CT_CHECK_MESSAGE];
    /* Under the lock: a thread of the test may still add a failure. */
    ct__spin_lock(&g.lock);
    for (size_t i = 0; i < g.n_failed; i++) {
        struct failure *f = &g.failed[i];
        say_failure(&failures, &first_file, &first_line, f->file, f->line, f->message,
                    " (on another thread)");
    }
    for (size_t i = 0; i < g.n_expect; i++) {
        struct expectation *e = &g.expect[i];
        if (judge(&e->check, 0, msg, sizeof msg))
            say_failure(&failures, &first_file, &first_line, e->file, e->line, msg, "");
    }
    ct__spin_unlock(&g.lock);
    int first_rule = 0;
    if (ct__rules_judge(test_name, &first_rule) > 0 && failures++ == 0) {
        first_file = "--assert"; /* cmocka's line names the rule: "--assert:2" */
        first_line = first_rule;
    }
    if (failures)
        _fail(first_file, first_line);
}

void ct__expect_test_end(void)
{
    ct__spin_lock(&g.lock);
    clear_lists();
    g.in_test = 0;
    ct__spin_unlock(&g.lock);
}
