/*
 * export_perfetto.h - `export --format=perfetto`: Perfetto's TrackEvent
 * protobuf (perfetto_trace.proto's Trace).
 */
#ifndef CTV_EXPORT_PERFETTO_H
#define CTV_EXPORT_PERFETTO_H

#include <stdio.h> /* FILE */

#include <ctrace_reader.h>

/*! ctv_export_perfetto() : every event `r` reads, as a Trace of
 *  TracePackets into `out`. Memory stays bounded: slices of threads are
 *  ordered through temporary files in $TMPDIR past CTRACE_VIEW_MEMORY.
 *  @return the exit status of a view (views.h), after telling `err` about
 *  damage in `trace_path` or a failure (out of memory, a temporary file). */
int ctv_export_perfetto(ctr_reader *r, FILE *out, const char *trace_path, FILE *err);

#endif /* CTV_EXPORT_PERFETTO_H */
