/*
 * report_threads.c - the report's thread analysis, after Go's goroutine
 * analysis: where each thread spent its life (running, sync block, syscall
 * block, net block, sched wait: absolute and share), per start routine and
 * per thread, each row with a stacked bar. The table is the `threads`
 * view's (thread_walk.h): the same walk, the same numbers.
 */
#include <inttypes.h> /* PRId32, PRIu64 */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* strlen, strrchr */

#include "common/human.h" /* ctv_format_duration */

#include "html.h"
#include "report_pages.h"
#include "thread_walk.h"
#include "view_io.h"

#define SHOWN_ROWS 500 /* threads, and start routines, a table shows at most */

/* The columns after the names, in order; [0] is running. */
#define SHOWN 5
static const struct {
    const char *head, *cls; /* cls: its colour in the bar (report/pages.css) */
} columns[SHOWN] = {
    {"running", "threads-run"},       {"sync block", "threads-sync"},
    {"syscall block", "threads-syscall"}, {"net block", "threads-net"},
    {"sched wait", "threads-sched"},
};

/* A row's five times: running, then the waits by ctr_block_kind. */
static void times_of(uint64_t running, const uint64_t *blocked, uint64_t t[SHOWN])
{
    t[0] = running;
    t[1] = blocked[CTR_BLOCK_SYNC];
    t[2] = blocked[CTR_BLOCK_SYSCALL];
    t[3] = blocked[CTR_BLOCK_NET];
    t[4] = blocked[CTR_BLOCK_SCHED];
}

/* The five together: what the shares are of, and what rows are ranked by. */
static uint64_t whole_of(uint64_t running, const uint64_t *blocked)
{
    uint64_t t[SHOWN], whole = 0;
    times_of(running, blocked, t);
    for (int i = 0; i < SHOWN; i++)
        whole += t[i];
    return whole;
}

/* The five cells (time, and its share of all five) and the stacked bar. */
static void write_times(FILE *out, uint64_t running, const uint64_t *blocked)
{
    uint64_t t[SHOWN], whole = whole_of(running, blocked);
    times_of(running, blocked, t);
    char text[CTV_HUMAN_BUF];
    for (int i = 0; i < SHOWN; i++)
        fprintf(out, "<td class=\"num\" data-v=\"%" PRIu64 "\">%s <span class=\"threads-pct\">"
                     "%.1f %%</span></td>",
                t[i], ctv_format_duration(text, t[i]), ctv_report_percent(t[i], whole));
    /* Widths in a 1000-unit box stretched to the cell. */
    fputs("<td><svg class=\"threads-bar\" viewBox=\"0 0 1000 10\" preserveAspectRatio=\"none\" "
          "role=\"img\"><title>share of its life</title>",
          out);
    double x = 0.0;
    for (int i = 0; i < SHOWN && whole; i++) {
        if (!t[i])
            continue;
        double w = 1000.0 * (double)t[i] / (double)whole;
        fprintf(out, "<rect class=\"%s\" x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"10\">"
                     "<title>%s %s (%.1f %%)</title></rect>",
                columns[i].cls, x, w, columns[i].head, ctv_format_duration(text, t[i]),
                ctv_report_percent(t[i], whole));
        x += w;
    }
    fputs("</svg></td>", out);
}

/* A table's heading, its head (the names, numbers from names[first_number]
 * on, then the five and the bar) and the start of its body. */
static void open_table(FILE *out, const char *title, const char *id, const char *const *names,
                       size_t nnames, size_t first_number)
{
    fprintf(out, "<h3>%s</h3>\n<table class=\"threads-table\" id=\"%s\" data-sortable>\n",
            title, id);
    const char *heads[4 + SHOWN + 1];
    size_t n = 0;
    for (size_t i = 0; i < nnames; i++)
        heads[n++] = names[i];
    for (int i = 0; i < SHOWN; i++)
        heads[n++] = columns[i].head;
    heads[n++] = "share";
    ctv_report_heads(out, heads, n, first_number, n - 1);
    fputs("<tbody>\n", out);
}

/* A start routine: its name, and where it is when the binary says. */
static void write_routine(FILE *out, const ctv_thread_row *r)
{
    if (!r->fn_name) {
        fputs("<span class=\"note\">main (no start routine)</span>", out);
        return;
    }
    ctv_html_ctext(out, r->fn_name);
    if (r->fn_file) {
        const char *base = strrchr(r->fn_file, '/');
        fputs(" <span class=\"note\">", out);
        ctv_html_ctext(out, base ? base + 1 : r->fn_file);
        fprintf(out, ":%u</span>", r->fn_line);
    }
}

/* The end of a table of `n` rows whose times were `wholes`, and a note
 * when it left some out. */
static void close_table(FILE *out, const char *id, const char *what, const uint64_t *wholes,
                        size_t n, uint64_t more_ns)
{
    fputs("</tbody></table>\n", out);
    if (n <= SHOWN_ROWS)
        return;
    uint64_t all_ns = 0;
    for (size_t i = 0; i < n; i++)
        all_ns += wholes[i];
    ctv_report_cut_note(out, id, what, SHOWN_ROWS, n, more_ns, all_ns, "threads");
}

/* @return 0 or CT_ENOMEM. */
static int write_groups(FILE *out, const ctv_thread_table *t)
{
    uint64_t *wholes = malloc((t->ngroups ? t->ngroups : 1) * sizeof *wholes), more_ns;
    if (!wholes)
        return CT_ENOMEM;
    for (uint32_t i = 0; i < t->ngroups; i++)
        wholes[i] = whole_of(t->groups[i].running, t->groups[i].blocked);
    unsigned char *shown = ctv_report_top(wholes, t->ngroups, SHOWN_ROWS, &more_ns);
    if (!shown) {
        free(wholes);
        return CT_ENOMEM;
    }
    static const char *const names[] = {"start routine", "threads"};
    open_table(out, "By start routine", "threads-groups", names, 2, 1);
    for (uint32_t i = 0; i < t->ngroups; i++) {
        if (!shown[i])
            continue;
        const ctv_thread_group *g = &t->groups[i];
        fputs("<tr><th scope=\"row\">", out);
        write_routine(out, g->first);
        fputs("</th>", out);
        ctv_report_count_cell(out, g->threads);
        write_times(out, g->running, g->blocked);
        fputs("</tr>\n", out);
    }
    close_table(out, "threads-groups", "start routines", wholes, t->ngroups, more_ns);
    free(shown);
    free(wholes);
    return 0;
}

/* @return 0 or CT_ENOMEM. */
static int write_threads(FILE *out, const ctv_thread_table *t)
{
    uint64_t *wholes = malloc((t->count ? t->count : 1) * sizeof *wholes), more_ns;
    if (!wholes)
        return CT_ENOMEM;
    for (uint32_t i = 0; i < t->count; i++)
        wholes[i] = whole_of(ctv_thread_running(&t->rows[i]), t->rows[i].blocked);
    unsigned char *shown = ctv_report_top(wholes, t->count, SHOWN_ROWS, &more_ns);
    if (!shown) {
        free(wholes);
        return CT_ENOMEM;
    }
    static const char *const names[] = {"thread", "start routine", "pid"};
    open_table(out, "Threads", "threads-threads", names, 3, 2);
    for (uint32_t i = 0; i < t->count; i++) {
        if (!shown[i])
            continue;
        const ctv_thread_row *r = &t->rows[i];
        fprintf(out, "<tr data-pid=\"%" PRId32 "\" data-tid=\"%" PRId32 "\"><th scope=\"row\">"
                     "%" PRId32,
                r->pid, r->tid, r->tid);
        if (r->name) {
            fputs(" ", out);
            ctv_html_text(out, r->name, r->name_len);
        }
        fputs("</th><td>", out);
        write_routine(out, r);
        fprintf(out, "</td><td class=\"num\" data-v=\"%" PRId32 "\">%" PRId32 "</td>", r->pid,
                r->pid);
        write_times(out, ctv_thread_running(r), r->blocked);
        fputs("</tr>\n", out);
    }
    close_table(out, "threads-threads", "threads", wholes, t->count, more_ns);
    free(shown);
    free(wholes);
    return 0;
}

int ctv_report_threads(const char *trace_path, FILE *out, FILE *err)
{
    ctv_thread_table t;
    int status = ctv_thread_table_read(trace_path, err, &t);
    if (status != CTV_EXIT_FAILED) {
        fputs("<section id=\"threads\"><h2>Threads</h2>\n"
              "<p class=\"note\">Where each thread spent its life, from its first event to its "
              "end: waiting, by kind, and running the rest of the time (as Go's goroutine "
              "analysis). Shares are of the five together. Click a column's head to sort by "
              "it.</p>\n",
              out);
        if (t.count == 0) {
            fputs("<p class=\"note\">No threads in this trace.</p>\n", out);
        } else if (write_groups(out, &t) != 0 || write_threads(out, &t) != 0) {
            status = ctv_fail(trace_path, CT_ENOMEM, err);
        }
        fputs("</section>\n", out);
    }
    ctv_thread_table_free(&t);
    return status;
}
