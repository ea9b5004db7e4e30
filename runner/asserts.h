/*
 * asserts.h - --assert=RULE and --assert-file=FILE: every rule read and
 * checked before anything runs (assertions/rules.h), and handed to the test
 * processes in CTRACE_ASSERT, whose tracer evaluates them.
 */
#ifndef RN_ASSERTS_H
#define RN_ASSERTS_H

#include "flags.h" /* rn_strlist */

/*! rn_asserts_load() : read the rules of each file of `files`, in order (one
 *  rule a line; blank lines and lines whose first non-blank is '#' skipped),
 *  then those of `rules`, in order. A rule that does not parse is shown on
 *  stderr with where it goes wrong (FILE:LINE:COLUMN, or its column in the
 *  --assert value), the rule, and a caret under the column; up to 10 such.
 *  @return 0 with *env the rules' texts one per line, '\n' between them
 *  (malloc'd; NULL when there are none), or RN_EXIT_USAGE (all printed). */
int rn_asserts_load(const rn_strlist *files, const rn_strlist *rules, char **env);

#endif /* RN_ASSERTS_H */
