/*
 * cmocka_group.c - ct_run_group_tests(): each cmocka test case is a task.
 *
 * cmocka runs a copy of the group whose fixtures are our trampolines, so
 * cmocka's own semantics (setjmp per test, leak checks, group state) are kept
 * untouched. cmocka calls a test's setup, body and teardown in array order,
 * so the setup trampoline knows which test starts by counting.
 * How a test ended is learnt from cmocka's exported entry points, which
 * libctrace interposes (it precedes libcmocka in the lookup order):
 * _skip() (skipped), cm_print_error() and vprint_error() (why, with
 * file:line; a signal cmocka caught is a crash).
 */
#include <dlfcn.h>  /* dlsym, RTLD_NEXT */
#include <regex.h>  /* regcomp, regexec */
#include <stdarg.h> /* va_list */
#include <stdint.h> /* SIZE_MAX */
#include <stdio.h>  /* fflush, snprintf */
#include <stdlib.h> /* getenv, calloc */
#include <string.h> /* memcpy */
#include <unistd.h> /* write */

#include <ctrace_cmocka.h>
#include <ctrace_collect.h> /* CT_ENV_*, CT_MARKER_PREFIX */

#include "plugin/api_internal.h"
#include "plugin/clock.h"
#include "plugin/session.h"
#include "plugin/thread.h" /* ct__cur_task */

/* cmocka's own group runner: ours is interposed on it in the shared
 * library (cmocka_real_shared.c), the static library calls it directly
 * (cmocka_real_static.c). */
int ct__real_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                             size_t count, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown);

#define CT_EXPORT __attribute__((visibility("default")))
#define MESSAGE_CAP 2048

struct test_run {
    const struct CMUnitTest *orig;
    int plain;   /* no setup or teardown of its own: no trampolines for them */
    int entered; /* its body was started */
    uint64_t task;
    uint64_t started_ns;
    int finished;
    int pending_status; /* body outcome, decided before teardown runs */
};

/* One group runs at a time, on the thread cmocka runs it on. */
static struct {
    struct test_run *runs;
    size_t count, next;
    struct test_run *current;
    struct test_run *setup_done; /* its setup trampoline returned 0 */
    uint64_t saved_task;
    int body_returned, skipped;
    int crashed; /* cmocka caught a signal in the test */
    char message[MESSAGE_CAP]; /* why the current test failed */
    size_t message_len;
    const char *group_name;
    char group_enc[512]; /* percent-encoded, for markers */
    pid_t pid;
    CMFixtureFunction group_setup, group_teardown;
    struct fixture_run { /* the group fixture running, if any */
        int running;
        uint64_t task, started_ns;
        ct_task *saved;
        char name[512];
    } fixture;
} g;

/* ---- runner markers ------------------------------------------------------ */

/* Percent-encode name into out (see CT_MARKER_PREFIX). */
static size_t encode_name(const char *name, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < cap; p++) {
        if (*p <= 0x20 || *p == '%' || *p >= 0x7f) {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
    return n;
}

/* A test's end marker waits here for the next marker, so that the two go
 * out in one write: a tiny test then costs one write(2), not two. Nothing
 * of the test can print in between (cmocka's own messages flush it first:
 * note_message() and vprint_message()), and the group's end and exit flush
 * it. */
static char pending_end[1800];
static size_t pending_end_len;

static void write_all(const char *line, size_t len)
{
    while (len > 0) {
        ssize_t k = write(1, line, len);
        if (k <= 0)
            return;
        line += k;
        len -= (size_t)k;
    }
}

static void flush_pending_end(void)
{
    if (pending_end_len == 0)
        return;
    size_t n = pending_end_len;
    pending_end_len = 0;
    write_all(pending_end, n);
}

static void write_marker(const char *line, size_t len)
{
    /* In order with what the test printed: flush stdio, then write(2). */
    fflush(stdout);
    fflush(stderr);
    if (pending_end_len && pending_end_len + len <= sizeof pending_end) {
        memcpy(pending_end + pending_end_len, line, len);
        len += pending_end_len;
        pending_end_len = 0;
        write_all(pending_end, len);
        return;
    }
    flush_pending_end();
    write_all(line, len);
}

/* The end marker of a test, held back until the next marker or output. */
static void defer_marker(const char *line, size_t len)
{
    fflush(stdout);
    fflush(stderr);
    flush_pending_end();
    if (len > sizeof pending_end) {
        write_all(line, len);
        return;
    }
    memcpy(pending_end, line, len);
    pending_end_len = len;
}

/* " PID TASK GROUP": where the runner finds the test in the trace. */
static void marker_where(char *out, size_t cap, uint64_t task)
{
    snprintf(out, cap, " %ld %llu %s", (long)g.pid, (unsigned long long)task, g.group_enc);
}

static void marker_run(const char *name, uint64_t task)
{
    if (!ct__markers)
        return;
    char enc[1024], where[600], line[1700];
    encode_name(name, enc, sizeof enc);
    marker_where(where, sizeof where, task);
    int n = snprintf(line, sizeof line, "%s%s run %s%s\n", CT_MARKER_PREFIX, ct__marker_nonce,
                     enc, where);
    write_marker(line, (size_t)n);
}

static const char *status_word(int status)
{
    switch (status) {
    case CT__STATUS_PASS: return "pass";
    case CT__STATUS_SKIP: return "skip";
    case CT__STATUS_ERROR: return "error";
    case CT__STATUS_CRASH: return "crash";
    default: return "fail";
    }
}

static void marker_plan(size_t count)
{
    if (!ct__markers)
        return;
    char line[600];
    int n = snprintf(line, sizeof line, "%s%s plan %zu %s\n", CT_MARKER_PREFIX, ct__marker_nonce,
                     count, g.group_enc);
    write_marker(line, (size_t)n);
}

static void marker_end(const char *name, int status, uint64_t elapsed_ns, uint64_t task)
{
    if (!ct__markers)
        return;
    char enc[1024], where[600], line[1750];
    encode_name(name, enc, sizeof enc);
    marker_where(where, sizeof where, task);
    int n = snprintf(line, sizeof line, "%s%s end %s %llu %s%s\n", CT_MARKER_PREFIX,
                     ct__marker_nonce, status_word(status), (unsigned long long)elapsed_ns, enc,
                     where);
    defer_marker(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

/* ---- test lifecycle ------------------------------------------------------- */

static void finish(struct test_run *r, int status, const char *why)
{
    if (r->finished)
        return;
    r->finished = 1;
    const char *message = why;
    if (!message && status != CT__STATUS_PASS && g.message_len)
        message = g.message;
    ct__task_status(r->task, (unsigned)status, message);
    ct_task_adopt((ct_task *)(uintptr_t)g.saved_task);
    ct__task_end_id(r->task);
    marker_end(r->orig->name, status, ct__mono_ns() - r->started_ns, r->task);
    g.current = NULL;
}

/* How a test that never came back to our trampoline ended: a plain test
 * whose body left by longjmp (a failed assertion, skip(), a signal cmocka
 * caught), or a setup or teardown that did. */
static int abandoned_status(const struct test_run *r)
{
    if (!r->plain)
        return CT__STATUS_ERROR;
    return g.skipped ? CT__STATUS_SKIP : g.crashed ? CT__STATUS_CRASH : CT__STATUS_FAIL;
}

/* Close such a test when the next one starts or the group ends. */
static void finish_abandoned(void)
{
    struct test_run *r = g.current;
    if (r && !r->finished)
        finish(r, abandoned_status(r),
               r->plain ? NULL : r->pending_status ? "teardown failed" : "setup failed");
}

/* The next test begins: its task, current on this thread. */
static struct test_run *begin_next(void)
{
    finish_abandoned();
    if (g.next >= g.count)
        return NULL; /* cannot happen: cmocka runs what we gave it */
    struct test_run *r = &g.runs[g.next++];
    g.current = r;
    g.body_returned = g.skipped = g.crashed = 0;
    g.message_len = 0;
    g.message[0] = '\0';
    r->started_ns = ct__mono_ns();
    r->task = ct__task_begin_kind(ct__cur_task, r->orig->name, CT__TASK_TEST);
    marker_run(r->orig->name, r->task);
    g.saved_task = (uint64_t)(uintptr_t)ct_task_adopt((ct_task *)(uintptr_t)r->task);
    return r;
}

static int tramp_setup(void **state)
{
    struct test_run *r = begin_next();
    if (r == NULL)
        return -1;
    g.setup_done = NULL;
    if (!r->orig->setup_func) {
        g.setup_done = r;
        return 0;
    }
    ct_region setup = ct__region_begin(NULL, "setup");
    int rc = r->orig->setup_func(state);
    ct__region_end(&setup);
    if (rc == 0)
        g.setup_done = r;
    if (rc != 0)
        finish(r, CT__STATUS_ERROR, g.message_len ? g.message : "setup failed");
    return rc;
}

/* A plain test (no setup or teardown of its own) runs without our setup and
 * teardown trampolines: each costs cmocka a round of signal handlers, which
 * would triple the cost of a tiny test. It begins here, and ends here or,
 * left by longjmp, when the next one begins. */
static void tramp_test(void **state)
{
    struct test_run *r = g.current;
    /* The body of the test whose setup trampoline just returned, or else of
     * the next, plain, test (a setup that left by longjmp never returned). */
    if (!(r && r == g.setup_done && !r->entered && !r->finished))
        r = begin_next();
    if (r == NULL)
        return;
    r->entered = 1;
    if (r->orig->test_func)
        r->orig->test_func(state);
    g.body_returned = 1;
    if (r->plain)
        finish(r, CT__STATUS_PASS, NULL);
}

static int tramp_teardown(void **state)
{
    struct test_run *r = g.current;
    if (!r)
        return 0;
    r->pending_status = g.body_returned ? CT__STATUS_PASS
                        : g.skipped     ? CT__STATUS_SKIP
                        : g.crashed     ? CT__STATUS_CRASH
                                        : CT__STATUS_FAIL;
    int rc = 0;
    if (r->orig->teardown_func) {
        ct_region teardown = ct__region_begin(NULL, "teardown");
        rc = r->orig->teardown_func(state);
        ct__region_end(&teardown);
    }
    finish(r, rc != 0 ? CT__STATUS_ERROR : r->pending_status, rc != 0 ? "teardown failed" : NULL);
    return rc;
}

/* Group fixtures are tasks of kind fixture named "<group> setup|teardown".
 * One that fails is reported to the runner like a test that errored. */
static void fixture_finish(int rc)
{
    struct fixture_run *f = &g.fixture;
    ct_task_adopt(f->saved);
    if (rc != 0 && g.message_len == 0)
        snprintf(g.message, sizeof g.message, "%s returned %d", f->name, rc);
    ct__task_status(f->task, rc == 0 ? CT__STATUS_PASS : CT__STATUS_ERROR,
                    rc == 0 ? NULL : g.message);
    ct__task_end_id(f->task);
    if (rc != 0)
        marker_end(f->name, CT__STATUS_ERROR, ct__mono_ns() - f->started_ns, f->task);
    f->running = 0;
}

/* A group fixture that failed through longjmp (fail(), an assert) never
 * came back: close it once cmocka returns. */
static void fixture_finish_abandoned(void)
{
    if (g.fixture.running) {
        if (g.message_len == 0)
            snprintf(g.message, sizeof g.message, "%s failed", g.fixture.name);
        fixture_finish(-1);
    }
}

static int run_fixture(CMFixtureFunction fn, const char *what, void **state)
{
    struct fixture_run *f = &g.fixture;
    snprintf(f->name, sizeof f->name, "%s %s", g.group_name, what);
    f->running = 1;
    f->started_ns = ct__mono_ns();
    f->task = ct__task_begin_kind(ct__cur_task, f->name, CT__TASK_FIXTURE);
    f->saved = ct_task_adopt((ct_task *)(uintptr_t)f->task);
    g.message_len = 0;
    g.message[0] = '\0';
    int rc = fn(state);
    fixture_finish(rc);
    return rc;
}

static int tramp_group_setup(void **state)
{
    return run_fixture(g.group_setup, "setup", state);
}

static int tramp_group_teardown(void **state)
{
    finish_abandoned();
    return run_fixture(g.group_teardown, "teardown", state);
}

/* ---- selection ------------------------------------------------------------ */

typedef struct {
    regex_t run, skip;
    int has_run, has_skip;
} filter;

static void filter_init(filter *f)
{
    const char *run = getenv(CT_ENV_RUN), *skip = getenv(CT_ENV_SKIP);
    f->has_run = run && *run && regcomp(&f->run, run, REG_EXTENDED | REG_NOSUB) == 0;
    f->has_skip = skip && *skip && regcomp(&f->skip, skip, REG_EXTENDED | REG_NOSUB) == 0;
}

static int filter_selects(const filter *f, const char *name)
{
    if (f->has_run && regexec(&f->run, name, 0, NULL, 0) != 0)
        return 0;
    if (f->has_skip && regexec(&f->skip, name, 0, NULL, 0) == 0)
        return 0;
    return 1;
}

static void filter_free(filter *f)
{
    if (f->has_run)
        regfree(&f->run);
    if (f->has_skip)
        regfree(&f->skip);
}

static int is_test(const struct CMUnitTest *t)
{
    return t->name && (t->test_func || t->setup_func || t->teardown_func);
}

CT_EXPORT int ct__run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                                  size_t count, CMFixtureFunction group_setup,
                                  CMFixtureFunction group_teardown)
{
    filter f;
    filter_init(&f);
    if (!ct_is_enabled() && !f.has_run && !f.has_skip) {
        filter_free(&f);
        return ct__real_run_group_tests(group_name, tests, count, group_setup, group_teardown);
    }
    /* Under the runner each selected test runs ct__run_count times (-count),
     * and the first ct__run_resume runs of the process are skipped: they ran
     * in a process that died. */
    size_t repeats = ct__run_count;
    if (count && repeats > SIZE_MAX / count)
        repeats = 1;
    size_t slots = count ? count * repeats : 1;
    struct CMUnitTest *wrapped = calloc(slots, sizeof *wrapped);
    struct test_run *runs = calloc(slots, sizeof *runs);
    if (!wrapped || !runs) {
        free(wrapped);
        free(runs);
        filter_free(&f);
        return ct__real_run_group_tests(group_name, tests, count, group_setup, group_teardown);
    }
    static unsigned long runs_selected; /* in this process, over every group */
    size_t n = 0;
    for (size_t round = 0; round < repeats; round++) {
        for (size_t i = 0; i < count; i++) {
            if (!is_test(&tests[i]) || !filter_selects(&f, tests[i].name))
                continue;
            if (runs_selected++ < ct__run_resume)
                continue;
            runs[n].orig = &tests[i];
            runs[n].plain = !tests[i].setup_func && !tests[i].teardown_func;
            wrapped[n] = tests[i];
            wrapped[n].setup_func = runs[n].plain ? NULL : tramp_setup;
            wrapped[n].test_func = tramp_test;
            wrapped[n].teardown_func = runs[n].plain ? NULL : tramp_teardown;
            n++;
        }
    }
    filter_free(&f);
    int failed = 0;
    if (n > 0) { /* like go test: a group with no selected test does not run */
        memset(&g, 0, sizeof g);
        g.runs = runs;
        g.count = n;
        g.group_name = group_name ? group_name : "group";
        g.group_setup = group_setup;
        g.group_teardown = group_teardown;
        g.pid = getpid(); /* once a group, not a syscall per marker */
        encode_name(g.group_name, g.group_enc, sizeof g.group_enc);
        marker_plan(n);
        failed = ct__real_run_group_tests(group_name, wrapped, n,
                                         group_setup ? tramp_group_setup : NULL,
                                         group_teardown ? tramp_group_teardown : NULL);
        finish_abandoned();
        fixture_finish_abandoned();
        flush_pending_end();
        memset(&g, 0, sizeof g);
    }
    free(wrapped);
    free(runs);
    return failed;
}

/* ---- what cmocka tells us ------------------------------------------------- */

static void *next_symbol(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

/* Keep what cmocka says about the current test, without its decoration
 * ("[  ERROR   ] --- ", "[   LINE   ] --- "), one line each. */
static void note_message(const char *text)
{
    flush_pending_end(); /* the message goes out after the end it follows */
    if (!g.current && !g.runs)
        return;
    static const char *const decorations[] = {"[  ERROR   ] --- ", "[   LINE   ] --- ",
                                              "[  FAILED  ] --- ", "ERROR: "};
    for (size_t i = 0; i < sizeof decorations / sizeof decorations[0]; i++) {
        size_t n = strlen(decorations[i]);
        if (strncmp(text, decorations[i], n) == 0) {
            text += n;
            i = (size_t)-1; /* they can come in a row */
        }
    }
    /* cmocka's signal handler reports a crash this way, then longjmps. */
    if (strncmp(text, "Test failed with exception: ", 28) == 0)
        g.crashed = 1;
    size_t len = strlen(text);
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        len--;
    if (len == 0)
        return;
    if (g.message_len > 0 && g.message_len + 1 < MESSAGE_CAP)
        g.message[g.message_len++] = '\n';
    size_t room = MESSAGE_CAP - 1 - g.message_len;
    if (len > room)
        len = room;
    memcpy(g.message + g.message_len, text, len);
    g.message_len += len;
    g.message[g.message_len] = '\0';
}

CT_EXPORT void _skip(const char *const file, const int line)
{
    g.skipped = 1;
    void (*real)(const char *, int) = (void (*)(const char *, int))next_symbol("_skip");
    if (real)
        real(file, line);
    abort(); /* _skip never returns */
}

/* cm_print_error() prints through vprint_error() unless cmocka collects
 * messages for an XML report: take each message once either way. */
static __thread int in_cm_print_error;

CT_EXPORT void cm_print_error(const char *const format, ...)
{
    char text[MESSAGE_CAP];
    va_list ap;
    va_start(ap, format);
    vsnprintf(text, sizeof text, format, ap);
    va_end(ap);
    note_message(text);
    void (*real)(const char *, ...) = (void (*)(const char *, ...))next_symbol("cm_print_error");
    in_cm_print_error = 1;
    if (real)
        real("%s", text);
    in_cm_print_error = 0;
}

/* cmocka's own framing ("[ RUN      ] name", "[       OK ] name", group
 * headers and summaries): the runner knows all of it from the markers and
 * never shows it. Under the runner it is dropped here: on a pipe made
 * line-buffered it would cost two writes (and the runner two wake-ups) per
 * test, as much as the rest of the tracing of a tiny test. */
static int is_cmocka_framing(const char *text)
{
    static const char *const prefixes[] = {"[ RUN      ] ", "[       OK ] ", "[  SKIPPED ] ",
                                           "[  FAILED  ] ", "[  PASSED  ] ", "[==========] "};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(text, prefixes[i], 13) == 0)
            return 1;
    return 0;
}

CT_EXPORT void vprint_message(const char *const format, va_list args)
{
    /* cmocka's formats start with the framing itself ("[ RUN      ] %s\n"):
     * no need to format what is dropped. */
    if (ct__markers && g.runs && is_cmocka_framing(format))
        return;
    flush_pending_end();
    void (*real)(const char *, va_list) =
        (void (*)(const char *, va_list))next_symbol("vprint_message");
    if (real)
        real(format, args);
}

/* print_error(), which fail_msg() and others use, ends here. */
CT_EXPORT void vprint_error(const char *const format, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    if (!in_cm_print_error) {
        char text[MESSAGE_CAP];
        vsnprintf(text, sizeof text, format, copy);
        note_message(text);
    }
    va_end(copy);
    void (*real)(const char *, va_list) =
        (void (*)(const char *, va_list))next_symbol("vprint_error");
    if (real)
        real(format, args);
}
