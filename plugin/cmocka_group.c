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
 * file:line; a signal cmocka caught is a crash), and cmocka's verdict lines
 * in each of its output formats (CMOCKA_MESSAGE_OUTPUT). The lifecycle here
 * also serves cmocka's older run_tests() (cmocka_group.h, cmocka_old.c).
 */
#include <dlfcn.h>  /* dlsym, RTLD_NEXT */
#include <limits.h> /* INT_MAX */
#include <stdarg.h> /* va_list */
#include <stdint.h> /* SIZE_MAX */
#include <stdio.h>  /* fflush, snprintf */
#include <stdlib.h> /* getenv, calloc, malloc */
#include <string.h> /* memcpy */
#include <strings.h> /* strcasecmp */

#include <ctrace_cmocka.h>

#include "assertions/expect.h"
#include "assertions/live.h" /* ct__live_test_begin */
#include "plugin/children.h"   /* ct__proc_slot */
#include "plugin/api_internal.h"
#include "common/clock.h"
#include "plugin/cmocka_group.h"
#include "plugin/cmocka_markers.h"
#include "plugin/cmocka_order.h" /* -list, -failfast, -shuffle */
#include "plugin/cmocka_real.h"
#include "plugin/cmocka_select.h"
#include "plugin/interpose.h" /* CT_REAL */
#include "plugin/session.h"
#include "plugin/thread.h" /* ct__cur_task, ct__untraced_begin */
#include "plugin/cpu_sample.h"  /* ct__cpu_check */
#include "plugin/test_program.h" /* ct__program_calls_checks */
#include "plugin/thread_dump.h" /* ct__thread_dump_check */

#define CT_EXPORT __attribute__((visibility("default")))
#define MESSAGE_CAP 2048

/* One group runs at a time, on the thread cmocka runs it on. */
static struct {
    struct test_run *runs;
    size_t count, next;
    struct test_run *current;
    struct test_run *setup_done; /* its setup trampoline returned 0 */
    uint64_t saved_task;
    int legacy; /* cmocka's run_tests(): its tests end when cmocka_old.c says */
    int body_returned, skipped;
    int noted_after_body; /* cmocka said something once the body returned */
    int late_failed; /* tests cmocka passed that a late trace assertion failed */
    int crashed; /* cmocka caught a signal in the test or group fixture */
    char message[MESSAGE_CAP]; /* why the current test failed */
    size_t message_len;
    const char *group_name;
    CMFixtureFunction group_setup, group_teardown;
    struct fixture_run { /* the group fixture running, if any */
        int running;
        uint64_t task, started_ns;
        ct_task *saved;
        char name[512];
        int verdict_held; /* it failed: its end, held until cmocka said so */
        int verdict_status;
        uint64_t verdict_elapsed_ns;
    } fixture;
} g;

/* ---- test lifecycle ------------------------------------------------------- */

/* A test or fixture task to end: none in a forked child that runs on in its
 * parent's group (the task is its parent's, which ends it). */
static uint64_t ours(uint64_t task)
{
    return ct__proc_slot ? 0 : task;
}

/* A test's time for its end marker, on the tracer's clock: from its task's
 * begin to its end, the ticks of those events (no clock read: one costs
 * this VM half a clock_gettime, and a tiny test would read two), or the
 * clock's where no event was written. 0 if the clock changed under it (a
 * session began inside the test). */
static void stopwatch_start(struct test_run *r, uint64_t begin_ticks)
{
    r->started_clock = __atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED);
    r->started_ticks = r->task ? begin_ticks : ct__ticks();
}

static uint64_t stopwatch_ns(const struct test_run *r, uint64_t end_ticks)
{
    uint64_t now = end_ticks ? end_ticks : ct__ticks();
    if (__atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED) != r->started_clock)
        return 0;
    return ct__live_ticks_to_ns(now > r->started_ticks ? now - r->started_ticks : 0);
}

static void finish(struct test_run *r, int status, const char *why)
{
    if (r->finished)
        return;
    r->finished = 1;
    char late[MESSAGE_CAP];
    if (ct__expect_test_end(late, sizeof late) > 0) {
        /* A thread's assertion failed when cmocka could no longer fail the
         * test: it fails here, with the message noted like cmocka's. */
        print_error("%s\n", late);
        if (status == CT__STATUS_PASS || status == CT__STATUS_SKIP) {
            status = CT__STATUS_FAIL;
            g.late_failed++;
        }
    }
    const char *message = why;
    if (!message && status != CT__STATUS_PASS && g.message_len)
        message = g.message;
    uint64_t lost = ct__window_lost_note(ours(r->task));
    ct__task_status(ours(r->task), (unsigned)status, message);
    ct_task_adopt((ct_task *)(uintptr_t)g.saved_task);
    uint64_t elapsed_ns = stopwatch_ns(r, ct__task_end_id(ours(r->task)));
    ct__marker_lost(lost); /* before the end marker: the runner gives it to the test ending */
    ct__marker_end(r->orig->name, status, elapsed_ns, r->task);
    ct__marker_rules();
    g.current = NULL;
    ct__failfast_note(status);
}

/* How the current test ended, judged from what our trampolines saw: used
 * when cmocka's own verdict line was not seen (another output format), and
 * to word an error. */
static int judged_status(const struct test_run *r, const char **why)
{
    *why = NULL;
    /* A signal cmocka caught is a crash wherever it came, in the body or a
     * fixture (then why says which). */
    int broken = g.crashed ? CT__STATUS_CRASH : CT__STATUS_ERROR;
    if (r->setup_failed || (!r->plain && !r->entered && !r->teardown_started)) {
        *why = "setup failed";
        return broken;
    }
    if (r->teardown_started && r->teardown_rc != 0) { /* or it left by longjmp */
        *why = "teardown failed";
        return broken;
    }
    if (g.skipped)
        return CT__STATUS_SKIP;
    if (g.crashed)
        return CT__STATUS_CRASH;
    /* cmocka said something after the body returned: its leak or mock
     * checks failed the test. */
    return g.body_returned && !g.noted_after_body ? CT__STATUS_PASS : CT__STATUS_FAIL;
}

/* A test cmocka gave no verdict for (or we missed it): close it when the
 * next one starts or the group ends. */
static void finish_abandoned(void)
{
    struct test_run *r = g.current;
    if (r && !r->finished) {
        const char *why;
        int status = judged_status(r, &why);
        finish(r, status, g.message_len ? NULL : why);
    }
}

/* cmocka's verdict lines in each of its output formats
 * (CMOCKA_MESSAGE_OUTPUT): standard, TAP (numbered) and subunit. XML says
 * nothing until the group's end. */
static const struct verdict_format {
    const char *format;
    int status;
    int numbered; /* a test number comes before the name */
} verdict_formats[] = {
    {"[       OK ] %s\n", CT__STATUS_PASS, 0},  {"[  FAILED  ] %s\n", CT__STATUS_FAIL, 0},
    {"[  SKIPPED ] %s\n", CT__STATUS_SKIP, 0},  {"[  ERROR   ] %s\n", CT__STATUS_ERROR, 0},
    {"ok %u - %s\n", CT__STATUS_PASS, 1},       {"not ok %u - %s\n", CT__STATUS_FAIL, 1},
    {"not ok %u # SKIP %s\n", CT__STATUS_SKIP, 1}, {"not ok %u - %s %s\n", CT__STATUS_ERROR, 1},
    {"success: %s\n", CT__STATUS_PASS, 0},      {"failure: %s", CT__STATUS_FAIL, 0},
    {"skip: %s\n", CT__STATUS_SKIP, 0},         {"error: %s [ %s ]\n", CT__STATUS_ERROR, 0},
};

/* If `format` is one of cmocka's verdict lines: its status, and in *name
 * the test (or group) it is about. Else -1. */
static int verdict_of(const char *format, va_list args, const char **name)
{
    if (!format[0] || !strchr("[onsfe", format[0])) /* how verdict_formats begin */
        return -1;
    for (size_t i = 0; i < sizeof verdict_formats / sizeof verdict_formats[0]; i++) {
        if (strcmp(format, verdict_formats[i].format) != 0)
            continue;
        va_list copy;
        va_copy(copy, args);
        if (verdict_formats[i].numbered)
            (void)va_arg(copy, unsigned);
        *name = va_arg(copy, const char *);
        va_end(copy);
        return *name ? verdict_formats[i].status : -1;
    }
    return -1;
}

/* What TAP and subunit print of a failure after its verdict line ("# why",
 * " [ why ]"): it stays with the test, before its end marker. */
static int is_verdict_continuation(const char *format)
{
    return strcmp(format, "# %s\n") == 0 || strcmp(format, " [\n%s\n]\n") == 0;
}

/* cmocka's verdict on a test, the line it prints when the test is over
 * (after its teardown and its checks for leaks and unused mocks, which can
 * still fail a test whose body returned): the test ends there, with that
 * status, and what cmocka said about it before. Not under run_tests(),
 * which prints it before the test's teardown (cmocka_old.c ends its tests). */
static int cmocka_verdict(const char *format, va_list args)
{
    struct test_run *r = g.current;
    const char *name;
    if (g.legacy || !r || r->finished)
        return 0;
    int status = verdict_of(format, args, &name);
    if (status < 0 || strcmp(name, r->orig->name) != 0)
        return 0; /* not a verdict, or a summary line naming an earlier test */
    if ((status == CT__STATUS_FAIL || status == CT__STATUS_ERROR) && g.crashed)
        status = CT__STATUS_CRASH; /* a signal cmocka caught, in the body or a fixture */
    const char *why;
    judged_status(r, &why);
    finish(r, status, status == CT__STATUS_ERROR && !g.message_len ? why : NULL);
    return 1;
}

static void fixture_finish_abandoned(void);
static void fixture_verdict_flush(void);

/* A module loaded since the last look (dlopen: before the group, or in a
 * group fixture) may call trace assertions: keep their numbers before the
 * next window begins. Asked while none are kept, as a group or a group
 * fixture begins or ends: not at each test, where asking the loader would
 * cost a test 100 ns or more. A module loaded by a test is seen at the
 * next of those; an assertion in it before then is not judged (check.c). */
static void arm_if_asserting(void)
{
    if (!ct__live_is_armed() && ct__program_calls_checks())
        ct__live_arm(1);
}

/* The next test begins: its task, current on this thread. */
static struct test_run *begin_next(void)
{
    finish_abandoned();
    fixture_finish_abandoned(); /* run_group_tests() goes on after its setup failed */
    fixture_verdict_flush();
    if (ct__failfast_stopped())
        return NULL; /* -failfast: cmocka calls the rest of the group, which do nothing */
    if (g.next >= g.count)
        return NULL; /* cannot happen: cmocka runs what we gave it */
    struct test_run *r = &g.runs[g.next++];
    g.current = r;
    g.body_returned = g.skipped = g.crashed = g.noted_after_body = 0;
    g.message_len = 0;
    g.message[0] = '\0';
    /* Looked at once a millisecond at most: the coarse clock will do. */
    uint64_t now_ns = ct__mono_coarse_ns();
    ct__thread_dump_check(now_ns); /* the program may have taken the stack signal since */
    ct__cpu_check(now_ns);         /* or SIGPROF */
    if (ct__thread_unstick()) {
        static int said;
        if (!said++)
            fprintf(stderr, "ctrace: a crash inside the tracer left it interrupted on this "
                            "thread; recording again from the next test\n");
    }
    ct__expect_test_begin();
    uint64_t begin_ticks = 0;
    r->task = ct__task_begin_kind(ct__cur_task, r->orig->name, CT__TASK_TEST, &begin_ticks);
    stopwatch_start(r, begin_ticks);
    ct__marker_run(r->orig->name, r->task, r->ordinal);
    g.saved_task = (uint64_t)(uintptr_t)ct_task_adopt((ct_task *)(uintptr_t)r->task);
    return r;
}

static int tramp_setup(void **state)
{
    struct test_run *r = begin_next();
    if (r == NULL)
        return ct__failfast_stopped() ? 0 : -1;
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
    else
        r->setup_failed = 1; /* cmocka says ERROR next */
    return rc;
}

/* A plain test (no setup or teardown of its own) runs without our setup and
 * teardown trampolines: each costs cmocka a round of signal handlers, which
 * would triple the cost of a tiny test. It begins here; like every test it
 * ends at cmocka's verdict. */
static void tramp_test(void **state)
{
    struct test_run *r = g.current;
    /* The body of the test whose setup trampoline just returned, or else of
     * the next, plain, test (a setup that left by longjmp never returned). */
    if (!(r && r == g.setup_done && !r->entered && !r->finished))
        r = begin_next();
    if (r != NULL)
        ct__cmocka_test_body(state);
    else if (ct__failfast_stopped())
        skip(); /* -failfast: cmocka's own report (its XML, TAP) says not run, not passed */
}

void ct__cmocka_test_body(void **state)
{
    struct test_run *r = g.current;
    r->entered = 1;
    if (r->orig->test_func)
        r->orig->test_func(state);
    ct__expect_body_returned(r->orig->name); /* may fail the test: a longjmp */
    g.body_returned = 1;
}

static int tramp_teardown(void **state)
{
    struct test_run *r = g.current;
    if (!r)
        return 0;
    r->teardown_started = 1;
    r->teardown_rc = 1; /* until it returns 0 */
    int rc = 0;
    if (r->orig->teardown_func) {
        ct_region teardown = ct__region_begin(NULL, "teardown");
        rc = r->orig->teardown_func(state);
        ct__region_end(&teardown);
    }
    r->teardown_rc = rc == 0 ? 0 : 1;
    return rc;
}

/* Group fixtures are tasks of kind fixture named "<group> setup|teardown".
 * One that fails is reported to the runner like a test that errored (or
 * crashed: a signal cmocka caught), once cmocka has said why: its markers
 * wait for cmocka's own error line about the group, or what comes next. */
static void fixture_finish(int rc)
{
    struct fixture_run *f = &g.fixture;
    ct_task_adopt(f->saved);
    if (rc != 0 && g.message_len == 0)
        snprintf(g.message, sizeof g.message, "%s returned %d", f->name, rc);
    ct__window_lost_note(ours(f->task));
    int status = rc == 0 ? CT__STATUS_PASS : g.crashed ? CT__STATUS_CRASH : CT__STATUS_ERROR;
    ct__task_status(ours(f->task), (unsigned)status, rc == 0 ? NULL : g.message);
    ct__task_end_id(ours(f->task));
    f->running = 0;
    f->verdict_held = rc != 0;
    f->verdict_status = status;
    f->verdict_elapsed_ns = ct__mono_ns() - f->started_ns;
    if (!f->verdict_held)
        ct__marker_fixture(0, f->name);
    ct__failfast_note(status);
}

/* The failed fixture's end, for the runner (fixture_finish()). */
static void fixture_verdict_flush(void)
{
    struct fixture_run *f = &g.fixture;
    if (!f->verdict_held)
        return;
    f->verdict_held = 0;
    ct__marker_end(f->name, f->verdict_status, f->verdict_elapsed_ns, f->task);
    ct__marker_fixture(0, f->name);
}

/* cmocka's line saying the group's fixture failed ("[  ERROR   ] GROUP",
 * its TAP and subunit forms). */
static int is_group_verdict(const char *format, va_list args)
{
    const char *name;
    return g.fixture.verdict_held && verdict_of(format, args, &name) == CT__STATUS_ERROR &&
           strcmp(name, g.group_name) == 0;
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

int ct__cmocka_cannot_select(const char *group, size_t count, size_t repeats)
{
    fprintf(stderr, "ctrace: out of memory selecting the %zu tests of group %s (-count %zu): "
                    "none of them is run\n", count, group ? group : "group", repeats);
    return count > INT_MAX ? INT_MAX : (int)count;
}

int ct__cmocka_fixture_run(CMFixtureFunction fn, const char *what, void **state)
{
    fixture_finish_abandoned(); /* a group setup that left by longjmp */
    fixture_verdict_flush();
    ct__markers_flush(); /* before the fixture prints anything */
    struct fixture_run *f = &g.fixture;
    snprintf(f->name, sizeof f->name, "%s %s", g.group_name, what);
    f->running = 1;
    ct__marker_fixture(1, f->name);
    f->started_ns = ct__mono_ns();
    arm_if_asserting();
    ct__live_test_begin(ct__ticks()); /* a window of its own for trace assertions */
    f->task = ct__task_begin_kind(ct__cur_task, f->name, CT__TASK_FIXTURE, NULL);
    f->saved = ct_task_adopt((ct_task *)(uintptr_t)f->task);
    g.message_len = 0;
    g.message[0] = '\0';
    g.crashed = 0;
    int rc = fn(state);
    fixture_finish(rc);
    arm_if_asserting(); /* a group setup that loaded a module */
    return rc;
}

static int tramp_group_setup(void **state)
{
    return ct__cmocka_fixture_run(g.group_setup, "setup", state);
}

/* Also the end of the group's last test, when cmocka's XML output says no
 * verdict: ours runs then even for a group without a teardown (so cmocka
 * checks for blocks the group's setup left allocated there, not after). */
static int tramp_group_teardown(void **state)
{
    finish_abandoned();
    if (!g.group_teardown) {
        fixture_verdict_flush();
        ct__markers_flush(); /* before cmocka writes its XML report */
        return 0;
    }
    return ct__cmocka_fixture_run(g.group_teardown, "teardown", state);
}

/* ---- running a group ------------------------------------------------------ */

void ct__cmocka_group_open(const char *name, struct test_run *runs, size_t n, int legacy)
{
    memset(&g, 0, sizeof g);
    g.runs = runs;
    g.count = n;
    g.legacy = legacy;
    g.group_name = name;
    ct__markers_group(name); /* once a group, not a syscall per marker */
    ct__marker_plan(n, ct__selection_next_ordinal());
    ct__expect_group_begin();
    arm_if_asserting(); /* a group of a module loaded since */
}

int ct__cmocka_group_close(void)
{
    finish_abandoned();
    fixture_finish_abandoned();
    fixture_verdict_flush();
    ct__markers_flush();
    ct__expect_group_end();
    int late_failed = g.late_failed;
    memset(&g, 0, sizeof g);
    return late_failed;
}

struct test_run *ct__cmocka_test_begin(void)
{
    return begin_next();
}

void ct__cmocka_test_end(int status, const char *why)
{
    if (g.current && !g.current->finished)
        finish(g.current, status, g.message_len ? NULL : why);
}

int ct__cmocka_test_crashed(void)
{
    return g.crashed;
}

/* cmocka's output format: CMOCKA_MESSAGE_OUTPUT, as cmocka reads it (each
 * time it prints), else what the program set. */
static int cmocka_output_set = CM_OUTPUT_STDOUT;

CT_EXPORT void cmocka_set_message_output(enum cm_message_output output)
{
    cmocka_output_set = (int)output;
    void (*real)(enum cm_message_output) =
        (void (*)(enum cm_message_output))dlsym(RTLD_NEXT, "cmocka_set_message_output");
    if (real)
        real(output);
}

static int cmocka_output_is_xml(void)
{
    const char *env = getenv("CMOCKA_MESSAGE_OUTPUT");
    static const char *const known[] = {"STDOUT", "SUBUNIT", "TAP", "XML"};
    for (size_t i = 0; env && i < sizeof known / sizeof known[0]; i++)
        if (strcasecmp(env, known[i]) == 0)
            return i == 3;
    return cmocka_output_set == CM_OUTPUT_XML;
}

CT_EXPORT int ct__run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                                  size_t count, CMFixtureFunction group_setup,
                                  CMFixtureFunction group_teardown)
{
    ct__session_attach_late(); /* its suites came with dlopen */
    if (ct__run_list != NULL) /* -list: name the tests, run nothing */
        return ct__list_group(group_name, tests, count);
    if (ct__failfast_stopped()) /* -failfast: not after a failure, not even its setup */
        return 0;
    ct__selection sel;
    int selective = ct__selection_init(&sel);
    /* A cmocka binary that a test runs is a process of that test: its own
     * tests run as cmocka runs them, not as tests of the run. */
    if ((!ct_is_enabled() && !selective) || ct__proc_slot) {
        ct__selection_free(&sel);
        return ct__real_run_group_tests(group_name, tests, count, group_setup, group_teardown);
    }
    /* Under the runner each selected test runs ct__run_count times (-count),
     * and the first ct__run_resume runs of the process are skipped: they ran
     * in a process that died. */
    size_t repeats = ct__run_count;
    size_t slots = count ? count * repeats : 1;
    struct CMUnitTest *wrapped = NULL;
    struct test_run *runs = NULL;
    size_t *order = NULL; /* the selected, as they run */
    if (!count || repeats <= SIZE_MAX / sizeof *runs / count) {
        wrapped = calloc(slots, sizeof *wrapped);
        runs = calloc(slots, sizeof *runs);
        order = calloc(count ? count : 1, sizeof *order);
    }
    if (!wrapped || !runs || !order) {
        free(wrapped);
        free(runs);
        free(order);
        ct__selection_free(&sel);
        return ct__cmocka_cannot_select(group_name, count, repeats);
    }
    size_t n = 0, nselected = 0;
    for (size_t i = 0; i < count; i++)
        if (ct__cmocka_is_test(&tests[i]) && ct__cmocka_filters_select(tests[i].name) &&
            ct__selection_selects(&sel, tests[i].name))
            order[nselected++] = i;
    ct__shuffle_order(order, nselected); /* the same order every round, as go test */
    for (size_t round = 0; round < repeats; round++) {
        for (size_t k = 0; k < nselected; k++) {
            size_t i = order[k];
            if (!ct__selection_take(&runs[n].ordinal))
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
    ct__selection_free(&sel);
    int failed = 0;
    if (n > 0) { /* like go test: a group with no selected test does not run */
        ct__cmocka_group_open(group_name ? group_name : "group", runs, n, 0);
        g.group_setup = group_setup;
        g.group_teardown = group_teardown;
        failed = ct__real_run_group_tests(group_name, wrapped, n,
                                         group_setup ? tramp_group_setup : NULL,
                                         group_teardown || cmocka_output_is_xml()
                                             ? tramp_group_teardown
                                             : NULL);
        failed += ct__cmocka_group_close();
    } else if (ct__markers) {
        /* The group ran, with nothing selected: the runner must know that a
         * group ran (else the binary fails as one that ran none). */
        ct__markers_group(group_name ? group_name : "group");
        ct__marker_plan(0, ct__selection_next_ordinal());
        ct__markers_group(NULL);
    }
    free(wrapped);
    free(runs);
    free(order);
    return failed;
}

/* ---- what cmocka tells us ------------------------------------------------- */

/* cmocka's definitions behind ours, each looked up once (a dlsym() costs
 * some 850 instructions, and cmocka prints twice a test). */
CT_REAL(void, _skip, (const char *, int))
CT_REAL(void, cm_print_error, (const char *, ...))
CT_REAL(void, vprint_message, (const char *, va_list))
CT_REAL(void, vprint_error, (const char *, va_list))

/* One line of what cmocka says, without its decoration, kept unless the
 * message holds it already (cmocka repeats a failure's message when it
 * reports the failure). */
static void note_line(const char *text, size_t len)
{
    /* cmocka's framing and summaries ("[  FAILED  ] GROUP SETUP", "[  ERROR   ]
     * name", "[  PASSED  ] 4 test(s)") are not what went wrong. */
    static const char *const framing[] = {"[ RUN      ] ", "[       OK ] ", "[  SKIPPED ] ",
                                          "[  FAILED  ] ", "[  PASSED  ] ", "[==========] "};
    for (size_t i = 0; i < sizeof framing / sizeof framing[0]; i++)
        if (len >= 13 && strncmp(text, framing[i], 13) == 0)
            return;
    if (len >= 13 && strncmp(text, "[  ERROR   ] ", 13) == 0 &&
        !(len >= 17 && strncmp(text + 13, "--- ", 4) == 0))
        return;
    if (len >= 20 && strncmp(text, "Could not run test: ", 20) == 0) {
        text += 20; /* cmocka repeats the setup's error behind this */
        len -= 20;
    }
    static const char *const decorations[] = {"[  ERROR   ] --- ", "[   LINE   ] --- ",
                                              "[  FAILED  ] --- ", "ERROR: "};
    for (size_t i = 0; i < sizeof decorations / sizeof decorations[0]; i++) {
        size_t n = strlen(decorations[i]);
        if (len >= n && strncmp(text, decorations[i], n) == 0) {
            text += n;
            len -= n;
            i = (size_t)-1; /* they can come in a row */
        }
    }
    /* cmocka's signal handler reports a crash this way, then longjmps. */
    if (len >= 28 && strncmp(text, "Test failed with exception: ", 28) == 0)
        g.crashed = 1;
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\r'))
        len--;
    if (len == 0)
        return;
    for (const char *at = g.message; (at = memmem(at, g.message_len - (size_t)(at - g.message),
                                                   text, len)) != NULL; at++)
        if ((at == g.message || at[-1] == '\n') && (at[len] == '\n' || at[len] == '\0'))
            return;
    if (g.body_returned)
        g.noted_after_body = 1;
    if (g.message_len > 0 && g.message_len + 1 < MESSAGE_CAP)
        g.message[g.message_len++] = '\n';
    size_t room = MESSAGE_CAP - 1 - g.message_len;
    if (len > room)
        len = room;
    memcpy(g.message + g.message_len, text, len);
    g.message_len += len;
    g.message[g.message_len] = '\0';
}

/* Keep what cmocka says about the current test, a line at a time. */
static void note_message(const char *text)
{
    ct__markers_flush(); /* the message goes out after the end it follows */
    if (!g.current && !g.runs)
        return;
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        note_line(text, len);
        text += len + (nl != NULL);
    }
}

CT_EXPORT void _skip(const char *const file, const int line)
{
    g.skipped = 1;
    void (*real)(const char *, int) = get__skip();
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
    void (*real)(const char *, ...) = get_cm_print_error();
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
    static const char prefixes[][14] = {"[ RUN      ] ", "[       OK ] ", "[  SKIPPED ] ",
                                        "[  FAILED  ] ", "[  PASSED  ] ", "[==========] "};
    /* Each is 13 bytes: compared whole once the text is known that long
     * (twice a test: memcmp of a constant size is a few loads). */
    if (text[0] != '[' || strnlen(text, 13) < 13)
        return 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (memcmp(text, prefixes[i], 13) == 0)
            return 1;
    return 0;
}

CT_EXPORT void vprint_message(const char *const format, va_list args)
{
    int verdict = g.runs && cmocka_verdict(format, args);
    /* cmocka's formats start with the framing itself ("[ RUN      ] %s\n"):
     * no need to format what is dropped. */
    if (ct__markers && g.runs && is_cmocka_framing(format))
        return;
    /* The test just ended says its verdict (TAP, subunit) and why before
     * its end marker goes out: they are its output. */
    if (!verdict && !is_verdict_continuation(format))
        ct__markers_flush();
    int group_verdict = g.runs && is_group_verdict(format, args);
    void (*real)(const char *, va_list) = get_vprint_message();
    if (real)
        real(format, args);
    if (group_verdict)
        fixture_verdict_flush();
}

/* print_error(), which fail_msg() and others use, ends here. */
CT_EXPORT void vprint_error(const char *const format, va_list args)
{
    va_list copy;
    va_copy(copy, args);
    if (g.runs && cmocka_verdict(format, copy)) {
        ct__markers_flush(); /* the end, then cmocka's "[  ERROR   ] name" */
    } else if (!in_cm_print_error) {
        char text[MESSAGE_CAP];
        vsnprintf(text, sizeof text, format, copy);
        note_message(text);
    }
    va_end(copy);
    int group_verdict = g.runs && is_group_verdict(format, args);
    void (*real)(const char *, va_list) = get_vprint_error();
    if (real)
        real(format, args);
    if (group_verdict)
        fixture_verdict_flush();
}
