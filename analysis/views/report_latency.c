/*
 * report_latency.c - the report's latency section: per task name and per
 * region name, the distribution of their durations, as Go's "User-defined
 * tasks" and "User-defined regions" pages show it: count, min, p50, p90,
 * p99, max and total, and a histogram on log-scale buckets (hist_bars.h)
 * drawn as one SVG path a row, its buckets in data- attributes for the
 * tooltip report/latency.js shows on hover.
 *
 * One pass; a histogram per distinct name (name_hist.h), tasks apart by
 * kind (user tasks, tests, fixtures), so memory follows the number of
 * names, never the number of events. Those the trace had to close have no
 * real duration: they are counted apart (unended).
 *
 * The page stays small whatever the number of names: a table shows the
 * SHOWN_NAMES names with the most total time and says what it left out
 * (the `regions` and `tasks` views list them all), and a test or fixture
 * that ran once has no row (the tests section gives its duration): a
 * 20 000-test suite would otherwise make 20 000 one-value histograms.
 */
#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* malloc, calloc, free, qsort */

#include "common/human.h" /* ctv_format_duration */

#include "hist_bars.h"
#include "html.h"
#include "name_hist.h"
#include "report_pages.h"
#include "view_io.h"

/* The histogram's picture, in SVG user units. */
#define SVG_W 240
#define SVG_BARS_H 30 /* bars; the axis labels go below */
#define SVG_H 44

#define SHOWN_NAMES 200 /* rows a table shows at most: the names with the most total time */

/* Task kinds in the order the page lists them: user tasks first, as Go's
 * page shows user tasks; then tests and fixtures (tasks too, here). */
static const ctr_task_kind kind_order[] = {CTR_TASK_USER, CTR_TASK_TEST, CTR_TASK_FIXTURE};
#define TASK_KINDS 3

typedef struct latency {
    ctv_name_hists regions;
    ctv_name_hists tasks[TASK_KINDS]; /* by ctr_task_kind */
} latency;

static uint64_t duration_of(const ctr_event *ev)
{
    return ev->ts_ns >= ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0;
}

static int add_event(latency *l, const ctr_event *ev)
{
    int unended = (ev->flags & CTR_F_UNENDED) != 0;
    if (ev->kind == CTR_REGION)
        return ctv_name_hists_add(&l->regions, ev->name, ev->name_len, duration_of(ev), unended);
    if (ev->kind == CTR_TASK_END) {
        unsigned kind = (unsigned)ev->task_kind < TASK_KINDS ? ev->task_kind : CTR_TASK_USER;
        return ctv_name_hists_add(&l->tasks[kind], ev->name, ev->name_len, duration_of(ev),
                                  unended);
    }
    return 0;
}

/* The histogram of one name as SVG: bars on log-scale buckets, heights in
 * proportion to their counts, drawn as one path; the range's ends written
 * below. Each bar's first value (ns) goes in data-lo, the last one's last
 * in data-hi, the counts in data-counts: report/latency.js shows a bar's
 * range and count on hover, and aria-label sums the picture up. */
static void write_svg(FILE *out, const ctv_hist *h)
{
    ctv_bar bars[CTV_BARS_MAX];
    size_t n = ctv_hist_bars(h, bars);
    if (n == 0)
        return;
    uint64_t most = 1;
    for (size_t i = 0; i < n; i++)
        most = bars[i].count > most ? bars[i].count : most;
    char lo[CTV_HUMAN_BUF], hi[CTV_HUMAN_BUF], p50[CTV_HUMAN_BUF], p99[CTV_HUMAN_BUF];
    fprintf(out, "<svg class=\"latency-hist\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "role=\"img\" aria-label=\"%" PRIu64 " duration%s, %s to %s: p50 %s, p99 %s; "
                 "%zu log-scale buckets\" data-lo=\"",
            SVG_W, SVG_H, SVG_W, SVG_H, h->count, h->count == 1 ? "" : "s",
            ctv_format_duration(lo, bars[0].lo),
            ctv_format_duration(hi, bars[n - 1].hi),
            ctv_format_duration(p50, ctv_hist_quantile(h, 0.50)),
            ctv_format_duration(p99, ctv_hist_quantile(h, 0.99)), n);
    for (size_t i = 0; i < n; i++)
        fprintf(out, i ? " %" PRIu64 : "%" PRIu64, bars[i].lo);
    fprintf(out, "\" data-hi=\"%" PRIu64 "\" data-counts=\"", bars[n - 1].hi);
    for (size_t i = 0; i < n; i++)
        fprintf(out, i ? " %" PRIu64 : "%" PRIu64, bars[i].count);
    fputs("\"><path class=\"latency-bar\" d=\"", out);
    double width = (double)SVG_W / (double)n;
    double bar = width > 1.5 ? width - 1.0 : width; /* a gap between bars when there is room */
    for (size_t i = 0; i < n; i++) {
        if (!bars[i].count)
            continue;
        double height = (double)SVG_BARS_H * (double)bars[i].count / (double)most;
        height = height < 1.0 ? 1.0 : height;
        fprintf(out, "M%.1f %.1fh%.1fV%dh-%.1fz", width * (double)i + 0.5,
                SVG_BARS_H - height, bar, SVG_BARS_H, bar);
    }
    fprintf(out, "\"/><text x=\"0\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
                 "text-anchor=\"end\">%s</text></svg>",
            SVG_H - 2, lo, SVG_W, SVG_H - 2, hi);
}

static void write_row(FILE *out, const ctv_name *name, const ctv_name_stats *s,
                      const char *kind)
{
    const ctv_hist *h = &s->hist;
    fputs("<tr><th scope=\"row\">", out);
    ctv_html_text(out, name->bytes, name->len);
    fputs("</th>", out);
    if (kind)
        fprintf(out, "<td>%s</td>", kind);
    ctv_report_count_cell(out, h->count);
    ctv_report_count_cell(out, s->unended);
    if (h->count) {
        ctv_report_duration_cell(out, h->min);
        ctv_report_duration_cell(out, ctv_hist_quantile(h, 0.50));
        ctv_report_duration_cell(out, ctv_hist_quantile(h, 0.90));
        ctv_report_duration_cell(out, ctv_hist_quantile(h, 0.99));
        ctv_report_duration_cell(out, h->max);
    } else { /* only unended ones: no latency to give */
        for (int i = 0; i < 5; i++)
            ctv_report_empty_cell(out);
    }
    ctv_report_duration_cell(out, h->total);
    fputs("<td>", out);
    write_svg(out, h);
    fputs("</td></tr>\n", out);
}

/* Which rows a table shows, and what it leaves out. */
typedef struct table_cut {
    uint32_t *order[TASK_KINDS];      /* per histogram table: names in name order */
    unsigned char *shown[TASK_KINDS]; /* per histogram table, per name: 1 when shown */
    size_t rows, names;               /* rows shown; names that could have one */
    uint64_t more_ns, all_ns;         /* total time of the names left out; of all */
    uint64_t once;                    /* tests and fixtures that ran once: no row */
} table_cut;

static void cut_free(table_cut *c)
{
    for (size_t t = 0; t < TASK_KINDS; t++) {
        free(c->order[t]);
        free(c->shown[t]);
    }
}

/* Whether a name may have a row: not a test or fixture that ran once
 * (`once_apart`: the histogram table is one of those). */
static int may_show(int once_apart, const ctv_name_stats *s)
{
    return !once_apart || s->hist.count + s->unended > 1;
}

/* Choose the rows of a table made of `n` histogram tables: of the names
 * that may have one (not those of `once_apart` tables that ran once), the
 * SHOWN_NAMES with the most total time; equal ones in the table's order.
 * @return 0 or CT_ENOMEM (free c either way). */
static int cut_table(const ctv_name_hists *const *tables, const int *once_apart, size_t n,
                     table_cut *c)
{
    *c = (table_cut){.rows = 0};
    size_t all = 0;
    for (size_t t = 0; t < n; t++)
        all += tables[t]->names.count;
    uint64_t *totals = malloc((all ? all : 1) * sizeof *totals);
    if (!totals)
        return CT_ENOMEM;
    for (size_t t = 0; t < n; t++) {
        const ctv_name_hists *h = tables[t];
        c->order[t] = ctv_name_hists_order(h);
        c->shown[t] = calloc(h->names.count ? h->names.count : 1, 1);
        if (!c->order[t] || !c->shown[t]) {
            free(totals);
            return CT_ENOMEM;
        }
        for (uint32_t k = 0; k < h->names.count; k++) {
            const ctv_name_stats *s = &h->stats[c->order[t][k]];
            if (may_show(once_apart && once_apart[t], s))
                c->all_ns += (totals[c->names++] = s->hist.total);
            else
                c->once++;
        }
    }
    unsigned char *top = ctv_report_top(totals, c->names, SHOWN_NAMES, &c->more_ns);
    free(totals);
    if (!top)
        return CT_ENOMEM;
    size_t i = 0; /* the same walk again: a flag per name that could have a row */
    for (size_t t = 0; t < n; t++) {
        for (uint32_t k = 0; k < tables[t]->names.count; k++) {
            uint32_t name = c->order[t][k];
            if (may_show(once_apart && once_apart[t], &tables[t]->stats[name]))
                c->shown[t][name] = top[i++];
        }
    }
    free(top);
    c->rows = c->names < SHOWN_NAMES ? c->names : SHOWN_NAMES;
    return 0;
}

/* Below a table: what it left out, and where to find it. */
static void write_cut_notes(FILE *out, const char *id, const char *view, const table_cut *c)
{
    if (c->names > c->rows)
        ctv_report_cut_note(out, id, "names", c->rows, c->names, c->more_ns, c->all_ns, view);
    if (c->once)
        fprintf(out, "<p class=\"note\" id=\"%s-once\" data-count=\"%" PRIu64 "\">%" PRIu64
                     " test and fixture name%s that ran once: no row here, the Tests section "
                     "gives each one's duration.</p>\n",
                id, c->once, c->once, c->once == 1 ? "" : "s");
}

/* One table of the rows cut_table() chose from `n` histogram tables, each
 * in name order; `kinds` names each one's kind in a column of its own
 * (NULL: none); `view` lists them all. @return 0 or CT_ENOMEM. */
static int write_table(FILE *out, const char *id, const char *what, const char *view,
                       const ctv_name_hists *const *tables, const char *const *kinds,
                       const int *once_apart, size_t n)
{
    table_cut c;
    int rc = cut_table(tables, once_apart, n, &c);
    if (rc == 0 && c.rows == 0 && c.once == 0)
        fprintf(out, "<p class=\"note\" id=\"%s\">No %ss in this trace.</p>\n", id, what);
    if (rc != 0 || c.rows == 0) {
        if (rc == 0)
            write_cut_notes(out, id, view, &c);
        cut_free(&c);
        return rc;
    }
    static const char *const heads[] = {"kind", "count", "unended", "min", "p50", "p90",
                                        "p99", "max", "total", "histogram"};
    const char *row_heads[1 + sizeof heads / sizeof heads[0]];
    size_t nheads = 0;
    row_heads[nheads++] = what;
    for (size_t i = kinds ? 0 : 1; i < sizeof heads / sizeof heads[0]; i++)
        row_heads[nheads++] = heads[i];
    fprintf(out, "<table class=\"latency-table\" id=\"%s\" data-sortable>\n", id);
    ctv_report_heads(out, row_heads, nheads, nheads - 9, nheads - 1);
    fputs("<tbody>\n", out);
    for (size_t t = 0; t < n; t++) {
        for (uint32_t k = 0; k < tables[t]->names.count; k++) {
            uint32_t name = c.order[t][k];
            if (c.shown[t][name])
                write_row(out, &tables[t]->names.names[name], &tables[t]->stats[name],
                          kinds ? kinds[t] : NULL);
        }
    }
    fputs("</tbody></table>\n", out);
    write_cut_notes(out, id, view, &c);
    cut_free(&c);
    return 0;
}

static int write_section(FILE *out, const latency *l)
{
    fputs("<section id=\"latency\"><h2>Latency</h2>\n"
          "<p class=\"note\">Durations per task name and per region name, of those that "
          "ended (the trace closed the unended ones: they have no real duration). Quantiles "
          "are within 1 %. Bars are log-scale buckets; point at one for its range and count. "
          "Click a column's head to sort by it.</p>\n<h3>Tasks</h3>\n",
          out);
    const ctv_name_hists *tasks[TASK_KINDS];
    const char *kinds[TASK_KINDS];
    int once_apart[TASK_KINDS]; /* the tests section lists each test and fixture */
    for (size_t i = 0; i < TASK_KINDS; i++) {
        tasks[i] = &l->tasks[kind_order[i]];
        kinds[i] = ctr_task_kind_name(kind_order[i]);
        once_apart[i] = kind_order[i] != CTR_TASK_USER;
    }
    int rc = write_table(out, "latency-tasks", "task", "tasks", tasks, kinds, once_apart,
                         TASK_KINDS);
    fputs("<h3>Regions</h3>\n", out);
    const ctv_name_hists *regions = &l->regions;
    if (rc == 0)
        rc = write_table(out, "latency-regions", "region", "regions", &regions, NULL, NULL, 1);
    fputs("</section>\n", out);
    return rc;
}

int ctv_report_latency(const char *trace_path, FILE *out, FILE *err)
{
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;
    latency l;
    ctv_name_hists_init(&l.regions);
    for (size_t i = 0; i < TASK_KINDS; i++)
        ctv_name_hists_init(&l.tasks[i]);
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        int add_rc = add_event(&l, &ev);
        if (add_rc != 0) {
            rc = add_rc;
            break;
        }
    }
    int status = ctv_end_status(r, rc, trace_path, err);
    ctr_close(r);
    if (status != CTV_EXIT_FAILED && write_section(out, &l) != 0)
        status = ctv_fail(trace_path, CT_ENOMEM, err);
    ctv_name_hists_free(&l.regions);
    for (size_t i = 0; i < TASK_KINDS; i++)
        ctv_name_hists_free(&l.tasks[i]);
    return status;
}
