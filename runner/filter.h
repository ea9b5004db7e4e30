/*
 * filter.h - recognise cmocka's own framing lines in a test's output.
 *
 * Under the runner, "=== RUN" and "--- PASS/FAIL/SKIP" lines replace
 * cmocka's "[ RUN      ]", "[       OK ]", "[  FAILED  ]"... and its summary,
 * so those are dropped from what is shown. Lines that carry a failure are
 * kept: "[   LINE   ] --- file:line: error: ...", "[  ERROR   ] --- ...",
 * "Could not run test: ...". Pure functions; lines come without '\n'.
 */
#ifndef RN_FILTER_H
#define RN_FILTER_H

#include <stddef.h> /* size_t */

/*! rn_cmocka_framing() : 1 if `line` is cmocka framing to drop, else 0.
 *  `test` (may be NULL) is the name of the test the line is about (the
 *  running or last finished one): cmocka's "[  ERROR   ] NAME" is framing
 *  only for that name. */
int rn_cmocka_framing(const char *line, size_t len, const char *test,
                      size_t test_len);

/*! rn_cmocka_summary_count() : 1 for cmocka's " 3 FAILED TEST(S)" and
 *  " 1 SKIPPED TEST(S)" lines (and the blank line before them is dropped). */
int rn_cmocka_summary_count(const char *line, size_t len);

/*! rn_cmocka_run_line() : 1 for a line saying cmocka ran tests, in any of
 *  its output formats (CMOCKA_MESSAGE_OUTPUT): "[ RUN      ] NAME", subunit's
 *  "test: NAME", TAP's "# ok - GROUP" / "# not ok - GROUP", the XML report's
 *  "  <testsuite name=...". */
int rn_cmocka_run_line(const char *line, size_t len);

#endif /* RN_FILTER_H */
