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
#include <signal.h>   /* sigdescr_np */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, memchr, memmove */
#include <sys/wait.h> /* WIFEXITED, ... */
#include <time.h>     /* clock_gettime, gmtime_r */

#include "analysis/views/json.h" /* ctv_json_write_string */
#include "format/duration.h"     /* ct_format_go_duration */

#include "buf.h"
#include "results.h"
#include "filter.h"
#include "judged.h"
#include "marker.h"
#include "recover.h"

/* A long line keeps this many latest bytes back, so a marker printed right
 * after output without a newline is still found. */
#define LONG_LINE_KEEP ((size_t)4096)

struct rn_out {
    FILE *out, *err;
    int verbose;

    char *line;        /* the line being assembled */
    size_t line_len;
    int continued;     /* pieces of this line were passed on already */
    unsigned blanks;   /* blank lines held back (one precedes cmocka's summary) */

    int seen_marker;
    int in_test;
    char *test;        /* decoded name of the running test */
    size_t test_len;
    uint64_t test_start_ns;
    uint64_t progress_ns; /* when the last marker came */
    char *last;        /* name of the last finished test */
    size_t last_len;

    rn_buf test_out;   /* non-verbose: the running test's output */
    rn_buf pending;    /* non-verbose: output outside tests */
    rn_buf pre_raw;    /* before the first marker, as printed */
    rn_buf pre_kept;   /* before the first marker, filtered */
    int saw_cmocka_run;

    int failed;        /* the run fails */
    int col0;          /* what we printed ends a line */
    rn_out_counts counts;

    rn_results *results; /* where finished tests go, or NULL */
    size_t binary;       /* their binary's index */
    rn_judged *judged;   /* what the --assert rules judged, or NULL */
    uint64_t test_pid, test_task; /* the running test's, from its marker */
    uint64_t test_lost;           /* events it lost, from a lost marker */
    uint64_t lost;                /* events the binary's tests lost */
    char *test_group;
    size_t test_group_len;

    rn_progress progress;     /* what passing tests show without -v */
    uint64_t planned, done;   /* tests the groups announced, and finished */
    uint64_t next_ordinal;    /* after the last test begun (CTRACE_RESUME) */
    uint64_t group_end;       /* after the current group's last test */
    int has_ordinals;         /* markers carry them */
    int in_fixture;           /* a group's setup or teardown is running */
    char *fixture;            /* its name ("GROUP setup") */
    size_t fixture_len;
    unsigned process_markers; /* markers from the process running now */
    int resume_unknown;       /* tests came from the trace past a gap in the
                                 ordinals: where to go on is not known */
    char *lost_in;            /* the test the binary's output was lost in (or
                                 before), or NULL */
    size_t lost_in_len;
    int lost_in_test;         /* in it, not before it */
    unsigned from_trace;      /* tests whose end only the trace told */
    char *group;              /* the group last announced (decoded) */
    size_t group_len;
    int counter_shown;        /* the live counter is on the current line */
    const char *json_package; /* --json: events for this binary, or NULL */
    char *jline;              /* --json: the output line being assembled */
    size_t jline_len, jline_cap;
};

/* ---- printing -------------------------------------------------------------- */

/* ---- --json: go test -json's events -------------------------------------------------- */

/* One event line: {"Time","Action","Package"[,"Test"][,"Elapsed"][,"Output"]}. */
static void json_event(rn_out *o, const char *action, int with_test, double elapsed,
                       const char *output, size_t output_len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    time_t secs = ts.tv_sec;
    char when[64] = "1970-01-01T00:00:00";
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(o->out, "{\"Time\":\"%s.%09ldZ\",\"Action\":\"%s\",\"Package\":", when,
            ts.tv_nsec, action);
    ctv_json_write_string(o->out, o->json_package, strlen(o->json_package));
    if (with_test && o->test != NULL) {
        fputs(",\"Test\":", o->out);
        ctv_json_write_string(o->out, o->test, o->test_len);
    }
    if (elapsed >= 0)
        fprintf(o->out, ",\"Elapsed\":%.3f", elapsed);
    if (output != NULL) {
        fputs(",\"Output\":", o->out);
        ctv_json_write_string(o->out, output, output_len);
    }
    fputs("}\n", o->out);
}

/* The output line assembled so far, as an "output" event of the running
 * test (or of the binary). */
static void json_flush_line(rn_out *o)
{
    if (o->jline_len == 0)
        return;
    json_event(o, "output", o->in_test, -1, o->jline, o->jline_len);
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
            json_flush_line(o);
        s += take;
        n -= take;
    }
}

/* The live counter, "[12/340] TestName", redrawn in place on a terminal. */
static void counter_clear(rn_out *o)
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
    counter_clear(o);
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

static void put(rn_out *o, const char *s, size_t n)
{
    if (n == 0)
        return;
    counter_clear(o);
    if (o->json_package != NULL)
        json_put(o, s, n);
    else
        fwrite(s, 1, n, o->out);
    o->col0 = s[n - 1] == '\n';
}

static void put_fn(void *ctx, const char *s, size_t n)
{
    put(ctx, s, n);
}

static void end_line(rn_out *o)
{
    if (!o->col0)
        put(o, "\n", 1);
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
            put(in->o, "    ", 4);
        put(in->o, s, take);
        in->at_start = nl != NULL;
        s += take;
        n -= take;
    }
}

static void print_buf(rn_out *o, const rn_buf *b, int indent)
{
    if (indent) {
        struct indent in = {o, 1};
        rn_buf_each(b, indent_fn, &in);
    } else {
        rn_buf_each(b, put_fn, o);
    }
    end_line(o);
}

static void put_name(rn_out *o, const char *name, size_t len)
{
    char *shown = rn_escape_name(name, len);
    if (shown != NULL) {
        put(o, shown, strlen(shown));
        free(shown);
    }
}

/* ---- routing ----------------------------------------------------------------- */

/* The run fails: what was held back outside tests is shown now, in order. */
static void set_failed(rn_out *o)
{
    if (o->failed)
        return;
    o->failed = 1;
    if (!o->verbose && !rn_buf_empty(&o->pending)) {
        end_line(o);
        print_buf(o, &o->pending, 0);
        rn_buf_clear(&o->pending);
    }
}

/* Output, after filtering, to wherever it goes now. */
static void sink(rn_out *o, const char *s, size_t n)
{
    if (o->in_test) {
        if (o->verbose)
            put(o, s, n);
        if (!o->verbose || o->results) /* --junit keeps a failure's output */
            rn_buf_append(&o->test_out, s, n);
    } else if (!o->seen_marker) {
        rn_buf_append(&o->pre_kept, s, n);
    } else if (o->verbose || o->failed) {
        put(o, s, n);
    } else {
        rn_buf_append(&o->pending, s, n);
    }
}

static void sink_fn(void *ctx, const char *s, size_t n)
{
    sink(ctx, s, n);
}

static void flush_blanks(rn_out *o)
{
    for (; o->blanks > 0; o->blanks--)
        sink(o, "\n", 1);
}


/* A piece of a line too long to hold (no filtering applies). */
static void deliver_piece(rn_out *o, const char *s, size_t n)
{
    if (!o->seen_marker)
        rn_buf_append(&o->pre_raw, s, n);
    flush_blanks(o);
    sink(o, s, n);
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
    flush_blanks(o);
    sink(o, s, n);
    sink(o, "\n", 1);
}

/* ---- tests --------------------------------------------------------------------- */

static int set_name(char **dst, size_t *dst_len, const char *s, size_t n)
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
static void record_result(rn_out *o, rn_test_status status, uint64_t elapsed_ns, int bad)
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
    end_line(o);
    put(o, text, n > 0 && (size_t)n < sizeof text ? (size_t)n : 0);
}

static void finish_test(rn_out *o, rn_test_status status, uint64_t elapsed_ns)
{
    int bad = status != RN_STATUS_PASS && status != RN_STATUS_SKIP;
    if (o->results)
        record_result(o, status, elapsed_ns, bad);
    const char *word = bad ? "FAIL" : status == RN_STATUS_SKIP ? "SKIP" : "PASS";
    if (bad) {
        o->counts.failed++;
        set_failed(o);
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
        snprintf(secs, sizeof secs, " (%.2fs)\n", (double)elapsed_ns / 1e9);
        end_line(o);
        put(o, "--- ", 4);
        put(o, word, 4);
        put(o, ": ", 2);
        put_name(o, o->test, o->test_len);
        put(o, secs, strlen(secs));
        if (show_output)
            print_buf(o, &o->test_out, 1);
    }
    if (o->test_lost)
        say_test_lost(o);
    if (o->json_package != NULL) {
        json_flush_line(o);
        json_event(o, bad ? "fail" : status == RN_STATUS_SKIP ? "skip" : "pass", 1,
                   (double)elapsed_ns / 1e9, NULL, 0);
    }
    rn_buf_clear(&o->test_out);
    o->in_test = 0;
    char *t = o->last;
    o->last = o->test, o->last_len = o->test_len;
    o->test = t, o->test_len = 0;
}

static void begin_test(rn_out *o, const char *name, size_t len, uint64_t now_ns)
{
    if (set_name(&o->test, &o->test_len, name, len) != 0)
        set_name(&o->test, &o->test_len, "?", 1);
    o->in_test = 1;
    o->test_start_ns = now_ns;
    o->test_lost = 0;
    o->counts.run++;
    rn_judged_test_ran(o->judged, o->test, o->test_len);
    if (o->json_package != NULL) {
        json_flush_line(o); /* what came before belongs to no test */
        json_event(o, "run", 1, -1, NULL, 0);
    }
    if (o->verbose) {
        end_line(o);
        put(o, "=== RUN   ", 10);
        put_name(o, o->test, o->test_len);
        put(o, "\n", 1);
    }
    counter_draw(o);
}

/* Where the test just begun is in the trace, and its group. */
static void set_where(rn_out *o, const rn_marker *m)
{
    o->test_pid = m->pid;
    o->test_task = m->task;
    free(o->test_group);
    o->test_group_len = 0;
    o->test_group = malloc(m->group_len + 1);
    if (o->test_group != NULL)
        o->test_group_len = rn_percent_decode(m->group, m->group_len, o->test_group);
}

/* The binary is traced (a marker came, or the trace has its tests): what
 * came before is framing-filtered output outside tests. */
static void traced(rn_out *o)
{
    if (o->seen_marker)
        return;
    o->seen_marker = 1;
    rn_buf_each(&o->pre_kept, sink_fn, o);
    rn_buf_free(&o->pre_kept);
    rn_buf_free(&o->pre_raw);
}

static void handle_marker(rn_out *o, const char *s, size_t n, uint64_t now_ns)
{
    rn_marker m;
    if (rn_marker_parse(s, n, &m) != 1 || m.kind == RN_MARK_OTHER)
        return;
    o->progress_ns = now_ns;
    o->process_markers++;
    flush_blanks(o);
    traced(o);
    char *name = malloc(m.name_len + 1);
    const char *nm = name ? name : "?";
    size_t nm_len = name ? rn_percent_decode(m.name, m.name_len, name) : 1;

    if (m.kind == RN_MARK_FIXTURE) {
        o->in_fixture = m.count != 0;
        if (o->in_fixture && set_name(&o->fixture, &o->fixture_len, nm, nm_len) != 0)
            o->fixture_len = 0;
        free(name);
        return;
    }
    if (m.kind == RN_MARK_LOST) {
        if (o->in_test)
            o->test_lost = m.count;
        free(name);
        return;
    }
    if (m.kind == RN_MARK_RULES) {
        rn_judged_states(o->judged, m.states, m.states_len);
        free(name);
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
        free(name);
        return;
    }
    if (m.kind == RN_MARK_RUN && m.has_ordinal) {
        o->has_ordinals = 1;
        o->next_ordinal = m.ordinal + 1;
        o->done = m.ordinal; /* tests before it ran, here or in a process before */
    }
    if (m.kind == RN_MARK_RUN) {
        if (o->in_test) /* the previous test never said it ended */
            finish_test(o, RN_STATUS_UNKNOWN, now_ns - o->test_start_ns);
        begin_test(o, nm, nm_len, now_ns);
        set_where(o, &m);
    } else {
        if (o->in_test &&
            (o->test_len != nm_len || memcmp(o->test, nm, nm_len) != 0)) {
            finish_test(o, RN_STATUS_UNKNOWN, now_ns - o->test_start_ns);
        }
        if (!o->in_test) { /* an end without its run: count it all the same */
            int verbose = o->verbose;
            o->verbose = 0; /* no "=== RUN" line for it */
            begin_test(o, nm, nm_len, now_ns);
            o->verbose = verbose;
            set_where(o, &m);
        }
        finish_test(o, m.status, m.elapsed_ns);
    }
    free(name);
}

/* A complete line; `continued`: its start was passed on as pieces. */
static void handle_line(rn_out *o, const char *s, size_t n, int continued,
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
            handle_line(o, o->line, o->line_len, o->continued, now_ns);
            o->line_len = 0;
            o->continued = 0;
            data++;
            len--;
        }
    }
    fflush(o->out);
}

void rn_wait_status_text(int wait_status, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    if (WIFEXITED(wait_status)) {
        if (WEXITSTATUS(wait_status) != 0)
            snprintf(buf, size, "exit status %d", WEXITSTATUS(wait_status));
    } else if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        const char *d = sigdescr_np(sig);
        char what[64];
        if (d != NULL)
            snprintf(what, sizeof what, "%s", d);
        else
            snprintf(what, sizeof what, "signal %d", sig);
        if (what[0] >= 'A' && what[0] <= 'Z')
            what[0] = (char)(what[0] - 'A' + 'a');
        snprintf(buf, size, "signal: %s%s", what,
                 WCOREDUMP(wait_status) ? " (core dumped)" : "");
    } else {
        snprintf(buf, size, "unknown wait status 0x%x", (unsigned)wait_status);
    }
}

/* The process is gone: a line it left without its newline is whole. */
static void end_partial_line(rn_out *o, uint64_t now_ns)
{
    if (o->line_len > 0 || o->continued)
        handle_line(o, o->line, o->line_len, o->continued, now_ns);
    o->line_len = 0;
    o->continued = 0;
    flush_blanks(o);
}

/* The process died after its output was lost and the trace showed a gap in
 * the test ordinals (a group whose setup failed ran none of its tests): the
 * ordinal to resume at is not known. Say so rather than run a test twice.
 * @return 0: do not go on. */
static int cannot_go_on(rn_out *o)
{
    static const char why[] = "the binary's output was lost before it died, and where its "
                              "tests stopped is not known: the tests after this point did "
                              "not run\n";
    set_failed(o);
    end_line(o);
    put(o, why, sizeof why - 1);
    return 0;
}

int rn_out_unaccounted(const rn_out *o, int output_lost)
{
    return o->in_test || o->in_fixture || o->process_markers == 0 || output_lost;
}

/* Percent-free names from the trace: the group of "GROUP setup". */
static void group_of_fixture(rn_out *o, const rn_traced_task *t)
{
    size_t n = t->name_len;
    static const char *const ends[] = {" setup", " teardown"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(ends[i]);
        if (n > k && memcmp(t->name + n - k, ends[i], k) == 0) {
            set_name(&o->group, &o->group_len, t->name, n - k);
            return;
        }
    }
}

/* A test the trace says ended: its result, with the message of its status
 * when it did not pass (what cmocka printed of it is lost). */
static void finish_from_trace(rn_out *o, const rn_traced_task *t)
{
    if (t->status != RN_STATUS_PASS && t->message != NULL) {
        sink(o, t->message, t->message_len);
        sink(o, "\n", 1);
    }
    o->from_trace++;
    finish_test(o, t->status, t->duration_ns);
}

/* A test's end is about to come from the trace, not from markers: the first
 * time, remember where the output was lost. */
static void note_lost(rn_out *o, const char *name, size_t len)
{
    traced(o);
    if (o->lost_in != NULL)
        return;
    o->lost_in_test = o->in_test;
    if (o->in_test)
        name = o->test, len = o->test_len;
    if (set_name(&o->lost_in, &o->lost_in_len, name ? name : "?", name ? len : 1) != 0)
        o->lost_in = NULL;
}

void rn_out_from_trace(rn_out *o, uint64_t pid, const rn_traced *t, uint64_t resumed_at,
                       uint64_t now_ns)
{
    if (!t->found)
        return;
    end_partial_line(o, now_ns); /* it belongs to what ran before */
    /* The last test the markers named in this process, and the ordinal of the
     * next test of it. */
    uint64_t known = o->process_markers && o->test_pid == pid ? o->test_task : 0;
    uint64_t ordinal = known ? o->next_ordinal : resumed_at;
    const rn_traced_task *fixture = NULL; /* the last seen: it names the group */
    for (size_t i = 0; i < t->n; i++) {
        const rn_traced_task *k = &t->v[i];
        if (k->task < known || (k->task == known && !o->in_test))
            continue; /* the markers said it all */
        if (k->task == known) { /* the test the markers left running */
            if (k->unended)
                break; /* it died in it: rn_out_process_died() says so */
            static const char lost[] = "(the test's output ends here: it closed or "
                                       "redirected its stdout; its result is the trace's)\n";
            note_lost(o, k->name, k->name_len);
            sink(o, lost, sizeof lost - 1);
            finish_from_trace(o, k);
            continue;
        }
        if (k->fixture) {
            fixture = k;
            /* The one the markers left running: they said all until there. */
            int running = o->in_fixture && o->fixture != NULL && k->name_len == o->fixture_len &&
                          memcmp(k->name, o->fixture, k->name_len) == 0;
            if (running && k->unended)
                break; /* it died in it: rn_out_process_died() says so */
            if (k->unended) { /* the process died in it */
                note_lost(o, k->name, k->name_len);
                group_of_fixture(o, k);
                o->in_fixture = 1;
                o->resume_unknown = 1; /* its group's end is not known */
                break;
            }
            o->in_fixture = 0;
            if (k->status == RN_STATUS_ERROR) { /* reported as a test, as markers do */
                note_lost(o, k->name, k->name_len);
                group_of_fixture(o, k);
                begin_test(o, k->name, k->name_len, now_ns);
                o->test_pid = pid;
                o->test_task = k->task;
                finish_from_trace(o, k);
                /* A setup that failed: cmocka ran none of the group's tests,
                 * whose ordinals the trace does not tell. */
                if (k->name_len >= 6 && memcmp(k->name + k->name_len - 6, " setup", 6) == 0)
                    o->resume_unknown = 1;
            }
            continue;
        }
        note_lost(o, k->name, k->name_len);
        if (fixture != NULL)
            group_of_fixture(o, fixture);
        if (o->in_test) /* a test the trace has no end for */
            finish_test(o, RN_STATUS_UNKNOWN, 0);
        begin_test(o, k->name, k->name_len, now_ns - k->duration_ns);
        o->test_pid = pid;
        o->test_task = k->task;
        if (o->group == NULL ||
            set_name(&o->test_group, &o->test_group_len, o->group, o->group_len) != 0)
            o->test_group_len = 0;
        o->has_ordinals = 1;
        o->next_ordinal = ++ordinal;
        o->done = ordinal - 1;
        if (k->unended)
            break; /* the process died in it: rn_out_process_died() says so */
        finish_from_trace(o, k);
    }
}

int rn_out_process_died(rn_out *o, int wait_status, uint64_t timeout_ns, uint64_t now_ns,
                        uint64_t resumed_at, uint64_t *resume)
{
    end_partial_line(o, now_ns);
    o->process_markers = 0; /* the next process's count */
    int resume_unknown = o->resume_unknown;
    o->resume_unknown = 0;
    char why[300], how[128];
    rn_wait_status_text(wait_status, how, sizeof how);
    if (timeout_ns) {
        char limit[48];
        ct_format_go_duration(limit, sizeof limit, timeout_ns);
        snprintf(why, sizeof why, "test timed out after %s: killed\n", limit);
    } else {
        snprintf(why, sizeof why, "the binary ended during this test: %s\n",
                 how[0] ? how : "exit status 0");
    }
    if (o->in_test) {
        sink(o, why, strlen(why));
        finish_test(o, timeout_ns ? RN_STATUS_TIMEOUT : RN_STATUS_CRASH,
                    now_ns - o->test_start_ns);
        if (resume_unknown)
            return cannot_go_on(o);
        /* Go on after it (without ordinals: count the tests this process ran). */
        *resume = o->has_ordinals ? o->next_ordinal : resumed_at + o->counts.run;
        return *resume > resumed_at;
    }
    /* Killed outside any test: in a group's setup or teardown, or between
     * groups. Say so, and go on after that group (never where we were). */
    if (!timeout_ns && !WIFSIGNALED(wait_status) && !o->in_fixture)
        return 0; /* an exit status is how a cmocka binary counts failures */
    if (!resume_unknown && (!o->has_ordinals || o->group_end <= resumed_at))
        return 0;
    char *group = rn_escape_name(o->group ? o->group : "", o->group_len);
    snprintf(why, sizeof why, "the binary ended outside any test, %s group %s: %s\n",
             o->in_fixture ? "in a fixture of" : "in or after", group ? group : "?",
             timeout_ns ? "timed out: killed" : how[0] ? how : "exit status 0");
    o->in_fixture = 0;
    free(group);
    set_failed(o);
    end_line(o);
    put(o, why, strlen(why));
    if (o->results) { /* for --junit: an error of the group, not of a test */
        char name[64];
        snprintf(name, sizeof name, "(outside tests)");
        rn_result r = {
            .binary = o->binary,
            .name = name,
            .name_len = strlen(name),
            .group = o->group,
            .group_len = o->group_len,
            .status = timeout_ns ? RN_STATUS_TIMEOUT : RN_STATUS_CRASH,
            .output = why,
            .output_len = strlen(why),
        };
        rn_results_add(o->results, &r);
    }
    if (resume_unknown)
        return cannot_go_on(o);
    *resume = o->group_end;
    return 1;
}

uint64_t rn_out_progress_ns(const rn_out *o)
{
    return o->progress_ns;
}

/* Why a binary in which no cmocka group ran fails, and what to do: two
 * lines. */
static void no_group_text(char *why, size_t size, int untraced, const char *no_preload)
{
    if (no_preload != NULL)
        snprintf(why, size, "no test was traced: libctrace.so was not preloaded (%s), and the "
                 "binary ran no cmocka group through a libctrace of its own\n"
                 "let ctest-trace find libctrace.so (or set CTRACE_PRELOAD to its path), or "
                 "link the binary with libctrace", no_preload);
    else if (untraced)
        snprintf(why, size, "no test was traced: cmocka ran tests, but no cmocka group the "
                 "tracer hooks (the binary runs them with cmocka's older run_tests() or "
                 "_run_tests(), or links cmocka statically)\n"
                 "run each group with cmocka_run_group_tests() from the shared libcmocka, or "
                 "with ct_run_group_tests() from libctrace");
    else
        snprintf(why, size, "no cmocka group ran: ctest-trace runs cmocka test binaries, "
                 "whose groups run with cmocka_run_group_tests() or ct_run_group_tests(); "
                 "is this one?\n"
                 "(a binary that skips itself exits %d before any group)", RN_EXIT_SKIPPED);
}

/* For --junit: a line of the binary itself (no test of its own ran). */
static void record_binary(rn_out *o, rn_test_status status, const char *why)
{
    static const char name[] = "(no cmocka group ran)";
    rn_result r = {
        .binary = o->binary,
        .name = (char *)name,
        .name_len = sizeof name - 1,
        .status = status,
        .output = (char *)why,
        .output_len = strlen(why),
    };
    rn_results_add(o->results, &r);
}

int rn_out_finish(rn_out *o, const rn_exit_info *info)
{
    counter_clear(o);
    if (o->line_len > 0 || o->continued)
        handle_line(o, o->line, o->line_len, o->continued, info->now_ns);
    o->line_len = 0;
    o->continued = 0;
    flush_blanks(o);

    char how[128];
    rn_wait_status_text(info->wait_status, how, sizeof how);
    if (o->in_test) { /* the binary ended in this test: it crashed */
        static const char why[] = "(the binary ended during this test)\n";
        sink(o, why, sizeof why - 1); /* the partial line was ended above */
        finish_test(o, RN_STATUS_UNKNOWN, info->now_ns - o->test_start_ns);
    }
    /* No marker: no cmocka group ran under the tracer (a group with no test
     * selected says so too). The binary fails, or skipped itself by exiting
     * 77 before any group, as automake and meson read it. */
    o->counts.untraced = !o->seen_marker && o->saw_cmocka_run;
    int no_group = !o->seen_marker;
    int skipped = no_group && !o->saw_cmocka_run && WIFEXITED(info->wait_status) &&
                  WEXITSTATUS(info->wait_status) == RN_EXIT_SKIPPED;
    if ((how[0] != '\0' && !skipped) || (no_group && !skipped))
        set_failed(o);

    if (no_group) {
        if (o->verbose || o->failed || skipped)
            print_buf(o, o->counts.untraced ? &o->pre_raw : &o->pre_kept, 0);
    } else if (!o->verbose && o->failed && !rn_buf_empty(&o->pending)) {
        print_buf(o, &o->pending, 0);
    }
    rn_buf_clear(&o->pending);

    end_line(o);
    /* Only a binary that ran cleanly can be said to have no tests: one that
     * failed to load or start says why above. */
    if (o->counts.run == 0 && !no_group && how[0] == '\0')
        put(o, "testing: warning: no tests to run\n", 34);
    char why[900];
    why[0] = '\0';
    if (skipped)
        snprintf(why, sizeof why, "exit status %d before any cmocka group ran: the binary "
                 "skipped itself", RN_EXIT_SKIPPED);
    else if (no_group)
        no_group_text(why, sizeof why, o->counts.untraced, info->no_preload);
    if (o->failed)
        put(o, "FAIL\n", 5);
    else if (o->verbose && !skipped)
        put(o, "PASS\n", 5);
    if (how[0] != '\0' && !skipped) {
        put(o, how, strlen(how));
        put(o, "\n", 1);
    }
    if (why[0] != '\0') {
        put(o, why, strlen(why));
        put(o, "\n", 1);
        if (o->results) /* for --junit: the binary's own line */
            record_binary(o, skipped ? RN_STATUS_SKIP : RN_STATUS_ERROR, why);
    }
    if (info->note != NULL) {
        put(o, info->note, strlen(info->note));
        put(o, "\n", 1);
    }
    char secs[48];
    snprintf(secs, sizeof secs, "\t%.3fs\ttrace: ", (double)info->elapsed_ns / 1e9);
    put(o, o->failed ? "FAIL\t" : skipped ? "SKIP\t" : "ok  \t", 5);
    put_name(o, info->binary, strlen(info->binary));
    put(o, secs, strlen(secs));
    if (info->trace != NULL)
        put_name(o, info->trace, strlen(info->trace));
    else
        put(o, "none", 4);
    if (o->lost) {
        char lost[64];
        snprintf(lost, sizeof lost, " (%" PRIu64 " event%s lost)", o->lost, o->lost == 1 ? "" : "s");
        put(o, lost, strlen(lost));
    }
    put(o, "\n", 1);
    if (o->json_package != NULL) {
        json_flush_line(o);
        json_event(o, o->failed ? "fail" : skipped ? "skip" : "pass", 0,
                   (double)info->elapsed_ns / 1e9, NULL, 0);
    }
    fflush(o->out);
    if (o->lost_in != NULL) {
        char *bin = rn_escape_name(info->binary, strlen(info->binary));
        char *test = rn_escape_name(o->lost_in, o->lost_in_len);
        fprintf(o->err, "ctest-trace: warning: %s: its output was lost %s %s (%s): the results "
                        "of %u test%s from there on come from its trace, and what %s printed "
                        "is lost\n",
                bin ? bin : "?", o->lost_in_test ? "in" : "before", test ? test : "?",
                o->lost_in_test ? "the test closed or redirected its stdout"
                                : "stdout was closed or redirected",
                o->from_trace, o->from_trace == 1 ? "" : "s",
                o->from_trace == 1 ? "it" : "they");
        free(bin);
        free(test);
    }
    return o->failed ? 1 : skipped ? RN_EXIT_SKIPPED : 0;
}

void rn_out_progress(rn_out *o, rn_progress progress)
{
    o->progress = progress;
}

void rn_out_json(rn_out *o, const char *package)
{
    o->json_package = package;
    o->verbose = 1; /* as go test -json: everything, attributed to its test */
    json_event(o, "start", 0, -1, NULL, 0);
}

void rn_out_keep_results(rn_out *o, rn_results *results, size_t binary)
{
    o->results = results;
    o->binary = binary;
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
    free(o->group);
    free(o->jline);
    free(o->last);
    free(o->lost_in);
    free(o->fixture);
    rn_buf_free(&o->test_out);
    rn_buf_free(&o->pending);
    rn_buf_free(&o->pre_raw);
    rn_buf_free(&o->pre_kept);
    free(o);
}
