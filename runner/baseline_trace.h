/*
 * baseline_trace.h - gather a baseline's samples from a trace.
 */
#ifndef RN_BASELINE_TRACE_H
#define RN_BASELINE_TRACE_H

#include <stddef.h> /* size_t */

#include "baseline.h"

/*! rn_baseline_gather() : read `trace` and add to `b` the samples of the tests
 *  of its processes whose pid is one of pids[0..npids) (every process when
 *  npids is 0), keyed by the binary `binary` (a path or name; NULL: each
 *  process's executable). `partial`: the trace is still being written, and
 *  is read up to what was flushed (its missing end is no damage).
 *  @return 0; 1 when the trace is damaged (what came before the damage was
 *  taken in; `err` says where); -1 when it cannot be read or memory ran
 *  out (`err` says why). */
int rn_baseline_gather(rn_baseline *b, const char *trace, const int *pids, size_t npids,
                       const char *binary, int partial, char *err, size_t err_size);

#endif /* RN_BASELINE_TRACE_H */
