/*
 * output_tap.c - a run as a TAP version 13 stream (output_tap.h).
 */
#include "output_tap.h"

#include <stdlib.h> /* calloc, free */
#include <string.h> /* strcmp, memchr, strlen */

#include "analysis/views/json.h" /* ctv_json_write_string */

#include "cli.h"    /* RN_EXIT_USAGE */
#include "marker.h" /* rn_escape_name */
#include "output.h" /* RN_EXIT_SKIPPED */

struct rn_tap {
    FILE *out;
    unsigned long points;   /* test points so far: the last one's number */
    int col0;               /* what was printed ends a line */
    int test_open;          /* a "run" came and its result has not */
    unsigned long bad_here; /* failing test points of the current binary */
};

rn_tap *rn_tap_new(FILE *out)
{
    rn_tap *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->out = out;
    t->col0 = 1;
    fputs("TAP version 13\n", out);
    return t;
}

static void end_line(rn_tap *t)
{
    if (!t->col0)
        fputc('\n', t->out);
    t->col0 = 1;
}

/* Untrusted bytes, escaped (marker.h), but for each byte of `keep`, the
 * string of `as` at its place. Never a '\n'. */
static void put_escaped(rn_tap *t, const char *s, size_t n, const char *keep,
                        const char *const *as)
{
    while (n > 0) {
        size_t take = 0;
        while (take < n && (s[take] == '\0' || strchr(keep, s[take]) == NULL))
            take++;
        char *shown = rn_escape_name(s, take);
        fputs(shown ? shown : "?", t->out);
        free(shown);
        if (take < n) {
            fputs(as[strchr(keep, s[take]) - keep], t->out);
            take++;
        }
        s += take;
        n -= take;
    }
}

/* Output as comment lines; a piece of a long line continues its comment. */
static void put_comment(rn_tap *t, const char *s, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(s, '\n', n);
        size_t take = nl ? (size_t)(nl - s) : n;
        if (t->col0)
            fputs("# ", t->out);
        t->col0 = 0;
        static const char *const tab[] = {"\t"};
        put_escaped(t, s, take, "\t", tab); /* tabs lay out the runner's last line */
        if (nl != NULL) {
            fputc('\n', t->out);
            t->col0 = 1;
            take++;
        }
        s += take;
        n -= take;
    }
}

/* "ok N - NAME[ SUFFIX][ # SKIP why]", and for a failure a YAML block of
 * what it took and where it ran. */
static void test_point(rn_tap *t, const rn_out_event *e, const char *name, size_t name_len,
                       const char *suffix, const char *skip_why)
{
    int bad = strcmp(e->action, "fail") == 0;
    end_line(t);
    fprintf(t->out, "%s %lu - ", bad ? "not ok" : "ok", ++t->points);
    /* '#' would start a directive, and "\\#" is a backslash, then one. */
    static const char *const directive[] = {"\\#", "\\\\"};
    put_escaped(t, name, name_len, "#\\", directive);
    fputs(suffix, t->out);
    if (strcmp(e->action, "skip") == 0)
        fprintf(t->out, " # SKIP%s%s", skip_why ? " " : "", skip_why ? skip_why : "");
    fputc('\n', t->out);
    if (bad) {
        t->bad_here++;
        fputs("  ---\n", t->out);
        if (e->elapsed >= 0)
            fprintf(t->out, "  duration_ms: %.3f\n", e->elapsed * 1e3);
        fputs("  binary: ", t->out); /* a JSON string is a YAML one */
        ctv_json_write_string(t->out, e->package, strlen(e->package));
        fputs("\n  ...\n", t->out);
    }
}

void rn_tap_event(void *ctx, const rn_out_event *e)
{
    rn_tap *t = ctx;
    if (strcmp(e->action, "start") == 0) {
        t->bad_here = 0;
        t->test_open = 0;
    } else if (strcmp(e->action, "run") == 0) {
        t->test_open = 1;
    } else if (strcmp(e->action, "output") == 0) {
        put_comment(t, e->output, e->output_len);
    } else if (e->test != NULL) {
        /* A result with no run before it is the gate's verdict on a test that
         * passed (output_gate.c): a test point of its own. */
        test_point(t, e, e->test, e->test_len, t->test_open ? "" : " (gate)", NULL);
        t->test_open = 0;
    } else if (strcmp(e->action, "fail") == 0 && t->bad_here == 0) {
        /* The binary failed, and no test of it did: say so as a test point,
         * for consumers that read no exit status. */
        test_point(t, e, e->package, strlen(e->package), "", NULL);
    } else if (strcmp(e->action, "skip") == 0) {
        test_point(t, e, e->package, strlen(e->package), "",
                   "the binary skipped itself (exit status 77)");
    }
    fflush(t->out);
}

int rn_tap_finish(rn_tap *t, int status)
{
    end_line(t);
    if (status == RN_EXIT_USAGE) /* what ran is said; the rest never will be */
        fputs("Bail out! ctest-trace could not do its job (its messages are on stderr)\n",
              t->out);
    else if (t->points == 0)
        fputs("1..0 # SKIP no tests to run\n", t->out);
    else
        fprintf(t->out, "1..%lu\n", t->points);
    fflush(t->out);
    return status == RN_EXIT_SKIPPED ? 0 : status;
}

void rn_tap_free(rn_tap *t)
{
    free(t);
}
