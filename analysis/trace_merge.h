/*
 * trace_merge.h - several traces into one (`ctest-trace merge`), a rewrite
 * of their records (format/FORMAT.md, *Records*), never of their events.
 *
 * The traces of the shards of a suite, run on different machines, become one
 * trace that every view reads as if one run had made it:
 *   - one TRACE_BEGIN: the clock base (mono_ns, realtime_ns) of the input
 *     that began first by the wall clock; one SCHEMA, the inputs' own (all
 *     inputs must be of one format version and have equal event tables);
 *   - every input's PROCESS_BEGIN, BATCH and PROCESS_END, in input order, with
 *     `proc` renumbered after the processes of the inputs before it, and
 *     their CLOCK_MONOTONIC fields (PROCESS_BEGIN ns0, BATCH ns, PROCESS_END
 *     end_ns) moved onto the first input's clock through each input's own
 *     TRACE_BEGIN pair, so processes of unrelated machines line up on wall
 *     time. Events inside a batch count from its clock pair: copied as they
 *     are. Records of a kind this version does not know are copied too.
 *   - one TRACE_END with the batches and event bytes of all.
 * It reads a record at a time and holds one input's reader at a time:
 * memory does not grow with the inputs' sizes.
 *
 * A damaged or truncated input is merged up to the damage (one damaged
 * within its header adds nothing); the merged trace then ends without
 * TRACE_END, so every view of it says it is incomplete (exit 1) instead of
 * passing it off as whole. Damage inside a batch's events is not looked for
 * here (events are not decoded): it is copied, and the views of the merged
 * trace find it as they would in the input.
 */
#ifndef CT_ANALYSIS_TRACE_MERGE_H
#define CT_ANALYSIS_TRACE_MERGE_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */

/*! ctr__merge_traces() : merge the traces `paths[0..n)` (n >= 1) into
 *  `out_path`, replaced only once complete (recorder/outfile.h). Messages go
 *  to `err` as "ctest-trace: FILE: what".
 *  @return 0 every input was whole; 1 an input was damaged or truncated:
 *  what came before the damage was merged and err says where; 2 nothing was
 *  written: an input could not be opened, is not a trace or of a newer
 *  format, the inputs' format versions or event tables differ, none could be
 *  read, there are more processes than a trace holds (65536), or the output
 *  could not be written. */
int ctr__merge_traces(const char *out_path, char *const *paths, size_t n, FILE *err);

#endif /* CT_ANALYSIS_TRACE_MERGE_H */
