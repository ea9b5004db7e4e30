/*
 * export_otlp.h - the trace as OpenTelemetry spans in OTLP/JSON: one
 * ExportTraceServiceRequest (`export --format=otlp`), or several of a
 * bounded size for OTLP/HTTP (`--otlp-endpoint`, runner/otlp_run.h).
 *
 * What becomes what: a resource per traced process (service.name its
 * binary's name, process.pid, process.executable.name and .path); a scope
 * "ctest-trace" with our version; tests and fixtures root spans (under the
 * run's TRACEPARENT when the trace recorded one: its trace id, its parent
 * id); user tasks children of their parent task; regions children of the
 * innermost region of their task open around them on their thread, else of
 * their task; logs events of their task's span. Every span is INTERNAL.
 * Status: ERROR with the message for a test or fixture that failed,
 * errored, crashed or timed out; OK for one that passed (the runner judged
 * it: a verdict, not a guess); UNSET for a skip (ctest_trace.status says
 * "skip") and for user tasks and regions, which nothing judged.
 *
 * Streamed: a span is written when it ends (regions and tasks arrive whole
 * at their end); ids need nothing that comes later (export_otlp.c says
 * how). Held: each open task's parent, status and logs, and each process's
 * name. Bounded: a span has at most CTV_OTLP_EVENTS_KEPT events and
 * CTV_OTLP_SPAN_EVENTS_JSON of them as JSON; open tasks hold at most
 * CTV_OTLP_HELD_BYTES of text in all, their logs and status messages (8 KiB
 * a message): a log past a limit is counted in droppedEventsCount, a
 * message is cut (ctest_trace.status_message_truncated); names are cut at
 * 64 KiB (ctest_trace.name_truncated). So a span's JSON, with a new resource
 * before it, is at most ~2.2 MiB: under a request's 3 MiB (runner/otlp_run.h).
 */
#ifndef CTV_EXPORT_OTLP_H
#define CTV_EXPORT_OTLP_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint8_t, uint64_t */
#include <stdio.h>  /* FILE */

#include <ctrace_reader.h>

/* As OpenTelemetry SDKs' default span event count limit. */
#define CTV_OTLP_EVENTS_KEPT 128
/* Text (logs, status messages) held for spans not yet written, in all. */
#define CTV_OTLP_HELD_BYTES (16u << 20)
/* The JSON of a span's events, at most (control bytes escape to 6 each). */
#define CTV_OTLP_SPAN_EVENTS_JSON (256u << 10)

/* Where the requests go: `out` (one request), or `send` (one request per
 * `batch_bytes` or so of spans). */
typedef struct ctv_otlp_sink {
    FILE *out; /* NULL: requests go to send() */
    /* Requests hold whole spans and stay under this many bytes (a span
     * that would pass it goes in the next); 0: one request for everything. */
    size_t batch_bytes;
    /* One whole request of `spans` spans. @return 0 to go on, else stop. */
    int (*send)(void *ctx, const char *body, size_t len, uint64_t spans);
    void *ctx;
    /* The trace id of spans whose trace recorded no TRACEPARENT (one run's
     * traces posted together); NULL: derived from the trace's header. */
    const uint8_t *trace_id;
    FILE *err; /* a warning about a recorded TRACEPARENT that is not valid */
    const char *trace_path; /* the trace, as messages name it */
} ctv_otlp_sink;

/* How a stream ended, beside the reader's status. */
typedef struct ctv_otlp_result {
    uint64_t spans;      /* written (or handed to send()) */
    int stopped;         /* send() said stop, or a request could not be made */
    uint8_t trace_id[16]; /* the spans' trace id (valid once a span was written) */
} ctv_otlp_result;

/*! ctv_export_otlp() : read `r` to its end into spans for `sink`.
 *  @return what ctr_next() ended with (0, CT_EDAMAGED, CT_ENOMEM): what
 *  came before is written either way; *res says how many spans and whether
 *  send() stopped it. */
int ctv_export_otlp(ctr_reader *r, const ctv_otlp_sink *sink, ctv_otlp_result *res);

/*! ctv_otlp_trace_id() : the trace id `export --format=otlp` gives spans of
 *  a trace that recorded no TRACEPARENT: from its header (its clock pair
 *  and writer), the same for every export of it. */
void ctv_otlp_trace_id(const ctr_info *info, uint8_t id[16]);

#endif /* CTV_EXPORT_OTLP_H */
