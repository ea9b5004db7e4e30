/*
 * attach_report.h - --attach-report: beside each failing test's trace
 * attachment in the JUnit report, the HTML report of that trace
 * (`ctest-trace report`), attached too.
 */
#ifndef RN_ATTACH_REPORT_H
#define RN_ATTACH_REPORT_H

/*! rn_attach_report() : write the report of the trace at `trace_path`
 *  beside it: the same path with ".html" for its ".trace" (or after it).
 *  A damaged trace still gives its page (with a banner). @return the
 *  report's path (malloc'd), or NULL when it could not be written, after a
 *  message on stderr naming it. */
char *rn_attach_report(const char *trace_path);

#endif /* RN_ATTACH_REPORT_H */
