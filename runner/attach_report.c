/*
 * attach_report.c - the HTML report of a failing test's trace attachment
 * (attach_report.h).
 */
#include "attach_report.h"

#include <stdio.h>  /* stderr, asprintf */
#include <stdlib.h> /* free */
#include <string.h> /* strlen, memcmp */

#include "analysis/views/view_io.h" /* CTV_EXIT_FAILED */
#include "analysis/views/views.h"   /* ctv_report */

char *rn_attach_report(const char *trace_path)
{
    static const char suffix[] = ".trace";
    size_t len = strlen(trace_path), stem = len;
    if (len > sizeof suffix - 1 && memcmp(trace_path + len - (sizeof suffix - 1), suffix,
                                          sizeof suffix - 1) == 0)
        stem = len - (sizeof suffix - 1);
    char *html = NULL;
    if (asprintf(&html, "%.*s.html", (int)stem, trace_path) < 0) {
        fprintf(stderr, "ctest-trace: --attach-report: out of memory\n");
        return NULL;
    }
    /* Its messages name the files ("ctest-trace: T.trace: damaged at ..."). */
    if (ctv_report(trace_path, html, stderr) == CTV_EXIT_FAILED) {
        fprintf(stderr, "ctest-trace: --attach-report: no report attached for %s\n",
                trace_path);
        free(html);
        return NULL;
    }
    return html;
}
