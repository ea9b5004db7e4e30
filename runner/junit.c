/*
 * junit.c - write the run as JUnit XML with trace attachments (junit.h).
 */
#include "junit.h"

#include <errno.h>    /* errno */
#include <inttypes.h> /* PRIu64 */
#include <limits.h>   /* PATH_MAX */
#include <stdio.h>    /* FILE, fprintf, rename */
#include <stdlib.h>   /* malloc, free, realpath */
#include <string.h>   /* strlen, strrchr */
#include <sys/stat.h> /* mkdir */
#include <time.h>     /* gmtime_r, strftime */
#include <unistd.h>   /* gethostname, unlink */

#include <ctrace_reader.h> /* ctr_block_kind_name */

#include "common/human.h" /* ctv_format_duration */
#include "recorder/outfile.h"      /* ct_outfile_*: replaced only when complete */
#include "common/utf8.h"
#include "attach_report.h"
#include "slice.h"

#define FILE_NAME_MAX 120 /* bytes of a test's name kept in its attachment's */

/* ---- XML ---------------------------------------------------------------------- */

/* `s` escaped for XML text or a quoted attribute: markup characters as
 * entities, characters XML 1.0 forbids (C0 controls but tab and newline,
 * invalid UTF-8) as U+FFFD; in an attribute a newline too is an entity. */
void rn_put_xml(FILE *f, const char *s, size_t n, int attribute)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = ctv_utf8_next(u + i, n - i, &cp);
        switch (cp) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs(attribute ? "&quot;" : "\"", f); break;
        case '\n': fputs(attribute ? "&#10;" : "\n", f); break;
        case '\t': fputs(attribute ? "&#9;" : "\t", f); break;
        case '\r': fputs("&#13;", f); break;
        default:
            if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF || cp == CTV_UTF8_REPLACEMENT)
                fputs("\xef\xbf\xbd", f); /* U+FFFD */
            else
                fwrite(s + i, 1, k, f);
        }
        i += k;
    }
}

static void put_xml_str(FILE *f, const char *s, int attribute)
{
    rn_put_xml(f, s, strlen(s), attribute);
}

/* ---- names ----------------------------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* Append `s` to out (at *o, capacity cap) with anything but [A-Za-z0-9._-]
 * made '_', at most `max` bytes. */
static void put_safe(char *out, size_t *o, size_t cap, const char *s, size_t n, size_t max)
{
    for (size_t i = 0; i < n && i < max && *o + 1 < cap; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        out[(*o)++] = ok ? c : '_';
    }
    out[*o] = '\0';
}

char *rn_attachment_path(const char *dir, const char *binary, const rn_result *r, size_t n)
{
    char name[3 * FILE_NAME_MAX + 64];
    size_t o = 0;
    const char *b = base_name(binary);
    name[0] = '_'; /* never a hidden file, ".", or ".." */
    o = 1;
    put_safe(name, &o, sizeof name, b, strlen(b), FILE_NAME_MAX);
    if (r->group_len) {
        put_safe(name, &o, sizeof name, ".", 1, 1);
        put_safe(name, &o, sizeof name, r->group, r->group_len, FILE_NAME_MAX);
    }
    put_safe(name, &o, sizeof name, ".", 1, 1);
    put_safe(name, &o, sizeof name, r->name, r->name_len, FILE_NAME_MAX);
    char *path = NULL;
    if (asprintf(&path, "%s/%s.%zu.trace", dir, name + (name[1] != '.'), n) < 0)
        return NULL;
    return path;
}

/* ---- the report ------------------------------------------------------------------ */

static int is_bad(rn_test_status s)
{
    return s != RN_STATUS_PASS && s != RN_STATUS_SKIP;
}

/* A failure of the run: what the test did, or the gate (--baseline) found
 * its latency regressed. */
static int is_failure(const rn_result *r)
{
    return r->status == RN_STATUS_FAIL || (r->status == RN_STATUS_PASS && r->gate != NULL);
}

static const char *failure_type(rn_test_status s)
{
    switch (s) {
    case RN_STATUS_FAIL: return "fail";
    case RN_STATUS_ERROR: return "error";
    case RN_STATUS_CRASH: return "crash";
    case RN_STATUS_TIMEOUT: return "timeout";
    default: return "unknown";
    }
}

/* A test that lost events says how many in its <system-out>. */
static void put_lost(FILE *f, uint64_t lost)
{
    fprintf(f, "ctest-trace: %" PRIu64 " event%s lost in this test: the trace could not "
               "record %s\n", lost, lost == 1 ? " was" : "s were", lost == 1 ? "it" : "them");
}

/* Summary lines of a failed test's trace, for its <system-out>. */
static void put_summary(FILE *f, const rn_slice *s)
{
    char d[CTV_HUMAN_BUF];
    fprintf(f, "trace of this test: %llu events, %llu regions (%llu unended), %llu logs, "
               "%llu threads, %s\n",
            (unsigned long long)s->events, (unsigned long long)s->regions,
            (unsigned long long)s->unended, (unsigned long long)s->logs,
            (unsigned long long)s->threads, ctv_format_duration(d, s->duration_ns));
    for (int i = 0; i < RN_SLICE_SLOWEST && s->slowest[i].name; i++) {
        fprintf(f, "%s", i == 0 ? "slowest regions: " : ", ");
        rn_put_xml(f, s->slowest[i].name, s->slowest[i].name_len, 0);
        fprintf(f, " %s", ctv_format_duration(d, s->slowest[i].ns));
    }
    if (s->slowest[0].name)
        fputc('\n', f);
    if (s->blocks) {
        const char *what = ctr_block_kind_name((ctr_block_kind)s->longest_block_kind);
        fprintf(f, "longest blocking: %s %s (of %llu waits)\n", what ? what : "wait",
                ctv_format_duration(d, s->longest_block_ns), (unsigned long long)s->blocks);
    }
    if (s->truncated)
        fprintf(f, "(the attachment holds the first %d events of the test)\n", 1000000);
}

/* cmocka's framing of a failure ("[  ERROR   ] --- MESSAGE", "[   LINE   ]
 * --- FILE:LINE: error: Failure!"): what the <failure> element says. */
static int is_failure_frame(const char *line, size_t n)
{
    static const char *const frames[] = {"[  ERROR   ] --- ", "[   LINE   ] --- "};
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        size_t k = strlen(frames[i]);
        if (n >= k && memcmp(line, frames[i], k) == 0)
            return 1;
    }
    return 0;
}

/* What the test printed, for <system-out>, each line ended; without
 * cmocka's failure framing when the <failure> element holds the message
 * already (consumers showed it three times). */
static void put_output(FILE *f, const char *out, size_t len, int failure_said)
{
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(out + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (out + at)) : len - at;
        if (!(failure_said && is_failure_frame(out + at, n))) {
            rn_put_xml(f, out + at, n, 0);
            fputc('\n', f);
        }
        at += n + (nl != NULL);
    }
}

static void put_testcase(FILE *f, const char *binary, const rn_result *r, const rn_slice *s,
                         const char *attachment, const char *report)
{
    const char *b = base_name(binary);
    fputs("    <testcase classname=\"", f);
    put_xml_str(f, b, 1);
    if (r->group_len) {
        fputc('.', f);
        rn_put_xml(f, r->group, r->group_len, 1);
    }
    fputs("\" name=\"", f);
    rn_put_xml(f, r->name, r->name_len, 1);
    fprintf(f, "\" time=\"%.3f\"", (double)r->elapsed_ns / 1e9);
    if (r->status == RN_STATUS_PASS && !r->lost && !r->gate) {
        fputs("/>\n", f);
        return;
    }
    if (r->status == RN_STATUS_PASS && !r->gate) { /* passed, on a trace that lost events: say so */
        fputs(">\n      <system-out>", f);
        put_lost(f, r->lost);
        fputs("</system-out>\n    </testcase>\n", f);
        return;
    }
    fputs(">\n", f);
    const char *msg = s && s->message ? s->message : NULL;
    size_t msg_len = msg ? s->message_len : 0;
    if (r->status == RN_STATUS_PASS) /* the gate failed it */
        msg = r->gate, msg_len = strlen(r->gate);
    if (msg == NULL && r->task == 0 && r->output != NULL) /* no task: what the runner saw */
        msg = r->output, msg_len = r->output_len;
    if (msg == NULL && r->status == RN_STATUS_TIMEOUT)
        msg = "test timed out", msg_len = strlen(msg);
    if (msg == NULL && r->status == RN_STATUS_CRASH)
        msg = "the binary ended during this test", msg_len = strlen(msg);
    if (r->status == RN_STATUS_SKIP) {
        fputs("      <skipped", f);
        if (msg) {
            fputs(" message=\"", f);
            rn_put_xml(f, msg, msg_len, 1);
            fputc('"', f);
        }
        fputs("/>\n    </testcase>\n", f);
        return;
    }
    const char *element = is_failure(r) ? "failure" : "error";
    size_t first_line = 0;
    while (msg && first_line < msg_len && msg[first_line] != '\n')
        first_line++;
    fprintf(f, "      <%s type=\"%s\" message=\"", element,
            r->status == RN_STATUS_PASS ? "regression" : failure_type(r->status));
    if (msg)
        rn_put_xml(f, msg, first_line, 1);
    fputs("\">", f);
    if (msg)
        rn_put_xml(f, msg, msg_len, 0);
    fprintf(f, "</%s>\n", element);
    fputs("      <system-out>", f);
    if (r->output)
        put_output(f, r->output, r->output_len, msg != NULL && msg != r->output);
    if (attachment) {
        fputs("[[ATTACHMENT|", f);
        put_xml_str(f, attachment, 0);
        fputs("]]\n", f);
    }
    if (report) { /* --attach-report: that trace as an HTML page */
        fputs("[[ATTACHMENT|", f);
        put_xml_str(f, report, 0);
        fputs("]]\n", f);
    }
    if (s && s->found)
        put_summary(f, s);
    if (r->attachment_note) {
        put_xml_str(f, r->attachment_note, 0);
        fputc('\n', f);
    }
    if (r->lost)
        put_lost(f, r->lost);
    fputs("</system-out>\n    </testcase>\n", f);
}

/* The directory of `path` ("." if none), made if missing. @return 0 or -1. */
static int make_parent(const char *path)
{
    char *dir = strdup(path);
    if (dir == NULL)
        return -1;
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        rc = ct_make_dirs(dir);
    }
    free(dir);
    return rc;
}

char *rn_attach_dir(const char *xml_path, const char *attach_dir, char *err, size_t err_size)
{
    char *dir;
    if (attach_dir != NULL) {
        dir = strdup(attach_dir);
    } else if (xml_path == NULL) {
        dir = strdup(".");
    } else {
        dir = strdup(xml_path);
        char *slash = dir ? strrchr(dir, '/') : NULL;
        if (dir && slash == NULL)
            strcpy(dir, ".");
        else if (slash == dir)
            dir[1] = '\0';
        else if (slash)
            *slash = '\0';
    }
    if (dir == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (ct_make_dirs(dir) != 0) {
        snprintf(err, err_size, "%s: cannot make the attachment directory: %s", dir,
                 ct_errno_text(errno));
        free(dir);
        return NULL;
    }
    char *abs = realpath(dir, NULL);
    if (abs == NULL)
        snprintf(err, err_size, "%s: attachment directory: %s", dir, ct_errno_text(errno));
    free(dir);
    return abs;
}

int rn_junit_write(const char *xml_path, const char *attach_dir, const rn_results *rs,
                   const rn_junit_binary *bins, size_t nbins, uint64_t start_realtime_ns,
                   int with_reports, char *err, size_t err_size)
{
    char *dir = rn_attach_dir(xml_path, attach_dir, err, err_size);
    if (dir == NULL)
        return -1;
    rn_slice *slices = calloc(rs->n ? rs->n : 1, sizeof *slices);
    char **paths = calloc(rs->n ? rs->n : 1, sizeof *paths);
    char **reports = calloc(rs->n ? rs->n : 1, sizeof *reports);
    if (slices == NULL || paths == NULL || reports == NULL) {
        free(slices);
        free(paths);
        free(reports);
        free(dir);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    /* The failures, found in their binary's trace: one pass per trace. */
    for (size_t i = 0; i < rs->n; i++) {
        const rn_result *r = &rs->v[i];
        slices[i].pid = r->pid;
        slices[i].task = r->task;
        if ((is_bad(r->status) || r->gate) && r->task && r->binary < nbins &&
            bins[r->binary].trace)
            paths[i] = rn_attachment_path(dir, bins[r->binary].arg, r, i + 1);
        slices[i].out_path = paths[i];
        char why[256]; /* written as it failed (--flight-recorder): read for its summary */
        if (r->attachment && rn_slice_trace(r->attachment, &slices[i], 1, why, sizeof why) != 0)
            fprintf(stderr, "ctest-trace: --junit: cannot read %s: %s\n", r->attachment, why);
    }
    for (size_t b = 0; b < nbins; b++) {
        if (bins[b].trace == NULL)
            continue;
        int first = 1; /* a trace shared by several binaries is read once */
        for (size_t k = 0; k < b && first; k++)
            first = bins[k].trace == NULL || strcmp(bins[k].trace, bins[b].trace) != 0;
        if (!first)
            continue;
        rn_slice **mine = calloc(rs->n ? rs->n : 1, sizeof *mine);
        rn_slice *batch = calloc(rs->n ? rs->n : 1, sizeof *batch);
        size_t n = 0;
        for (size_t i = 0; mine && batch && i < rs->n; i++) {
            const rn_result *r = &rs->v[i];
            if (r->binary < nbins && bins[r->binary].trace &&
                strcmp(bins[r->binary].trace, bins[b].trace) == 0 &&
                (r->status != RN_STATUS_PASS || r->gate)) {
                mine[n] = &slices[i];
                batch[n++] = slices[i];
            }
        }
        char why[256];
        if (n > 0 && rn_slice_trace(bins[b].trace, batch, n, why, sizeof why) != 0)
            fprintf(stderr, "ctest-trace: --junit: cannot read %s: %s\n", bins[b].trace, why);
        for (size_t i = 0; i < n; i++)
            *mine[i] = batch[i];
        free(mine);
        free(batch);
    }

    /* An attachment that could not be written is an error, named. */
    size_t unwritten = 0, first_unwritten = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (paths[i] && slices[i].found && !slices[i].written && unwritten++ == 0)
            first_unwritten = i;
        const char *trace = slices[i].written ? paths[i] : rs->v[i].attachment;
        if (with_reports && trace) /* one that cannot be written is said, not fatal */
            reports[i] = rn_attach_report(trace);
    }

    ct_outfile out = {0};
    FILE *f = NULL;
    int fd = -1;
    if (make_parent(xml_path) == 0 && ct_outfile_begin(&out, xml_path) == 0 &&
        (fd = ct_outfile_open(&out)) >= 0 && (f = fdopen(fd, "w")) == NULL)
        close(fd);
    int rc = 0;
    if (f == NULL) {
        snprintf(err, err_size, "%s: %s (the JUnit report was not written)", xml_path,
                 ct_outfile_error(errno));
        if (fd >= 0)
            ct_outfile_discard(&out);
        rc = -1;
        goto out;
    }
    size_t total[5] = {0}; /* tests failures errors skipped, per run */
    double seconds = 0;
    for (size_t i = 0; i < rs->n; i++) {
        total[0]++;
        total[1] += is_failure(&rs->v[i]);
        total[2] += is_bad(rs->v[i].status) && rs->v[i].status != RN_STATUS_FAIL;
        total[3] += rs->v[i].status == RN_STATUS_SKIP;
    }
    for (size_t b = 0; b < nbins; b++)
        seconds += (double)bins[b].elapsed_ns / 1e9;
    char stamp[32] = "1970-01-01T00:00:00";
    time_t when = (time_t)(start_realtime_ns / 1000000000ull);
    struct tm tm;
    if (gmtime_r(&when, &tm))
        strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    /* junit-10.xsd allows no `skipped` on <testsuites>: each <testsuite> says it. */
    fprintf(f, "<testsuites name=\"ctest-trace\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
               "time=\"%.3f\">\n",
            total[0], total[1], total[2], seconds);
    for (size_t b = 0; b < nbins; b++) {
        size_t t[4] = {0};
        for (size_t i = 0; i < rs->n; i++) {
            if (rs->v[i].binary != b)
                continue;
            t[0]++;
            t[1] += is_failure(&rs->v[i]);
            t[2] += is_bad(rs->v[i].status) && rs->v[i].status != RN_STATUS_FAIL;
            t[3] += rs->v[i].status == RN_STATUS_SKIP;
        }
        fputs("  <testsuite name=\"", f);
        put_xml_str(f, bins[b].arg, 1);
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
                   "time=\"%.3f\" timestamp=\"%s\" hostname=\"",
                t[0], t[1], t[2], t[3], (double)bins[b].elapsed_ns / 1e9, stamp);
        put_xml_str(f, host, 1);
        fputs("\">\n", f);
        for (size_t i = 0; i < rs->n; i++) {
            if (rs->v[i].binary != b)
                continue;
            const rn_slice *s = &slices[i];
            put_testcase(f, bins[b].arg, &rs->v[i], s,
                         s->written ? paths[i] : rs->v[i].attachment, reports[i]);
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    errno = 0;
    int bad = fflush(f) != 0 || ferror(f);
    int e = errno ? errno : EIO;
    if (fclose(f) != 0 && !bad)
        bad = 1, e = errno;
    if (!bad && ct_outfile_commit(&out) != 0)
        bad = 1, e = errno;
    if (bad) {
        snprintf(err, err_size, "%s: %s (the JUnit report was not written)", xml_path,
                 ct_outfile_error(e));
        ct_outfile_discard(&out);
        rc = -1;
    } else if (unwritten > 0) {
        const rn_slice *u = &slices[first_unwritten];
        snprintf(err, err_size, "%s: %s (%zu attachment%s not written; the JUnit report "
                 "has no line for %s)", paths[first_unwritten],
                 ct_outfile_error(u->write_errno), unwritten, unwritten == 1 ? "" : "s",
                 unwritten == 1 ? "it" : "them");
        rc = -1;
    }
out:
    ct_outfile_free(&out);
    for (size_t i = 0; i < rs->n; i++) {
        rn_slice_free(&slices[i]);
        free(paths[i]);
        free(reports[i]);
    }
    free(slices);
    free(paths);
    free(reports);
    free(dir);
    return rc;
}
