/*
 * perfetto_seq.h - Perfetto's trace format written by hand: a Trace is a
 * stream of TracePacket fields, each packet on a sequence (one writer, its
 * own interning state). This writes track descriptors and TrackEvents with
 * interned names, categories and annotation names; field numbers are those
 * of perfetto_trace.proto (tests/harness/protos/ holds a copy).
 *
 * Interning is bounded: when a sequence has interned PTF_INTERN_MAX strings
 * of one kind, all its tables are dropped and its next packet says
 * SEQ_INCREMENTAL_STATE_CLEARED, so names are written again as they come
 * back: memory stays flat whatever the number of distinct names.
 *
 *     ptf_event_begin(&seq, ts, track, PTF_SLICE_BEGIN);
 *     ptf_event_name(&seq, name, len);
 *     ptf_event_category(&seq, "region");
 *     ptf_annot_ptr(&seq, "task", task);
 *     ptf_event_end(&seq);
 */
#ifndef CTV_PERFETTO_SEQ_H
#define CTV_PERFETTO_SEQ_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

#include "maps.h"
#include "pb.h"

#define PTF_INTERN_MAX 4096 /* strings of one kind interned before a reset */

/* TrackEvent.Type */
typedef enum ptf_type { PTF_SLICE_BEGIN = 1, PTF_SLICE_END = 2, PTF_INSTANT = 3 } ptf_type;

/* What InternedData interns, by its field number there. */
enum { PTF_CATEGORIES = 1, PTF_NAMES = 2, PTF_ANNOTATION_NAMES = 3 };

typedef struct ptf_seq {
    FILE *out;
    uint32_t id;          /* trusted_packet_sequence_id, from 1 */
    int fresh;            /* the next event packet clears incremental state */
    ctv_names interned[3]; /* by kind - 1: categories, names, annotation names */
    pb packet, event, data; /* the packet, its TrackEvent, its InternedData */
    pb annotation;        /* the annotation being written */
    size_t packet_start;  /* of the packet's body in `packet` */
    uint64_t ts;
    uint64_t packets;     /* written so far */
    int failed;           /* out of memory */
} ptf_seq;

/*! ptf_seq_init() : sequence `id` (> 0) writing packets to `out`. */
void ptf_seq_init(ptf_seq *s, FILE *out, uint32_t id);
void ptf_seq_free(ptf_seq *s);

/*! ptf_clock_snapshot() : trace time (BOOTTIME) 0 is wall-clock time
 *  `realtime_ns`, and trace time is the clock of every packet. */
void ptf_clock_snapshot(ptf_seq *s, uint64_t realtime_ns);

/*! ptf_process_track(), ptf_thread_track(), ptf_track() : a TrackDescriptor
 *  for a process (named for its binary), a thread (name NULL: none yet),
 *  or a track of its own under `parent` (0: none). Names are untrusted. */
void ptf_process_track(ptf_seq *s, uint64_t uuid, int32_t pid, const char *name, size_t len);
void ptf_thread_track(ptf_seq *s, uint64_t uuid, uint64_t parent, int32_t pid, int32_t tid,
                      const char *name, size_t len);
void ptf_track(ptf_seq *s, uint64_t uuid, uint64_t parent, const char *name, size_t len);

/*! ptf_event_begin() ... ptf_event_end() : one TrackEvent packet at `ts`
 *  (ns, trace time) on track `track`. Between them, in any order: */
void ptf_event_begin(ptf_seq *s, uint64_t ts, uint64_t track, ptf_type type);
void ptf_event_name(ptf_seq *s, const char *name, size_t len); /* untrusted */
void ptf_event_category(ptf_seq *s, const char *category);
/* a flow from this event on (`terminating`: ending here), ids global */
void ptf_event_flow(ptf_seq *s, uint64_t flow, int terminating);
/* debug annotations, by name (interned): a pointer (shown in hex), a count,
 * a flag, untrusted text, addresses (innermost first; none: left out) */
void ptf_annot_ptr(ptf_seq *s, const char *name, uint64_t v);
void ptf_annot_uint(ptf_seq *s, const char *name, uint64_t v);
void ptf_annot_bool(ptf_seq *s, const char *name, int v);
void ptf_annot_text(ptf_seq *s, const char *name, const char *text, size_t len);
void ptf_annot_stack(ptf_seq *s, const char *name, const uint64_t *stack, uint32_t len);
/*! ptf_event_end() : write the packet. */
void ptf_event_end(ptf_seq *s);

#endif /* CTV_PERFETTO_SEQ_H */
