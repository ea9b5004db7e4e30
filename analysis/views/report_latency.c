/*
 * report_latency.c - the report's latency section: per task name and per
 * region name, the distribution of their durations, as Go's "User-defined
 * tasks" and "User-defined regions" pages show it: count, min, p50, p90,
 * p99, max and total, and a histogram on log-scale buckets (hist_bars.h)
 * drawn as inline SVG, each bar with a <title> giving its range and count.
 *
 * One pass; a histogram per distinct name (name_hist.h), tasks apart by
 * kind (user tasks, tests, fixtures), so memory follows the number of
 * names, never the number of events. Those the trace had to close have no
 * real duration: they are counted apart (unended).
 */
#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* free */

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
 * proportion to their counts, the range's ends written below. */
static void write_svg(FILE *out, const ctv_hist *h)
{
    ctv_bar bars[CTV_BARS_MAX];
    size_t n = ctv_hist_bars(h, bars);
    if (n == 0)
        return;
    uint64_t most = 1;
    for (size_t i = 0; i < n; i++)
        most = bars[i].count > most ? bars[i].count : most;
    char lo[CTV_HUMAN_BUF], hi[CTV_HUMAN_BUF];
    fprintf(out, "<svg class=\"latency-hist\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                 "role=\"img\"><title>%" PRIu64 " durations, %s to %s, on log-scale buckets"
                 "</title>",
            SVG_W, SVG_H, SVG_W, SVG_H, h->count, ctv_format_duration(lo, bars[0].lo),
            ctv_format_duration(hi, bars[n - 1].hi));
    double width = (double)SVG_W / (double)n;
    for (size_t i = 0; i < n; i++) {
        /* The whole column takes the pointer, so a short bar's title shows. */
        double x = width * (double)i;
        fprintf(out, "<g><title>%s to %s: %" PRIu64 "</title>"
                     "<rect class=\"latency-hit\" x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"%d\"/>",
                ctv_format_duration(lo, bars[i].lo), ctv_format_duration(hi, bars[i].hi),
                bars[i].count, x, width, SVG_BARS_H);
        if (bars[i].count) {
            double height = (double)SVG_BARS_H * (double)bars[i].count / (double)most;
            height = height < 1.0 ? 1.0 : height;
            fprintf(out, "<rect class=\"latency-bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                         "height=\"%.2f\"/>",
                    x + 0.5, SVG_BARS_H - height, width > 1.5 ? width - 1.0 : width, height);
        }
        fputs("</g>", out);
    }
    fprintf(out, "<text x=\"0\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
                 "text-anchor=\"end\">%s</text></svg>",
            SVG_H - 2, ctv_format_duration(lo, bars[0].lo), SVG_W, SVG_H - 2,
            ctv_format_duration(hi, bars[n - 1].hi));
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

/* One table: the names of each of `n` tables of histograms, each sorted by
 * name; `kinds` names each one's kind in a column of its own (NULL: none).
 * @return 0 or CT_ENOMEM. */
static int write_table(FILE *out, const char *id, const char *what,
                       const ctv_name_hists *const *tables, const char *const *kinds, size_t n)
{
    uint32_t total = 0;
    for (size_t t = 0; t < n; t++)
        total += tables[t]->names.count;
    if (total == 0) {
        fprintf(out, "<p class=\"note\" id=\"%s\">No %ss in this trace.</p>\n", id, what);
        return 0;
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
        uint32_t *order = ctv_name_hists_order(tables[t]);
        if (!order)
            return CT_ENOMEM;
        for (uint32_t k = 0; k < tables[t]->names.count; k++)
            write_row(out, &tables[t]->names.names[order[k]], &tables[t]->stats[order[k]],
                      kinds ? kinds[t] : NULL);
        free(order);
    }
    fputs("</tbody></table>\n", out);
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
    for (size_t i = 0; i < TASK_KINDS; i++) {
        tasks[i] = &l->tasks[kind_order[i]];
        kinds[i] = ctr_task_kind_name(kind_order[i]);
    }
    int rc = write_table(out, "latency-tasks", "task", tasks, kinds, TASK_KINDS);
    fputs("<h3>Regions</h3>\n", out);
    const ctv_name_hists *regions = &l->regions;
    if (rc == 0)
        rc = write_table(out, "latency-regions", "region", &regions, NULL, 1);
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
