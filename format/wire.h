/*
 * wire.h - the ctrace trace format v1, listed once for writer and reader.
 * format/FORMAT.md explains it; this file is the table both sides compile.
 */
#ifndef CT_FORMAT_WIRE_H
#define CT_FORMAT_WIRE_H

#include <stdint.h> /* uint8_t, uint64_t */

/* File prefix (16 bytes, not compressed): magic, major, minor, flags. */
#define CT_FILE_MAGIC "\x89" "CTRACE\n"  /* 8 bytes, PNG-style */
#define CT_FILE_MAGIC_LEN 8
#define CT_FILE_HEADER_LEN 16
#define CT_FORMAT_MAJOR 1
#define CT_FORMAT_MINOR 8

/* Records of the decompressed stream: kind byte, varint payload length,
 * payload. A reader skips records whose kind it does not know.
 *   XX(NAME, code, fields, field names)
 *   fields: u varint, s varint length + bytes, b the rest of the payload,
 *   o a varint added in a later minor version: absent from older files */
#define CT_RECORD_MAP(XX)                                                       \
    XX(TRACE_BEGIN, 0x01, "uusuu", "major minor writer mono_ns realtime_ns")   \
    XX(SCHEMA, 0x02, "b", "table")                                              \
    XX(PROCESS_BEGIN, 0x03, "uusuuuuooo", "proc pid exe clock hz tsc0 ns0 parent ptask inherit") \
    XX(BATCH, 0x04, "uuuuuub", "proc thread seq offset tsc ns events")         \
    XX(PROCESS_END, 0x05, "uuuuoooo", "proc how code dropped end_ns stalls stall_ns cut") \
    XX(TRACE_END, 0x06, "uu", "batches event_bytes")                           \
    XX(TRACE_CONTEXT, 0x07, "ss", "traceparent tracestate")

enum ct_record_kind {
#define CT__REC_ENUM(name, code, fields, names) CT_REC_##name = code,
    CT_RECORD_MAP(CT__REC_ENUM)
#undef CT__REC_ENUM
};

/* Events inside a BATCH: kind byte, then (timed kinds) a varint tick delta
 * from the thread's previous event, then the fields. Strings (names,
 * categories) are ids into the thread's own table, defined by STRING.
 *   XX(NAME, code, timed, fields, field names) */
#define CT_EVENT_MAP(XX)                                                        \
    XX(STRING, 0x01, 0, "us", "id bytes")                                       \
    XX(THREAD_BEGIN, 0x02, 1, "uuuuu", "tid ptid task fn rserial")              \
    XX(THREAD_NAME, 0x03, 1, "u", "name")                                       \
    XX(THREAD_END, 0x04, 1, "", "")                                             \
    XX(TASK_BEGIN, 0x05, 1, "uuuu", "task parent name kind")                    \
    XX(TASK_END, 0x06, 1, "u", "task")                                          \
    XX(TASK_STATUS, 0x07, 1, "uus", "task status message")                      \
    XX(REGION_BEGIN, 0x08, 1, "uu", "task name")                                \
    XX(REGION_END, 0x09, 1, "u", "back")                                        \
    XX(REGION_END_FOREIGN, 0x0a, 1, "uu", "thread serial")                      \
    XX(LOG, 0x0b, 1, "uusu", "task category message flags")                     \
    XX(LOST, 0x0c, 1, "uu", "dropped rserial")                                  \
    XX(TASK_ADOPT, 0x0d, 1, "u", "task")                                        \
    XX(BLOCK, 0x0e, 1, "uuuu", "task kind wait object")                         \
    XX(STACK, 0x0f, 0, "us", "id pcs")                                          \
    XX(WAIT, 0x10, 1, "uuuuuu", "task kind wait object stack ago")              \
    XX(MODULE, 0x11, 1, "uuuss", "bias lo hi path build_id")                    \
    XX(SCHED_SOURCE, 0x12, 1, "u", "source")                                    \
    XX(SCHED_LOST, 0x13, 1, "u", "records")                                     \
    XX(WINDOW_LOST, 0x14, 1, "uu", "task dropped")                             \
    XX(CUT, 0x15, 1, "uu", "dropped rserial")                                  \
    XX(THREAD_STACK, 0x16, 1, "uuu", "task stack syscall")                     \
    XX(CPU_SAMPLE, 0x17, 1, "uuu", "task stack count")                         \
    XX(CPU_SOURCE, 0x18, 1, "uu", "state hz")

enum ct_event_kind {
#define CT__EV_ENUM(name, code, timed, fields, names) CT_EV_##name = code,
    CT_EVENT_MAP(CT__EV_ENUM)
#undef CT__EV_ENUM
    CT_EV__LIMIT = 0x40 /* codes are below this */
};

/* Largest encoded event, bounding what a thread reserves per write. */
#define CT_MAX_LOG_BYTES 4096u
#define CT_MAX_NAME_BYTES 1024u
#define CT_MAX_EVENT_BYTES (CT_MAX_LOG_BYTES + 64u)

/* PROCESS_BEGIN clock field. */
enum ct_clock_kind { CT_CLOCK_MONOTONIC = 0, CT_CLOCK_TSC = 1 };

/* PROCESS_END how field. */
enum ct_exit_how {
    CT_EXIT_CODE = 0,    /* exited with code */
    CT_EXIT_SIGNAL = 1,  /* killed by signal code */
    CT_EXIT_UNKNOWN = 2, /* the collector could not tell */
    CT_EXIT_STOPPED = 3, /* ct_stop(): tracing ended, the process went on */
    CT_EXIT_TIMEOUT = 4, /* killed by its runner after code ns (since 1.2) */
    CT_EXIT_WINDOW = 5,  /* a flight recorder's window ends here, the process went
                            on: what is open is cut off, not misuse (since 1.5) */
    CT_EXIT_RUNNING = 6, /* a process a test started, still running when the
                            process it was traced with ended (since 1.8) */
};

/* BLOCK kind field: what the thread waited for (since 1.2). */
enum ct_block_kind {
    CT_BLOCK_SYNC = 1,    /* a lock, condition variable, semaphore, barrier, join, file lock */
    CT_BLOCK_SYSCALL = 2, /* I/O on anything but a socket, a sleep, a child, a signal */
    CT_BLOCK_NET = 3,     /* a socket (read/write too), poll/select/epoll */
    CT_BLOCK_SCHED = 4,   /* runnable, waiting for a CPU */
};

/* SCHED_SOURCE source field: how a thread's scheduler waits are captured
 * (since 1.3). */
enum ct_sched_source {
    CT_SCHED_NONE = 0,      /* not captured */
    CT_SCHED_PERF = 1,      /* perf_event_open context-switch records */
    CT_SCHED_SCHEDSTAT = 2, /* /proc/thread-self/schedstat run_delay deltas */
    CT_SCHED_DEFERRED = 3,  /* (since 1.8) opened once the thread lived 1 ms (FORMAT.md) */
};

/* CPU_SOURCE state field: whether a thread's CPU time is sampled (since 1.8). */
enum ct_cpu_state {
    CT_CPU_OFF = 0,      /* not sampled: asked for (a rate of 0) */
    CT_CPU_ON = 1,       /* sampled hz times a second of the thread's CPU time */
    CT_CPU_TAKEN = 2,    /* not sampled: the program handles SIGPROF itself */
    CT_CPU_FAILED = 3,   /* not sampled: the thread's timer could not be made */
};

/* Return addresses a STACK holds at most (deeper stacks are cut at the root
 * end). */
#define CT_MAX_STACK_DEPTH 64u

/* LOG flags field. */
#define CT_LOG_TRUNCATED 0x1u

/* TASK_BEGIN kind and TASK_STATUS status: same numbers as ctrace_reader.h. */

/* Unsigned LEB128. */
static inline uint8_t *ct_put_uvarint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Decode one varint from [p, end), a byte at a time. @return bytes used, 0 if
 * truncated or longer than 10 bytes. */
static inline unsigned ct_get_uvarint_bytewise(const uint8_t *p, const uint8_t *end,
                                               uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift = 0, n = 0;
    while (p + n < end && n < 10) {
        uint8_t b = p[n++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (n == 10 && b > 1)
                return 0; /* more than 64 bits */
            *out = v;
            return n;
        }
        shift += 7;
    }
    return 0;
}

/* Decode one varint from [p, end). @return bytes used, 0 if truncated or
 * longer than 10 bytes. Most are one or two bytes (a delta of ticks, an id):
 * those take no loop. */
static inline unsigned ct_get_uvarint(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
    if (__builtin_expect(p < end && p[0] < 0x80, 1)) {
        *out = p[0];
        return 1;
    }
    if (end - p >= 2 && p[1] < 0x80) {
        *out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
        return 2;
    }
    return ct_get_uvarint_bytewise(p, end, out);
}

#define CT_UVARINT_MAX 10

/* ct_get_uvarint() of a varint of at least two bytes, where at least
 * CT_UVARINT_MAX bytes can be read at p (the caller checked): the first four
 * bytes without bounds to test. A reader's tick deltas are often three or
 * four bytes, task ids three: always inline (gcc left a call in the reader's
 * hot loop, 7 % of its instructions). */
static inline __attribute__((always_inline)) unsigned ct_get_uvarint_unbounded(const uint8_t *p,
                                                                               uint64_t *out)
{
    uint64_t v = (uint64_t)(p[0] & 0x7f) | (uint64_t)(p[1] & 0x7f) << 7;
    if (p[1] < 0x80) {
        *out = v;
        return 2;
    }
    v |= (uint64_t)(p[2] & 0x7f) << 14;
    if (p[2] < 0x80) {
        *out = v;
        return 3;
    }
    v |= (uint64_t)(p[3] & 0x7f) << 21;
    if (p[3] < 0x80) {
        *out = v;
        return 4;
    }
    return ct_get_uvarint_bytewise(p, p + CT_UVARINT_MAX, out);
}

#endif /* CT_FORMAT_WIRE_H */
