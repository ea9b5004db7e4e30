/*
 * traceparent.h - W3C Trace Context (https://www.w3.org/TR/trace-context/):
 * the `TRACEPARENT` and `TRACESTATE` a CI pipeline puts in a run's
 * environment so that the run's spans hang under its own trace.
 *
 * The runner checks them before recording them in the trace (TRACE_CONTEXT,
 * format 1.7); the OTLP export checks again what it reads back, since a
 * trace file is untrusted input.
 */
#ifndef CT_COMMON_TRACEPARENT_H
#define CT_COMMON_TRACEPARENT_H

#include <stdint.h> /* uint8_t */

/* `00-` 32 hex `-` 16 hex `-` 2 hex: 55 characters. */
#define CT_TRACEPARENT_LEN 55
/* W3C: a tracestate longer than 512 characters may be dropped whole. */
#define CT_TRACESTATE_MAX 512

typedef struct ct_traceparent {
    uint8_t trace_id[16];
    uint8_t parent_id[8];
    uint8_t flags; /* bit 0: sampled */
} ct_traceparent;

/*! ct_traceparent_parse() : `text` as a W3C traceparent, strictly: version
 *  two lowercase hex digits, not "ff"; version 00 exactly 55 characters, a
 *  later version at least 55 with a '-' after them (what a version 00
 *  reader keeps of it); trace id 32 and parent id 16 lowercase hex digits,
 *  neither all zeros; flags two lowercase hex digits.
 *  @return 0 with *out, or -1 with `why` saying what is wrong. */
int ct_traceparent_parse(const char *text, ct_traceparent *out, const char **why);

/*! ct_tracestate_check() : whether `text` may go on as a tracestate: at
 *  most CT_TRACESTATE_MAX characters, printable ASCII (W3C's list members
 *  are). @return 0, or -1 with `why`. */
int ct_tracestate_check(const char *text, const char **why);

#endif /* CT_COMMON_TRACEPARENT_H */
