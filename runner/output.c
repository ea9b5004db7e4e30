/*
 * output.c - go-test-style printing of a test binary's run (output.h).
 *
 * Bytes become lines (line assembly), lines are markers or output (marker.h),
 * output is filtered (filter.h) and routed to one of four places:
 *   - the terminal, at once (-v, or outside tests once the run has failed);
 *   - the running test's buffer (shown if it fails);
 *   - the pending buffer: outside tests, shown if the run fails;
 *   - the preamble: before the first marker, where we do not know yet whether
 *     the binary is traced. If no marker ever comes but cmocka ran tests, the
 *     preamble is shown unfiltered: it is then all we know about the tests.
 *
 * The tracer sends a test's end marker at cmocka's verdict, after every
 * message cmocka prints about the test ("[  ERROR   ] --- ...", "[   LINE
 * ] --- file:line: ..."): the test ends at its end marker, and what follows
 * is outside it.
 */
#include "output.h"

#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, memchr, memmove */

#include "common/decimal.h" /* ct_decimal */
#include "json_event.h"

#include "filter.h"
#include "output_internal.h"

/* A long line keeps this many latest bytes back, so a marker printed right
 * after output without a newline is still found. */
#define LONG_LINE_KEEP ((size_t)4096)


/* ---- printing -------------------------------------------------------------- */

/* ---- --json: go test -json's events -------------------------------------------------- */

/* One event line: {"Time","Action","Package"[,"Test"][,"Elapsed"][,"Output"]}. */
void rn__out_json_event(rn_out *o, const char *action, int with_test, double elapsed,
                        const char *output, size_t output_len)
{
    if (o->event_fn != NULL) {
        int of_test = with_test && o->test != NULL;
        rn_out_event e = {action, o->json_package, of_test ? o->test : NULL,
                          of_test ? o->test_len : 0, elapsed, output, output_len};
        o->event_fn(o->event_ctx, &e);
        return;
    }
    int test = with_test && o->test != NULL;
    rn_json_event(o->out, o->json_package, test ? o->test : NULL, test ? o->test_len : 0,
                  action, elapsed, output, output_len);
}

/* The output line assembled so far, as an "output" event of the running
 * test (or of the binary). */
void rn__out_json_flush_line(rn_out *o)
{
    if (o->jline_len == 0)
        return;
    rn__out_json_event(o, "output", o->in_test, -1, o->jline, o->jline_len);
    o->jline_len = 0;
}

static void json_put(rn_out *o, const char *s, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(s, '\n', n);
        size_t take = nl ? (size_t)(nl - s) + 1 : n;
        if (o->jline_len + take > o->jline_cap) {
            size_t cap = (o->jline_len + take) * 2;
            char *line = realloc(o->jline, cap);
            if (line == NULL)
                return;
            o->jline = line;
            o->jline_cap = cap;
        }
        memcpy(o->jline + o->jline_len, s, take);
        o->jline_len += take;
        if (nl != NULL || o->jline_len >= RN_LINE_MAX)
            rn__out_json_flush_line(o);
        s += take;
        n -= take;
    }
}

/* The live counter, "[12/340] TestName", redrawn in place on a terminal. */
void rn__out_counter_clear(rn_out *o)
{
    if (o->counter_shown) {
        fputs("\r\033[K", o->out);
        o->counter_shown = 0;
    }
}

static void counter_draw(rn_out *o)
{
    if (o->progress != RN_PROGRESS_COUNTER || o->verbose)
        return;
    rn__out_counter_clear(o);
    char head[64];
    uint64_t planned = o->planned > o->done ? o->planned : o->done + 1;
    snprintf(head, sizeof head, "[%llu/%llu] ", (unsigned long long)o->done + 1,
             (unsigned long long)planned);
    fputs(head, o->out);
    char *shown = rn_escape_name(o->test, o->test_len > 200 ? 200 : o->test_len);
    if (shown != NULL)
        fputs(shown, o->out);
    free(shown);
    fflush(o->out);
    o->counter_shown = 1;
}

void rn__out_put(rn_out *o, const char *s, size_t n)
{
    if (n == 0)
        return;
    rn__out_counter_clear(o);
    if (o->json_package != NULL)
        json_put(o, s, n);
    else
        fwrite(s, 1, n, o->out);
    o->col0 = s[n - 1] == '\n';
}

static void put_fn(void *ctx, const char *s, size_t n)
{
    rn__out_put(ctx, s, n);
}

void rn__out_end_line(rn_out *o)
{
    if (!o->col0)
        rn__out_put(o, "\n", 1);
}

/* Print under a "--- FAIL" line: each line indented by 4 spaces. */
struct indent {
    rn_out *o;
    int at_start;
};

static void indent_fn(void *ctx, const char *s, size_t n)
{
    struct indent *in = ctx;
    while (n > 0) {
        const char *nl = memchr(s, '\n', n);
        size_t take = nl ? (size_t)(nl - s) + 1 : n;
        if (in->at_start && take > 1)
            rn__out_put(in->o, "    ", 4);
        rn__out_put(in->o, s, take);
        in->at_start = nl != NULL;
        s += take;
        n -= take;
    }
}

void rn__out_print_buf(rn_out *o, const rn_buf *b, int indent)
{
    if (indent) {
        struct indent in = {o, 1};
        rn_buf_each(b, indent_fn, &in);
    } else {
        rn_buf_each(b, put_fn, o);
    }
    rn__out_end_line(o);
}

/* Whether `s` is printable ASCII only, which rn_escape_name() keeps as is. */
static int plain_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    return 1;
}

void rn__out_put_name(rn_out *o, const char *name, size_t len)
{
    if (plain_ascii(name, len)) { /* most names: no copy to make */
        rn__out_put(o, name, len);
        return;
    }
    char *shown = rn_escape_name(name, len);
    if (shown != NULL) {
        rn__out_put(o, shown, strlen(shown));
        free(shown);
    }
}

/* ---- routing ----------------------------------------------------------------- */

/* The run fails: what was held back outside tests is shown now, in order. */
void rn__out_set_failed(rn_out *o)
{
    if (o->failed)
        return;
    o->failed = 1;
    if (!o->verbose && !rn_buf_empty(&o->pending)) {
        rn__out_end_line(o);
        rn__out_print_buf(o, &o->pending, 0);
        rn_buf_clear(&o->pending);
    }
}

/* Output, after filtering, to wherever it goes now. */
void rn__out_sink(rn_out *o, const char *s, size_t n)
{
    if (o->in_test) {
        if (o->verbose)
            rn__out_put(o, s, n);
        if (!o->verbose || o->results) /* --junit keeps a failure's output */
            rn_buf_append(&o->test_out, s, n);
    } else if (!o->seen_marker) {
        rn_buf_append(&o->pre_kept, s, n);
    } else if (o->verbose || o->failed) {
        rn__out_put(o, s, n);
    } else {
        rn_buf_append(&o->pending, s, n);
    }
}

static void sink_fn(void *ctx, const char *s, size_t n)
{
    rn__out_sink(ctx, s, n);
}

void rn__out_flush_blanks(rn_out *o)
{
    for (; o->blanks > 0; o->blanks--)
        rn__out_sink(o, "\n", 1);
}


/* A piece of a line too long to hold (no filtering applies). */
static void deliver_piece(rn_out *o, const char *s, size_t n)
{
    if (!o->seen_marker)
        rn_buf_append(&o->pre_raw, s, n);
    rn__out_flush_blanks(o);
    rn__out_sink(o, s, n);
}

/* A whole line of output, without its '\n'; `continued`: its start was
 * passed on as pieces already. */
static void deliver_line(rn_out *o, const char *s, size_t n, int continued)
{
    if (continued) {
        deliver_piece(o, s, n);
        deliver_piece(o, "\n", 1);
        return;
    }
    if (!o->seen_marker) {
        rn_buf_append(&o->pre_raw, s, n);
        rn_buf_append(&o->pre_raw, "\n", 1);
        if (rn_cmocka_run_line(s, n))
            o->saw_cmocka_run = 1;
    } else if (!o->in_test && !o->in_fixture && n > 13 && memcmp(s, "[ RUN      ] ", 13) == 0) {
        /* A traced test's run marker follows its cmocka line, if cmocka
         * printed one (the tracer takes most away), and a program a test
         * runs prints its own inside the test. One that no run marker
         * follows is a group the tracer did not see, such as a second test
         * binary that a wrapper ran after the traced one. */
        if (o->run_line_unmatched)
            o->untraced_after = 1;
        o->run_line_unmatched = 1;
    }
    const char *about = o->in_test ? o->test : o->last;
    size_t about_len = o->in_test ? o->test_len : o->last_len;
    if (rn_cmocka_framing(s, n, about, about_len)) {
        if (rn_cmocka_summary_count(s, n))
            o->blanks = 0; /* the blank line cmocka prints before it */
        return;
    }
    if (n == 0 || (n == 1 && s[0] == '\r')) {
        o->blanks++;
        return;
    }
    rn__out_flush_blanks(o);
    rn__out_sink(o, s, n);
    rn__out_sink(o, "\n", 1);
}

/* ---- tests --------------------------------------------------------------------- */

int rn__out_set_name(char **dst, size_t *dst_len, const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    free(*dst);
    *dst = copy;
    *dst_len = n;
    return 0;
}

struct flat {
    char *s;
    size_t n;
};

static void flatten_fn(void *ctx, const char *s, size_t n)
{
    struct flat *f = ctx;
    if (f->s != NULL) {
        memcpy(f->s + f->n, s, n);
        f->n += n;
    }
}

/* The finished test, for --junit. */
static void record_result(rn_out *o, rn_test_status status, uint64_t elapsed_ns, int bad,
                          const rn_attachment *att)
{
    rn_result r = {
        .binary = o->binary,
        .name = o->test,
        .name_len = o->test_len,
        .group = o->test_group,
        .group_len = o->test_group_len,
        .pid = o->test_pid,
        .task = o->test_task,
        .status = status,
        .elapsed_ns = elapsed_ns,
        .lost = o->test_lost,
        .attachment = att->path,
        .attachment_note = att->note[0] ? (char *)att->note : NULL,
    };
    struct flat f = {NULL, 0};
    if (bad && !rn_buf_empty(&o->test_out)) {
        uint64_t total = rn_buf_total(&o->test_out);
        f.s = malloc((size_t)(total < o->test_out.limit ? total : o->test_out.limit) + 128);
        rn_buf_each(&o->test_out, flatten_fn, &f);
        r.output = f.s;
        r.output_len = f.n;
    }
    rn_results_add(o->results, &r);
    free(f.s);
}

/* The test lost events: a line under its result (with --json, an output
 * event of the test). */
static void say_test_lost(rn_out *o)
{
    char text[200];
    int n = snprintf(text, sizeof text, "    %" PRIu64 " event%s lost in this test: the trace "
                     "could not record %s (ctest-trace stats tells more)\n",
                     o->test_lost, o->test_lost == 1 ? " was" : "s were",
                     o->test_lost == 1 ? "it" : "them");
    rn__out_end_line(o);
    rn__out_put(o, text, n > 0 && (size_t)n < sizeof text ? (size_t)n : 0);
}

/* Where the failed test's trace went, under its result. */
static void say_attachment(rn_out *o, const rn_attachment *att)
{
    rn__out_end_line(o);
    if (att->path) {
        rn__out_put(o, "    attachment: ", 16);
        rn__out_put_name(o, att->path, strlen(att->path));
        rn__out_put(o, "\n", 1);
    }
    if (att->note[0]) {
        rn__out_put(o, "    ", 4);
        rn__out_put(o, att->note, strlen(att->note)); /* made of escaped names only */
        rn__out_put(o, "\n", 1);
    }
}

/* " (1.23s)\n", as snprintf's "%.2f" of the seconds writes it, without its
 * cost (a floating-point conversion a test): by hand but for a time just
 * half way between two hundredths, which %.2f rounds as the double falls. */
static void format_secs(char *out, size_t cap, uint64_t ns)
{
    if (ns % 10000000u == 5000000u || ns >= UINT64_MAX / 2) {
        snprintf(out, cap, " (%.2fs)\n", (double)ns / 1e9);
        return;
    }
    uint64_t hundredths = (ns + 5000000u) / 10000000u;
    char digits[CT_DECIMAL_MAX];
    size_t n = ct_decimal(digits, hundredths / 100), k = 0;
    if (cap < n + 9) {
        out[0] = '\0';
        return;
    }
    out[k++] = ' ';
    out[k++] = '(';
    memcpy(out + k, digits, n);
    k += n;
    out[k++] = '.';
    out[k++] = (char)('0' + hundredths % 100 / 10);
    out[k++] = (char)('0' + hundredths % 10);
    memcpy(out + k, "s)\n", 4);
}

void rn__out_finish_test(rn_out *o, rn_test_status status, uint64_t elapsed_ns)
{
    int bad = status != RN_STATUS_PASS && status != RN_STATUS_SKIP;
    rn_attachment att = {NULL, ""};
    if (bad && o->attach_fn && o->test_pid && o->test_task) {
        rn_failed_test t = {o->test_pid, o->test_task, o->test, o->test_group ? o->test_group : "",
                            o->test_len, o->test_group ? o->test_group_len : 0};
        o->attach_fn(o->attach_ctx, &t, &att);
    }
    if (o->results)
        record_result(o, status, elapsed_ns, bad, &att);
    const char *word = bad ? "FAIL" : status == RN_STATUS_SKIP ? "SKIP" : "PASS";
    if (bad) {
        o->counts.failed++;
        rn__out_set_failed(o);
    } else if (status == RN_STATUS_SKIP) {
        o->counts.skipped++;
    } else {
        o->counts.passed++;
    }
    o->done++;
    o->lost += o->test_lost;
    if (o->verbose || bad || o->progress == RN_PROGRESS_LINES || o->test_lost) {
        char secs[48];
        int show_output = !o->verbose && bad;
        format_secs(secs, sizeof secs, elapsed_ns);
        rn__out_end_line(o);
        char line[256]; /* "--- PASS: name (0.00s)": one write for most */
        size_t secs_len = strlen(secs);
        if (o->test_len + secs_len + 10 <= sizeof line && plain_ascii(o->test, o->test_len)) {
            memcpy(line, "--- ", 4);
            memcpy(line + 4, word, 4);
            memcpy(line + 8, ": ", 2);
            memcpy(line + 10, o->test, o->test_len);
            memcpy(line + 10 + o->test_len, secs, secs_len);
            rn__out_put(o, line, 10 + o->test_len + secs_len);
        } else {
            rn__out_put(o, "--- ", 4);
            rn__out_put(o, word, 4);
            rn__out_put(o, ": ", 2);
            rn__out_put_name(o, o->test, o->test_len);
            rn__out_put(o, secs, secs_len);
        }
        if (show_output)
            rn__out_print_buf(o, &o->test_out, 1);
    }
    if (o->test_lost)
        say_test_lost(o);
    if (att.path || att.note[0])
        say_attachment(o, &att);
    free(att.path);
    if (o->json_package != NULL) {
        rn__out_json_flush_line(o);
        rn__out_json_event(o, bad ? "fail" : status == RN_STATUS_SKIP ? "skip" : "pass", 1,
                   (double)elapsed_ns / 1e9, NULL, 0);
    }
    rn_buf_clear(&o->test_out);
    o->in_test = 0;
    char *t = o->last;
    o->last = o->test, o->last_len = o->test_len;
    o->test = t, o->test_len = 0;
}

void rn__out_begin_test(rn_out *o, const char *name, size_t len, uint64_t now_ns)
{
    if (rn__out_set_name(&o->test, &o->test_len, name, len) != 0)
        rn__out_set_name(&o->test, &o->test_len, "?", 1);
    o->in_test = 1;
    o->test_start_ns = now_ns;
    o->test_lost = 0;
    o->counts.run++;
    rn_judged_test_ran(o->judged, o->test, o->test_len);
    if (o->json_package != NULL) {
        rn__out_json_flush_line(o); /* what came before belongs to no test */
        rn__out_json_event(o, "run", 1, -1, NULL, 0);
    }
    if (o->verbose) {
        rn__out_end_line(o);
        rn__out_put(o, "=== RUN   ", 10);
        rn__out_put_name(o, o->test, o->test_len);
        rn__out_put(o, "\n", 1);
    }
    counter_draw(o);
}

/* Where the test just begun is in the trace, and its group. */
static void set_where(rn_out *o, const rn_marker *m)
{
    o->test_pid = m->pid;
    o->test_task = m->task;
    /* Most tests are of the group before: keep its copy. */
    if (o->test_group != NULL && o->test_group_enc != NULL &&
        o->test_group_enc_len == m->group_len &&
        (m->group_len == 0 || memcmp(o->test_group_enc, m->group, m->group_len) == 0))
        return;
    free(o->test_group);
    free(o->test_group_enc);
    o->test_group_len = o->test_group_enc_len = 0;
    o->test_group = malloc(m->group_len + 1);
    o->test_group_enc = malloc(m->group_len + 1);
    if (o->test_group == NULL || o->test_group_enc == NULL) {
        free(o->test_group_enc);
        o->test_group_enc = NULL;
        if (o->test_group != NULL)
            o->test_group_len = rn_percent_decode(m->group, m->group_len, o->test_group);
        return;
    }
    if (m->group_len > 0) /* m->group may be NULL then */
        memcpy(o->test_group_enc, m->group, m->group_len);
    o->test_group_enc_len = m->group_len;
    o->test_group_len = rn_percent_decode(m->group, m->group_len, o->test_group);
}

/* The binary is traced (a marker came, or the trace has its tests): what
 * came before is framing-filtered output outside tests. */
void rn__out_traced(rn_out *o)
{
    if (o->seen_marker)
        return;
    o->seen_marker = 1;
    rn_buf_each(&o->pre_kept, sink_fn, o);
    rn_buf_free(&o->pre_kept);
    rn_buf_free(&o->pre_raw);
}

static void release_name(char *name, char *small)
{
    if (name != small)
        free(name);
}

static void handle_marker(rn_out *o, const char *s, size_t n, uint64_t now_ns)
{
    rn_marker m;
    if (rn_marker_parse(s, n, &m) != 1 || m.kind == RN_MARK_OTHER)
        return;
    o->progress_ns = now_ns;
    o->process_markers++;
    rn__out_flush_blanks(o);
    rn__out_traced(o);
    char small[256]; /* most names: no allocation */
    char *name = m.name_len < sizeof small ? small : malloc(m.name_len + 1);
    const char *nm = name ? name : "?";
    size_t nm_len = name ? rn_percent_decode(m.name, m.name_len, name) : 1;

    if (m.kind == RN_MARK_FIXTURE) {
        *(m.count ? &o->markers_read.fixtures_begun : &o->markers_read.fixtures_ended) += 1;
        o->in_fixture = m.count != 0;
        if (o->in_fixture && rn__out_set_name(&o->fixture, &o->fixture_len, nm, nm_len) != 0)
            o->fixture_len = 0;
        release_name(name, small);
        return;
    }
    if (m.kind == RN_MARK_LOST) {
        if (o->in_test)
            o->test_lost = m.count;
        release_name(name, small);
        return;
    }
    if (m.kind == RN_MARK_RULES) {
        rn_judged_states(o->judged, m.states, m.states_len);
        release_name(name, small);
        return;
    }
    if (m.kind == RN_MARK_PLAN) {
        if (m.has_ordinal) { /* ordinals hold across resumed processes */
            o->has_ordinals = 1;
            o->group_end = m.ordinal;
            if (m.ordinal > o->planned)
                o->planned = m.ordinal;
        } else {
            o->planned += m.count;
        }
        free(o->group);
        o->group_len = 0;
        o->group = malloc(m.group_len + 1);
        if (o->group != NULL)
            o->group_len = rn_percent_decode(m.group, m.group_len, o->group);
        release_name(name, small);
        return;
    }
    if (m.kind == RN_MARK_RUN && m.has_ordinal) {
        o->has_ordinals = 1;
        o->next_ordinal = m.ordinal + 1;
        o->done = m.ordinal; /* tests before it ran, here or in a process before */
    }
    if (m.kind == RN_MARK_RUN) {
        o->markers_read.tests_begun++;
        o->run_line_unmatched = 0;
    } else {
        o->markers_read.tests_ended++;
    }
    if (m.kind == RN_MARK_RUN) {
        if (o->in_test) /* the previous test never said it ended */
            rn__out_finish_test(o, RN_STATUS_UNKNOWN, rn__out_since_test_start(o, now_ns));
        rn__out_begin_test(o, nm, nm_len, now_ns);
        set_where(o, &m);
    } else {
        if (o->in_test &&
            (o->test_len != nm_len || memcmp(o->test, nm, nm_len) != 0)) {
            rn__out_finish_test(o, RN_STATUS_UNKNOWN, rn__out_since_test_start(o, now_ns));
        }
        if (!o->in_test) { /* an end without its run: count it all the same */
            int verbose = o->verbose;
            o->verbose = 0; /* no "=== RUN" line for it */
            rn__out_begin_test(o, nm, nm_len, now_ns);
            o->verbose = verbose;
            set_where(o, &m);
        }
        if (m.status == RN_STATUS_CRASH) { /* shown as FAIL, as go test shows a panic */
            static const char crash[] = "crash: died of a signal, which cmocka caught\n";
            rn__out_sink(o, crash, sizeof crash - 1);
        }
        rn__out_finish_test(o, m.status, m.elapsed_ns);
    }
    release_name(name, small);
}

/* A complete line; `continued`: its start was passed on as pieces. */
void rn__out_handle_line(rn_out *o, const char *s, size_t n, int continued,
                         uint64_t now_ns)
{
    const char *mark = rn_marker_find(s, n);
    if (mark == NULL) {
        deliver_line(o, s, n, continued);
        return;
    }
    size_t before = (size_t)(mark - s);
    if (before > 0 || continued) /* output without a newline, then a marker */
        deliver_line(o, s, before, continued);
    handle_marker(o, mark, n - before, now_ns);
}

/* ---- the interface --------------------------------------------------------------- */

rn_out *rn_out_new(FILE *out, FILE *err, int verbose, size_t buf_limit)
{
    rn_out *o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->line = malloc(RN_LINE_MAX);
    if (o->line == NULL) {
        free(o);
        return NULL;
    }
    o->out = out;
    o->err = err;
    o->verbose = verbose;
    o->col0 = 1;
    rn_buf_init(&o->test_out, buf_limit);
    rn_buf_init(&o->pending, buf_limit);
    rn_buf_init(&o->pre_raw, buf_limit);
    rn_buf_init(&o->pre_kept, buf_limit);
    return o;
}

void rn_out_feed(rn_out *o, const char *data, size_t len, uint64_t now_ns)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) : len;
        size_t room = RN_LINE_MAX - o->line_len;
        if (take > room) { /* too long to hold: pass on all but the latest bytes */
            memcpy(o->line + o->line_len, data, room);
            o->line_len += room;
            data += room;
            len -= room;
            size_t pass = o->line_len - LONG_LINE_KEEP;
            deliver_piece(o, o->line, pass);
            memmove(o->line, o->line + pass, LONG_LINE_KEEP);
            o->line_len = LONG_LINE_KEEP;
            o->continued = 1;
            continue;
        }
        memcpy(o->line + o->line_len, data, take);
        o->line_len += take;
        data += take;
        len -= take;
        if (nl != NULL) {
            rn__out_handle_line(o, o->line, o->line_len, o->continued, now_ns);
            o->line_len = 0;
            o->continued = 0;
            data++;
            len--;
        }
    }
    fflush(o->out);
}

void rn_out_process_lost(rn_out *o, uint64_t events)
{
    o->lost_counted += events;
}

void rn_out_progress(rn_out *o, rn_progress progress)
{
    o->progress = progress;
}

void rn_out_lines(rn_out *o, const char *lines)
{
    rn__out_counter_clear(o);
    rn__out_end_line(o);
    rn__out_put(o, lines, strlen(lines));
    if (o->json_package != NULL)
        rn__out_json_flush_line(o);
}

void rn_out_json(rn_out *o, const char *package)
{
    o->json_package = package;
    o->verbose = 1; /* as go test -json: everything, attributed to its test */
    rn__out_json_event(o, "start", 0, -1, NULL, 0);
}

void rn_out_events(rn_out *o, const char *package, rn_out_event_fn *fn, void *ctx)
{
    o->event_fn = fn;
    o->event_ctx = ctx;
    rn_out_json(o, package);
}

void rn_out_keep_results(rn_out *o, rn_results *results, size_t binary)
{
    o->results = results;
    o->binary = binary;
}

void rn_out_on_failure(rn_out *o, rn_attach_fn *fn, void *ctx)
{
    o->attach_fn = fn;
    o->attach_ctx = ctx;
}

void rn_out_watch_rules(rn_out *o, rn_judged *judged)
{
    o->judged = judged;
}

void rn_out_get_counts(const rn_out *o, rn_out_counts *c)
{
    *c = o->counts;
}

void rn_out_free(rn_out *o)
{
    if (o == NULL)
        return;
    free(o->line);
    free(o->test);
    free(o->test_group);
    free(o->test_group_enc);
    free(o->group);
    free(o->jline);
    free(o->last);
    free(o->lost_in);
    free(o->timeout_why);
    free(o->timeout_stacks);
    free(o->fixture);
    rn_buf_free(&o->test_out);
    rn_buf_free(&o->pending);
    rn_buf_free(&o->pre_raw);
    rn_buf_free(&o->pre_kept);
    free(o);
}
