/*
 * test_runner_output_tap.c - --format=tap (runner/output_tap.c): the events
 * of a run's go test -json stream as one TAP version 13 stream.
 */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>  /* open_memstream */
#include <stdlib.h> /* free */
#include <string.h> /* strlen */

#include "runner/output_tap.h"

/* A TAP stream into memory, fed events as rn_out would feed them. */
typedef struct tap_run {
    char *text;
    size_t len;
    FILE *f;
    rn_tap *t;
} tap_run;

static void start(tap_run *r)
{
    r->f = open_memstream(&r->text, &r->len);
    assert_non_null(r->f);
    r->t = rn_tap_new(r->f);
    assert_non_null(r->t);
}

static void event(tap_run *r, const char *action, const char *test, size_t test_len,
                  double elapsed, const char *output)
{
    rn_out_event e = {action, "./suite", test, test_len, elapsed, output,
                      output ? strlen(output) : 0};
    rn_tap_event(r->t, &e);
}

static void of_test(tap_run *r, const char *action, const char *test, double elapsed)
{
    event(r, action, test, test ? strlen(test) : 0, elapsed, NULL);
}

static void output(tap_run *r, const char *test, const char *text)
{
    event(r, "output", test, test ? strlen(test) : 0, -1, text);
}

/* End the stream with the run's `status`; check its text and the status a
 * TAP consumer sees. */
static void finish(tap_run *r, int status, int want_status, const char *want)
{
    assert_int_equal(rn_tap_finish(r->t, status), want_status);
    fclose(r->f);
    assert_string_equal(r->text, want);
    rn_tap_free(r->t);
    free(r->text);
}

static void test_results_are_test_points(void **state)
{
    (void)state;
    tap_run r;
    start(&r);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "run", "TestParse", -1);
    output(&r, "TestParse", "=== RUN   TestParse\n");
    output(&r, "TestParse", "parsed 2 chunks\n");
    of_test(&r, "pass", "TestParse", 0.002);
    of_test(&r, "run", "TestChecksum", -1);
    output(&r, "TestChecksum", "[  ERROR   ] --- 0x45f != 0x3e8\n");
    of_test(&r, "fail", "TestChecksum", 0.0004);
    of_test(&r, "run", "TestNetwork", -1);
    of_test(&r, "skip", "TestNetwork", 0);
    output(&r, NULL, "FAIL\n");
    output(&r, NULL, "FAIL\t./suite\t0.026s\ttrace: none\n");
    of_test(&r, "fail", NULL, 0.026);
    finish(&r, 1, 1,
           "TAP version 13\n"
           "# === RUN   TestParse\n"
           "# parsed 2 chunks\n"
           "ok 1 - TestParse\n"
           "# [  ERROR   ] --- 0x45f != 0x3e8\n"
           "not ok 2 - TestChecksum\n"
           "  ---\n"
           "  duration_ms: 0.400\n"
           "  binary: \"./suite\"\n"
           "  ...\n"
           "ok 3 - TestNetwork # SKIP\n"
           "# FAIL\n"
           "# FAIL\t./suite\t0.026s\ttrace: none\n"
           "1..3\n");
}

static void test_output_cannot_break_the_stream(void **state)
{
    (void)state;
    tap_run r;
    start(&r);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "run", "T", -1);
    /* cmocka's own TAP, a carriage return, a bad byte: comments, escaped */
    output(&r, "T", "1..1\n");
    output(&r, "T", "not ok 1 - T\rok\n");
    output(&r, "T", "bad \xff byte\n");
    output(&r, "T", "a long line, in pieces ");
    output(&r, "T", "that stay one comment\n");
    output(&r, "T", "no newline at the end");
    of_test(&r, "pass", "T", 0);
    of_test(&r, "pass", NULL, 0);
    finish(&r, 0, 0,
           "TAP version 13\n"
           "# 1..1\n"
           "# not ok 1 - T\\rok\n"
           "# bad \\xff byte\n"
           "# a long line, in pieces that stay one comment\n"
           "# no newline at the end\n"
           "ok 1 - T\n"
           "1..1\n");
}

static void test_names_are_escaped(void **state)
{
    (void)state;
    /* a backslash before '#': "\\#" would read as a backslash, then a directive */
    static const char name[] = "Test#1 # SKIP\n2\0x\ty\\# TODO";
    tap_run r;
    start(&r);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "run", name, -1);
    event(&r, "pass", name, sizeof name - 1, 0, NULL);
    finish(&r, 0, 0,
           "TAP version 13\n"
           "ok 1 - Test\\#1 \\# SKIP\\n2\\x00x\\ty\\\\\\# TODO\n"
           "1..1\n");
}

static void test_binary_outcomes_without_a_failed_test(void **state)
{
    (void)state;
    tap_run r;
    start(&r);
    /* a binary that skipped itself, then one that failed outside its tests,
     * then one whose failed test already said so: numbered across them */
    of_test(&r, "start", NULL, -1);
    of_test(&r, "skip", NULL, 0.001);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "run", "TestA", -1);
    of_test(&r, "pass", "TestA", 0);
    of_test(&r, "fail", NULL, 0.5);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "run", "TestB", -1);
    of_test(&r, "fail", "TestB", 0);
    of_test(&r, "fail", NULL, 0.5);
    finish(&r, 1, 1,
           "TAP version 13\n"
           "ok 1 - ./suite # SKIP the binary skipped itself (exit status 77)\n"
           "ok 2 - TestA\n"
           "not ok 3 - ./suite\n"
           "  ---\n  duration_ms: 500.000\n  binary: \"./suite\"\n  ...\n"
           "not ok 4 - TestB\n"
           "  ---\n  duration_ms: 0.000\n  binary: \"./suite\"\n  ...\n"
           "1..4\n");
}

static void test_every_binary_skipped_exits_0(void **state)
{
    (void)state;
    tap_run r;
    start(&r);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "skip", NULL, 0);
    finish(&r, 77, 0,
           "TAP version 13\n"
           "ok 1 - ./suite # SKIP the binary skipped itself (exit status 77)\n"
           "1..1\n");
}

static void test_no_test_is_a_skipped_plan(void **state)
{
    (void)state;
    tap_run r;
    start(&r);
    of_test(&r, "start", NULL, -1);
    output(&r, NULL, "testing: warning: no tests to run\n");
    of_test(&r, "pass", NULL, 0);
    finish(&r, 0, 0,
           "TAP version 13\n"
           "# testing: warning: no tests to run\n"
           "1..0 # SKIP no tests to run\n");
}

static void test_a_run_that_could_not_do_its_job_bails_out(void **state)
{
    (void)state;
    tap_run r;
    start(&r);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "run", "T", -1);
    of_test(&r, "pass", "T", 0);
    output(&r, NULL, "partial");
    finish(&r, 2, 2,
           "TAP version 13\n"
           "ok 1 - T\n"
           "# partial\n"
           "Bail out! ctest-trace could not do its job (its messages are on stderr)\n");
}

static void test_gate_verdict_is_a_point_of_its_own(void **state)
{
    (void)state;
    tap_run r;
    start(&r);
    of_test(&r, "start", NULL, -1);
    of_test(&r, "run", "TestSlow", -1);
    of_test(&r, "pass", "TestSlow", 0.1);
    output(&r, "TestSlow", "--- FAIL: TestSlow (gate)\n");
    of_test(&r, "fail", "TestSlow", 0); /* the gate, after the binary ended */
    of_test(&r, "fail", NULL, 0.2);
    finish(&r, 1, 1,
           "TAP version 13\n"
           "ok 1 - TestSlow\n"
           "# --- FAIL: TestSlow (gate)\n"
           "not ok 2 - TestSlow (gate)\n"
           "  ---\n  duration_ms: 0.000\n  binary: \"./suite\"\n  ...\n"
           "1..2\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_are_test_points),
        cmocka_unit_test(test_output_cannot_break_the_stream),
        cmocka_unit_test(test_names_are_escaped),
        cmocka_unit_test(test_binary_outcomes_without_a_failed_test),
        cmocka_unit_test(test_every_binary_skipped_exits_0),
        cmocka_unit_test(test_no_test_is_a_skipped_plan),
        cmocka_unit_test(test_gate_verdict_is_a_point_of_its_own),
        cmocka_unit_test(test_a_run_that_could_not_do_its_job_bails_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
