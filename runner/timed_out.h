/*
 * timed_out.h - what the runner says of a process it killed for time: why
 * (--timeout, or the run's --timeout-total), and every thread's stack as
 * the process wrote it before the kill.
 */
#ifndef RN_TIMED_OUT_H
#define RN_TIMED_OUT_H

#include <stdint.h> /* uint64_t */

#include <ctrace_collect.h> /* ct_collector */

#include "child.h"
#include "output.h"

/*! rn_timed_out_tell() : `res`'s process was killed for time (res->timed_out):
 *  tell `o` what rn_out_process_died() is to say under its test: for the
 *  run's limit (res->run_timed_out) that the run took longer than
 *  `run_timeout_ns` (the idle limit has its usual line), then its threads'
 *  stacks read back from `c`'s trace (or its flight recorder's window). */
void rn_timed_out_tell(rn_out *o, ct_collector *c, const rn_child_result *res,
                       uint64_t run_timeout_ns);

#endif /* RN_TIMED_OUT_H */
