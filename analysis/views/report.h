/*
 * report.h - the sections of `ctest-trace report` (report.c writes the page
 * around them).
 *
 * A section reads the trace itself, in a pass of its own (memory bounded by
 * distinct names, threads and open tasks, never by events), and writes one
 *     <section id="NAME"><h2>Title</h2> ... </section>
 * to `out`. Trace text goes through ctv_html_text() (html.h) as HTML, or
 * through ctv_json_init_html() (json.h) as JSON in a
 * <script type="application/json"> for the page's scripts; ids and classes
 * a section uses start with its NAME. @return a view's exit status
 * (view_io.h): 0 whole, 1 damaged (what came before the damage is shown),
 * 2 failed (the page is not written); messages name the file on err.
 *
 * A section's CSS and JavaScript are files in analysis/views/report/,
 * embedded in the page by the lists report_css and report_js
 * (analysis/views/meson.build). The page's scripts run after all sections
 * are in the document.
 */
#ifndef CTV_REPORT_H
#define CTV_REPORT_H

#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

typedef int (*ctv_report_writer)(const char *trace_path, FILE *out, FILE *err);

typedef struct ctv_report_section {
    const char *name;  /* its id, and its link in the page's nav */
    const char *title; /* its heading and the link's text */
    ctv_report_writer write;
} ctv_report_section;

/*! ctv_report_tests() : every test and fixture, as they began: status (as
 *  text and colour), duration, process, failure messages in full; counts by
 *  status, filters by status, a search box (report_tests.c). */
int ctv_report_tests(const char *trace_path, FILE *out, FILE *err);

/*! ctv_report_timeline() : a zoomable, pannable timeline of every thread:
 *  task spans, regions by depth, blocking and scheduler waits, logs
 *  (report_timeline.c, drawn by report/timeline.js). */
int ctv_report_timeline(const char *trace_path, FILE *out, FILE *err);

/*! ctv_report_spans_max() : how many spans and logs the timeline keeps:
 *  $CTRACE_REPORT_SPANS (digits only, 0 to 100 000 000), 4 000 000 when
 *  unset. @return 0, or CTV_EXIT_FAILED after a message naming the variable
 *  and what is wrong with its value ("10k", "-5", "", too large). */
int ctv_report_spans_max(FILE *err, uint64_t *max);

/* The page's CSS and JavaScript (generated at build time by
 * embed_assets.py from the lists report_css and report_js): the CSS files
 * one after the other; each script file as the exact text of its own
 * <script> element; and the Content-Security-Policy's script sources, a
 * 'sha256-...' per script over those bytes (no 'unsafe-inline'). */
extern const char ctv_report_css[];
extern const unsigned long ctv_report_css_len;

typedef struct ctv_report_script {
    const char *text; /* between <script> and </script>, exactly */
    unsigned long len;
} ctv_report_script;
extern const ctv_report_script ctv_report_scripts[];
extern const unsigned long ctv_report_nscripts;
extern const char ctv_report_script_src[];

#endif /* CTV_REPORT_H */
