/*
 * test_runner_output.c - how the runner reads a child's output and prints it
 * like go test: marker lines and percent-decoding (runner/marker.c), the
 * cmocka framing filter (runner/filter.c), held-back output (runner/buf.c),
 * the printer (runner/output.c) and the warning about --assert rules that
 * judged no test (runner/judged.c).
 */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>   /* SIGSEGV */
#include <stdio.h>    /* open_memstream */
#include <stdlib.h>   /* free */
#include <string.h>   /* strlen, strstr, memcmp */

#include "runner/buf.h"
#include "runner/filter.h"
#include "runner/judged.h"
#include "runner/marker.h"
#include "runner/output.h"
#include "runner/recover.h"
#include "runner/results.h"

#define NONCE "0123456789abcdef"
#define M "\036CTRACE " NONCE " "

/* ---- markers ----------------------------------------------------------------- */

static rn_marker parse_ok(const char *line)
{
    rn_marker m;
    assert_int_equal(rn_marker_parse(line, strlen(line), &m), 1);
    return m;
}

static void assert_name(const rn_marker *m, const char *want)
{
    assert_int_equal(m->name_len, strlen(want));
    assert_memory_equal(m->name, want, m->name_len);
}

static void test_marker_run_and_end(void **state)
{
    (void)state;
    rn_marker m = parse_ok(M "run TestPipeline");
    assert_int_equal(m.kind, RN_MARK_RUN);
    assert_name(&m, "TestPipeline");

    m = parse_ok(M "end pass 30000000 TestPipeline");
    assert_int_equal(m.kind, RN_MARK_END);
    assert_int_equal(m.status, RN_STATUS_PASS);
    assert_int_equal(m.elapsed_ns, 30000000);
    assert_name(&m, "TestPipeline");

    assert_int_equal(parse_ok(M "end fail 1 t").status, RN_STATUS_FAIL);
    assert_int_equal(parse_ok(M "end skip 1 t").status, RN_STATUS_SKIP);
    assert_int_equal(parse_ok(M "end error 1 t").status, RN_STATUS_ERROR);
    assert_int_equal(parse_ok(M "end timeout 1 t").status, RN_STATUS_UNKNOWN);

    m = parse_ok(M "end pass 18446744073709551615 a%20b\r"); /* \r\n line end */
    assert_int_equal(m.elapsed_ns, UINT64_MAX);
    assert_name(&m, "a%20b");

    m = parse_ok(M "run "); /* an empty name */
    assert_int_equal(m.kind, RN_MARK_RUN);
    assert_int_equal(m.name_len, 0);
}

static void test_marker_where_the_test_is(void **state)
{
    (void)state;
    rn_marker m = parse_ok(M "run TestA 4242 17 my%20group");
    assert_name(&m, "TestA");
    assert_int_equal(m.pid, 4242);
    assert_int_equal(m.task, 17);
    assert_int_equal(m.group_len, 10);
    assert_memory_equal(m.group, "my%20group", 10);

    m = parse_ok(M "end fail 5 TestA 4242 17 g");
    assert_int_equal(m.status, RN_STATUS_FAIL);
    assert_name(&m, "TestA");
    assert_int_equal(m.task, 17);

    m = parse_ok(M "plan 340 my%20group");
    assert_int_equal(m.kind, RN_MARK_PLAN);
    assert_int_equal(m.count, 340);
    assert_int_equal(m.group_len, 10);
    assert_int_equal(parse_ok(M "plan many g").kind, RN_MARK_OTHER);

    m = parse_ok(M "run TestA 12x 17 g"); /* not numbers: not said */
    assert_name(&m, "TestA");
    assert_int_equal(m.pid, 0);
    assert_int_equal(m.task, 0);
    assert_int_equal(m.group_len, 0);
}

static void test_marker_rules(void **state)
{
    (void)state;
    rn_marker m = parse_ok(M "rules -01\r");
    assert_int_equal(m.kind, RN_MARK_RULES);
    assert_int_equal(m.states_len, 3);
    assert_memory_equal(m.states, "-01", 3);
    m = parse_ok(M "rules 1 more words of a later version");
    assert_int_equal(m.kind, RN_MARK_RULES);
    assert_int_equal(m.states_len, 1);
    /* No states, or a state this runner does not know: hidden. */
    assert_int_equal(parse_ok(M "rules").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "rules ").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "rules 01x").kind, RN_MARK_OTHER);
}

static void test_marker_lost(void **state)
{
    (void)state;
    rn_marker m = parse_ok(M "lost 12345\r");
    assert_int_equal(m.kind, RN_MARK_LOST);
    assert_int_equal(m.count, 12345);
    assert_int_equal(parse_ok(M "lost").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "lost 12x").kind, RN_MARK_OTHER);
}

static void test_marker_malformed_or_unknown_is_hidden(void **state)
{
    (void)state;
    /* Still markers (never shown), but nothing to act on. */
    assert_int_equal(parse_ok(M "end pass").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "end pass x12 t").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "end pass 18446744073709551616 t").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "end  5 t").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "log something new").kind, RN_MARK_OTHER);
    assert_int_equal(parse_ok(M "").kind, RN_MARK_OTHER);
}

static void test_marker_not_a_marker(void **state)
{
    (void)state;
    rn_marker m;
    const char *lines[] = {"", "hello", "CTRACE run x", "\036CTRACE", " \036CTRACE run x",
                           "\036ctrace run x",
                           /* no nonce, or another run's: output, never a marker */
                           "\036CTRACE run x", "\036CTRACE 0123456789abcdee run x",
                           "\036CTRACE 0123456789abcdef0 run x"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        assert_int_equal(rn_marker_parse(lines[i], strlen(lines[i]), &m), 0);
}

static void test_marker_find(void **state)
{
    (void)state;
    const char line[] = "no newline" M "end pass 1 t";
    assert_ptr_equal(rn_marker_find(line, strlen(line)), line + 10);
    assert_null(rn_marker_find("plain output", 12));
    assert_null(rn_marker_find("\036CTRAC", 6));
    /* the prefix's first byte in output before it: the marker is still found */
    const char stray[] = "a\036b\036CTRACE x" M "end pass 1 t";
    assert_ptr_equal(rn_marker_find(stray, strlen(stray)), stray + 12);
    assert_null(rn_marker_find(stray, 12 + 5)); /* cut inside the prefix */
}

static void decodes(const char *in, const char *want, size_t want_len)
{
    char out[64];
    size_t n = rn_percent_decode(in, strlen(in), out);
    assert_int_equal(n, want_len);
    assert_memory_equal(out, want, n);
}

static void test_percent_decode(void **state)
{
    (void)state;
    decodes("TestPipeline", "TestPipeline", 12);
    decodes("Test%20A", "Test A", 6);
    decodes("%0a%0A%25", "\n\n%", 3);
    decodes("%7f%ff%FE", "\x7f\xff\xfe", 3);
    decodes("a%00b", "a\0b", 3);
    decodes("%zz%", "%zz%", 4);   /* not hex: kept */
    decodes("%4", "%4", 2);       /* cut short: kept */
    decodes("%%41", "%A", 2);
    decodes("", "", 0);
}

static void escapes(const char *in, size_t len, const char *want)
{
    char *got = rn_escape_name(in, len);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_escape_name(void **state)
{
    (void)state;
    escapes("TestPipeline", 12, "TestPipeline");
    escapes("a\tb\nc\rd", 7, "a\\tb\\nc\\rd");
    escapes("\x1b[31mred", 8, "\\x1b[31mred");
    escapes("nul\0x", 5, "nul\\x00x");
    escapes("del\x7f", 4, "del\\x7f");
    escapes("caf\xc3\xa9 \xe6\x97\xa5", 9, "caf\xc3\xa9 \xe6\x97\xa5"); /* UTF-8 kept */
    escapes("\xff\xfe", 2, "\\xff\\xfe");                               /* not UTF-8 */
    escapes("\xc3(", 2, "\\xc3(");                                     /* cut short */
    escapes("\xc0\xaf", 2, "\\xc0\\xaf");                               /* overlong */
    escapes("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");                      /* surrogate */
    escapes("\xc2\x85", 2, "\\u{0085}");                               /* C1 NEL */
    escapes("x\xe2\x80\xaey", 5, "x\\u{202e}y");                        /* RLO */
    escapes("", 0, "");
}

/* ---- the cmocka framing filter ---------------------------------------------- */

static int framing(const char *line, const char *test)
{
    return rn_cmocka_framing(line, strlen(line), test, test ? strlen(test) : 0);
}

static void test_filter_drops_framing(void **state)
{
    (void)state;
    const char *drop[] = {
        "[==========] Running 5 test(s).",
        "[==========] 5 test(s) run.",
        "[ RUN      ] t_ok",
        "[       OK ] t_ok",
        "[  PASSED  ] 1 test(s).",
        "[  FAILED  ] t_fail",
        "[  FAILED  ] 2 test(s), listed below:",
        "[  SKIPPED ] t_skip",
        "[  SKIPPED ] 1 test(s), listed below:",
        " 3 FAILED TEST(S)",
        " 1 SKIPPED TEST(S)",
        " 12 FAILED TEST(S)\r",
        "[       OK ] t_ok\r",
    };
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
        if (!framing(drop[i], "t_fail"))
            fail_msg("kept framing line \"%s\"", drop[i]);
    }
}

static void test_filter_keeps_failures_and_output(void **state)
{
    (void)state;
    const char *keep[] = {
        "[   LINE   ] --- cm.c:8: error: Failure!",
        "[  ERROR   ] --- 0x1 != 0x2",
        "[  ERROR   ] --- [   LINE   ] --- cm.c:9: error: Failure!",
        "Could not run test: Test setup failed",
        "ERROR: custom 3",
        "hello from ok",
        "",
        "[ RUN      ]x",       /* not followed by a space */
        "x[ RUN      ] t",
        " 3 FAILED TESTS",
        " FAILED TEST(S)",
        "3 FAILED TEST(S)",
        "[  ERROR   ] other_test", /* not the test it is about */
    };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        if (framing(keep[i], "t_err"))
            fail_msg("dropped output line \"%s\"", keep[i]);
    }
    /* "[  ERROR   ] NAME" is framing about the errored test NAME. */
    assert_true(framing("[  ERROR   ] t_err", "t_err"));
    assert_false(framing("[  ERROR   ] t_err", NULL));
}

static void test_filter_summary_and_run_lines(void **state)
{
    (void)state;
    assert_true(rn_cmocka_summary_count(" 1 FAILED TEST(S)", 17));
    assert_false(rn_cmocka_summary_count("[  FAILED  ] t", 14));
    assert_true(rn_cmocka_run_line("[ RUN      ] t_ok", 17));
    assert_false(rn_cmocka_run_line("[ RUN      ] ", 13));
    assert_false(rn_cmocka_run_line("[       OK ] t_ok", 17));
    /* cmocka's other output formats (CMOCKA_MESSAGE_OUTPUT) */
    assert_true(rn_cmocka_run_line("test: t_ok", 10));                 /* subunit */
    assert_true(rn_cmocka_run_line("# not ok - tests", 16));           /* TAP */
    assert_false(rn_cmocka_run_line("ok 1 - t_ok", 11));               /* any TAP program's */
    assert_true(rn_cmocka_run_line("  <testsuite name=\"g\"", 21));  /* XML */
}

/* ---- held-back output --------------------------------------------------------- */

static void collect_fn(void *ctx, const char *s, size_t n)
{
    FILE *f = ctx;
    fwrite(s, 1, n, f);
}

static char *buf_text(const rn_buf *b)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rn_buf_each(b, collect_fn, f);
    fclose(f);
    return text;
}

static void test_buf_keeps_head_and_tail(void **state)
{
    (void)state;
    rn_buf b;
    rn_buf_init(&b, 8);
    assert_true(rn_buf_empty(&b));
    rn_buf_append(&b, "abcd", 4);
    rn_buf_append(&b, "efgh", 4);
    char *t = buf_text(&b);
    assert_string_equal(t, "abcdefgh"); /* up to the limit: whole */
    free(t);

    rn_buf_append(&b, "ijklmn", 6);
    t = buf_text(&b);
    assert_string_equal(t, "abcd\n... [6 bytes of output omitted] ...\nklmn");
    free(t);
    assert_int_equal(rn_buf_total(&b), 14);

    rn_buf_append(&b, "0123456789", 10); /* more than the ring at once */
    t = buf_text(&b);
    assert_string_equal(t, "abcd\n... [16 bytes of output omitted] ...\n6789");
    free(t);

    rn_buf_clear(&b);
    assert_true(rn_buf_empty(&b));
    rn_buf_append(&b, "xy", 2);
    t = buf_text(&b);
    assert_string_equal(t, "xy");
    free(t);
    rn_buf_free(&b);
}

/* ---- the printer ---------------------------------------------------------------- */

struct printed {
    char *out, *err;
    int rc;
    rn_out_counts counts;
};

/* A failed test's attachment, when a test sets it (rn_out_on_failure()). */
static rn_attach_fn *attach_hook;
static int attach_calls;

/* Feed `input` (`chunk` bytes at a time; 0: at once) and finish with
 * `wait_status`; what was printed is in the result (free with done()). */
static struct printed print_run(const char *input, size_t len, int verbose, size_t chunk,
                                int wait_status, size_t buf_limit)
{
    struct printed p = {0};
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&p.out, &out_len);
    FILE *err = open_memstream(&p.err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    rn_out *o = rn_out_new(out, err, verbose, buf_limit);
    assert_non_null(o);
    if (attach_hook)
        rn_out_on_failure(o, attach_hook, &attach_calls);
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t i = 0; i < len; i += chunk)
        rn_out_feed(o, input + i, len - i < chunk ? len - i : chunk, 1000);
    rn_exit_info info = {
        .binary = "./pipeline_test",
        .trace = "trace.out",
        .elapsed_ns = 45000000,
        .now_ns = 1000 + 20000000,
        .wait_status = wait_status,
    };
    p.rc = rn_out_finish(o, &info);
    rn_out_get_counts(o, &p.counts);
    rn_out_free(o);
    fclose(out);
    fclose(err);
    return p;
}

static struct printed print_str(const char *input, int verbose, int wait_status)
{
    return print_run(input, strlen(input), verbose, 0, wait_status, 0);
}

static void done(struct printed *p)
{
    free(p->out);
    free(p->err);
}

#define EXIT(code) ((code) << 8)

/* What a traced cmocka binary prints: cmocka's framing, markers, output. */
static const char passing_run[] =
    "[==========] Running 2 test(s).\n"
    "[ RUN      ] TestPipeline\n" M "run TestPipeline\n"
    "fetching\n" M "end pass 30000000 TestPipeline\n"
    "[       OK ] TestPipeline\n"
    "[ RUN      ] TestCache\n" M "run TestCache\n" M "end skip 1000000 TestCache\n"
    "[  SKIPPED ] TestCache\n"
    "[==========] 2 test(s) run.\n"
    "[  PASSED  ] 1 test(s).\n"
    "[  SKIPPED ] 1 test(s), listed below:\n"
    "[  SKIPPED ] TestCache\n"
    "\n"
    " 1 SKIPPED TEST(S)\n";

static const char failing_run[] =
    "[==========] Running 3 test(s).\n"
    "group setup says hi\n"
    "[ RUN      ] TestPipeline\n" M "run TestPipeline\n"
    "fetching\n" M "end pass 30000000 TestPipeline\n"
    "[       OK ] TestPipeline\n"
    "[ RUN      ] TestCache\n" M "run TestCache\n"
    "looking up req-42\n"
    "\n"
    "[  ERROR   ] --- 0x1 != 0x2\n"
    "[   LINE   ] --- pipeline_test.c:130: error: Failure!\n" M "end fail 1500000 TestCache\n"
    "[  FAILED  ] TestCache\n"
    "[ RUN      ] TestSetup\n" M "run TestSetup\n"
    "Could not run test: Test setup failed\n" M "end error 0 TestSetup\n"
    "[  ERROR   ] TestSetup\n"
    "[==========] 3 test(s) run.\n"
    "[  PASSED  ] 1 test(s).\n"
    "[  FAILED  ] 1 test(s), listed below:\n"
    "[  FAILED  ] TestCache\n"
    "\n"
    " 2 FAILED TEST(S)\n";

/* A wrapper ran the traced binary, then another one, untraced: its cmocka
 * lines follow no run marker. */
static void test_an_untraced_group_after_the_traced_fails(void **state)
{
    (void)state;
    static const char second[] = "[==========] Running 1 test(s).\n"
                                 "[ RUN      ] TestOther\n"
                                 "[       OK ] TestOther\n"
                                 "[==========] 1 test(s) run.\n"
                                 "[  PASSED  ] 1 test(s).\n";
    char in[sizeof passing_run + sizeof second];
    snprintf(in, sizeof in, "%s%s", passing_run, second);
    struct printed p = print_str(in, 0, EXIT(0));
    assert_int_equal(p.rc, 1);
    assert_non_null(strstr(p.out, "cmocka ran tests the tracer did not see, after the traced "
                                  "ones"));
    assert_non_null(strstr(p.out, "FAIL\t./pipeline_test"));
    done(&p);
    /* Traced alone, the same cmocka lines each before its run marker pass. */
    p = print_str(passing_run, 0, EXIT(0));
    assert_int_equal(p.rc, 0);
    done(&p);
}

static void test_print_pass_quiet(void **state)
{
    (void)state;
    struct printed p = print_str(passing_run, 0, EXIT(0));
    assert_string_equal(p.out, "ok  \t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_string_equal(p.err, "");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.counts.run, 2);
    assert_int_equal(p.counts.passed, 1);
    assert_int_equal(p.counts.skipped, 1);
    done(&p);
}

static void test_print_pass_verbose(void **state)
{
    (void)state;
    struct printed p = print_str(passing_run, 1, EXIT(0));
    assert_string_equal(p.out, "=== RUN   TestPipeline\n"
                               "fetching\n"
                               "--- PASS: TestPipeline (0.03s)\n"
                               "=== RUN   TestCache\n"
                               "--- SKIP: TestCache (0.00s)\n"
                               "PASS\n"
                               "ok  \t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.rc, 0);
    done(&p);
}

/* "(N.NNs)" as "%.2f" of the seconds, whatever the time: rounded half up
 * from whole hundredths, as the double falls at exact halves; a name that
 * is not plain ASCII escaped. */
static void test_print_pass_seconds(void **state)
{
    (void)state;
    static const uint64_t times[] = {0, 4999999, 5000000, 14999999, 15000000, 25000000,
                                     994999999, 995000000, 1234567890, 59999999999,
                                     125005000000};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char input[256], want[128];
        snprintf(input, sizeof input, M "run T\x01" "x\n" M "end pass %llu T%%01x\n",
                 (unsigned long long)times[i]);
        snprintf(want, sizeof want, "--- PASS: T\\x01x (%.2fs)\n", (double)times[i] / 1e9);
        struct printed p = print_str(input, 1, EXIT(0));
        assert_non_null(strstr(p.out, want));
        done(&p);
    }
}

/* A test whose window lost events: said under its result, even when it
 * passed and the run is quiet, and in the binary's line; the test after it
 * lost nothing. */
static void test_print_test_that_lost_events(void **state)
{
    (void)state;
    static const char run[] =
        "[ RUN      ] TestFlood\n" M "run TestFlood\n" M "lost 7\n"
        M "end pass 30000000 TestFlood\n"
        "[       OK ] TestFlood\n"
        "[ RUN      ] TestCalm\n" M "run TestCalm\n" M "end pass 1000000 TestCalm\n"
        "[       OK ] TestCalm\n";
    struct printed p = print_str(run, 0, EXIT(0));
    assert_string_equal(p.out, "--- PASS: TestFlood (0.03s)\n"
                               "    7 events were lost in this test: the trace could not record "
                               "them (ctest-trace stats tells more)\n"
                               "ok  \t./pipeline_test\t0.045s\ttrace: trace.out (7 events lost)\n");
    assert_int_equal(p.rc, 0);
    done(&p);
}

static void attach_cache(void *ctx, const rn_failed_test *t, rn_attachment *out)
{
    ++*(int *)ctx;
    assert_int_equal(t->pid, 7);
    assert_int_equal(t->task, 3);
    assert_memory_equal(t->name, "TestCache", t->name_len);
    assert_memory_equal(t->group, "grp", t->group_len);
    out->path = strdup("/a/Test\033Cache.trace");
    snprintf(out->note, sizeof out->note, "(cut: what came before)");
}

/* A failed test's trace, written as it failed (--flight-recorder): named
 * under its result, escaped, with what it lacks; a test that passed gets
 * none. */
static void test_print_attachment_of_failed_test(void **state)
{
    (void)state;
    static const char run[] =
        "[ RUN      ] TestPipeline\n" M "run TestPipeline 7 2 grp 0\n"
        M "end pass 30000000 TestPipeline 7 2 grp\n"
        "[ RUN      ] TestCache\n" M "run TestCache 7 3 grp 1\n"
        "looking up req-42\n" M "end fail 1500000 TestCache 7 3 grp\n";
    attach_hook = attach_cache;
    attach_calls = 0;
    struct printed p = print_str(run, 0, EXIT(1));
    attach_hook = NULL;
    assert_int_equal(attach_calls, 1);
    assert_string_equal(p.out, "--- FAIL: TestCache (0.00s)\n"
                               "    looking up req-42\n"
                               "    attachment: /a/Test\\x1bCache.trace\n"
                               "    (cut: what came before)\n"
                               "FAIL\n"
                               "binary exited with status 1\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    done(&p);
}

/* Losses no test's marker told (in a group fixture, between tests): the
 * binary's line says what its pools counted. */
static void test_print_losses_outside_tests(void **state)
{
    (void)state;
    char *out = NULL;
    size_t out_len = 0;
    FILE *fo = open_memstream(&out, &out_len);
    rn_out *o = rn_out_new(fo, stderr, 0, 0);
    rn_out_feed(o, passing_run, sizeof passing_run - 1, 1000);
    rn_out_process_lost(o, 9);
    rn_exit_info info = {.binary = "./b", .trace = "t", .wait_status = EXIT(0)};
    assert_int_equal(rn_out_finish(o, &info), 0);
    rn_out_free(o);
    fclose(fo);
    assert_string_equal(out, "ok  \t./b\t0.000s\ttrace: t (9 events lost)\n");
    free(out);
}

static void test_print_fail_quiet(void **state)
{
    (void)state;
    struct printed p = print_str(failing_run, 0, EXIT(2));
    assert_string_equal(p.out, "group setup says hi\n"
                               "--- FAIL: TestCache (0.00s)\n"
                               "    looking up req-42\n"
                               "\n"
                               "    [  ERROR   ] --- 0x1 != 0x2\n"
                               "    [   LINE   ] --- pipeline_test.c:130: error: Failure!\n"
                               "--- FAIL: TestSetup (0.00s)\n"
                               "    Could not run test: Test setup failed\n"
                               "FAIL\n"
                               "binary exited with status 2\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.rc, 1);
    assert_int_equal(p.counts.failed, 2);
    done(&p);
}

static void test_print_fail_verbose(void **state)
{
    (void)state;
    struct printed p = print_str(failing_run, 1, EXIT(2));
    assert_string_equal(p.out, "group setup says hi\n"
                               "=== RUN   TestPipeline\n"
                               "fetching\n"
                               "--- PASS: TestPipeline (0.03s)\n"
                               "=== RUN   TestCache\n"
                               "looking up req-42\n"
                               "\n"
                               "[  ERROR   ] --- 0x1 != 0x2\n"
                               "[   LINE   ] --- pipeline_test.c:130: error: Failure!\n"
                               "--- FAIL: TestCache (0.00s)\n"
                               "=== RUN   TestSetup\n"
                               "Could not run test: Test setup failed\n"
                               "--- FAIL: TestSetup (0.00s)\n"
                               "FAIL\n"
                               "binary exited with status 2\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    done(&p);
}

static void test_print_any_split_same_output(void **state)
{
    (void)state;
    struct printed whole = print_str(failing_run, 1, EXIT(2));
    for (size_t chunk = 1; chunk <= 7; chunk++) {
        struct printed p = print_run(failing_run, strlen(failing_run), 1, chunk, EXIT(2), 0);
        assert_string_equal(p.out, whole.out);
        done(&p);
    }
    done(&whole);
}

static void test_print_fail_with_exit_0(void **state)
{
    (void)state;
    /* A failed test fails the run even if the binary says 0. */
    struct printed p = print_str(M "run T\n" M "end fail 0 T\n", 0, EXIT(0));
    assert_string_equal(p.out, "--- FAIL: T (0.00s)\n"
                               "FAIL\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.rc, 1);
    done(&p);
}

static void test_print_crash_in_a_test(void **state)
{
    (void)state;
    struct printed p = print_str("before\n" M "run TestA\n" M "end pass 0 TestA\n" M
                                 "run TestCrash\nabout to crash",
                                 0, SIGSEGV | 0x80);
    assert_string_equal(p.out, "before\n"
                               "--- FAIL: TestCrash (0.02s)\n"
                               "    about to crash\n"
                               "    (the binary ended during this test)\n"
                               "FAIL\n"
                               "binary died of a signal: segmentation fault (core dumped)\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.rc, 1);
    assert_int_equal(p.counts.failed, 1);
    done(&p);
}

/* A signal cmocka caught (it goes on with the next test): the test's status
 * is crash, said under its FAIL line; the binary's exit status is its own. */
static void test_print_crash_cmocka_caught(void **state)
{
    (void)state;
    struct printed p = print_str(M "run TestSegv\n[  ERROR   ] --- Test failed with exception: "
                                 "Segmentation fault(11)\n" M "end crash 0 TestSegv\n"
                                 "[  FAILED  ] TestSegv\n",
                                 0, EXIT(1));
    assert_string_equal(p.out, "--- FAIL: TestSegv (0.00s)\n"
                               "    [  ERROR   ] --- Test failed with exception: "
                               "Segmentation fault(11)\n"
                               "    crash: died of a signal, which cmocka caught\n"
                               "FAIL\n"
                               "binary exited with status 1\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.counts.failed, 1);
    done(&p);
}

/* A process that dies in a test, then the binary resumed in another. */
static void test_print_process_died_then_resumed(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *fo = open_memstream(&out, &out_len), *fe = open_memstream(&err, &err_len);
    rn_out *o = rn_out_new(fo, fe, 0, 0);
    rn_results results = {0};
    rn_out_keep_results(o, &results, 0);
    const char first[] = M "plan 3 g 3\n" M "run TestA 7 1 g 0\n" M "end pass 0 TestA 7 1 g\n" M
                         "run TestDies 7 2 g 1\nabout to die";
    uint64_t resume = 0;
    rn_out_feed(o, first, sizeof first - 1, 1000);
    assert_int_equal(rn_out_process_died(o, SIGABRT, 0, 3000, 0, &resume), 1);
    assert_int_equal(resume, 2); /* after TestDies */
    const char second[] = M "plan 1 g 3\n" M "run TestHangs 8 1 g 2\n";
    rn_out_feed(o, second, sizeof second - 1, 4000);
    assert_int_equal(rn_out_progress_ns(o), 4000);
    assert_int_equal(rn_out_process_died(o, SIGKILL, 1500000000ull, 5000, 2, &resume), 1);
    assert_int_equal(resume, 3);
    /* Nothing running and nothing after: done, whatever the status. */
    assert_int_equal(rn_out_process_died(o, 0, 0, 6000, 3, &resume), 0);
    assert_int_equal(rn_out_process_died(o, SIGSEGV, 0, 6000, 3, &resume), 0);
    rn_exit_info info = {.binary = "./b", .trace = "t", .elapsed_ns = 1, .now_ns = 7000};
    assert_int_equal(rn_out_finish(o, &info), 1);
    rn_out_free(o);
    fclose(fo);
    fclose(fe);
    assert_non_null(strstr(out, "--- FAIL: TestDies"));
    assert_non_null(strstr(out, "    about to die\n    the binary ended during this test: "
                                "signal: aborted\n"));
    assert_non_null(strstr(out, "--- FAIL: TestHangs"));
    assert_non_null(strstr(out, "    test timed out after 1.5s: killed\n"));
    assert_int_equal(results.n, 3);
    assert_int_equal(results.v[1].status, RN_STATUS_CRASH);
    assert_int_equal(results.v[1].pid, 7);
    assert_int_equal(results.v[1].task, 2);
    assert_non_null(strstr(results.v[1].output, "about to die"));
    assert_int_equal(results.v[2].status, RN_STATUS_TIMEOUT);
    assert_int_equal(results.v[2].pid, 8);
    assert_string_equal(results.v[2].group, "g");
    assert_null(results.v[0].output); /* passed: nothing kept */
    rn_results_free(&results);
    free(out);
    free(err);
}

static void test_print_no_tests(void **state)
{
    (void)state;
    /* A group ran with no test selected (-run matched none): a warning. */
    struct printed p = print_str("[==========] Running 0 test(s).\n" M "plan 0 g 0\n"
                                 "[==========] 0 test(s) run.\n[  PASSED  ] 0 test(s).\n",
                                 0, EXIT(0));
    assert_string_equal(p.out, "testing: warning: no tests to run\n"
                               "ok  \t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.rc, 0);
    done(&p);

    /* A group ran, then the binary exited 77: a failure like any other. */
    p = print_str(M "plan 0 g 0\n", 0, EXIT(77));
    assert_string_equal(p.out, "FAIL\nbinary exited with status 77\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.rc, 1);
    done(&p);
}

/* No cmocka group ran: what the binary printed, why, and what to do. */
static void test_print_no_group_fails(void **state)
{
    (void)state;
    struct printed p = print_str("hello\n", 0, EXIT(0));
    assert_string_equal(p.out, "hello\nFAIL\n"
                               "no cmocka group ran: ctest-trace runs cmocka test binaries, "
                               "whose groups run with cmocka_run_group_tests() or "
                               "ct_run_group_tests(); is this one?\n"
                               "(a binary that skips itself exits 77 before any group)\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    assert_int_equal(p.rc, 1);
    done(&p);

    p = print_str("", 0, EXIT(3)); /* how it ended, then why it is no test run */
    assert_non_null(strstr(p.out, "FAIL\nbinary exited with status 3\nno cmocka group ran: "));
    assert_int_equal(p.rc, 1);
    done(&p);
}

static void test_print_exit_77_before_a_group_skips(void **state)
{
    (void)state;
    char *out = NULL;
    size_t out_len = 0;
    FILE *fo = open_memstream(&out, &out_len);
    rn_out *o = rn_out_new(fo, stderr, 0, 0);
    rn_results results = {0};
    rn_out_keep_results(o, &results, 0);
    rn_out_feed(o, "no device here\n", 15, 0);
    rn_exit_info info = {.binary = "./b", .trace = "t", .elapsed_ns = 2000000,
                         .wait_status = EXIT(77)};
    assert_int_equal(rn_out_finish(o, &info), RN_EXIT_SKIPPED);
    rn_out_free(o);
    fclose(fo);
    assert_string_equal(out, "no device here\n"
                             "exit status 77 before any cmocka group ran: the binary skipped "
                             "itself\n"
                             "SKIP\t./b\t0.002s\ttrace: t\n");
    assert_int_equal(results.n, 1); /* for --junit: the binary's own line */
    assert_string_equal(results.v[0].name, "(no cmocka group ran)");
    assert_int_equal(results.v[0].status, RN_STATUS_SKIP);
    assert_int_equal(results.v[0].task, 0);
    rn_results_free(&results);
    free(out);
}

static void test_print_untraced_binary(void **state)
{
    (void)state;
    /* cmocka ran tests but no marker came: show what it printed, as is, and
     * fail, whatever the exit status. */
    const char in[] = "[ RUN      ] t_bad\n[   LINE   ] --- x.c:1: error: Failure!\n"
                      "[  FAILED  ] t_bad\n";
    for (int code = 0; code <= 1; code++) {
        struct printed p = print_str(in, 0, EXIT(code));
        assert_non_null(strstr(p.out, "[ RUN      ] t_bad\n"
                                      "[   LINE   ] --- x.c:1: error: Failure!\n"
                                      "[  FAILED  ] t_bad\n"
                                      "FAIL\n"));
        assert_non_null(strstr(p.out, "no test was traced: cmocka ran tests, but no cmocka "
                                      "group the tracer hooks"));
        assert_non_null(strstr(p.out, "\nFAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n"));
        assert_int_equal(p.rc, 1);
        assert_true(p.counts.untraced);
        done(&p);
    }
}

/* ---- what the trace says when markers were lost -------------------------------- */

static rn_traced_task traced_task(uint64_t task, const char *name, rn_test_status status,
                                  int unended)
{
    return (rn_traced_task){.task = task, .name = (char *)name, .name_len = strlen(name),
                            .status = status, .unended = unended, .duration_ns = 5000000,
                            .fixture = strstr(name, " setup") != NULL};
}

static void test_print_from_trace_after_lost_output(void **state)
{
    (void)state;
    char *out = NULL, *err = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *fo = open_memstream(&out, &out_len), *fe = open_memstream(&err, &err_len);
    rn_out *o = rn_out_new(fo, fe, 1, 0);
    const char in[] = M "plan 4 g 4\n" M "run TestA 7 1 g 0\n" M "end pass 0 TestA 7 1 g\n" M
                      "run TestLoses 7 2 g 1\nlosing it\n";
    rn_out_feed(o, in, sizeof in - 1, 1000);
    /* Its tracer counted four tests begun, three ended: two markers short. */
    ct_child_progress counted = {.tests_begun = 4, .tests_ended = 3};
    assert_true(rn_out_unaccounted(o, &counted));
    rn_traced_task tasks[] = {
        traced_task(1, "TestA", RN_STATUS_PASS, 0),
        traced_task(2, "TestLoses", RN_STATUS_PASS, 0),
        traced_task(3, "TestFails", RN_STATUS_FAIL, 0),
        traced_task(4, "TestDies", RN_STATUS_CRASH, 1),
    };
    tasks[2].message = "x.c:9: boom", tasks[2].message_len = 11;
    rn_traced t = {.v = tasks, .n = 4, .found = 1, .ended = 1};
    rn_out_from_trace(o, 7, &t, 0, 9000000000ull);
    uint64_t resume = 0;
    assert_int_equal(rn_out_process_died(o, SIGABRT, 0, 9000000000ull, 0, &resume), 1);
    assert_int_equal(resume, 4); /* after TestDies, the fourth run */
    rn_exit_info info = {.binary = "./b", .trace = "t", .now_ns = 9000000000ull,
                         .wait_status = SIGABRT};
    assert_int_equal(rn_out_finish(o, &info), 1);
    rn_out_free(o);
    fclose(fo);
    fclose(fe);
    assert_non_null(strstr(out, "=== RUN   TestLoses\nlosing it\n(the test's output ends here"));
    assert_non_null(strstr(out, "--- PASS: TestLoses (0.01s)\n=== RUN   TestFails\n"
                                "x.c:9: boom\n--- FAIL: TestFails (0.01s)\n"));
    assert_non_null(strstr(out, "=== RUN   TestDies\nthe binary ended during this test: "
                                "signal: aborted\n--- FAIL: TestDies (0.01s)\n"));
    assert_non_null(strstr(err, "its output was lost in TestLoses"));
    assert_non_null(strstr(err, "the results of 2 tests from there on"));
    free(out);
    free(err);
}

static void test_print_from_trace_when_all_was_said(void **state)
{
    (void)state;
    char *out = NULL;
    size_t out_len = 0;
    FILE *fo = open_memstream(&out, &out_len);
    rn_out *o = rn_out_new(fo, stderr, 1, 0);
    const char in[] = M "plan 1 g 1\n" M "run TestA 7 1 g 0\n" M "end pass 0 TestA 7 1 g\n";
    rn_out_feed(o, in, sizeof in - 1, 1000);
    ct_child_progress counted = {.tests_begun = 1, .tests_ended = 1};
    assert_false(rn_out_unaccounted(o, &counted)); /* the markers said what was counted */
    counted.tests_begun = counted.tests_ended = 2;
    assert_true(rn_out_unaccounted(o, &counted)); /* a test more: its markers were lost */
    rn_traced_task tasks[] = {traced_task(1, "TestA", RN_STATUS_PASS, 0)};
    rn_traced t = {.v = tasks, .n = 1, .found = 1, .ended = 1};
    rn_out_from_trace(o, 7, &t, 0, 2000);
    rn_exit_info info = {.binary = "./b", .trace = "t", .wait_status = EXIT(0)};
    assert_int_equal(rn_out_finish(o, &info), 0);
    rn_out_free(o);
    fclose(fo);
    assert_string_equal(out, "=== RUN   TestA\n--- PASS: TestA (0.00s)\nPASS\n"
                             "ok  \t./b\t0.000s\ttrace: t\n");
    free(out);
}

static void test_print_from_trace_with_a_gap_goes_no_further(void **state)
{
    (void)state;
    char *out = NULL;
    size_t out_len = 0;
    FILE *fo = open_memstream(&out, &out_len);
    rn_out *o = rn_out_new(fo, fo, 0, 0);
    /* A resumed process (at 5) that said nothing: a setup failed, then a crash. */
    rn_traced_task tasks[] = {
        traced_task(1, "TestB", RN_STATUS_PASS, 0),
        traced_task(2, "g2 setup", RN_STATUS_ERROR, 0),
        traced_task(3, "TestC", RN_STATUS_CRASH, 1),
    };
    rn_traced t = {.v = tasks, .n = 3, .found = 1, .ended = 1};
    ct_child_progress counted = {.tests_begun = 2, .tests_ended = 1, .fixtures_begun = 1,
                                 .fixtures_ended = 1};
    assert_true(rn_out_unaccounted(o, &counted)); /* no marker came from it */
    rn_out_from_trace(o, 9, &t, 5, 3000);
    uint64_t resume = 0;
    assert_int_equal(rn_out_process_died(o, SIGSEGV, 0, 3000, 5, &resume), 0);
    rn_out_free(o);
    fclose(fo);
    assert_non_null(strstr(out, "--- FAIL: g2 setup"));
    assert_non_null(strstr(out, "--- FAIL: TestC"));
    assert_non_null(strstr(out, "the tests after this point did not run"));
    free(out);
}

static void test_print_marker_after_partial_line(void **state)
{
    (void)state;
    struct printed p = print_str(M "run T\nno newline" M "end fail 0 T\n[  FAILED  ] T\n"
                                   "after\n",
                                 0, EXIT(0));
    assert_string_equal(p.out, "--- FAIL: T (0.00s)\n"
                               "    no newline\n"
                               "after\n"
                               "FAIL\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    done(&p);
}

/* As cmocka and the tracer print it under the runner: cmocka's framing is
 * dropped at the source, and the end marker comes at cmocka's verdict, after
 * every message about the test. A group's summary may follow. */
static const char cmocka_order[] =
    M "plan 3 g 3\n" M "run t_fail 1 1 g 0\n"
    "stdout before failing\n"
    "[  ERROR   ] --- 0x1 != 0x2\n"
    "[   LINE   ] --- cm.c:6: error: Failure!\n" M "end fail 76800 t_fail 1 1 g\n"
    "between tests\n" M "run t_err 1 2 g 1\n"
    "Could not run test: Test setup failed\n" M "end error 2190 t_err 1 2 g\n"
    "[  ERROR   ] t_err\n" M "run t_last 1 3 g 2\n"
    "[  ERROR   ] --- last words\n" M "end fail 0 t_last 1 3 g\n"
    "[  FAILED  ] 2 test(s), listed below:\n"
    "[  FAILED  ] t_fail\n"
    "[  FAILED  ] t_last\n"
    "\n"
    " 3 FAILED TEST(S)\n";

static void test_print_messages_before_end_marker(void **state)
{
    (void)state;
    struct printed p = print_str(cmocka_order, 0, EXIT(3));
    assert_string_equal(p.out, "--- FAIL: t_fail (0.00s)\n"
                               "    stdout before failing\n"
                               "    [  ERROR   ] --- 0x1 != 0x2\n"
                               "    [   LINE   ] --- cm.c:6: error: Failure!\n"
                               "between tests\n"
                               "--- FAIL: t_err (0.00s)\n"
                               "    Could not run test: Test setup failed\n"
                               "--- FAIL: t_last (0.00s)\n"
                               "    [  ERROR   ] --- last words\n"
                               "FAIL\n"
                               "binary exited with status 3\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    done(&p);

    p = print_str(cmocka_order, 1, EXIT(3));
    assert_string_equal(p.out, "=== RUN   t_fail\n"
                               "stdout before failing\n"
                               "[  ERROR   ] --- 0x1 != 0x2\n"
                               "[   LINE   ] --- cm.c:6: error: Failure!\n"
                               "--- FAIL: t_fail (0.00s)\n"
                               "between tests\n"
                               "=== RUN   t_err\n"
                               "Could not run test: Test setup failed\n"
                               "--- FAIL: t_err (0.00s)\n"
                               "=== RUN   t_last\n"
                               "[  ERROR   ] --- last words\n"
                               "--- FAIL: t_last (0.00s)\n"
                               "FAIL\n"
                               "binary exited with status 3\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    done(&p);
}

static void test_print_names_escaped_output_raw(void **state)
{
    (void)state;
    struct printed p = print_str(M "run Evil%1B[2J%0A\nbytes \xff\xfe\x1b[0m\n" M
                                 "end fail 0 Evil%1B[2J%0A\n",
                                 1, EXIT(0));
    assert_string_equal(p.out, "=== RUN   Evil\\x1b[2J\\n\n"
                               "bytes \xff\xfe\x1b[0m\n"
                               "--- FAIL: Evil\\x1b[2J\\n (0.00s)\n"
                               "FAIL\n"
                               "FAIL\t./pipeline_test\t0.045s\ttrace: trace.out\n");
    done(&p);
}

static void test_print_long_line_then_marker(void **state)
{
    (void)state;
    size_t n = RN_LINE_MAX * 3 + 17;
    const char head[] = M "run T\n";
    const char tail[] = "END" M "end pass 0 T\n";
    char *in = malloc(sizeof head + n + sizeof tail);
    assert_non_null(in);
    size_t len = 0;
    memcpy(in, head, sizeof head - 1), len += sizeof head - 1;
    memset(in + len, 'x', n), len += n;
    memcpy(in + len, tail, sizeof tail - 1), len += sizeof tail - 1;

    for (size_t chunk = 0; chunk <= 4096; chunk += 4096) {
        struct printed p = print_run(in, len, 1, chunk, EXIT(0), 0);
        const char *line = strchr(p.out, '\n') + 1; /* after "=== RUN   T" */
        assert_true(strspn(line, "x") == n);
        assert_string_equal(line + n, "END\n--- PASS: T (0.00s)\nPASS\n"
                                      "ok  \t./pipeline_test\t0.045s\ttrace: trace.out\n");
        done(&p);
    }
    free(in);
}

static void test_print_huge_failing_output_is_capped(void **state)
{
    (void)state;
    char in[4096];
    int len = snprintf(in, sizeof in, M "run T\n");
    for (int i = 0; i < 100; i++)
        len += snprintf(in + len, sizeof in - (size_t)len, "line %02d\n", i);
    len += snprintf(in + len, sizeof in - (size_t)len, "the failure\n" M "end fail 0 T\n");
    struct printed p = print_run(in, (size_t)len, 0, 0, EXIT(1), 200);
    assert_non_null(strstr(p.out, "    line 00\n"));
    assert_non_null(strstr(p.out, "bytes of output omitted"));
    assert_non_null(strstr(p.out, "    the failure\n"));
    assert_null(strstr(p.out, "line 50"));
    done(&p);
}

static void test_print_trace_none_and_hidden_markers(void **state)
{
    (void)state;
    struct printed p = {0};
    size_t out_len = 0;
    FILE *out = open_memstream(&p.out, &out_len);
    rn_out *o = rn_out_new(out, stderr, 1, 0);
    const char in[] = M "run T\n" M "progress 50%\n" M "end pass 0 T\n";
    rn_out_feed(o, in, sizeof in - 1, 0);
    rn_exit_info info = {.binary = "t", .trace = NULL, .wait_status = EXIT(0)};
    assert_int_equal(rn_out_finish(o, &info), 0);
    rn_out_free(o);
    fclose(out);
    assert_string_equal(p.out, "=== RUN   T\n--- PASS: T (0.00s)\nPASS\n"
                               "ok  \tt\t0.000s\ttrace: none\n");
    assert_null(strchr(p.out, '\036'));
    free(p.out);
}

/* ---- rules that judged no test --------------------------------------------------- */

static const char judged_rules[] =
    "region(fecth).max<1ms\n"       /* nothing to judge in the tests it was checked in */
    "TestNope:sync.max<1s\n"        /* its regex names no test that ran */
    "task(t).max<1s\n"              /* judged in the second process only */
    "TestA:region(r).max<1s\n"      /* TestA ran, but failed before its body returned */
    "region(\"a\\\"b\").max<1s\n" /* quotes in the warning */
    "sync.max<1ms";

/* What rn_judged_warn() says after `input` went through a printer. */
static char *judged_warnings(const char *input, size_t *warned)
{
    rn_judged *j = rn_judged_new(judged_rules);
    assert_non_null(j);
    char *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len);
    FILE *err = open_memstream(&err_text, &err_len);
    rn_out *o = rn_out_new(out, out, 1, 0);
    rn_out_watch_rules(o, j);
    rn_out_feed(o, input, strlen(input), 0);
    rn_exit_info info = {.binary = "t", .wait_status = EXIT(0)};
    rn_out_finish(o, &info);
    rn_out_free(o);
    *warned = rn_judged_warn(j, err);
    rn_judged_free(j);
    fclose(out);
    fclose(err);
    assert_null(strchr(out_text, '\036')); /* rules markers are never shown */
    free(out_text);
    return err_text;
}

static void test_judged_warns_of_rules_that_judged_nothing(void **state)
{
    (void)state;
    size_t warned;
    char *err = judged_warnings(M "run TestA\n" M "end fail 1 TestA\n"
                                M "run TestB\n" M "end pass 1 TestB\n" M "rules 0-0-01\n"
                                M "rules 111\n" /* not for these rules: ignored */
                                M "rules --1---\n" /* another process */, &warned);
    assert_int_equal(warned, 3);
    assert_string_equal(err,
        "ctest-trace: warning: --assert \"region(fecth).max<1ms\" judged no test: no selected "
        "test finished a region \"fecth\"\n"
        "ctest-trace: warning: --assert \"TestNope:sync.max<1s\" judged no test: no test that "
        "ran matches \"TestNope\"\n"
        "ctest-trace: warning: --assert \"region(\\\"a\\\\\\\"b\\\").max<1s\" judged no test: no "
        "selected test finished a region \"a\\\"b\"\n");
    free(err);
}

static void test_judged_says_nothing_when_no_test_ran(void **state)
{
    (void)state;
    size_t warned;
    char *err = judged_warnings("no tests here\n", &warned);
    assert_int_equal(warned, 0);
    assert_string_equal(err, "");
    free(err);
    assert_null(rn_judged_new(""));
    assert_int_equal(rn_judged_warn(NULL, stderr), 0);
}

static void test_wait_status_text(void **state)
{
    (void)state;
    char buf[128];
    rn_wait_status_text(EXIT(0), buf, sizeof buf);
    assert_string_equal(buf, "");
    rn_wait_status_text(EXIT(3), buf, sizeof buf);
    assert_string_equal(buf, "exit status 3");
    rn_wait_status_text(SIGKILL, buf, sizeof buf);
    assert_string_equal(buf, "signal: killed");
    rn_wait_status_text(SIGABRT | 0x80, buf, sizeof buf);
    assert_string_equal(buf, "signal: aborted (core dumped)");
    rn_wait_status_text(SIGINT, buf, sizeof buf);
    assert_string_equal(buf, "signal: interrupt");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker_run_and_end),
        cmocka_unit_test(test_marker_where_the_test_is),
        cmocka_unit_test(test_marker_rules),
        cmocka_unit_test(test_marker_lost),
        cmocka_unit_test(test_marker_malformed_or_unknown_is_hidden),
        cmocka_unit_test(test_marker_not_a_marker),
        cmocka_unit_test(test_marker_find),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_escape_name),
        cmocka_unit_test(test_filter_drops_framing),
        cmocka_unit_test(test_filter_keeps_failures_and_output),
        cmocka_unit_test(test_filter_summary_and_run_lines),
        cmocka_unit_test(test_buf_keeps_head_and_tail),
        cmocka_unit_test(test_print_pass_quiet),
        cmocka_unit_test(test_an_untraced_group_after_the_traced_fails),
        cmocka_unit_test(test_print_pass_verbose),
        cmocka_unit_test(test_print_pass_seconds),
        cmocka_unit_test(test_print_test_that_lost_events),
        cmocka_unit_test(test_print_attachment_of_failed_test),
        cmocka_unit_test(test_print_losses_outside_tests),
        cmocka_unit_test(test_print_fail_quiet),
        cmocka_unit_test(test_print_fail_verbose),
        cmocka_unit_test(test_print_any_split_same_output),
        cmocka_unit_test(test_print_fail_with_exit_0),
        cmocka_unit_test(test_print_crash_in_a_test),
        cmocka_unit_test(test_print_crash_cmocka_caught),
        cmocka_unit_test(test_print_process_died_then_resumed),
        cmocka_unit_test(test_print_no_tests),
        cmocka_unit_test(test_print_no_group_fails),
        cmocka_unit_test(test_print_exit_77_before_a_group_skips),
        cmocka_unit_test(test_print_untraced_binary),
        cmocka_unit_test(test_print_from_trace_after_lost_output),
        cmocka_unit_test(test_print_from_trace_when_all_was_said),
        cmocka_unit_test(test_print_from_trace_with_a_gap_goes_no_further),
        cmocka_unit_test(test_print_marker_after_partial_line),
        cmocka_unit_test(test_print_messages_before_end_marker),
        cmocka_unit_test(test_print_names_escaped_output_raw),
        cmocka_unit_test(test_print_long_line_then_marker),
        cmocka_unit_test(test_print_huge_failing_output_is_capped),
        cmocka_unit_test(test_print_trace_none_and_hidden_markers),
        cmocka_unit_test(test_judged_warns_of_rules_that_judged_nothing),
        cmocka_unit_test(test_judged_says_nothing_when_no_test_ran),
        cmocka_unit_test(test_wait_status_text),
    };
    rn_marker_set_nonce(NONCE);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
