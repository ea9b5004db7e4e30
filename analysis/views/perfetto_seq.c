/*
 * perfetto_seq.c - TracePackets of one sequence (perfetto_seq.h).
 */
#include "perfetto_seq.h"

#include <stdlib.h> /* free */
#include <string.h> /* strlen */

#include <ctrace.h> /* CT_ENOMEM */

/* Field numbers, from perfetto_trace.proto. */
enum {
    TRACE_PACKET = 1, /* Trace */
    PACKET_CLOCK_SNAPSHOT = 6, PACKET_TIMESTAMP = 8, PACKET_SEQUENCE_ID = 10,
    PACKET_TRACK_EVENT = 11, PACKET_INTERNED_DATA = 12, PACKET_SEQUENCE_FLAGS = 13,
    PACKET_TRACK_DESCRIPTOR = 60,
    CLOCKS = 1, CLOCK_ID = 1, CLOCK_TIMESTAMP = 2, PRIMARY_TRACE_CLOCK = 2,
    TRACK_UUID = 1, TRACK_NAME = 2, TRACK_PROCESS = 3, TRACK_THREAD = 4, TRACK_PARENT = 5,
    PROCESS_PID = 1, PROCESS_NAME = 6,
    THREAD_PID = 1, THREAD_TID = 2, THREAD_NAME = 5,
    EVENT_CATEGORY_IIDS = 3, EVENT_ANNOTATIONS = 4, EVENT_TYPE = 9, EVENT_NAME_IID = 10,
    EVENT_TRACK_UUID = 11, EVENT_FLOW_IDS = 47, EVENT_TERMINATING_FLOW_IDS = 48,
    ANNOT_NAME_IID = 1, ANNOT_BOOL = 2, ANNOT_UINT = 3, ANNOT_STRING = 6, ANNOT_POINTER = 7,
    ANNOT_ARRAY = 12,
    INTERNED_IID = 1, INTERNED_NAME = 2, /* EventName, EventCategory, DebugAnnotationName */
};

enum { SEQ_INCREMENTAL_STATE_CLEARED = 1, SEQ_NEEDS_INCREMENTAL_STATE = 2 };
enum { CLOCK_REALTIME = 1, CLOCK_BOOTTIME = 6 };

void ptf_seq_init(ptf_seq *s, FILE *out, uint32_t id)
{
    *s = (ptf_seq){.out = out, .id = id, .fresh = 1};
    for (int k = 0; k < 3; k++)
        ctv_names_init(&s->interned[k]);
}

void ptf_seq_free(ptf_seq *s)
{
    for (int k = 0; k < 3; k++)
        ctv_names_free(&s->interned[k]);
    free(s->packet.data);
    free(s->event.data);
    free(s->data.data);
    free(s->annotation.data);
}

static void reset(pb *b)
{
    b->len = 0;
}

/* A packet is written as a Trace.packet field: its key first, its length
 * put in front of its body by flush_packet(). */
static void packet_begin(ptf_seq *s)
{
    reset(&s->packet);
    s->packet_start = pb_begin(&s->packet, TRACE_PACKET);
    pb_uint(&s->packet, PACKET_SEQUENCE_ID, s->id);
}

static void flush_packet(ptf_seq *s)
{
    pb_end(&s->packet, s->packet_start);
    if (s->packet.failed) {
        s->failed = 1;
        return;
    }
    fwrite(s->packet.data, 1, s->packet.len, s->out);
    s->packets++;
}

void ptf_clock_snapshot(ptf_seq *s, uint64_t realtime_ns)
{
    packet_begin(s);
    size_t snapshot = pb_begin(&s->packet, PACKET_CLOCK_SNAPSHOT);
    size_t clock = pb_begin(&s->packet, CLOCKS);
    pb_uint(&s->packet, CLOCK_ID, CLOCK_BOOTTIME);
    pb_uint_set(&s->packet, CLOCK_TIMESTAMP, 0);
    pb_end(&s->packet, clock);
    clock = pb_begin(&s->packet, CLOCKS);
    pb_uint(&s->packet, CLOCK_ID, CLOCK_REALTIME);
    pb_uint_set(&s->packet, CLOCK_TIMESTAMP, realtime_ns);
    pb_end(&s->packet, clock);
    pb_uint(&s->packet, PRIMARY_TRACE_CLOCK, CLOCK_BOOTTIME);
    pb_end(&s->packet, snapshot);
    flush_packet(s);
}

static size_t track_begin(ptf_seq *s, uint64_t uuid, uint64_t parent)
{
    packet_begin(s);
    size_t track = pb_begin(&s->packet, PACKET_TRACK_DESCRIPTOR);
    pb_uint(&s->packet, TRACK_UUID, uuid);
    pb_uint(&s->packet, TRACK_PARENT, parent);
    return track;
}

static void track_end(ptf_seq *s, size_t track)
{
    pb_end(&s->packet, track);
    flush_packet(s);
}

void ptf_process_track(ptf_seq *s, uint64_t uuid, int32_t pid, const char *name, size_t len)
{
    size_t track = track_begin(s, uuid, 0);
    size_t process = pb_begin(&s->packet, TRACK_PROCESS);
    pb_uint(&s->packet, PROCESS_PID, (uint64_t)(int64_t)pid);
    if (name)
        pb_utf8(&s->packet, PROCESS_NAME, name, len);
    pb_end(&s->packet, process);
    track_end(s, track);
}

void ptf_thread_track(ptf_seq *s, uint64_t uuid, uint64_t parent, int32_t pid, int32_t tid,
                      const char *name, size_t len)
{
    size_t track = track_begin(s, uuid, parent);
    size_t thread = pb_begin(&s->packet, TRACK_THREAD);
    pb_uint(&s->packet, THREAD_PID, (uint64_t)(int64_t)pid);
    pb_uint(&s->packet, THREAD_TID, (uint64_t)(int64_t)tid);
    if (name)
        pb_utf8(&s->packet, THREAD_NAME, name, len);
    pb_end(&s->packet, thread);
    track_end(s, track);
}

void ptf_track(ptf_seq *s, uint64_t uuid, uint64_t parent, const char *name, size_t len)
{
    size_t track = track_begin(s, uuid, parent);
    pb_utf8(&s->packet, TRACK_NAME, name, len);
    track_end(s, track);
}

/* ---- track events -------------------------------------------------------- */

void ptf_event_begin(ptf_seq *s, uint64_t ts, uint64_t track, ptf_type type)
{
    for (int k = 0; k < 3; k++) {
        if (s->interned[k].count >= PTF_INTERN_MAX) { /* bounded: start again */
            for (int j = 0; j < 3; j++) {
                ctv_names_free(&s->interned[j]);
                ctv_names_init(&s->interned[j]);
            }
            s->fresh = 1;
            break;
        }
    }
    s->ts = ts;
    reset(&s->event);
    reset(&s->data);
    pb_uint(&s->event, EVENT_TYPE, type);
    pb_uint(&s->event, EVENT_TRACK_UUID, track);
}

/* The iid of `bytes` among strings of kind `kind`, adding it to this
 * packet's InternedData when new. 0 (no iid) when out of memory. */
static uint64_t intern(ptf_seq *s, int kind, const char *bytes, size_t len)
{
    ctv_names *table = &s->interned[kind - 1];
    uint32_t index, before = table->count;
    if (ctv_names_intern(table, bytes, len, &index) != 0) {
        s->failed = 1;
        return 0;
    }
    uint64_t iid = (uint64_t)index + 1;
    if (table->count != before) {
        size_t entry = pb_begin(&s->data, (unsigned)kind);
        pb_uint(&s->data, INTERNED_IID, iid);
        pb_utf8(&s->data, INTERNED_NAME, bytes, len);
        pb_end(&s->data, entry);
    }
    return iid;
}

void ptf_event_name(ptf_seq *s, const char *name, size_t len)
{
    pb_uint(&s->event, EVENT_NAME_IID, intern(s, PTF_NAMES, name, len));
}

void ptf_event_category(ptf_seq *s, const char *category)
{
    pb_uint(&s->event, EVENT_CATEGORY_IIDS,
            intern(s, PTF_CATEGORIES, category, strlen(category)));
}

void ptf_event_flow(ptf_seq *s, uint64_t flow, int terminating)
{
    pb_fixed64(&s->event, terminating ? EVENT_TERMINATING_FLOW_IDS : EVENT_FLOW_IDS, flow);
}

/* An annotation is built apart, then copied into the event whole. */
static void annot_begin(ptf_seq *s, const char *name)
{
    reset(&s->annotation);
    pb_uint(&s->annotation, ANNOT_NAME_IID,
            intern(s, PTF_ANNOTATION_NAMES, name, strlen(name)));
}

static void annot_end(ptf_seq *s)
{
    if (s->annotation.failed)
        s->failed = 1;
    else
        pb_bytes(&s->event, EVENT_ANNOTATIONS, s->annotation.data, s->annotation.len);
}

void ptf_annot_ptr(ptf_seq *s, const char *name, uint64_t v)
{
    annot_begin(s, name);
    pb_uint_set(&s->annotation, ANNOT_POINTER, v);
    annot_end(s);
}

void ptf_annot_uint(ptf_seq *s, const char *name, uint64_t v)
{
    annot_begin(s, name);
    pb_uint_set(&s->annotation, ANNOT_UINT, v);
    annot_end(s);
}

void ptf_annot_bool(ptf_seq *s, const char *name, int v)
{
    annot_begin(s, name);
    pb_uint_set(&s->annotation, ANNOT_BOOL, v ? 1 : 0);
    annot_end(s);
}

void ptf_annot_text(ptf_seq *s, const char *name, const char *text, size_t len)
{
    annot_begin(s, name);
    pb_utf8(&s->annotation, ANNOT_STRING, text, len);
    annot_end(s);
}

void ptf_annot_stack(ptf_seq *s, const char *name, const uint64_t *stack, uint32_t len)
{
    if (len == 0) /* not captured: an annotation needs a value */
        return;
    annot_begin(s, name);
    for (uint32_t i = 0; i < len; i++) { /* an array of pointers */
        size_t value = pb_begin(&s->annotation, ANNOT_ARRAY);
        pb_uint_set(&s->annotation, ANNOT_POINTER, stack[i]);
        pb_end(&s->annotation, value);
    }
    annot_end(s);
}

void ptf_event_end(ptf_seq *s)
{
    packet_begin(s);
    pb_uint_set(&s->packet, PACKET_TIMESTAMP, s->ts);
    pb_uint(&s->packet, PACKET_SEQUENCE_FLAGS,
            SEQ_NEEDS_INCREMENTAL_STATE | (s->fresh ? SEQ_INCREMENTAL_STATE_CLEARED : 0));
    s->fresh = 0;
    if (s->event.failed || s->data.failed)
        s->failed = 1;
    pb_bytes(&s->packet, PACKET_TRACK_EVENT, s->event.data, s->event.len);
    if (s->data.len)
        pb_bytes(&s->packet, PACKET_INTERNED_DATA, s->data.data, s->data.len);
    flush_packet(s);
}
