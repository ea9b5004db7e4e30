/*
 * list.c - `-list REGEX`: name each binary's matching tests (list.h).
 */
#include "list.h"

#include <stdio.h>    /* fwrite, fprintf */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, strlen */
#include <sys/wait.h> /* WIFEXITED, WEXITSTATUS */

#include "cli.h"    /* rn_error_about */
#include "json_event.h"
#include "marker.h" /* rn_marker_find, rn_marker_parse, rn_escape_name */
#include "output.h" /* RN_LINE_MAX, RN_EXIT_SKIPPED, rn_wait_status_text */

typedef struct lister {
    FILE *out;
    const char *package; /* --json: the binary as given; NULL: text */
    char *line;          /* the line being read (RN_LINE_MAX at most) */
    size_t len;
    int saw_group;       /* a group ran (its plan marker came) */
} lister;

static void json_event(lister *l, const char *action, double elapsed, const char *output,
                       size_t len)
{
    rn_json_event(l->out, l->package, NULL, 0, action, elapsed, output, len);
}

/* What the binary printed itself: passed through. */
static void put_output(lister *l, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (l->package != NULL)
        json_event(l, "output", -1, s, n);
    else
        fwrite(s, 1, n, l->out);
}

/* A test's name on a line of its own: escaped as text, any bytes in JSON
 * (whose strings escape them). */
static void put_name(lister *l, const char *encoded, size_t len)
{
    char *name = malloc(len + 2);
    if (name == NULL)
        return;
    size_t n = rn_percent_decode(encoded, len, name);
    if (l->package != NULL) {
        name[n++] = '\n';
        json_event(l, "output", -1, name, n);
    } else {
        char *shown = rn_escape_name(name, n);
        if (shown != NULL)
            fprintf(l->out, "%s\n", shown);
        free(shown);
    }
    free(name);
}

/* One line of the child's output (`nl`: it ended with a newline). */
static void handle_line(lister *l, const char *s, size_t len, int nl)
{
    const char *at = rn_marker_find(s, len);
    if (at == NULL) {
        put_output(l, s, len + (size_t)nl); /* the newline is in the buffer */
        return;
    }
    put_output(l, s, (size_t)(at - s)); /* output without its newline, then a marker */
    rn_marker m;
    if (!rn_marker_parse(at, len - (size_t)(at - s), &m))
        return;
    if (m.kind == RN_MARK_LIST)
        put_name(l, m.name, m.name_len);
    else if (m.kind == RN_MARK_PLAN)
        l->saw_group = 1;
}

static void feed(void *ctx, const char *data, size_t len, uint64_t now_ns)
{
    lister *l = ctx;
    (void)now_ns;
    for (size_t i = 0; i < len; i++) {
        l->line[l->len++] = data[i];
        if (data[i] == '\n') {
            handle_line(l, l->line, l->len - 1, 1);
            l->len = 0;
        } else if (l->len == RN_LINE_MAX) { /* no marker is this long: output */
            put_output(l, l->line, l->len);
            l->len = 0;
        }
    }
}

/* Nothing runs: the idle --timeout counts from the start. */
static uint64_t deadline(void *ctx, uint64_t start_ns, uint64_t timeout_ns, uint64_t traced_ns)
{
    (void)ctx;
    (void)traced_ns;
    return start_ns + timeout_ns;
}

int rn_list_binary(ct_collector *c, const rn_child_spec *spec, const char *arg, int json,
                   int *interrupted)
{
    lister l = {.out = stdout, .package = json ? arg : NULL, .line = malloc(RN_LINE_MAX)};
    if (l.line == NULL)
        return rn_error("out of memory");
    if (json)
        json_event(&l, "start", -1, NULL, 0);
    rn_child_result res;
    char err[512];
    if (rn_child_run(c, spec, feed, deadline, &l, &res, err, sizeof err) != 0) {
        free(l.line);
        fflush(stdout);
        return rn_error_about(arg, "", err, 0);
    }
    *interrupted = res.interrupted;
    if (l.len > 0)
        handle_line(&l, l.line, l.len, 0);
    free(l.line);

    int skipped = !l.saw_group && WIFEXITED(res.wait_status) &&
                  WEXITSTATUS(res.wait_status) == RN_EXIT_SKIPPED;
    char how[128], why[256] = "";
    rn_wait_status_text(res.wait_status, how, sizeof how);
    if (res.timed_out)
        snprintf(why, sizeof why, "killed: it ran for --timeout without listing its tests");
    else if (how[0] != '\0' && !skipped)
        snprintf(why, sizeof why, "%s", how);
    else if (skipped)
        snprintf(why, sizeof why, "exit status %d before any cmocka group ran: the binary "
                 "skipped itself", RN_EXIT_SKIPPED);
    else if (!l.saw_group)
        snprintf(why, sizeof why, "no cmocka group ran: its tests cannot be listed (run it "
                 "without -list to see why)");
    int failed = !skipped && why[0] != '\0';
    char *shown = rn_escape_name(arg, strlen(arg));
    char *last = NULL;
    double secs = (double)res.elapsed_ns / 1e9;
    int n = asprintf(&last, "%s%s%s\t%s\t%.3fs\n", why, why[0] ? "\n" : "",
                     failed ? "FAIL" : skipped ? "SKIP" : "ok  ", shown ? shown : "?", secs);
    if (n > 0)
        put_output(&l, last, (size_t)n);
    if (json)
        json_event(&l, failed ? "fail" : skipped ? "skip" : "pass", secs, NULL, 0);
    fflush(stdout);
    free(last);
    free(shown);
    return failed ? 1 : skipped ? RN_EXIT_SKIPPED : 0;
}
