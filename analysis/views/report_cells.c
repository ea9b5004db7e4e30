/*
 * report_cells.c - cells and heads of the report pages' tables, and the
 * cut of those with many rows (report_pages.h).
 */
#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* malloc, calloc, free, qsort_r */

#include "common/human.h" /* ctv_format_duration */

#include "report_pages.h"

void ctv_report_duration_cell(FILE *out, uint64_t ns)
{
    char text[CTV_HUMAN_BUF];
    fprintf(out, "<td class=\"num\" data-v=\"%" PRIu64 "\">%s</td>", ns,
            ctv_format_duration(text, ns));
}

void ctv_report_count_cell(FILE *out, uint64_t n)
{
    fprintf(out, "<td class=\"num\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>", n, n);
}

void ctv_report_empty_cell(FILE *out)
{
    fputs("<td class=\"num\" data-v=\"-1\">-</td>", out);
}

void ctv_report_heads(FILE *out, const char *const *heads, size_t n, size_t first_number,
                      size_t end_number)
{
    fputs("<thead><tr>", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "<th scope=\"col\"%s>%s</th>", i >= first_number && i < end_number ? " class=\"num\"" : "",
                heads[i]);
    fputs("</tr></thead>\n", out);
}

/* Largest first; equal ones in row order, so a page is the same for a trace. */
static int by_total(const void *a, const void *b, void *totals)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    const uint64_t *t = totals;
    if (t[x] != t[y])
        return t[x] > t[y] ? -1 : 1;
    return (x > y) - (x < y);
}

unsigned char *ctv_report_top(const uint64_t *totals, size_t n, size_t keep, uint64_t *more_ns)
{
    unsigned char *shown = calloc(n ? n : 1, 1);
    uint32_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!shown || !order) {
        free(shown);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    qsort_r(order, n, sizeof *order, by_total, (void *)totals);
    *more_ns = 0;
    for (size_t i = 0; i < n; i++) {
        if (i < keep)
            shown[order[i]] = 1;
        else
            *more_ns += totals[order[i]];
    }
    free(order);
    return shown;
}

void ctv_report_cut_note(FILE *out, const char *id, const char *what, size_t shown, size_t all,
                         uint64_t more_ns, uint64_t all_ns, const char *view)
{
    char more[CTV_HUMAN_BUF], whole[CTV_HUMAN_BUF];
    fprintf(out, "<p class=\"note\" id=\"%s-more\" data-names=\"%zu\" data-more=\"%zu\" "
                 "data-more-ns=\"%" PRIu64 "\" data-all-ns=\"%" PRIu64 "\">Shown: the %zu %s "
                 "with the most total time. %zu more (%zu in all) hold %s of the %s: see "
                 "<code>ctest-trace %s</code>.</p>\n",
            id, all, all - shown, more_ns, all_ns, shown, what, all - shown, all,
            ctv_format_duration(more, more_ns), ctv_format_duration(whole, all_ns), view);
}
