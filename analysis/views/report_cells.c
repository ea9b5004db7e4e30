/*
 * report_cells.c - cells and heads of the report pages' tables
 * (report_pages.h).
 */
#include <inttypes.h> /* PRIu64 */

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
