/*
 * report.c - `ctest-trace report -o report.html TRACE`: one self-contained
 * HTML page (no network reference of any kind: inline CSS and JavaScript, a
 * Content-Security-Policy that forbids loads), for people who would rather
 * look at a timeline than read a table.
 *
 * The page: a header read in a first pass (processes, when recorded,
 * duration, events, losses; a banner when the trace is damaged), a nav, then
 * the sections of the table below in order, each written by a function that
 * reads the trace in a pass of its own (report.h), then the scripts. The
 * file is replaced only when complete (ctv_output_*).
 */
#include <inttypes.h> /* PRIu64, PRId64 */
#include <stdlib.h>   /* free */
#include <string.h>   /* strlen, strrchr, memrchr, memcmp */

#include "common/human.h" /* ctv_format_duration */

#include "html.h"
#include "maps.h"
#include "report.h"
#include "report_pages.h"
#include "view_io.h"
#include "views.h"

#define SHOWN_PROCESSES 32 /* listed in the header; the rest are counted */

/* The sections, in page order. */
static const ctv_report_section sections[] = {
    {"tests", "Tests", ctv_report_tests},
    {"timeline", "Timeline", ctv_report_timeline},
    {"latency", "Latency", ctv_report_latency},
    {"threads", "Threads", ctv_report_threads},
    {"profiles", "Profiles", ctv_report_profiles},
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

typedef struct shown_process {
    int32_t pid;
    uint32_t name;     /* in header.names */
    int ended;
    int64_t exit_code;
    uint32_t flags;    /* of its end */
} shown_process;

/* What the header says, gathered in one pass. */
typedef struct header {
    uint64_t events, latest_ns, processes, tests, lost, warnings;
    ctv_names names; /* binaries */
    shown_process shown[SHOWN_PROCESSES];
    char damage[512]; /* "" when whole */
} header;

static int gather_header(ctr_reader *r, header *h)
{
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        h->events++;
        if (ev.ts_ns > h->latest_ns)
            h->latest_ns = ev.ts_ns;
        shown_process *p = ev.process < SHOWN_PROCESSES ? &h->shown[ev.process] : NULL;
        switch (ev.kind) {
        case CTR_PROCESS_BEGIN:
            h->processes++;
            if (p) {
                p->pid = ev.pid;
                if (ctv_names_intern(&h->names, ev.name, ev.name_len, &p->name) != 0)
                    return CT_ENOMEM;
            }
            break;
        case CTR_PROCESS_END:
            h->lost += ev.count;
            if (p) {
                p->ended = 1;
                p->exit_code = ev.exit_code;
                p->flags = ev.flags;
            }
            break;
        case CTR_TASK_BEGIN:
            h->tests += ev.task_kind == CTR_TASK_TEST;
            break;
        case CTR_WARNING:
            h->warnings++;
            break;
        default:
            break;
        }
    }
    return rc;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void write_head(FILE *out, const char *trace_path)
{
    /* Nothing may be loaded from anywhere: the page is all there is. Only
     * our own scripts run, each allowed by its hash: markup that got into
     * the page by a bug of ours still runs nothing. Styles stay inline
     * (style attributes size the bars and frames); CSS runs no code. */
    fprintf(out, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "script-src %s; style-src 'unsafe-inline'; base-uri 'none'; "
                 "form-action 'none'\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>",
            ctv_report_script_src);
    ctv_html_ctext(out, base_name(trace_path));
    fputs(" - ctest-trace report</title>\n<style>\n", out);
    fwrite(ctv_report_css, 1, ctv_report_css_len, out);
    fputs("</style>\n</head>\n", out);
}

static void write_process(FILE *out, const header *h, const shown_process *p)
{
    const ctv_name *name = &h->names.names[p->name];
    fputs("<li><span class=\"bin\" title=\"", out);
    ctv_html_text(out, name->bytes, name->len);
    fputs("\">", out);
    /* The name is bytes with a length (a NUL may be among them), as the title. */
    const char *slash = name->len ? memrchr(name->bytes, '/', name->len) : NULL;
    size_t skip = slash ? (size_t)(slash + 1 - name->bytes) : 0;
    ctv_html_text(out, name->bytes + skip, name->len - skip);
    fprintf(out, "</span> pid %" PRId32, p->pid);
    if (!p->ended)
        fputs(", no end in the trace", out);
    else if (p->flags & CTR_F_TIMED_OUT)
        fputs(", killed for time", out);
    else if (p->flags & CTR_F_SIGNALED)
        fprintf(out, ", killed by signal %" PRId64, -p->exit_code);
    else if (!(p->flags & CTR_F_UNKNOWN_EXIT))
        fprintf(out, ", exit %" PRId64, p->exit_code);
    fputs("</li>", out);
}

static void write_header(FILE *out, const char *trace_path, const ctr_info *info,
                         const header *h)
{
    fputs("<body>\n<header id=\"top\">\n<h1>", out);
    ctv_html_ctext(out, base_name(trace_path));
    fputs("</h1>\n<dl class=\"facts\">\n<dt>Trace</dt><dd>", out);
    ctv_html_ctext(out, trace_path);
    fprintf(out, " (format %" PRIu32 ".%" PRIu32, info->version_major, info->version_minor);
    if (info->writer) {
        fputs(", written by ", out);
        ctv_html_ctext(out, info->writer);
    }
    fputs(")</dd>\n", out);
    char dur[CTV_HUMAN_BUF];
    if (ctv_format_utc(dur, info->start_realtime_ns))
        fprintf(out, "<dt>Recorded</dt><dd>%s</dd>\n", dur);
    uint64_t duration = info->duration_ns > h->latest_ns ? info->duration_ns : h->latest_ns;
    fprintf(out, "<dt>Duration</dt><dd>%s</dd>\n", ctv_format_duration(dur, duration));
    fprintf(out, "<dt>Events</dt><dd>%" PRIu64 " (%" PRIu64 " tests)</dd>\n", h->events,
            h->tests);
    if (h->lost)
        fprintf(out, "<dt>Lost</dt><dd class=\"bad\">%" PRIu64 " events</dd>\n", h->lost);
    if (h->warnings)
        fprintf(out, "<dt>Warnings</dt><dd>%" PRIu64 " (<code>ctest-trace stats</code> "
                     "lists them)</dd>\n", h->warnings);
    fprintf(out, "<dt>Processes</dt><dd>%" PRIu64 "<ul class=\"procs\">", h->processes);
    for (uint64_t i = 0; i < h->processes && i < SHOWN_PROCESSES; i++)
        if (h->shown[i].pid)
            write_process(out, h, &h->shown[i]);
    if (h->processes > SHOWN_PROCESSES)
        fprintf(out, "<li>and %" PRIu64 " more</li>", h->processes - SHOWN_PROCESSES);
    fputs("</ul></dd>\n</dl>\n", out);
    if (h->damage[0]) {
        /* Said where it cannot be missed: what follows is only part of it. */
        fputs("<p class=\"banner\" role=\"alert\">This trace is damaged: ", out);
        ctv_html_ctext(out, h->damage);
        fputs(". The report shows what came before the damage; the rest is lost.</p>\n", out);
    }
    fputs("<nav aria-label=\"sections\">", out);
    for (size_t i = 0; i < NSECTIONS; i++)
        fprintf(out, "<a href=\"#%s\">%s</a>", sections[i].name, sections[i].title);
    fputs("</nav>\n</header>\n<main>\n", out);
}

static void write_tail(FILE *out)
{
    fputs("</main>\n<footer>Written by ctest-trace " CT_VERSION "</footer>\n", out);
    /* A script a file, each exactly the bytes its hash in the CSP is of. */
    for (unsigned long i = 0; i < ctv_report_nscripts; i++) {
        fputs("<script>", out);
        fwrite(ctv_report_scripts[i].text, 1, ctv_report_scripts[i].len, out);
        fputs("</script>\n", out);
    }
    fputs("</body>\n</html>\n", out);
}

/* Pass on what a section said on `err`, but each line once: every section
 * reads the same trace, so each would tell of its damage again. */
static void pass_messages(const char *said, size_t len, ctv_names *told, FILE *err)
{
    while (len) {
        const char *nl = memchr(said, '\n', len);
        size_t line = nl ? (size_t)(nl - said) + 1 : len;
        uint32_t index;
        if (!ctv_names_find(told, said, line, &index)) {
            fwrite(said, 1, line, err);
            (void)ctv_names_intern(told, said, line, &index); /* else said again: harmless */
        }
        said += line;
        len -= line;
    }
}

/* Messages caught from one step, for pass_messages(); to `err` directly
 * when memory for them is short. */
typedef struct caught {
    char *said;
    size_t len;
    FILE *f;
} caught;

static FILE *catch_begin(caught *c, FILE *err)
{
    *c = (caught){.said = NULL};
    c->f = open_memstream(&c->said, &c->len);
    return c->f ? c->f : err;
}

static void catch_end(caught *c, ctv_names *told, FILE *err)
{
    if (!c->f)
        return;
    fclose(c->f);
    pass_messages(c->said, c->len, told, err);
    free(c->said);
}

/* Run one section with its messages caught for pass_messages(). */
static int run_section(const ctv_report_section *s, const char *trace_path, FILE *out,
                       ctv_names *told, FILE *err)
{
    caught c;
    int status = s->write(trace_path, out, catch_begin(&c, err));
    catch_end(&c, told, err);
    return status;
}

int ctv_report(const char *trace_path, const char *out_path, FILE *err)
{
    if (!out_path || !*out_path) {
        fprintf(err, "ctest-trace: report: missing -o OUT (the HTML file to write)\n");
        return CTV_EXIT_FAILED;
    }
    uint64_t spans_max; /* the timeline's; checked before anything is read or written */
    if (ctv_report_spans_max(err, &spans_max) != 0 ||
        ctv_output_not_input(out_path, trace_path, err) != 0)
        return CTV_EXIT_FAILED;
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;
    header h = {.events = 0};
    ctv_names_init(&h.names);
    int rc = gather_header(r, &h);
    ctv_names told;
    ctv_names_init(&told);
    caught c;
    int status = ctv_end_status(r, rc, trace_path, catch_begin(&c, err));
    catch_end(&c, &told, err);
    if (status == CTV_EXIT_DAMAGED) {
        const char *what = ctr_damage(r);
        snprintf(h.damage, sizeof h.damage, "%s", what ? what : ct_strerror(CT_EDAMAGED));
    }
    ctr_info info;
    ctr_get_info(r, &info);

    ctv_output o;
    FILE *out = status == CTV_EXIT_FAILED ? NULL : ctv_output_open(&o, out_path, err);
    if (out) {
        write_head(out, trace_path);
        write_header(out, trace_path, &info, &h);
        for (size_t i = 0; i < NSECTIONS && status != CTV_EXIT_FAILED; i++) {
            int section = run_section(&sections[i], trace_path, out, &told, err);
            if (section > status)
                status = section;
        }
        write_tail(out);
        status = ctv_output_close(&o, err, status);
    } else {
        status = CTV_EXIT_FAILED;
    }
    ctv_names_free(&told);
    ctv_names_free(&h.names);
    ctr_close(r);
    return status;
}
