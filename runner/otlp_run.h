/*
 * otlp_run.h - what a run does for OpenTelemetry: it records the W3C trace
 * context of its environment (TRACEPARENT, TRACESTATE) in its trace, and
 * with --otlp-endpoint=URL posts its spans there once it is over.
 *
 * Posting: each trace of the run (the one --trace or a temporary file has,
 * each --trace-dir file, each -p runner's) is read into OTLP/JSON requests
 * of at most about RN_OTLP_BATCH_BYTES (collectors refuse requests over
 * 4 MiB by default) and sent (otlp_http.h). Every span of a run gets one
 * trace id: TRACEPARENT's, else the one `export --format=otlp` gives the
 * first trace. A post that fails says so on stderr, naming the URL, what
 * went wrong and how many spans did go; so do spans a collector took the
 * request of but refused (a 2xx whose partialSuccess has rejectedSpans: the
 * next requests still go). Either makes a run that passed (or skipped) exit
 * 2, for a CI must not be told "ok" while spans went nowhere, and leaves a
 * failed run's 1 as it is.
 */
#ifndef RN_OTLP_RUN_H
#define RN_OTLP_RUN_H

#include <stddef.h> /* size_t */

#include <ctrace_collect.h> /* ct_collector */

#define RN_OTLP_BATCH_BYTES (3u << 20)

/* The run's trace context, from its environment. */
typedef struct rn_trace_context {
    char *traceparent; /* valid (common/traceparent.h), or NULL */
    char *tracestate;  /* with it, or NULL */
} rn_trace_context;

/*! rn_trace_context_from_env() : TRACEPARENT (and TRACESTATE) of the
 *  environment, checked strictly; one that is not valid is warned about on
 *  stderr, naming it and what is wrong, and ignored (with `unset`, also
 *  removed from the environment: -p's runners then neither warn again nor
 *  record it). @return 0, or -1 out of memory (message printed). */
int rn_trace_context_from_env(rn_trace_context *ctx, int unset);

/*! rn_trace_context_record() : put ctx (if any) in the trace c writes.
 *  @return 0, or 2 (message printed). */
int rn_trace_context_record(const rn_trace_context *ctx, ct_collector *c);

void rn_trace_context_free(rn_trace_context *ctx);

/*! rn_otlp_check_endpoint() : --otlp-endpoint's URL, before anything runs.
 *  @return 0, or -1 (message printed: the run exits 2). */
int rn_otlp_check_endpoint(const char *endpoint);

/*! rn_otlp_post() : post the spans of the run's `n` traces to `endpoint`.
 *  @return the run's status: `status`, or 2 where it was 0 or 77 and a
 *  post failed (said on stderr). */
int rn_otlp_post(const char *endpoint, char *const *traces, size_t n, int status);

#endif /* RN_OTLP_RUN_H */
