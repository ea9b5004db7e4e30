/*
 * merge.h - `ctest-trace merge -o OUT FILE...` (merge.c): the kinds of input
 * it merges, each by a file of its own.
 */
#ifndef RN_MERGE_H
#define RN_MERGE_H

#include <stddef.h> /* size_t */

/*! rn_merge_junit() : JUnit XML files (a `<testsuites>` of `<testsuite>`s,
 *  or a lone `<testsuite>`, as Jenkins' junit-10.xsd allows) into one
 *  `<testsuites>` in `out` (replaced only once complete): every testsuite
 *  copied with all it holds (testcases, properties, system-out with its
 *  [[ATTACHMENT|path]] lines, nested testsuites), its tests, failures,
 *  errors, skipped and time counted again from its testcases, and the
 *  totals of all at the top. Read with expat, a testsuite's content
 *  streamed: memory does not grow with the files' sizes.
 *  @return 0, or 2 after a message naming the file and what is wrong (not
 *  well-formed XML, not JUnit, the output could not be written): then `out`
 *  is left as it was. */
int rn_merge_junit(const char *out, char *const *files, size_t n);

/*! rn_merge_baselines() : baselines (docs/BASELINE.md) into one in `out`,
 *  pooled metric by metric, the machine facts the first's (another
 *  machine's is said on stderr). Every input is read whole first.
 *  @return 0, or 2 after a message (then nothing is written). */
int rn_merge_baselines(const char *out, char *const *files, size_t n);

#endif /* RN_MERGE_H */
