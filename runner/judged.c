/*
 * judged.c - which --assert rules judged a test, and the warning about those
 * that judged none (judged.h).
 */
#include "judged.h"

#include <regex.h>  /* regcomp, regexec, regfree */
#include <stdio.h>  /* open_memstream, fputs, fprintf */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* strcspn, strndup */

#include "assertions/rules.h"
#include "marker.h" /* rn_escape_name */

struct followed_rule {
    ct_rule rule;      /* all zero if its line did not parse (the runner checked it did) */
    regex_t regex;
    int has_regex;
    int regex_matched; /* its TEST_REGEX matched a test that ran (or cannot be matched here) */
    char state;        /* ct_rule_state: the furthest it got in any process */
};

struct rn_judged {
    struct followed_rule *rules;
    size_t n;
    size_t tests_ran;
};

static void follow(struct followed_rule *f, const char *text, size_t len)
{
    f->state = CT_RULE_NOT_APPLIED;
    char *one = strndup(text, len);
    if (one == NULL || ct_rule_parse(one, &f->rule, NULL) != 0) {
        free(one);
        return;
    }
    free(one);
    if (f->rule.test_regex == NULL)
        return;
    f->has_regex = regcomp(&f->regex, f->rule.test_regex, REG_EXTENDED | REG_NOSUB) == 0;
    f->regex_matched = !f->has_regex; /* unmatchable here: say nothing about it */
}

rn_judged *rn_judged_new(const char *rules)
{
    if (rules == NULL || *rules == '\0')
        return NULL;
    size_t lines = 1;
    for (const char *p = rules; *p != '\0'; p++)
        lines += *p == '\n';
    rn_judged *j = calloc(1, sizeof *j);
    if (j == NULL || (j->rules = calloc(lines, sizeof *j->rules)) == NULL) {
        free(j);
        return NULL;
    }
    j->n = lines;
    const char *line = rules;
    for (size_t i = 0; i < lines; i++) {
        size_t len = strcspn(line, "\n");
        follow(&j->rules[i], line, len);
        line += len + (line[len] == '\n');
    }
    return j;
}

void rn_judged_test_ran(rn_judged *j, const char *name, size_t len)
{
    if (j == NULL)
        return;
    j->tests_ran++;
    char *copy = NULL; /* NUL-terminated for regexec, made when a regex needs it */
    for (size_t i = 0; i < j->n; i++) {
        struct followed_rule *f = &j->rules[i];
        if (!f->has_regex || f->regex_matched)
            continue;
        if (copy == NULL && (copy = strndup(name, len)) == NULL)
            return;
        f->regex_matched = regexec(&f->regex, copy, 0, NULL, 0) == 0;
    }
    free(copy);
}

void rn_judged_states(rn_judged *j, const char *states, size_t len)
{
    if (j == NULL || len != j->n)
        return;
    for (size_t i = 0; i < len; i++)
        if (states[i] > j->rules[i].state)
            j->rules[i].state = states[i];
}

/* `s` between double quotes, escaped as names are (rn_escape_name), and its
 * own quotes and backslashes behind a backslash, so that the quotes around
 * it are the only bare ones. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    while (*s != '\0') {
        size_t run = strcspn(s, "\"\\");
        char *shown = rn_escape_name(s, run);
        fputs(shown ? shown : "?", f);
        free(shown);
        s += run;
        if (*s != '\0') {
            fputc('\\', f);
            fputc(*s++, f);
        }
    }
    fputc('"', f);
}

typedef enum unjudged {
    NOT_UNJUDGED,      /* it judged a test, or its tests failed before their bodies returned */
    NO_TEST_MATCHES,   /* its TEST_REGEX matched no test that ran */
    NOTHING_FINISHED,  /* no test it was checked in finished a region or task of its NAME */
} unjudged;

static unjudged why_unjudged(const struct followed_rule *r)
{
    if (r->state == CT_RULE_JUDGED || r->rule.text == NULL)
        return NOT_UNJUDGED;
    if (r->rule.test_regex != NULL)
        return r->regex_matched ? NOT_UNJUDGED : NO_TEST_MATCHES;
    return r->state == CT_RULE_NOTHING_FOUND ? NOTHING_FINISHED : NOT_UNJUDGED;
}

/* The warning about r, in one write: the line stays whole on a shared stderr. */
static void warn_unjudged(FILE *err, const struct followed_rule *r, unjudged why)
{
    char *text = NULL;
    size_t len = 0;
    FILE *line = open_memstream(&text, &len);
    if (line == NULL)
        return;
    fputs("ctest-trace: warning: --assert ", line);
    put_quoted(line, r->rule.text);
    if (why == NO_TEST_MATCHES) {
        fputs(" judged no test: no test that ran matches ", line);
        put_quoted(line, r->rule.test_regex);
    } else {
        fprintf(line, " judged no test: no selected test finished a %s ",
                r->rule.metric == CT_RULE_TASK_MAX ? "task" : "region");
        put_quoted(line, r->rule.name);
    }
    fputc('\n', line);
    if (fclose(line) == 0)
        fwrite(text, 1, len, err);
    free(text);
}

size_t rn_judged_warn(const rn_judged *j, FILE *err)
{
    if (j == NULL || j->tests_ran == 0)
        return 0;
    size_t warned = 0;
    for (size_t i = 0; i < j->n; i++) {
        unjudged why = why_unjudged(&j->rules[i]);
        if (why == NOT_UNJUDGED)
            continue;
        warn_unjudged(err, &j->rules[i], why);
        warned++;
    }
    return warned;
}

void rn_judged_free(rn_judged *j)
{
    if (j == NULL)
        return;
    for (size_t i = 0; i < j->n; i++) {
        ct_rule_free(&j->rules[i].rule);
        if (j->rules[i].has_regex)
            regfree(&j->rules[i].regex);
    }
    free(j->rules);
    free(j);
}
