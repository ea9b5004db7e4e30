/*
 * schema.h - the event table of wire.h as data, for code that walks events
 * without knowing each kind: skipping, counting, the SCHEMA record.
 */
#ifndef CT_FORMAT_SCHEMA_H
#define CT_FORMAT_SCHEMA_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "format/wire.h"

typedef struct ct_event_spec {
    const char *name;   /* "REGION_BEGIN"; NULL for unknown codes */
    const char *fields; /* "uu": u varint, s length + bytes */
    const char *names;  /* "task name": one word per field (text form) */
    uint8_t timed;      /* a tick delta follows the kind byte */
} ct_event_spec;

typedef struct ct_record_spec {
    const char *name; /* "PROCESS_BEGIN"; NULL for unknown codes */
    const char *fields;
    const char *names;
} ct_record_spec;

/* Spec of record `code`, NULL if unknown. */
const ct_record_spec *ct_record_spec_of(unsigned code);

/* Spec of event `code` as this build knows it. */
const ct_event_spec *ct_event_spec_of(unsigned code);

/* Bytes taken by the event at p (kind byte included) per `spec`, 0 if it is
 * malformed or runs past end. */
size_t ct_event_size(const ct_event_spec *spec, const uint8_t *p, const uint8_t *end);

/* One event taken apart per its spec (ct_event_parse()). */
#define CT_EVENT_FIELDS_MAX 6
typedef struct ct_event_fields {
    uint8_t code;
    const ct_event_spec *spec;
    uint64_t delta;         /* timed kinds: ticks since the thread's previous event */
    unsigned delta_len;     /* bytes of the delta's varint (after the kind byte) */
    uint64_t v[CT_EVENT_FIELDS_MAX];          /* 'u' values; 's': its length */
    const uint8_t *s[CT_EVENT_FIELDS_MAX];    /* 's': its bytes */
} ct_event_fields;

/* Take apart the event at p (kind byte first) as this build knows its kind.
 * @return the bytes it takes, 0 if its kind is unknown, it is malformed or
 * it runs past end. */
size_t ct_event_parse(const uint8_t *p, const uint8_t *end, ct_event_fields *out);

/* Write the SCHEMA record payload into buf. @return its length, or 0 if
 * cap is too small. */
size_t ct_schema_encode(uint8_t *buf, size_t cap);

#endif /* CT_FORMAT_SCHEMA_H */
