/*
 * test_rules.c - the --assert rule language (assertions/rules.h): every
 * metric, operator and value form read into the right rule, and every
 * mistake refused with its message and the column it points at.
 */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>  /* regcomp, regerror: the expected text of a bad regex */
#include <stdio.h>  /* snprintf */
#include <string.h> /* memset, strcmp */

#include "assertions/rules.h"

#define US 1000ull
#define MS 1000000ull
#define SEC 1000000000ull

/* `text` read; the test fails with the parser's message if it is refused. */
static ct_rule parsed(const char *text)
{
    ct_rule r;
    ct_rule_error err;
    if (ct_rule_parse(text, &r, &err) != 0)
        fail_msg("rule \"%s\" refused: column %u: %s", text, err.column, err.message);
    return r;
}

/* `text` refused with exactly `message` at exactly `column`, *out emptied. */
static void refused(const char *text, unsigned column, const char *message)
{
    ct_rule r;
    memset(&r, 0xa5, sizeof r); /* garbage in: the parser must empty it */
    ct_rule_error err;
    if (ct_rule_parse(text, &r, &err) == 0)
        fail_msg("rule \"%s\" accepted", text);
    if (strcmp(err.message, message) != 0 || err.column != column)
        fail_msg("rule \"%s\":\n  got  column %u: %s\n  want column %u: %s", text,
                 err.column, err.message, column, message);
    assert_null(r.test_regex);
    assert_null(r.name);
    assert_null(r.text);
    assert_int_equal(r.value, 0);
}

/* ---- what is read --------------------------------------------------------- */

static void test_every_metric(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        ct_rule_metric metric;
        const char *name;
    } cases[] = {
        {"region(fetch).max<1ms", CT_RULE_REGION_MAX, "fetch"},
        {"region(fetch).p50<1ms", CT_RULE_REGION_P50, "fetch"},
        {"region(fetch).p95<1ms", CT_RULE_REGION_P95, "fetch"},
        {"region(fetch).p99<1ms", CT_RULE_REGION_P99, "fetch"},
        {"region(fetch).count<1", CT_RULE_REGION_COUNT, "fetch"},
        {"task(worker).max<1ms", CT_RULE_TASK_MAX, "worker"},
        {"test.duration<1ms", CT_RULE_TEST_DURATION, NULL},
        {"sync.max<1ms", CT_RULE_SYNC_MAX, NULL},
        {"sync.total<1ms", CT_RULE_SYNC_TOTAL, NULL},
        {"syscall.max<1ms", CT_RULE_SYSCALL_MAX, NULL},
        {"net.max<1ms", CT_RULE_NET_MAX, NULL},
        {"sched.max<1ms", CT_RULE_SCHED_MAX, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_rule r = parsed(cases[i].text);
        assert_int_equal(r.metric, cases[i].metric);
        if (cases[i].name == NULL)
            assert_null(r.name);
        else
            assert_string_equal(r.name, cases[i].name);
        assert_null(r.test_regex);
        assert_int_equal(r.op, CT_RULE_LT);
        assert_int_equal(r.value, cases[i].metric == CT_RULE_REGION_COUNT ? 1 : MS);
        assert_string_equal(r.text, cases[i].text);
        ct_rule_free(&r);
    }
}

static void test_every_operator(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        ct_rule_op op;
    } cases[] = {
        {"sync.max<5ms", CT_RULE_LT},  {"sync.max<=5ms", CT_RULE_LE},
        {"sync.max>5ms", CT_RULE_GT},  {"sync.max>=5ms", CT_RULE_GE},
        {"sync.max==5ms", CT_RULE_EQ},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_rule r = parsed(cases[i].text);
        assert_int_equal(r.op, cases[i].op);
        assert_int_equal(r.value, 5 * MS);
        ct_rule_free(&r);
    }
    assert_string_equal(ct_rule_op_text(CT_RULE_LT), "<");
    assert_string_equal(ct_rule_op_text(CT_RULE_LE), "<=");
    assert_string_equal(ct_rule_op_text(CT_RULE_GT), ">");
    assert_string_equal(ct_rule_op_text(CT_RULE_GE), ">=");
    assert_string_equal(ct_rule_op_text(CT_RULE_EQ), "==");
}

static void test_duration_or_count(void **state)
{
    (void)state;
    for (int m = CT_RULE_REGION_MAX; m <= CT_RULE_SCHED_MAX; m++)
        assert_int_equal(ct_rule_metric_is_duration((ct_rule_metric)m),
                         m != CT_RULE_REGION_COUNT);
}

static uint64_t value_of(const char *text)
{
    ct_rule r = parsed(text);
    uint64_t v = r.value;
    ct_rule_free(&r);
    return v;
}

static void test_durations(void **state)
{
    (void)state;
    assert_int_equal(value_of("sync.max<25ms"), 25 * MS);
    assert_int_equal(value_of("sync.max<1.5s"), 1500 * MS);
    assert_int_equal(value_of("sync.max<1m30s"), 90 * SEC);
    assert_int_equal(value_of("sync.max<850ns"), 850);
    assert_int_equal(value_of("sync.max<12us"), 12 * US);
    assert_int_equal(value_of("sync.max<12\xc2\xb5s"), 12 * US); /* µs */
    assert_int_equal(value_of("sync.max<.5ms"), 500 * US);
    assert_int_equal(value_of("sync.max<2h"), 7200 * SEC);
    assert_int_equal(value_of("sync.max<0"), 0); /* the one duration without a unit */
    assert_int_equal(value_of("sync.max<0s"), 0);
    assert_int_equal(value_of("sync.max<18446744073709551615ns"), UINT64_MAX);
}

static void test_counts(void **state)
{
    (void)state;
    assert_int_equal(value_of("region(r).count==0"), 0);
    assert_int_equal(value_of("region(r).count>=4"), 4);
    assert_int_equal(value_of("region(r).count<18446744073709551615"), UINT64_MAX);
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *text, *name;
    } cases[] = {
        {"region(\"a)b\").max<1ms", "a)b"},
        {"region(\"say \\\"hi\\\" \\\\ back\").max<1ms", "say \"hi\" \\ back"},
        {"region(\"(\").max<1ms", "("},
        {"task(\"db.query\").max<1ms", "db.query"},
        {"region( db query ).max<1ms", " db query "}, /* bare: every byte but ')' */
        {"region(a(b).max<1ms", "a(b"},
        {"region(a\"b).max<1ms", "a\"b"}, /* a quote not at the start is a byte */
        {"region(x:sync.max).max<1ms", "x:sync.max"},
        {"region(caf\xc3\xa9).max<1ms", "caf\xc3\xa9"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_rule r = parsed(cases[i].text);
        assert_string_equal(r.name, cases[i].name);
        assert_null(r.test_regex);
        ct_rule_free(&r);
    }
}

static void test_regex_prefix(void **state)
{
    (void)state;
    static const struct {
        const char *text, *regex, *name;
    } cases[] = {
        {"TestX:region(fetch).p95<25ms", "TestX", "fetch"},
        {"TestX:region(a:b).max<1ms", "TestX", "a:b"},
        {"Test(A|B)$:sync.max<1ms", "Test(A|B)$", NULL},
        /* ':' followed by no metric belongs to the regex. */
        {"a:b:sync.max<1ms", "a:b", NULL},
        {"^Test[[:alpha:]]+:task(t).max<1s", "^Test[[:alpha:]]+", "t"},
        {"TestX: sync.max<1ms", "TestX", NULL}, /* spaces may follow the ':' */
        {"TestX:region(x:sync.max).max<1ms", "TestX", "x:sync.max"},
        {"region:test.duration<1s", "region", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ct_rule r = parsed(cases[i].text);
        assert_non_null(r.test_regex);
        assert_string_equal(r.test_regex, cases[i].regex);
        if (cases[i].name == NULL)
            assert_null(r.name);
        else
            assert_string_equal(r.name, cases[i].name);
        ct_rule_free(&r);
    }
}

static void test_spaces(void **state)
{
    (void)state;
    ct_rule r = parsed("   Test:region(a).p99   <=   250us   ");
    assert_string_equal(r.test_regex, "Test");
    assert_int_equal(r.metric, CT_RULE_REGION_P99);
    assert_string_equal(r.name, "a");
    assert_int_equal(r.op, CT_RULE_LE);
    assert_int_equal(r.value, 250 * US);
    assert_string_equal(r.text, "Test:region(a).p99   <=   250us");
    ct_rule_free(&r);
    ct_rule_free(&r); /* an emptied rule frees again */
}

/* The text a rule keeps reads back as the same rule (what the runner hands
 * the test process). */
static void test_text_round_trip(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "  TestX:region(\"a)\\\\\").count >= 3 ",
        "task(w).max==1h2m3.5s",
        " sync.total > 0",
        "a:b: net.max<=12\xce\xbcs  ",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ct_rule a = parsed(texts[i]);
        ct_rule b = parsed(a.text);
        assert_string_equal(b.text, a.text);
        assert_int_equal(b.metric, a.metric);
        assert_int_equal(b.op, a.op);
        assert_int_equal(b.value, a.value);
        assert_true((a.name == NULL) == (b.name == NULL));
        if (a.name != NULL)
            assert_string_equal(b.name, a.name);
        assert_true((a.test_regex == NULL) == (b.test_regex == NULL));
        if (a.test_regex != NULL)
            assert_string_equal(b.test_regex, a.test_regex);
        ct_rule_free(&a);
        ct_rule_free(&b);
    }
    ct_rule r = parsed("  TestX:region(\"a)\\\\\").count >= 3 ");
    assert_string_equal(r.text, "TestX:region(\"a)\\\\\").count >= 3");
    assert_string_equal(r.name, "a)\\");
    assert_int_equal(r.value, 3);
    ct_rule_free(&r);
}

/* ---- what is refused ---------------------------------------------------- */

#define ALL_METRICS                                                                        \
    "region(NAME).FIELD, task(NAME).max, test.duration, sync.max, sync.total, "            \
    "syscall.max, net.max or sched.max"
#define REGION_FIELDS "max, p50, p95, p99 or count"
#define OPS "expected <, <=, >, >= or =="
#define UNITS "(ns, us, ms, s, m, h)"

static void test_refused_empty_and_control_bytes(void **state)
{
    (void)state;
    refused("", 1, "empty rule");
    refused("    ", 1, "empty rule");
    refused(NULL, 1, "empty rule");
    refused("sync.max<1ms\n", 13, "control character \\n in the rule (a rule is one line of text)");
    refused("sync.max<1ms\nnet.max<1ms", 13,
            "control character \\n in the rule (a rule is one line of text)");
    refused("sync.max<\t1ms", 10, "control character \\t in the rule (a rule is one line of text)");
    refused("\rsync.max<1ms", 1, "control character \\r in the rule (a rule is one line of text)");
    refused("region(a\x01).max<1ms", 9,
            "control character \\x01 in the rule (a rule is one line of text)");
    refused("sync.max<1ms\x7f", 13,
            "control character \\x7f in the rule (a rule is one line of text)");
}

static void test_refused_metric(void **state)
{
    (void)state;
    refused("region(x).p90<1ms", 11,
            "unknown metric \"region(x).p90\": expected " REGION_FIELDS);
    refused("task(x).p95<1ms", 9, "unknown metric \"task(x).p95\": expected max");
    refused("sync.mean<1ms", 6, "unknown metric \"sync.mean\": expected max or total");
    refused("sync.maximum<1ms", 6, "unknown metric \"sync.maximum\": expected max or total");
    refused("test.time<1s", 6, "unknown metric \"test.time\": expected duration");
    refused("latency<1ms", 1, "unknown metric \"latency\": expected " ALL_METRICS);
    refused("Region(x).max<1ms", 1, "unknown metric \"Region\": expected " ALL_METRICS);
    refused("caf\xc3\xa9.max < 1ms", 1, "unknown metric \"caf\xc3\xa9.max\": expected " ALL_METRICS);
    refused("TestX:latency<1ms", 7, "unknown metric \"latency\": expected " ALL_METRICS);
    refused("a:b: latency<1ms", 6, "unknown metric \"latency\": expected " ALL_METRICS);
    refused("<1ms", 1, "missing metric: expected " ALL_METRICS);
    refused("TestX:", 7, "missing metric: expected " ALL_METRICS);
    refused("region(x)<1ms", 10, "missing field after \"region(x)\": expected " REGION_FIELDS);
    refused("region(x)max<1ms", 10, "missing field after \"region(x)\": expected " REGION_FIELDS);
    refused("region(x).<1ms", 11, "missing field after \"region(x).\": expected " REGION_FIELDS);
    refused("sync.<1ms", 6, "missing field after \"sync.\": expected max or total");
    refused("  sync.mean < 1ms", 8, "unknown metric \"sync.mean\": expected max or total");
    refused("sync.max.x<1ms", 9, "missing operator after \"sync.max\": " OPS);
}

static void test_refused_name(void **state)
{
    (void)state;
    refused("region(fetch.p95<25ms", 7, "missing ')': \"region(\" is never closed");
    refused("task(", 5, "missing ')': \"task(\" is never closed");
    refused("region().max<1ms", 8, "empty name in region()");
    refused("task().max<1ms", 6, "empty name in task()");
    refused("region(\"\").max<1ms", 8, "empty name in region(\"\")");
    refused("region(\"abc).max<1ms", 8, "the quoted name has no closing '\"'");
    refused("region(\"abc\\\").max<1ms", 8, "the quoted name has no closing '\"'");
    refused("region(\"abc\\", 8, "the quoted name has no closing '\"'");
    refused("region(\"a\\q\").max<1ms", 10,
            "unknown escape \"\\q\" in a quoted name: only \\\" and \\\\");
    refused("region(\"a\"b).max<1ms", 11, "missing ')' after the quoted name");
    refused("region(\"a\" ).max<1ms", 11, "missing ')' after the quoted name");
}

static void test_refused_operator(void **state)
{
    (void)state;
    refused("sync.max", 9, "missing operator after \"sync.max\": " OPS);
    refused("sync.max 5ms", 10, "missing operator after \"sync.max\": " OPS);
    refused("region(a b).max ~ 5ms", 17, "missing operator after \"region(a b).max\": " OPS);
    refused("sync.max=5ms", 9, "unknown operator \"=\": " OPS);
    refused("sync.max =< 5ms", 10, "unknown operator \"=<\": " OPS);
    refused("sync.max=>5ms", 9, "unknown operator \"=>\": " OPS);
    refused("sync.max!=5ms", 9, "unknown operator \"!=\": " OPS);
    refused("sync.max<<5ms", 9, "unknown operator \"<<\": " OPS);
    refused("sync.max<==5ms", 9, "unknown operator \"<==\": " OPS);
}

static void test_refused_value(void **state)
{
    (void)state;
    refused("sync.max<", 10, "missing value after \"<\"");
    refused("sync.max >=   ", 12, "missing value after \">=\"");
    refused("sync.max<25", 12, "duration \"25\" needs a unit, e.g. 25ms");
    refused("sync.max<1.5", 13, "duration \"1.5\" needs a unit, e.g. 1.5ms");
    refused("sync.max<00", 12, "duration \"00\" needs a unit, e.g. 00ms");
    refused("TestX:region(fetch).p95<25xs", 27,
            "invalid duration \"25xs\": unknown unit " UNITS);
    refused("sync.max<25MS", 12, "invalid duration \"25MS\": unknown unit " UNITS);
    refused("sync.max<1m30", 14, "invalid duration \"1m30\": missing unit " UNITS);
    refused("sync.max<-1ms", 10, "invalid duration \"-1ms\": negative duration");
    refused("sync.max<ms", 10,
            "invalid duration \"ms\": not a number and a unit (e.g. 500ms, 1m30s)");
    refused("sync.max<.", 10, "invalid duration \".\": a '.' needs digits");
    refused("sync.max<18446744073709551616ns", 10,
            "invalid duration \"18446744073709551616ns\": out of range (over 584 years)");
    refused("sync.max<5ms extra", 14, "unexpected \"extra\" after the value");
    refused("sync.max<1m 30s", 13, "unexpected \"30s\" after the value");
    refused("sync.max < 25 ms", 14, "duration \"25\" needs a unit, e.g. 25ms");
    refused("region(x).count<3ms", 18, "a count takes no unit: \"3ms\"");
    refused("region(x).count<1.5", 18, "count \"1.5\" is not a whole number");
    refused("region(x).count<-1", 17, "invalid count \"-1\": want a whole number >= 0");
    refused("region(x).count<18446744073709551616", 17,
            "count \"18446744073709551616\" out of range");
    refused("region(x).count<3 4", 19, "unexpected \"4\" after the value");
}

static void test_refused_regex(void **state)
{
    (void)state;
    regex_t re;
    int rc = regcomp(&re, "Test[", REG_EXTENDED | REG_NOSUB);
    assert_int_not_equal(rc, 0);
    char why[96], want[192];
    regerror(rc, &re, why, sizeof why);
    snprintf(want, sizeof want, "invalid test regex \"Test[\": %s", why);
    refused("Test[:sync.max<1ms", 1, want);
    refused("  Test[:sync.max<1ms", 3, want);
    refused(":sync.max<1ms", 1,
            "empty test regex before ':' (without one, a rule applies to every test)");
}

/* Quotes of the rule in a message are cut, so that the message is whole. */
static void test_long_quotes_cut(void **state)
{
    (void)state;
    char text[200], want[192];
    snprintf(text, sizeof text, "region(%s).p90<1ms",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); /* 60 */
    snprintf(want, sizeof want, "unknown metric \"%.40s...\": expected " REGION_FIELDS, text);
    refused(text, 70, want);
    snprintf(text, sizeof text, "%s<1ms",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    snprintf(want, sizeof want, "unknown metric \"%.40s...\": expected " ALL_METRICS, text);
    refused(text, 1, want);
}

static void test_error_may_be_null(void **state)
{
    (void)state;
    ct_rule r;
    assert_int_equal(ct_rule_parse("sync.max", &r, NULL), -1);
    assert_null(r.text);
    assert_int_equal(ct_rule_parse("sync.max<1s", &r, NULL), 0);
    assert_int_equal(r.value, SEC);
    ct_rule_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_metric),
        cmocka_unit_test(test_every_operator),
        cmocka_unit_test(test_duration_or_count),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_regex_prefix),
        cmocka_unit_test(test_spaces),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_refused_empty_and_control_bytes),
        cmocka_unit_test(test_refused_metric),
        cmocka_unit_test(test_refused_name),
        cmocka_unit_test(test_refused_operator),
        cmocka_unit_test(test_refused_value),
        cmocka_unit_test(test_refused_regex),
        cmocka_unit_test(test_long_quotes_cut),
        cmocka_unit_test(test_error_may_be_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
