/*
 * cmocka_old.c - cmocka's older runners, run_tests() and run_group_tests()
 * (_run_tests(), _run_group_tests()): each test a task with its status, as
 * under its group runner (cmocka_group.h).
 *
 * Their array of UnitTest mixes tests with the setups and teardowns around
 * them: unit_test_setup_teardown() is three entries (SETUP, TEST,
 * TEARDOWN), a setup serves every test up to its teardown, and setups nest.
 * cmocka is given the tests selected (-run, -skip, --shard, -count,
 * CTRACE_RESUME), each with the setups still open around it, and runs them
 * as it would, every entry through _run_test(), which is interposed here:
 * a test's task begins at the first setup before it and ends after the last
 * teardown after it, which are regions `setup` and `teardown` in it. The
 * test's status is cmocka's: _run_test() says whether the entry failed.
 *
 * cmocka's choices hold: a test whose setup failed is an error, and the
 * tests up to the next setup do not run (each an error, saying so); a
 * teardown that fails after its test passed makes it an error; skip() is a
 * failure (these runners count it as one). run_group_tests() ignores
 * per-test setups; its group setup and teardown are fixtures.
 *
 * Shared library only: it takes cmocka's exported runners over.
 */
#include <stdint.h> /* SIZE_MAX */
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* memset */

#include <ctrace_cmocka.h>

#include "plugin/api_internal.h" /* CT__STATUS_* */
#include "plugin/cmocka_group.h"
#include "plugin/cmocka_markers.h"
#include "plugin/cmocka_order.h" /* -list, -failfast, -shuffle */
#include "plugin/cmocka_real.h"
#include "plugin/cmocka_select.h"
#include "plugin/children.h" /* ct__proc_slot */
#include "plugin/session.h" /* ct__run_count, ct__markers */

#define CT_EXPORT __attribute__((visibility("default")))

typedef int run_tests_fn(const UnitTest *, size_t);
typedef int run_test_fn(const char *, UnitTestFunction, void **, UnitTestFunctionType,
                        const void *);

/* The group cmocka runs now (one at a time, on its thread). */
static struct {
    int active;
    int untouched; /* cmocka runs a group as it is: nothing of ours */
    const UnitTest *entries; /* what cmocka was given */
    size_t count, next;      /* next: where cmocka's next entry is looked for */
    struct test_run *test;   /* the test begun last */
    int status;              /* its status so far, before its teardowns */
    const char *why;
    UnitTestFunction group_setup, group_teardown; /* run_group_tests() */
    size_t setups_skipped; /* -failfast: setups not run, whose teardowns are not either */
} old;

/* What a selection gave cmocka: its entries, and the runs of its tests. */
typedef struct selected {
    UnitTest *entries;
    size_t count;
    struct test_run *runs;
    struct CMUnitTest *bodies; /* each run's name and body */
    size_t runs_count;
} selected;

/* ---- the entries of a test ------------------------------------------------ */

static int is_open(const struct test_run *t)
{
    return t && !t->finished;
}

static void end_test(void)
{
    if (is_open(old.test))
        ct__cmocka_test_end(old.status, old.why);
}

/* The test an entry belongs to: the one begun, if its body has not run
 * yet, else the next. */
static struct test_run *test_of_entry(void)
{
    if (is_open(old.test) && !old.test->entered)
        return old.test;
    end_test();
    old.test = ct__cmocka_test_begin();
    old.status = CT__STATUS_PASS;
    old.why = NULL;
    return old.test;
}

/* cmocka passed over the entries before `at`: their tests never ran (a
 * setup before them failed). Each is an error, begun and ended. */
static void passed_over(size_t at)
{
    for (; old.next < at && !ct__failfast_stopped(); old.next++) {
        if (old.entries[old.next].function_type != UNIT_TEST_FUNCTION_TYPE_TEST)
            continue;
        if (old.test && old.test->setup_failed && !old.test->entered) {
            old.test->entered = 1; /* the body of the test whose own setup failed */
            continue;
        }
        end_test();
        old.test = ct__cmocka_test_begin();
        old.status = CT__STATUS_ERROR;
        old.why = "not run: a setup before it failed";
        if (ct__markers) /* in its output too, where cmocka would say why */
            fprintf(stderr, "%s (cmocka's run_tests() runs no test after a failed setup "
                            "until the next setup)\n", old.why);
        end_test();
    }
}

/* Whether the entry after `at` is a teardown of the same test. */
static int teardown_follows(size_t at)
{
    return at + 1 < old.count &&
           old.entries[at + 1].function_type == UNIT_TEST_FUNCTION_TYPE_TEARDOWN;
}

static int run_setup(run_test_fn *real, const UnitTest *e, void **state, const void *check)
{
    struct test_run *t = test_of_entry();
    ct_region setup = ct__region_begin(NULL, "setup");
    int failed = real(e->name, e->function, state, e->function_type, check);
    ct__region_end(&setup);
    if (failed && is_open(t)) { /* cmocka goes on at the next setup */
        t->setup_failed = 1;
        old.status = ct__cmocka_test_crashed() ? CT__STATUS_CRASH : CT__STATUS_ERROR;
        old.why = "setup failed";
        end_test();
    }
    return failed;
}

static int run_body(run_test_fn *real, const UnitTest *e, void **state, const void *check,
                    size_t at)
{
    test_of_entry();
    int failed = real(e->name, e->function, state, e->function_type, check);
    old.status = !failed                     ? CT__STATUS_PASS
                 : ct__cmocka_test_crashed() ? CT__STATUS_CRASH
                                             : CT__STATUS_FAIL; /* skip() too */
    if (!teardown_follows(at))
        end_test();
    return failed;
}

static int run_teardown(run_test_fn *real, const UnitTest *e, void **state, const void *check,
                        size_t at)
{
    if (!is_open(old.test) || !old.test->entered) /* no test of ours around it */
        return real(e->name, e->function, state, e->function_type, check);
    old.test->teardown_started = 1;
    ct_region teardown = ct__region_begin(NULL, "teardown");
    int failed = real(e->name, e->function, state, e->function_type, check);
    ct__region_end(&teardown);
    old.test->teardown_rc = failed;
    if (failed && old.status == CT__STATUS_PASS) {
        old.status = ct__cmocka_test_crashed() ? CT__STATUS_CRASH : CT__STATUS_ERROR;
        old.why = "teardown failed";
    }
    if (!teardown_follows(at))
        end_test();
    return failed;
}

static int run_one(const char *name, UnitTestFunction fn);

/* Every entry cmocka runs comes here (from the old runners, or a test's own
 * run_test()). */
CT_EXPORT int _run_test(const char *const function_name, const UnitTestFunction Function,
                        void **const volatile state, const UnitTestFunctionType function_type,
                        const void *const heap_check_point)
{
    static void *cache;
    run_test_fn *real = (run_test_fn *)ct__cmocka_symbol(&cache, "_run_test",
                                                         (const void *)_run_test);
    if (!old.active && !old.untouched && function_type == UNIT_TEST_FUNCTION_TYPE_TEST) {
        /* Preloaded, not traced, or a program a test started: cmocka's own. */
        if ((!ct_is_enabled() && !ct__markers) || ct__proc_slot)
            return real(function_name, Function, state, function_type, heap_check_point);
        return run_one(function_name, Function);
    }
    size_t at = old.next;
    while (old.active && at < old.count &&
           !(old.entries[at].name == function_name && old.entries[at].function == Function))
        at++;
    if (!old.active || at == old.count)
        return real(function_name, Function, state, function_type, heap_check_point);
    passed_over(at);
    old.next = at + 1;
    const UnitTest *e = &old.entries[at];
    if (ct__failfast_stopped()) { /* -failfast: nothing more starts */
        end_test();
        switch (e->function_type) {
        case UNIT_TEST_FUNCTION_TYPE_SETUP:
            old.setups_skipped++;
            return 0;
        case UNIT_TEST_FUNCTION_TYPE_TEST:
            return 0;
        case UNIT_TEST_FUNCTION_TYPE_TEARDOWN:
            if (old.setups_skipped > 0) { /* pairs with a setup not run (they nest) */
                old.setups_skipped--;
                return 0;
            }
            break; /* its setup ran: it cleans up, as a group teardown does */
        default:
            break;
        }
        return real(function_name, Function, state, function_type, heap_check_point);
    }
    switch (e->function_type) {
    case UNIT_TEST_FUNCTION_TYPE_SETUP:
        return run_setup(real, e, state, heap_check_point);
    case UNIT_TEST_FUNCTION_TYPE_TEST:
        return run_body(real, e, state, heap_check_point, at);
    case UNIT_TEST_FUNCTION_TYPE_TEARDOWN:
        return run_teardown(real, e, state, heap_check_point, at);
    default: /* a group fixture: our trampoline makes it a task */
        end_test();
        return real(function_name, Function, state, function_type, heap_check_point);
    }
}

/* ---- trampolines cmocka calls --------------------------------------------- */

static void body_trampoline(void **state)
{
    ct__cmocka_test_body(state);
}

static int call_group_setup(void **state)
{
    old.group_setup(state); /* fails by longjmp */
    return 0;
}

static int call_group_teardown(void **state)
{
    old.group_teardown(state);
    return 0;
}

static void group_setup_trampoline(void **state)
{
    ct__cmocka_fixture_run(call_group_setup, "setup", state);
}

static void group_teardown_trampoline(void **state)
{
    end_test();
    ct__cmocka_fixture_run(call_group_teardown, "teardown", state);
}

/* ---- selection -------------------------------------------------------------- */

static const char *name_of(const UnitTest *t)
{
    return t->name ? t->name : "(unnamed)";
}

/* Give cmocka `t` as it is. */
static void keep(selected *s, const UnitTest *t)
{
    s->entries[s->count++] = *t;
}

/* Give cmocka the test `t`, if selected, as a run of its own. */
static int take_test(selected *s, const ct__selection *sel, const UnitTest *t)
{
    unsigned long ordinal;
    if (!ct__selection_selects(sel, name_of(t)) || !ct__selection_take(&ordinal))
        return 0;
    size_t k = s->runs_count++;
    s->bodies[k].name = name_of(t);
    s->bodies[k].test_func = t->function;
    s->runs[k].orig = &s->bodies[k];
    s->runs[k].ordinal = ordinal;
    s->entries[s->count] = *t;
    s->entries[s->count].function = body_trampoline;
    s->count++;
    return 1;
}

/* run_tests(): each selected test with the setups open around it (given
 * once, before the first test selected in them) and, if they were given,
 * their teardowns. Entries cmocka would not run (no function) are left
 * out; anything else it is given as it was. `open` holds one round's
 * setups: their index in tests, and whether they were given. */
static void select_tests(selected *s, const ct__selection *sel, const UnitTest *tests,
                         size_t count, size_t *open, char *given)
{
    size_t depth = 0;
    for (size_t i = 0; i < count; i++) {
        const UnitTest *t = &tests[i];
        if (!t->function)
            continue;
        switch (t->function_type) {
        case UNIT_TEST_FUNCTION_TYPE_SETUP:
            open[depth] = i;
            given[depth++] = 0;
            break;
        case UNIT_TEST_FUNCTION_TYPE_TEST:
            if (!take_test(s, sel, t))
                break;
            for (size_t d = 0; d < depth; d++) {
                if (!given[d]) {
                    /* before the test just taken */
                    s->entries[s->count] = s->entries[s->count - 1];
                    s->entries[s->count - 1] = tests[open[d]];
                    s->count++;
                    given[d] = 1;
                }
            }
            break;
        case UNIT_TEST_FUNCTION_TYPE_TEARDOWN:
            if (depth == 0 || given[--depth])
                keep(s, t); /* without its setup, cmocka says what is wrong */
            break;
        default:
            keep(s, t);
            break;
        }
    }
}

/* Give cmocka the group fixtures of `type`: the first through
 * `trampoline` (which runs *fn, set here), any other as it is, for cmocka
 * to refuse. */
static void keep_fixtures(selected *s, const UnitTest *tests, size_t count,
                          UnitTestFunctionType type, UnitTestFunction *fn,
                          UnitTestFunction trampoline)
{
    for (size_t i = 0; i < count; i++) {
        if (tests[i].function_type != type)
            continue;
        keep(s, &tests[i]);
        if (!*fn) {
            *fn = tests[i].function;
            s->entries[s->count - 1].function = trampoline;
        }
    }
}

/* run_group_tests(): its group setup, the selected tests (in -shuffle's
 * order: `order` has room for `count`), its teardown, in the order cmocka
 * runs them (per-test setups it ignores). */
static void select_group_tests(selected *s, const ct__selection *sel, const UnitTest *tests,
                               size_t count, size_t rounds, size_t *order)
{
    keep_fixtures(s, tests, count, UNIT_TEST_FUNCTION_TYPE_GROUP_SETUP, &old.group_setup,
                  group_setup_trampoline);
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (tests[i].function && tests[i].function_type == UNIT_TEST_FUNCTION_TYPE_TEST)
            order[n++] = i;
    ct__shuffle_order(order, n); /* the same order every round, as go test */
    for (size_t round = 0; round < rounds; round++)
        for (size_t k = 0; k < n; k++)
            take_test(s, sel, &tests[order[k]]);
    keep_fixtures(s, tests, count, UNIT_TEST_FUNCTION_TYPE_GROUP_TEARDOWN, &old.group_teardown,
                  group_teardown_trampoline);
}

/* Whether run_tests()'s array holds tests alone. A test's own setup serves
 * the tests after it, so with one they keep their order (-shuffle says so). */
static int only_tests(const UnitTest *tests, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (tests[i].function && tests[i].function_type != UNIT_TEST_FUNCTION_TYPE_TEST) {
            static int said;
            if (ct__run_shuffled && !said++)
                fprintf(stderr, "ctrace: -shuffle: a run_tests() array with setup and "
                                "teardown entries keeps its order (a setup serves the tests "
                                "after it)\n");
            return 0;
        }
    }
    return 1;
}

/* -list: the names of the array's tests that match, as a group's. */
static int list_old(const char *group, const UnitTest *tests, size_t count)
{
    struct CMUnitTest *named = calloc(count ? count : 1, sizeof *named);
    if (named == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (tests[i].function && tests[i].function_type == UNIT_TEST_FUNCTION_TYPE_TEST)
            named[n++] = (struct CMUnitTest){.name = name_of(&tests[i]),
                                             .test_func = body_trampoline};
    int rc = ct__list_group(group, named, n);
    free(named);
    return rc;
}

/* ---- the runners ------------------------------------------------------------ */

/* Run cmocka's `runner` (ours is `ours`) on the selected tests, as the
 * group named `group`. */
static int run_old(void **cache, const char *runner, const void *ours, const char *group,
                   const UnitTest *tests, size_t count, int grouped)
{
    run_tests_fn *real = (run_tests_fn *)ct__cmocka_symbol(cache, runner, ours);
    ct__session_attach_late(); /* its suites came with dlopen */
    if (!old.active && !old.untouched) {
        if (ct__run_list != NULL) /* -list: name the tests, run nothing */
            return list_old(group, tests, count);
        if (ct__failfast_stopped()) /* -failfast: no group after a failure */
            return 0;
    }
    ct__selection sel;
    int selective = ct__selection_init(&sel);
    if ((!ct_is_enabled() && !selective) || old.active || old.untouched || ct__proc_slot) {
        ct__selection_free(&sel);
        int was = old.untouched;
        old.untouched = 1;
        int failed = real(tests, count);
        old.untouched = was;
        return failed;
    }
    size_t rounds = ct__run_count;
    size_t slots = count ? count * rounds : 1;
    selected s = {0};
    size_t *open = NULL;
    char *given = NULL;
    if (!count || rounds <= SIZE_MAX / 2 / sizeof *s.runs / count) { /* setups given again */
        s = (selected){calloc(slots, sizeof *s.entries), 0, calloc(slots, sizeof *s.runs),
                       calloc(slots, sizeof *s.bodies), 0};
        open = calloc(count ? count : 1, sizeof *open);
        given = calloc(count ? count : 1, 1);
    }
    if (!s.entries || !s.runs || !s.bodies || !open || !given) {
        free(s.entries), free(s.runs), free(s.bodies), free(open), free(given);
        ct__selection_free(&sel);
        return ct__cmocka_cannot_select(group, count, rounds);
    }
    if (grouped || only_tests(tests, count)) /* flat: in -shuffle's order */
        select_group_tests(&s, &sel, tests, count, rounds, open);
    else
        for (size_t round = 0; round < rounds; round++)
            select_tests(&s, &sel, tests, count, open, given);
    ct__selection_free(&sel);
    free(open);
    free(given);
    int failed = 0;
    if (s.runs_count > 0) { /* like go test: nothing selected, nothing runs */
        ct__cmocka_group_open(group, s.runs, s.runs_count, 1);
        old.active = 1;
        old.entries = s.entries;
        old.count = s.count;
        failed = real(s.entries, s.count);
        passed_over(s.count);
        end_test();
        failed += ct__cmocka_group_close();
    } else if (ct__markers) { /* a group ran, with none of its tests selected */
        ct__markers_group(group);
        ct__marker_plan(0, ct__selection_next_ordinal());
        ct__markers_group(NULL);
    }
    memset(&old, 0, sizeof old);
    free(s.entries), free(s.runs), free(s.bodies);
    return failed;
}

/* cmocka declares them deprecated: this defines them, it does not use them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void *run_tests_cache;

CT_EXPORT int _run_tests(const UnitTest *const tests, const size_t number_of_tests)
{
    return run_old(&run_tests_cache, "_run_tests", (const void *)_run_tests, "run_tests", tests,
                   number_of_tests, 0);
}

CT_EXPORT int _run_group_tests(const UnitTest *const tests, const size_t number_of_tests)
{
    static void *cache;
    return run_old(&cache, "_run_group_tests", (const void *)_run_group_tests,
                   "run_group_tests", tests, number_of_tests, 1);
}

/* run_test(f), the program's own call for one test: a group of one, run by
 * cmocka's run_tests() (which runs it as run_test() does). */
static int run_one(const char *name, UnitTestFunction fn)
{
    const UnitTest one = {name, fn, UNIT_TEST_FUNCTION_TYPE_TEST};
    return run_old(&run_tests_cache, "_run_tests", (const void *)_run_tests, "run_test", &one,
                   1, 0);
}
#pragma GCC diagnostic pop
