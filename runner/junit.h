/*
 * junit.h - the run as JUnit XML (--junit=FILE), the shape Jenkins, GitLab
 * and most CI read:
 *
 *   <testsuites> one <testsuite> per binary, one <testcase> per test run
 *   (classname "BINARY.GROUP", name, time), with <failure> (fail) or
 *   <error> (error, crash, timeout; type= says which) or <skipped>, and the
 *   message of the test's status.
 *
 * Each test that failed, errored, crashed or timed out also gets a trace of
 * its own in the attachment directory (slice.h), named in its <system-out>
 * by a line "[[ATTACHMENT|/absolute/path]]", with a few lines summing up
 * its trace (slowest regions, longest wait). With --flight-recorder the
 * trace was written as the test failed (results.h, `attachment`): it is
 * named as it is, with what it lacks. With --attach-report each such trace
 * also gets its HTML report beside it (attach_report.h), attached by a
 * second line. Names are untrusted: escaped in the XML, and reduced to
 * [A-Za-z0-9._-] in file names.
 */
#ifndef RN_JUNIT_H
#define RN_JUNIT_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

#include "results.h"

typedef struct rn_junit_binary {
    const char *arg;   /* as the user wrote it */
    const char *trace; /* its trace file, or NULL if none was kept */
    uint64_t elapsed_ns;
} rn_junit_binary;

/*! rn_attachment_path() : DIR/BINARY.GROUP.TEST.N.trace for result `r`
 *  (the n-th attachment of the run), safe whatever the names hold.
 *  @return a malloc'd path, or NULL when out of memory. */
char *rn_attachment_path(const char *dir, const char *binary, const rn_result *r, size_t n);

/*! rn_attach_dir() : where attachments go, made if missing, as an
 *  absolute path: `attach_dir`, else the directory of `xml_path`, else
 *  (both NULL) the current directory. @return a malloc'd path, or NULL with
 *  a message in `err`. */
char *rn_attach_dir(const char *xml_path, const char *attach_dir, char *err, size_t err_size);

/*! rn_junit_write() : write `xml_path` (replaced whole, never half-written)
 *  and the attachments, into `attach_dir` (NULL: beside the XML; made if
 *  missing); `with_reports`: each trace attached with its HTML report too.
 *  @return 0, or -1 with a message in `err`. */
int rn_junit_write(const char *xml_path, const char *attach_dir, const rn_results *rs,
                   const rn_junit_binary *bins, size_t nbins, uint64_t start_realtime_ns,
                   int with_reports, char *err, size_t err_size);

/*! rn_put_xml() : `n` bytes of `s` escaped for XML text or, with
 *  `attribute`, a quoted attribute: markup characters as entities, what XML
 *  1.0 forbids (C0 controls but tab and newline, invalid UTF-8) as U+FFFD;
 *  in an attribute newlines and tabs as character references. */
void rn_put_xml(FILE *f, const char *s, size_t n, int attribute);

#endif /* RN_JUNIT_H */
