/*
 * rules_eval.c - the --assert rules (assertions/rules.h), judged in the test
 * process when a test's body returns, like a ct_expect_* the test did not
 * have to write.
 *
 * The runner parsed and checked every rule before anything ran, and hands
 * them down in CTRACE_ASSERT, one per line; they are parsed again here.
 * A rule on a region or task applies to a test where one finished; with a
 * TEST_REGEX it names tests that must have one ("no instance ... finished").
 * A .count rule always applies: a count of 0 is a count.
 *
 * How far each rule got (ct_rule_state) is kept for the runner, which warns
 * about a rule that judged no test: a misspelt NAME judges nothing, silently.
 */
#include "assertions/rules_eval.h"

#include <inttypes.h> /* PRIu64 */
#include <regex.h>    /* regcomp, regexec */
#include <stdio.h>    /* fprintf, snprintf */
#include <stdlib.h>   /* calloc, malloc, free */
#include <string.h>   /* memcpy, memset, strchr, strndup */

#include <ctrace_cmocka.h> /* print_error */

#include "common/human.h" /* ctv_format_duration */
#include "assertions/check.h"
#include "assertions/expect.h" /* ct__judge_enter */
#include "assertions/live.h"   /* ct__live_arm */
#include "assertions/rules.h"
#include "format/wire.h"         /* CT_BLOCK_* */
#include "plugin/api_internal.h" /* ct__leave */
#include "common/clock.h"        /* ct__ticks */

struct loaded_rule {
    ct_rule rule;
    regex_t regex;
    int has_regex;
    size_t line; /* 0-based, in CTRACE_ASSERT: where the runner finds it */
};

static struct loaded_rule *rules;
static size_t n_rules;
/* A ct_rule_state a line of CTRACE_ASSERT, a rule ignored here included, so
 * that the runner's count and ours agree. */
static char *states;
static size_t n_lines;
static int states_rose; /* since ct__rules_changed() last said so */

void ct__rules_load(const char *text)
{
    if (!text || !*text)
        return;
    size_t lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    rules = calloc(lines, sizeof *rules);
    states = malloc(lines);
    if (!rules || !states) {
        free(rules);
        free(states);
        rules = NULL;
        states = NULL;
        return;
    }
    memset(states, CT_RULE_NOT_APPLIED, lines);
    ct__live_arm(0); /* the rules read the aggregates */
    unsigned line_no = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        char *one = strndup(line, nl ? (size_t)(nl - line) : strlen(line));
        line = nl ? nl + 1 : NULL;
        n_lines = ++line_no;
        if (!one)
            break;
        struct loaded_rule *r = &rules[n_rules];
        ct_rule_error err;
        if (one[0] == '\0') {
            free(one);
            continue;
        }
        if (ct_rule_parse(one, &r->rule, &err) != 0) {
            /* The runner checks rules first: only a hand-set CTRACE_ASSERT gets here. */
            fprintf(stderr, "ctrace: CTRACE_ASSERT rule %u, column %u: %s (rule ignored)\n",
                    line_no, err.column, err.message);
            free(one);
            continue;
        }
        free(one);
        r->line = line_no - 1;
        r->has_regex = r->rule.test_regex &&
                       regcomp(&r->regex, r->rule.test_regex, REG_EXTENDED | REG_NOSUB) == 0;
        n_rules++;
    }
}

static int holds(uint64_t value, ct_rule_op op, uint64_t limit)
{
    switch (op) {
    case CT_RULE_LT: return value < limit;
    case CT_RULE_LE: return value <= limit;
    case CT_RULE_GT: return value > limit;
    case CT_RULE_GE: return value >= limit;
    case CT_RULE_EQ: return value == limit;
    }
    return 0;
}

/* What a metric measures: its series (or none), and the words for it. */
static void measure(const ct_rule *r, ct__series **s, const char **subject, unsigned *wait_kind)
{
    *s = NULL;
    *wait_kind = 0;
    switch (r->metric) {
    case CT_RULE_REGION_MAX: case CT_RULE_REGION_P50: case CT_RULE_REGION_P95:
    case CT_RULE_REGION_P99: case CT_RULE_REGION_COUNT:
        *s = ct__live_find(CT_SERIES_REGION, r->name, 0);
        *subject = "region";
        return;
    case CT_RULE_TASK_MAX:
        *s = ct__live_find(CT_SERIES_TASK, r->name, 0);
        *subject = "task";
        return;
    case CT_RULE_TEST_DURATION:
        *subject = "test";
        return;
    case CT_RULE_SYNC_MAX: case CT_RULE_SYNC_TOTAL: *wait_kind = CT_BLOCK_SYNC; break;
    case CT_RULE_SYSCALL_MAX: *wait_kind = CT_BLOCK_SYSCALL; break;
    case CT_RULE_NET_MAX: *wait_kind = CT_BLOCK_NET; break;
    case CT_RULE_SCHED_MAX: *wait_kind = CT_BLOCK_SCHED; break;
    }
    *s = ct__live_find(CT_SERIES_WAIT, NULL, *wait_kind);
    *subject = ct__wait_kind_words(*wait_kind);
}

static const char *field_words(ct_rule_metric m)
{
    switch (m) {
    case CT_RULE_REGION_P50: return " p50";
    case CT_RULE_REGION_P95: return " p95";
    case CT_RULE_REGION_P99: return " p99";
    case CT_RULE_SYNC_TOTAL: return " in total";
    case CT_RULE_TEST_DURATION: case CT_RULE_REGION_MAX: case CT_RULE_TASK_MAX: return " took";
    default: return "";
    }
}

static double quantile_of(ct_rule_metric m)
{
    return m == CT_RULE_REGION_P50 ? 0.50 : m == CT_RULE_REGION_P95 ? 0.95 : 0.99;
}

typedef enum verdict {
    NOTHING_TO_JUDGE, /* a rule for every test, on a region or task this test has none of */
    HOLDS,
    FAILS,            /* msg says why */
} verdict;

/* Judge rule lr over the current test. */
static verdict judge_rule(const struct loaded_rule *lr, char *msg, size_t cap)
{
    const ct_rule *r = &lr->rule;
    char rule_text[CT_CHECK_MESSAGE / 4];
    ct__quote(rule_text, sizeof rule_text, r->text);
    ct__series *s;
    const char *subject;
    unsigned wait_kind;
    measure(r, &s, &subject, &wait_kind);
    ct__live_sum sum;
    ct__live_sum_of(s, &sum);
    int named = r->metric <= CT_RULE_TASK_MAX;
    if (named && sum.count == 0 && r->metric != CT_RULE_REGION_COUNT) {
        if (!lr->has_regex)
            return NOTHING_TO_JUDGE;
        snprintf(msg, cap, "--assert %s: ", rule_text);
        ct__describe_no_instance(msg, cap, subject, r->name);
        return FAILS;
    }
    uint64_t value;
    switch (r->metric) {
    case CT_RULE_REGION_P50: case CT_RULE_REGION_P95: case CT_RULE_REGION_P99:
        value = ct__live_quantile(s, &sum, quantile_of(r->metric));
        break;
    case CT_RULE_REGION_COUNT: value = sum.count; break;
    case CT_RULE_SYNC_TOTAL: value = sum.total_ns; break;
    case CT_RULE_TEST_DURATION: value = ct__into_test_ns(ct__ticks()); break;
    default: value = sum.max_ns; break;
    }
    uint64_t lost = ct__live_window_lost();
    if (holds(value, r->op, r->value)) {
        if (!lost)
            return HOLDS;
        snprintf(msg, cap, "--assert %s: ", rule_text); /* a pass that saw only part */
        ct__describe_loss(msg, cap, lost, 1);
        return FAILS;
    }
    char who[CT_CHECK_MESSAGE / 4] = "", measured[CTV_HUMAN_BUF], limit[CTV_HUMAN_BUF];
    if (named) {
        who[0] = ' ';
        ct__quote(who + 1, sizeof who - 1, r->name);
    }
    if (r->metric == CT_RULE_REGION_COUNT) {
        snprintf(msg, cap, "--assert %s: region%s finished %" PRIu64 " time%s in this test, not %s %" PRIu64,
                 rule_text, who, value, value == 1 ? "" : "s", ct_rule_op_text(r->op), r->value);
    } else {
        snprintf(msg, cap, "--assert %s: %s%s%s %s, not %s %s", rule_text, subject, who,
                 field_words(r->metric), ctv_format_duration(measured, value),
                 ct_rule_op_text(r->op), ctv_format_duration(limit, r->value));
        int instances = r->metric != CT_RULE_TEST_DURATION && sum.count != 0;
        if (instances && (r->op == CT_RULE_LT || r->op == CT_RULE_LE))
            ct__describe_over(msg, cap, s, &sum, r->value, wait_kind != 0);
        else if (instances)
            ct__msg_append(msg, cap, " (%" PRIu64 " %s%s)", sum.count,
                           wait_kind ? "wait" : "instance", sum.count == 1 ? "" : "s");
    }
    if (lost)
        ct__describe_loss(msg, cap, lost, 0);
    return FAILS;
}

/* Rule lr got as far as `state` in this test. */
static void note_state(const struct loaded_rule *lr, ct_rule_state state)
{
    if (states[lr->line] >= (char)state)
        return;
    states[lr->line] = (char)state;
    states_rose = 1;
}

int ct__rules_judge(const char *test_name, int *first_rule)
{
    int failures = 0;
    char msg[CT_CHECK_MESSAGE];
    for (size_t i = 0; i < n_rules; i++) {
        struct loaded_rule *lr = &rules[i];
        if (lr->rule.test_regex && !(lr->has_regex && test_name &&
                                     regexec(&lr->regex, test_name, 0, NULL, 0) == 0))
            continue;
        struct ct__thread *t = ct__judge_enter();
        if (!t)
            return failures;
        verdict v = judge_rule(lr, msg, sizeof msg);
        ct__leave(t);
        note_state(lr, v == NOTHING_TO_JUDGE ? CT_RULE_NOTHING_FOUND : CT_RULE_JUDGED);
        if (v != FAILS)
            continue;
        if (failures++ == 0)
            *first_rule = (int)lr->line + 1; /* its line in CTRACE_ASSERT */
        print_error("%s\n", msg);
    }
    return failures;
}

int ct__rules_changed(void)
{
    int rose = states_rose;
    states_rose = 0;
    return rose;
}

size_t ct__rules_report(char *out, size_t cap)
{
    if (out && cap >= n_lines)
        memcpy(out, states, n_lines);
    return n_lines;
}
