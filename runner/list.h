/*
 * list.h - `-list REGEX`: the names of each binary's tests that match, as
 * `go test -list` prints them; nothing of the binary's tests runs.
 *
 * The binary runs under the tracer with CTRACE_LIST (ctrace_collect.h): its
 * group runner sends a list marker for each matching test and returns
 * without running the group, so the binary goes on to its next group. Each
 * name goes on a line of its own (escaped, marker.h), in the binary's order,
 * then go's last line, `ok  \tBINARY\t0.003s`. With --json, go test -json's
 * events: each line an "output" event of the binary, then "pass", "fail" or
 * "skip". What the binary prints itself is passed through, as go test passes
 * through what TestMain prints.
 */
#ifndef RN_LIST_H
#define RN_LIST_H

#include <ctrace_collect.h> /* ct_collector */

#include "child.h" /* rn_child_spec */

/*! rn_list_binary() : list the tests of one binary (`arg` as the user wrote
 *  it), run as `spec` says (its list_re set) under `c` (whose trace nobody
 *  reads). @return 0 listed; 1 it could not be listed (no cmocka group ran,
 *  it exited non-zero or died: said on its lines); 2 it could not be started
 *  (said on stderr); RN_EXIT_SKIPPED it skipped itself (exit 77 before any
 *  group). *interrupted: the signal that interrupted the runner, or 0. */
int rn_list_binary(ct_collector *c, const rn_child_spec *spec, const char *arg, int json,
                   int *interrupted);

#endif /* RN_LIST_H */
