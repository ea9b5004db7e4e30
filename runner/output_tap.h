/*
 * output_tap.h - --format=tap: a run as one TAP version 13 stream, for meson's
 * `protocol: 'tap'` and other TAP consumers (prove, automake's tap-driver):
 *
 *     TAP version 13
 *     # === RUN   TestChecksum
 *     # [  ERROR   ] --- 0x45f != 0x3e8
 *     # --- FAIL: TestChecksum (0.00s)
 *     not ok 2 - TestChecksum
 *       ---
 *       duration_ms: 0.412
 *       binary: "build/examples/failing_test"
 *       ...
 *     ok 3 - TestNetwork # SKIP
 *     1..4
 *
 * It is made from the events of the run's go test -json stream
 * (rn_out_events()). Every line of output, the runner's own and the binary's,
 * becomes a "# " comment, escaped, so that whatever a binary prints (cmocka's
 * own TAP under CMOCKA_MESSAGE_OUTPUT=tap too) the stream stays valid TAP with
 * one plan. Each result of a test is a test point, numbered across the run's
 * binaries. A binary that failed outside its tests (no cmocka group ran, a
 * death between groups, a bad exit status) is a failing test point named
 * after it; one that skipped itself (exit 77) a skipped one. The plan comes
 * last, once the count is known ("1..0 # SKIP" when there was no test); a run
 * that could not do its job (exit 2) ends in "Bail out!" instead.
 */
#ifndef RN_OUTPUT_TAP_H
#define RN_OUTPUT_TAP_H

#include <stdio.h> /* FILE */

#include "output.h" /* rn_out_event */

typedef struct rn_tap rn_tap;

/*! rn_tap_new() : a TAP stream on `out`; prints its version line.
 *  @return NULL when out of memory. */
rn_tap *rn_tap_new(FILE *out);

/*! rn_tap_event() : an rn_out_event_fn: `ctx` is the rn_tap. */
void rn_tap_event(void *ctx, const rn_out_event *e);

/*! rn_tap_finish() : the plan (or, for status 2, "Bail out!"), after the
 *  run's last event; `status` is the
 *  run's exit status. @return the status a TAP consumer should see: a TAP
 *  stream tells skips itself, so a run whose binaries all skipped themselves
 *  (77) exits 0; any other status is kept. */
int rn_tap_finish(rn_tap *t, int status);

void rn_tap_free(rn_tap *t);

#endif /* RN_OUTPUT_TAP_H */
