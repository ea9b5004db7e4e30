/*
 * rules.c - reading --assert rules (rules.h).
 *
 * A rule is read left to right in one pass, each step either moving on or
 * failing with the column where the text stops making sense, so that a
 * message can put a caret under it.
 */
#include "assertions/rules.h"

#include <regex.h>  /* regcomp, regerror, regfree */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf, snprintf */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcmp, memchr, memcpy, strcmp, strlen, strndup */

#include "format/duration.h" /* ct_parse_go_duration_n */

/* Every metric, by the words it is written with: FAMILY(NAME).FIELD when the
 * family takes a name, FAMILY.FIELD when not. A family's rows are together. */
static const struct metric_word {
    const char *family;
    int takes_name;
    const char *field;
    ct_rule_metric metric;
} metric_words[] = {
    {"region", 1, "max", CT_RULE_REGION_MAX},
    {"region", 1, "p50", CT_RULE_REGION_P50},
    {"region", 1, "p95", CT_RULE_REGION_P95},
    {"region", 1, "p99", CT_RULE_REGION_P99},
    {"region", 1, "count", CT_RULE_REGION_COUNT},
    {"task", 1, "max", CT_RULE_TASK_MAX},
    {"test", 0, "duration", CT_RULE_TEST_DURATION},
    {"sync", 0, "max", CT_RULE_SYNC_MAX},
    {"sync", 0, "total", CT_RULE_SYNC_TOTAL},
    {"syscall", 0, "max", CT_RULE_SYSCALL_MAX},
    {"net", 0, "max", CT_RULE_NET_MAX},
    {"sched", 0, "max", CT_RULE_SCHED_MAX},
};
#define NWORDS (sizeof metric_words / sizeof metric_words[0])

static const char *const op_texts[] = {
    [CT_RULE_LT] = "<", [CT_RULE_LE] = "<=", [CT_RULE_GT] = ">",
    [CT_RULE_GE] = ">=", [CT_RULE_EQ] = "==",
};
#define NOPS (sizeof op_texts / sizeof op_texts[0])
#define OP_CHARS "<>=!" /* what an operator, right or wrong, is made of */
#define EXPECTED_OPS "expected <, <=, >, >= or =="

/* Quotes of the rule in messages are cut to this many bytes. */
#define QUOTE_MAX 40

typedef struct reader {
    const char *text;   /* the rule as given: columns count from its start */
    const char *end;    /* the end of the rule without its trailing spaces */
    ct_rule_error *err;
} reader;

static int fail(reader *r, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Say what is wrong at `at`. @return -1. */
static int fail(reader *r, const char *at, const char *fmt, ...)
{
    r->err->column = (unsigned)(at - r->text) + 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* s[0..len) in double quotes, cut to QUOTE_MAX bytes ("..." after). */
static const char *quote(char buf[QUOTE_MAX + 6], const char *s, size_t len)
{
    if (len > QUOTE_MAX)
        snprintf(buf, QUOTE_MAX + 6, "\"%.*s...\"", QUOTE_MAX, s);
    else
        snprintf(buf, QUOTE_MAX + 6, "\"%.*s\"", (int)len, s);
    return buf;
}

static int is_op_char(char c)
{
    return c != '\0' && strchr(OP_CHARS, c) != NULL;
}

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

static const char *skip_word(const char *p, const char *end)
{
    while (p < end && is_word_char(*p))
        p++;
    return p;
}

/* The first row of the family whose keyword ("region(", "sync.") starts at
 * p, or NULL. *after: just past the keyword. */
static const struct metric_word *keyword_at(const char *p, const char *end,
                                            const char **after)
{
    for (size_t i = 0; i < NWORDS; i++) {
        const struct metric_word *w = &metric_words[i];
        size_t n = strlen(w->family);
        if ((size_t)(end - p) > n && memcmp(p, w->family, n) == 0 &&
            p[n] == (w->takes_name ? '(' : '.')) {
            *after = p + n + 1;
            return w;
        }
    }
    return NULL;
}

/* Just past the last row of the family whose first row is `first`. */
static const struct metric_word *family_end(const struct metric_word *first)
{
    const struct metric_word *w = first;
    while (w < metric_words + NWORDS && strcmp(w->family, first->family) == 0)
        w++;
    return w;
}

/* The fields of a family for a message: "max, p50, p95, p99 or count". */
static const char *fields_of(char *buf, size_t cap, const struct metric_word *first)
{
    const struct metric_word *end = family_end(first);
    size_t len = 0;
    buf[0] = '\0';
    for (const struct metric_word *w = first; w < end && len < cap; w++) {
        const char *sep = w == first ? "" : w + 1 == end ? " or " : ", ";
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, w->field);
    }
    return buf;
}

/* Every metric for a message: "region(NAME).FIELD, task(NAME).max, ...". */
static const char *all_metrics(char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const struct metric_word *w = metric_words; w < metric_words + NWORDS && len < cap;
         w = w->takes_name ? family_end(w) : w + 1) {
        int several = family_end(w) - w > 1;
        const char *sep = w == metric_words ? "" : w + 1 == metric_words + NWORDS ? " or " : ", ";
        len += (size_t)snprintf(buf + len, cap - len, "%s%s%s.%s", sep, w->family,
                                w->takes_name ? "(NAME)" : "",
                                w->takes_name && several ? "FIELD" : w->field);
    }
    return buf;
}

/* A double-quoted name from p (its '"'), \" and \\ unescaped into *name;
 * `open` is "region(", for messages. @return just past the ')' after it,
 * or NULL (failed). */
static const char *read_quoted_name(reader *r, const char *open, const char *p, char **name)
{
    const char *q = p + 1;
    size_t n = 0;
    for (; q < r->end && *q != '"'; q++, n++) {
        if (*q != '\\' || q + 1 == r->end) /* a '\' last: the quote is not closed */
            continue;
        if (q[1] != '"' && q[1] != '\\') {
            fail(r, q, "unknown escape \"\\%c\" in a quoted name: only \\\" and \\\\", q[1]);
            return NULL;
        }
        q++;
    }
    if (q == r->end) {
        fail(r, p, "the quoted name has no closing '\"'");
        return NULL;
    }
    if (n == 0) {
        fail(r, p, "empty name in %.*s\"\")", (int)(p - open), open);
        return NULL;
    }
    if (q + 1 == r->end || q[1] != ')') {
        fail(r, q + 1, "missing ')' after the quoted name");
        return NULL;
    }
    if ((*name = malloc(n + 1)) == NULL) {
        fail(r, r->text, "out of memory");
        return NULL;
    }
    char *out = *name;
    for (const char *c = p + 1; c < q; c++)
        *out++ = *c == '\\' ? *++c : *c;
    *out = '\0';
    return q + 2;
}

/* The name in "region(NAME)" from p (just past the '('), into *name; `open`
 * is "region(", for messages. @return just past the ')', or NULL (failed). */
static const char *read_name(reader *r, const char *open, const char *p, char **name)
{
    if (p < r->end && *p == '"')
        return read_quoted_name(r, open, p, name);
    const char *close = memchr(p, ')', (size_t)(r->end - p));
    if (close == NULL) {
        fail(r, p - 1, "missing ')': \"%.*s\" is never closed", (int)(p - open), open);
        return NULL;
    }
    if (close == p) {
        fail(r, p, "empty name in %.*s)", (int)(p - open), open);
        return NULL;
    }
    if ((*name = strndup(p, (size_t)(close - p))) == NULL) {
        fail(r, r->text, "out of memory");
        return NULL;
    }
    return close + 1;
}

/* The metric at p into *rule. @return just past it, or NULL (failed). */
static const char *read_metric(reader *r, const char *p, ct_rule *rule)
{
    char list[160], shown[QUOTE_MAX + 6];
    const char *q;
    const struct metric_word *w = keyword_at(p, r->end, &q);
    if (w == NULL) { /* quoted up to where a name or the operator would begin */
        const char *word = p;
        while (word < r->end && *word != ' ' && *word != '(' && !is_op_char(*word))
            word++;
        if (word == p)
            fail(r, p, "missing metric: expected %s", all_metrics(list, sizeof list));
        else
            fail(r, p, "unknown metric %s: expected %s", quote(shown, p, (size_t)(word - p)),
                 all_metrics(list, sizeof list));
        return NULL;
    }
    int dotted = 1; /* "sync." has its '.'; "region(x)" needs one */
    if (w->takes_name) {
        if ((q = read_name(r, p, q, &rule->name)) == NULL)
            return NULL;
        dotted = q < r->end && *q == '.';
        q += dotted;
    }
    const char *field_end = dotted ? skip_word(q, r->end) : q;
    size_t len = (size_t)(field_end - q);
    for (const struct metric_word *f = w; f < family_end(w); f++) {
        if (strlen(f->field) == len && memcmp(f->field, q, len) == 0) {
            rule->metric = f->metric;
            return field_end;
        }
    }
    if (len == 0)
        fail(r, q, "missing field after %s: expected %s", quote(shown, p, (size_t)(q - p)),
             fields_of(list, sizeof list, w));
    else
        fail(r, q, "unknown metric %s: expected %s", quote(shown, p, (size_t)(field_end - p)),
             fields_of(list, sizeof list, w));
    return NULL;
}

/* The operator at p (spaces before it skipped) into *rule; `metric` is
 * where the metric began, for messages. @return just past it, or NULL. */
static const char *read_op(reader *r, const char *metric, const char *p, ct_rule *rule)
{
    char shown[QUOTE_MAX + 6];
    const char *after_metric = p;
    p = skip_spaces(p, r->end);
    const char *q = p;
    while (q < r->end && is_op_char(*q))
        q++;
    size_t len = (size_t)(q - p);
    if (len == 0) {
        fail(r, p, "missing operator after %s: " EXPECTED_OPS,
             quote(shown, metric, (size_t)(after_metric - metric)));
        return NULL;
    }
    for (size_t i = 0; i < NOPS; i++) {
        if (strlen(op_texts[i]) == len && memcmp(op_texts[i], p, len) == 0) {
            rule->op = (ct_rule_op)i;
            return q;
        }
    }
    fail(r, p, "unknown operator %s: " EXPECTED_OPS, quote(shown, p, len));
    return NULL;
}

/* A count: a whole number >= 0, no unit. @return 0 or -1 (failed). */
static int read_count(reader *r, const char *v, size_t len, uint64_t *count)
{
    char shown[QUOTE_MAX + 6];
    const char *q = v;
    uint64_t n = 0;
    for (; q < v + len && *q >= '0' && *q <= '9'; q++) {
        uint64_t digit = (uint64_t)(*q - '0');
        if (n > (UINT64_MAX - digit) / 10)
            return fail(r, v, "count %s out of range", quote(shown, v, len));
        n = n * 10 + digit;
    }
    if (q == v + len) {
        *count = n;
        return 0;
    }
    if (q == v)
        return fail(r, v, "invalid count %s: want a whole number >= 0",
                    quote(shown, v, len));
    if (*q == '.')
        return fail(r, q, "count %s is not a whole number", quote(shown, v, len));
    return fail(r, q, "a count takes no unit: %s", quote(shown, v, len));
}

/* A duration: Go's syntax, with a unit unless it is 0. @return 0 or -1. */
static int read_duration(reader *r, const char *v, size_t len, uint64_t *ns)
{
    char shown[QUOTE_MAX + 6];
    size_t n = 0, digits = 0;
    for (; n < len && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.'); n++)
        digits += v[n] != '.';
    /* A bare number is most likely a unit forgotten: say so, rather than
     * "missing unit" as for the last of several parts ("1m30"). */
    if (n == len && digits > 0 && !(len == 1 && *v == '0'))
        return fail(r, v + len, "duration %s needs a unit, e.g. %.*sms",
                    quote(shown, v, len), (int)(len > 20 ? 20 : len), v);
    const char *why;
    size_t at;
    if (ct_parse_go_duration_n(v, len, ns, &why, &at) != 0)
        return fail(r, v + at, "invalid duration %s: %s", quote(shown, v, len), why);
    return 0;
}

/* The value at p (spaces before it skipped), and nothing after it. */
static int read_value(reader *r, const char *p, ct_rule *rule)
{
    char shown[QUOTE_MAX + 6];
    const char *v = skip_spaces(p, r->end);
    if (v == r->end)
        return fail(r, v, "missing value after \"%s\"", ct_rule_op_text(rule->op));
    const char *v_end = memchr(v, ' ', (size_t)(r->end - v));
    if (v_end == NULL)
        v_end = r->end;
    size_t len = (size_t)(v_end - v);
    int rc = ct_rule_metric_is_duration(rule->metric) ? read_duration(r, v, len, &rule->value)
                                                      : read_count(r, v, len, &rule->value);
    if (rc != 0)
        return -1;
    const char *rest = skip_spaces(v_end, r->end);
    if (rest < r->end)
        return fail(r, rest, "unexpected %s after the value",
                    quote(shown, rest, (size_t)(r->end - rest)));
    return 0;
}

/* Where the metric begins: just past TEST_REGEX's ':' and the spaces after
 * it (*colon: that ':'), or at p if there is no regex (*colon NULL).
 * @return NULL when no metric keyword follows any ':'. */
static const char *find_metric(const char *p, const char *end, const char **colon)
{
    const char *after;
    *colon = NULL;
    if (keyword_at(p, end, &after) != NULL)
        return p;
    for (const char *c = p; (c = memchr(c, ':', (size_t)(end - c))) != NULL; c++) {
        const char *m = skip_spaces(c + 1, end);
        if (keyword_at(m, end, &after) != NULL) {
            *colon = c;
            return m;
        }
    }
    return NULL;
}

/* TEST_REGEX, p to colon, into *rule, checked as the tracer will compile it. */
static int read_regex(reader *r, const char *p, const char *colon, ct_rule *rule)
{
    char shown[QUOTE_MAX + 6];
    if (colon == p)
        return fail(r, p, "empty test regex before ':' (without one, a rule applies to "
                          "every test)");
    if ((rule->test_regex = strndup(p, (size_t)(colon - p))) == NULL)
        return fail(r, r->text, "out of memory");
    regex_t re;
    int rc = regcomp(&re, rule->test_regex, REG_EXTENDED | REG_NOSUB);
    if (rc == 0) {
        regfree(&re);
        return 0;
    }
    char why[96];
    regerror(rc, &re, why, sizeof why);
    return fail(r, p, "invalid test regex %s: %s", quote(shown, p, (size_t)(colon - p)), why);
}

/* No byte that would break the rule's line in CTRACE_ASSERT, or show as
 * something else on a terminal. */
static int check_bytes(reader *r)
{
    for (const char *c = r->text; *c != '\0'; c++) {
        unsigned char u = (unsigned char)*c;
        if (u >= 0x20 && u != 0x7f)
            continue;
        char shown[8];
        if (u == '\n' || u == '\t' || u == '\r')
            snprintf(shown, sizeof shown, "\\%c", u == '\n' ? 'n' : u == '\t' ? 't' : 'r');
        else
            snprintf(shown, sizeof shown, "\\x%02x", u);
        return fail(r, c, "control character %s in the rule (a rule is one line of text)",
                    shown);
    }
    return 0;
}

static int parse(reader *r, ct_rule *rule)
{
    if (check_bytes(r) != 0)
        return -1;
    const char *p = skip_spaces(r->text, r->end);
    while (r->end > p && r->end[-1] == ' ')
        r->end--;
    if (p == r->end)
        return fail(r, r->text, "empty rule");
    if ((rule->text = strndup(p, (size_t)(r->end - p))) == NULL)
        return fail(r, r->text, "out of memory");
    const char *colon;
    const char *metric = find_metric(p, r->end, &colon);
    if (metric == NULL) {
        /* No metric keyword where one could begin: the metric is unknown.
         * Point where it was likely meant: past the last ':' before the
         * operator (after a regex), else at the start. */
        const char *op = p, *last_colon = NULL;
        for (; op < r->end && !is_op_char(*op); op++)
            last_colon = *op == ':' ? op : last_colon;
        read_metric(r, last_colon ? skip_spaces(last_colon + 1, r->end) : p, rule);
        return -1;
    }
    if (colon != NULL && read_regex(r, p, colon, rule) != 0)
        return -1;
    const char *q = read_metric(r, metric, rule);
    if (q == NULL || (q = read_op(r, metric, q, rule)) == NULL)
        return -1;
    return read_value(r, q, rule);
}

int ct_rule_parse(const char *text, ct_rule *out, ct_rule_error *err)
{
    ct_rule_error ignored;
    *out = (ct_rule){0};
    if (text == NULL)
        text = "";
    reader r = {.text = text, .end = text + strlen(text), .err = err ? err : &ignored};
    *r.err = (ct_rule_error){0};
    if (parse(&r, out) != 0) {
        ct_rule_free(out);
        return -1;
    }
    return 0;
}

void ct_rule_free(ct_rule *r)
{
    free(r->test_regex);
    free(r->name);
    free(r->text);
    *r = (ct_rule){0};
}

const char *ct_rule_op_text(ct_rule_op op)
{
    return (size_t)op < NOPS ? op_texts[op] : "?";
}

int ct_rule_metric_is_duration(ct_rule_metric m)
{
    return m != CT_RULE_REGION_COUNT;
}
