/*
 * expect.c - ct_assert_* / ct_expect_* (ctrace_cmocka.h) and when they are
 * judged: now, or when the test body returns.
 *
 * cmocka can fail a test only on the thread it runs the test on (a longjmp).
 * A ct_assert_* that fails on another thread is kept and reported when the
 * body returns, or, if it comes later (a thread still running through the
 * teardown), when the test ends, which then fails. The cmocka hook
 * (plugin/cmocka_group.c) says when a group runs, when a test begins, when
 * its body returns and when it ends (expect.h).
 *
 * The lists are behind a spin lock, taken only inside the tracer (see
 * live_arena.h): a signal handler that asserts while its thread holds it
 * finds the tracer busy and judges nothing.
 */
#include "assertions/expect.h"

#include <pthread.h> /* pthread_self, pthread_equal */
#include <stdio.h>   /* fprintf, snprintf */
#include <stdlib.h>  /* free, realloc */
#include <string.h>  /* strdup, strndup */
#include <sys/syscall.h> /* SYS_gettid */
#include <unistd.h>  /* getpid, syscall */

#include <ctrace_cmocka.h>

#include "assertions/check.h"
#include "assertions/live_arena.h" /* ct__spin_lock */
#include "assertions/rules_eval.h"
#include "format/wire.h"         /* CT_MAX_LOG_BYTES */
#include "plugin/api_internal.h" /* ct__enter */
#include "common/clock.h"        /* ct__ticks */
#include "plugin/sched.h"        /* ct__sched_read_to_now */
#include "plugin/session.h"      /* ct__other_copy_traces */
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

struct list {
    void *v;
    size_t n, cap;
};

static struct {
    int lock;
    int group_running, in_test;
    int body_returned; /* the current test's */
    pthread_t cmocka_thread; /* where cmocka runs the group */
    struct list expect;      /* struct expectation */
    struct list failed;      /* struct failure: ct_assert_* off cmocka's thread */
} g;

static void say_once(int *said, const char *text)
{
    if (__atomic_exchange_n(said, 1, __ATOMIC_RELAXED))
        return;
    uint8_t was = ct__untraced_begin();
    fprintf(stderr, "ctrace: %s\n", text);
    ct__untraced_end(was);
}

/* g.lock, inside the tracer; NULL (and no lock) when that cannot be. */
static ct__thread *lock_g(void)
{
    ct__thread *t = ct__enter();
    if (t)
        ct__spin_lock(&g.lock);
    return t;
}

static void unlock_g(ct__thread *t)
{
    ct__spin_unlock(&g.lock);
    ct__leave(t);
}

/* Room for one more element of `size` in l. @return it, or NULL. */
static void *list_push(struct list *l, size_t size)
{
    if (l->n == l->cap) {
        size_t want = l->cap ? l->cap * 2 : 8;
        void *p = realloc(l->v, want * size);
        if (!p)
            return NULL;
        l->v = p;
        l->cap = want;
    }
    return (char *)l->v + l->n++ * size;
}

/* Take l's elements out (the caller frees them with list_free). */
static struct list list_steal(struct list *l)
{
    struct list out = *l;
    l->v = NULL;
    l->n = l->cap = 0;
    return out;
}

static void expectations_free(struct list *l)
{
    struct expectation *e = l->v;
    for (size_t i = 0; i < l->n; i++) {
        free((char *)e[i].check.name);
        free((char *)e[i].check.text);
    }
    free(l->v);
}

static void failures_free(struct list *l)
{
    struct failure *f = l->v;
    for (size_t i = 0; i < l->n; i++)
        free(f[i].message);
    free(l->v);
}

/* cmocka's own way to fail: the message, then the failure at file:line
 * (a longjmp out of the test; outside a test cmocka exits). */
static void fail_at(const char *message, const char *file, int line)
{
    print_error("%s\n", message);
    _fail(file, line);
}

ct__thread *ct__judge_enter(void)
{
    ct__thread *t = ct__enter();
    if (t)
        ct__sched_read_to_now(t); /* this thread's own waits for a CPU, up to now */
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

static char *copy_or_null(const char *s)
{
    return s ? strndup(s, CT_MAX_LOG_BYTES) : NULL;
}

static void expect_later(ct__check_spec c, const char *file, int line)
{
    static int said_outside, said_late;
    ct__thread *t = lock_g();
    if (!t)
        return;
    int in_test = g.in_test, late = g.body_returned;
    struct expectation *e = in_test && !late ? list_push(&g.expect, sizeof *e) : NULL;
    if (e) {
        c.name = copy_or_null(c.name);
        c.text = copy_or_null(c.text);
        *e = (struct expectation){c, file, line};
    }
    unlock_g(t);
    if (!in_test)
        say_once(&said_outside, "a ct_expect_* outside a test run by ct_run_group_tests "
                                "(or under ctest-trace) is never checked");
    else if (late)
        say_once(&said_late, "a ct_expect_* declared after the test body returned (in its "
                             "teardown, or by a thread still running) is never checked: use "
                             "ct_assert_*");
}

/* A ct_assert_* failed: fail the test now if this is cmocka's thread, else
 * keep it for the test's thread to report. */
static void failed_now(const char *message, const char *file, int line)
{
    ct__thread *t = lock_g();
    if (!t)
        return;
    /* Without a group of ours, cmocka's thread is not known: the process's
     * first thread is the usual one. */
    int on_cmocka = g.group_running ? pthread_equal(pthread_self(), g.cmocka_thread)
                                    : getpid() == (pid_t)syscall(SYS_gettid);
    int kept = 0;
    if (!on_cmocka && g.in_test) {
        struct failure *f = list_push(&g.failed, sizeof *f);
        char *copy = f ? strdup(message) : NULL;
        if (copy) {
            *f = (struct failure){copy, file, line};
            kept = 1;
        } else if (f) {
            g.failed.n--;
        }
    }
    unlock_g(t);
    if (on_cmocka) {
        fail_at(message, file, line);
    } else if (!kept) { /* a thread of a group fixture: nothing cmocka can fail */
        uint8_t was = ct__untraced_begin();
        fprintf(stderr, "ctrace: %s:%d: trace assertion failed outside a test, on a thread "
                        "cmocka does not run: %s\n", file, line, message);
        ct__untraced_end(was);
    }
}

void ct__check(int expect, int what, const char *name, const char *text, double q, uint64_t a,
               uint64_t b, const char *file, int line)
{
    static int said_untraced;
    if (!ct_is_enabled() && ct__other_copy_traces()) {
        /* Under ctest-trace, with a copy of libctrace linked in: the copy
         * preloaded traces, and this one cannot see what it records. No
         * pass: it would be a pass of nothing. */
        static const char why[] =
            "not judged: this binary holds its own copy of libctrace (linked statically), "
            "which does not trace: the preloaded copy does, and what it records is not this "
            "copy's to judge; link the shared library (pkg-config --libs ctrace)";
        if (getpid() == (pid_t)syscall(SYS_gettid))
            fail_at(why, file, line);
        else
            say_once(&said_untraced, why);
        return;
    }
    if (!ct_is_enabled()) {
        say_once(&said_untraced, "trace assertions check nothing without a tracer: run the "
                                 "tests under ctest-trace, or call ct_start()");
        return;
    }
    if (!ct__live_is_armed()) /* reached other than through an import (dlsym) */
        ct__live_arm(1);
    ct__check_spec c = {what, name, text, q, a, b};
    char msg[CT_CHECK_MESSAGE];
    if (what == CT__CHECK_REGION_QUANTILE && !(q > 0.0 && q <= 1.0)) {
        ct__check_run(&c, 1, msg, sizeof msg); /* says what is wrong with q */
        failed_now(msg, file, line);
        return;
    }
    if (expect)
        expect_later(c, file, line);
    else if (judge(&c, 1, msg, sizeof msg))
        failed_now(msg, file, line);
}

void ct__expect_group_begin(void)
{
    ct__thread *t = lock_g();
    if (!t)
        return;
    g.group_running = 1;
    g.cmocka_thread = pthread_self();
    unlock_g(t);
}

void ct__expect_group_end(void)
{
    ct__thread *t = lock_g();
    if (!t)
        return;
    g.group_running = 0;
    unlock_g(t);
}

void ct__expect_test_begin(void)
{
    ct__live_test_begin(ct__ticks());
    ct__thread *t = lock_g();
    if (!t)
        return;
    struct list expect = list_steal(&g.expect), failed = list_steal(&g.failed);
    g.in_test = 1;
    g.body_returned = 0;
    unlock_g(t);
    expectations_free(&expect);
    failures_free(&failed);
}

/* Say a failure judged at body return, with its place (cmocka's own line
 * names the first one's). */
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
    ct__thread *t = lock_g();
    if (!t)
        return;
    struct list expect = list_steal(&g.expect), failed = list_steal(&g.failed);
    g.body_returned = 1;
    unlock_g(t);
    const char *first_file = NULL;
    int first_line = 0, failures = 0;
    char msg[CT_CHECK_MESSAGE];
    struct failure *f = failed.v;
    for (size_t i = 0; i < failed.n; i++)
        say_failure(&failures, &first_file, &first_line, f[i].file, f[i].line, f[i].message,
                    " (on another thread)");
    struct expectation *e = expect.v;
    for (size_t i = 0; i < expect.n; i++)
        if (judge(&e[i].check, 0, msg, sizeof msg))
            say_failure(&failures, &first_file, &first_line, e[i].file, e[i].line, msg, "");
    /* Copies of the places: the lists go before the longjmp. */
    char file[512] = "";
    if (first_file)
        snprintf(file, sizeof file, "%s", first_file);
    expectations_free(&expect);
    failures_free(&failed);
    int first_rule = 0;
    if (ct__rules_judge(test_name, &first_rule) > 0 && failures++ == 0) {
        snprintf(file, sizeof file, "--assert"); /* cmocka's line names the rule: "--assert:2" */
        first_line = first_rule;
    }
    if (failures)
        _fail(file, first_line);
}

size_t ct__expect_test_end(char *late, size_t cap)
{
    if (cap)
        late[0] = '\0';
    ct__thread *t = lock_g();
    if (!t)
        return 0;
    struct list expect = list_steal(&g.expect), failed = list_steal(&g.failed);
    int body_returned = g.body_returned;
    g.in_test = 0;
    unlock_g(t);
    struct failure *f = failed.v;
    for (size_t i = 0; i < failed.n; i++)
        ct__msg_append(late, cap, "%s%s:%d: %s (on another thread%s)", i ? "\n" : "", f[i].file,
                       f[i].line, f[i].message, body_returned ? ", after the test body" : "");
    size_t n = failed.n;
    expectations_free(&expect);
    failures_free(&failed);
    return n;
}
