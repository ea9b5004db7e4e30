/*
 * asserts.c - --assert and --assert-file (asserts.h).
 */
#include "asserts.h"

#include <errno.h>  /* errno */
#include <stdio.h>  /* fopen, getline, open_memstream, fprintf */
#include <stdlib.h> /* free */
#include <string.h> /* strerror, strlen, strspn */

#include <ctrace_collect.h> /* CT_ENV_ASSERT */

#include "assertions/rules.h"
#include "cli.h"
#include "marker.h" /* rn_escape_name */

#define MAX_SHOWN 10 /* malformed rules shown; the rest are counted */

/* Linux's limit on one environment string (MAX_ARG_STRLEN, 32 pages): past
 * it, starting a test binary would fail with E2BIG. */
#define ENV_STRING_MAX (32 * 4096)

typedef struct loader {
    FILE *env;       /* the rules' texts, one per line, as CTRACE_ASSERT holds them */
    size_t nrules;   /* in env */
    unsigned nbad;   /* malformed rules seen */
} loader;

/* Columns `s` takes on a terminal: its code points (rn_escape_name's output
 * is UTF-8 without control characters). */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* "ctest-trace: PLACE: MESSAGE", then the rule and a caret under the
 * column, everything escaped as names are: a rule may hold any byte. */
static void show_error(const char *place, const char *rule, const ct_rule_error *err)
{
    size_t len = strlen(rule);
    size_t before = err->column - 1 < len ? err->column - 1 : len;
    char *message = rn_escape_name(err->message, strlen(err->message));
    char *shown = rn_escape_name(rule, len);
    char *shown_before = rn_escape_name(rule, before);
    rn_error("%s: %s", place, message ? message : "out of memory");
    if (shown != NULL && shown_before != NULL)
        fprintf(stderr, "  %s\n  %*s^\n", shown, (int)width(shown_before), "");
    free(message);
    free(shown);
    free(shown_before);
}

/* A rule that cannot be read, from `path` at `line` (path NULL: an --assert
 * value). Shown if it is among the first few. */
static void bad_rule(loader *ld, const char *rule, const ct_rule_error *err,
                     const char *path, unsigned line)
{
    if (++ld->nbad > MAX_SHOWN)
        return;
    char place[512];
    if (path == NULL) {
        snprintf(place, sizeof place, "invalid --assert rule: column %u", err->column);
    } else {
        char *shown = rn_escape_name(path, strlen(path));
        snprintf(place, sizeof place, "%s:%u:%u", shown ? shown : "?", line, err->column);
        free(shown);
    }
    show_error(place, rule, err);
}

static void add_rule(loader *ld, const char *text, const char *path, unsigned line)
{
    ct_rule rule;
    ct_rule_error err;
    if (ct_rule_parse(text, &rule, &err) != 0) {
        bad_rule(ld, text, &err, path, line);
        return;
    }
    fprintf(ld->env, "%s%s", ld->nrules++ ? "\n" : "", rule.text);
    ct_rule_free(&rule);
}

/* The rules of the file at `path`. @return 0, or -1 when it cannot be read
 * (message printed). */
static int add_file(loader *ld, const char *path)
{
    FILE *f = fopen(path, "r");
    int error = f ? 0 : errno;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    for (unsigned lineno = 1; f != NULL && (n = getline(&line, &cap, f)) >= 0; lineno++) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n > 0 && line[n - 1] == '\r') /* a file written on Windows */
            line[--n] = '\0';
        if (strlen(line) != (size_t)n) { /* the rule would end at the NUL */
            ct_rule_error err = {.column = (unsigned)strlen(line) + 1};
            snprintf(err.message, sizeof err.message, "NUL byte in the line");
            bad_rule(ld, line, &err, path, lineno);
            continue;
        }
        const char *p = line + strspn(line, " \t");
        if (*p != '\0' && *p != '#')
            add_rule(ld, line, path, lineno);
    }
    if (f != NULL && ferror(f))
        error = errno;
    free(line);
    if (f != NULL)
        fclose(f);
    if (error == 0)
        return 0;
    char *shown = rn_escape_name(path, strlen(path));
    rn_error("%s: --assert-file: %s", shown ? shown : "?", strerror(error));
    free(shown);
    return -1;
}

int rn_asserts_load(const rn_strlist *files, const rn_strlist *rules, char **env)
{
    *env = NULL;
    char *text = NULL;
    size_t len = 0;
    loader ld = {.env = open_memstream(&text, &len)};
    if (ld.env == NULL)
        return rn_error("out of memory");
    int unreadable = 0;
    for (size_t i = 0; i < files->n; i++)
        unreadable |= add_file(&ld, files->items[i]) != 0;
    for (size_t i = 0; i < rules->n; i++)
        add_rule(&ld, rules->items[i], NULL, 0);
    int oom = ferror(ld.env) != 0;
    if (fclose(ld.env) != 0 || text == NULL)
        oom = 1;
    int status = RN_EXIT_USAGE;
    if (ld.nbad > MAX_SHOWN)
        rn_error("%u more malformed rules not shown", ld.nbad - MAX_SHOWN);
    if (oom)
        rn_error("out of memory");
    else if (len + sizeof(CT_ENV_ASSERT "=") > ENV_STRING_MAX)
        rn_error("the rules take %zu bytes, more than the %s variable that hands them to the "
                 "tests can hold (%d)",
                 len, CT_ENV_ASSERT, ENV_STRING_MAX - (int)sizeof(CT_ENV_ASSERT "="));
    else if (!unreadable && ld.nbad == 0)
        status = RN_EXIT_OK;
    if (status == RN_EXIT_OK && ld.nrules > 0)
        *env = text;
    else
        free(text);
    return status;
}
