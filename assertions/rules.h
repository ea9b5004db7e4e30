/*
 * rules.h - the --assert rule language: budgets on what a test's trace
 * shows, written on the command line and checked inside the test process.
 *
 *     [TEST_REGEX:]METRIC OP VALUE            e.g.  TestFetch:region(fetch).p95 < 25ms
 *
 * METRIC  region(NAME).max|p50|p95|p99|count, task(NAME).max, test.duration,
 *         sync.max, sync.total, syscall.max, net.max, sched.max
 * OP      <  <=  >  >=  ==
 * VALUE   a Go duration (25ms, 1.5s, 1m30s, 850ns, 12us, 12µs; 0 alone needs
 *         no unit), or for region(NAME).count a whole number >= 0
 *
 * TEST_REGEX (a POSIX extended regex, matched unanchored against the test's
 * name, as -run is) ends at the first ':' that is followed, after optional
 * spaces, by a metric keyword (region( task( test. sync. syscall. net.
 * sched.); a rule that starts with a metric keyword has none and applies to
 * every test. So a regex cannot contain ':' followed by a metric keyword,
 * and a name can contain ':' freely. NAME is bare (any bytes but ')', not
 * empty) or double-quoted with \" and \\ escapes, which lets it hold ')'.
 * Spaces may stand around OP and VALUE and at both ends; no other control
 * byte may appear anywhere (rules travel one per line, see below).
 *
 * One parser for both sides: the runner checks every rule before it runs
 * anything, and the tracer in the test process parses them again from
 * CT_ENV_ASSERT (<ctrace_collect.h>) to evaluate them. Internal to libctrace
 * (hidden), used by the runner, which links the static archive.
 */
#ifndef CT_ASSERTIONS_RULES_H
#define CT_ASSERTIONS_RULES_H

#include <stdint.h> /* uint64_t */

typedef enum ct_rule_metric {
    CT_RULE_REGION_MAX,    /* region(NAME).max: its longest finished instance */
    CT_RULE_REGION_P50,    /* region(NAME).p50, .p95, .p99: quantiles of its instances */
    CT_RULE_REGION_P95,
    CT_RULE_REGION_P99,
    CT_RULE_REGION_COUNT,  /* region(NAME).count: how many instances finished */
    CT_RULE_TASK_MAX,      /* task(NAME).max: the longest task of that name */
    CT_RULE_TEST_DURATION, /* test.duration: the test's own task */
    CT_RULE_SYNC_MAX,      /* sync.max: the longest lock/condvar/semaphore/join wait */
    CT_RULE_SYNC_TOTAL,    /* sync.total: all of them summed */
    CT_RULE_SYSCALL_MAX,   /* syscall.max: the longest blocking system call */
    CT_RULE_NET_MAX,       /* net.max: the longest network wait */
    CT_RULE_SCHED_MAX,     /* sched.max: the longest wait for a CPU */
} ct_rule_metric;

typedef enum ct_rule_op { CT_RULE_LT, CT_RULE_LE, CT_RULE_GT, CT_RULE_GE, CT_RULE_EQ } ct_rule_op;

typedef struct ct_rule {
    char *test_regex;      /* NULL: every test. Checked with regcomp(REG_EXTENDED|REG_NOSUB) */
    ct_rule_metric metric;
    char *name;            /* region(NAME) / task(NAME), unquoted and unescaped; NULL for others */
    ct_rule_op op;
    uint64_t value;        /* nanoseconds for duration metrics; a plain count for region(..).count */
    char *text;            /* the rule as written, without the spaces around it (for
                              messages, and the line the runner passes on) */
} ct_rule;

typedef struct ct_rule_error {
    unsigned column;       /* 1-based byte column in the rule text where it goes wrong
                              (one past the end when something is missing there) */
    char message[192];     /* e.g. "unknown metric \"region(x).p90\": expected max, p50,
                              p95, p99 or count"; quotes of the rule are cut to a few
                              dozen bytes and may hold any byte but control bytes */
} ct_rule_error;

/*! ct_rule_parse() : read one rule from `text` (a NUL-terminated string).
 *  @return 0 with *out filled (free it with ct_rule_free()), or -1 with *err
 *  filled (when `err` is not NULL) and *out empty (all zero). Out of memory
 *  is -1 too, with column 1 and the message "out of memory". */
int ct_rule_parse(const char *text, ct_rule *out, ct_rule_error *err);

/* Free what *r holds and empty it; an empty rule is fine. */
void ct_rule_free(ct_rule *r);

/* "<", "<=", ">", ">=", "==". */
const char *ct_rule_op_text(ct_rule_op op);

/* 1 if the metric's value is a duration in nanoseconds (all but
 * CT_RULE_REGION_COUNT), 0 if it is a count. */
int ct_rule_metric_is_duration(ct_rule_metric m);

/* Rules as the runner hands them to a test process in CTRACE_ASSERT
 * (CT_ENV_ASSERT): one rule per line, each its ct_rule.text, in the order
 * given. */

/* How far a rule got in a test process: what the tracer tells the runner,
 * one byte a rule, in the rules marker (<ctrace_collect.h>), so that the
 * runner can warn about a rule that judged no test (a misspelt NAME). The
 * bytes are in the order of how far: of several processes' states for a
 * rule, the greatest byte is the run's. */
typedef enum ct_rule_state {
    CT_RULE_NOT_APPLIED = '-',  /* no test it applies to returned from its body (none
                                   ran, its TEST_REGEX matched none, or they failed first) */
    CT_RULE_NOTHING_FOUND = '0', /* tests it applies to returned from their bodies, but
                                    none finished a region or task of its NAME (only a
                                    rule without a TEST_REGEX skips such a test) */
    CT_RULE_JUDGED = '1',       /* it judged a test: compared its value, or, with a
                                   TEST_REGEX, said no instance finished */
} ct_rule_state;

#endif /* CT_ASSERTIONS_RULES_H */
