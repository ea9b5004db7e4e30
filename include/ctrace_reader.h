/*
 * ctrace_reader.h - read a ctrace trace file as a stream of events.
 *
 * The reader's memory grows with the number of threads, open regions and
 * distinct names, never with the number of events. It pairs region begins
 * with their ends (LIFO per thread), closes what was left open when its test
 * task or its process ends (marking it unended), and turns misuse into
 * CTR_WARNING events instead of failing.
 *
 * Order: the events of one thread come in time order; events of different
 * threads are interleaved in the order their buffers were drained, which is
 * close to, but not exactly, time order.
 *
 * A damaged or truncated file is read up to the damage: ctr_next() then
 * returns CT_EDAMAGED and ctr_damage() says at which byte and what was lost.
 */
#ifndef CTRACE_READER_H
#define CTRACE_READER_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */
#include <stdint.h> /* uint64_t */

#include <ctrace.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ctr_reader ctr_reader;

/* What an event is. Names in parentheses are the fields it fills. */
typedef enum ctr_kind {
    CTR_PROCESS_BEGIN = 1, /* a traced process (pid, name = executable path) */
    CTR_PROCESS_END,       /* it ended (status = exit code or -signal, flags:
                              CTR_F_SIGNALED, CTR_F_UNKNOWN_EXIT,
                              CTR_F_TIMED_OUT; count = events it lost in
                              all, every thread's, those its CTR_LOST
                              events told and those no thread could tell
                              (it ended or died while losing them);
                              stalls, stall_ns = how often and how long its
                              threads waited for room in the pool, since 1.4;
                              cut = events of it a flight recorder left out
                              of this trace, every thread's, since 1.5) */
    CTR_THREAD_BEGIN,      /* a thread's first event (tid, parent_tid, task =
                              inherited current task, object = the address of
                              its start routine, 0 if unknown) */
    CTR_THREAD_NAME,       /* name */
    CTR_THREAD_END,        /* the thread exited */
    CTR_TASK_BEGIN,        /* task, parent, name, task_kind */
    CTR_TASK_END,          /* task, begin_ns, name, task_kind; CTR_F_UNENDED when the
                              trace closed it because it never ended;
                              CTR_F_CUT when events of its process after
                              it began were cut (a flight recorder's
                              window): the trace holds it in part */
    CTR_TASK_STATUS,       /* task, task_kind (user if the task is not open),
                              status, message */
    CTR_REGION,            /* a finished region: task, name, begin_ns = start,
                              ts_ns = end; flags CTR_F_UNENDED,
                              CTR_F_OUT_OF_ORDER, CTR_F_OTHER_THREAD,
                              CTR_F_LOST (with CTR_F_UNENDED: its end may be
                              among lost events; its duration is unknown) */
    CTR_LOG,               /* task, name = category, message; CTR_F_TRUNCATED */
    CTR_LOST,              /* count = events this thread lost before this
                              point (written while the pool was full, or by
                              a signal handler that found the thread inside
                              the tracer) */
    CTR_WARNING,           /* message: misuse found in the trace; with
                              CTR_F_LOST a consequence of lost events
                              instead (a test whose end was lost) */
    CTR_BLOCK,             /* the thread waited: begin_ns to ts_ns, task,
                              block_kind, object (what it waited on), stack
                              (since 1.3; ts_ns may be before the thread's
                              previous event: a scheduler wait is noticed
                              after it ended) */
    CTR_MODULE,            /* a module loaded in the process (since 1.3):
                              name = its file's path, message = its GNU
                              build-id (raw bytes, may be empty), object =
                              its load bias, module_lo/module_hi = the range
                              its segments span. A later one over the same
                              range replaces an earlier one */
    CTR_SCHED_SOURCE,      /* how this thread's scheduler waits are captured
                              (since 1.3): object = ctr_sched_source; count
                              = 1 when the thread said one before, which this
                              one replaces (a deferred source opening, or
                              the same said again after lost events), and
                              parent = that earlier one; else 0 */
    CTR_SCHED_LOST,        /* count = context-switch records of this thread
                              the kernel could not keep (its ring was full):
                              some of its scheduler waits are missing */
    CTR_WINDOW_LOST,       /* task = a test or fixture, count = events its
                              process lost (every thread's) while it ran
                              (since 1.4) */
    CTR_CUT,               /* count = events of this thread recorded before
                              this point but left out of this trace by a
                              flight recorder, which keeps only its most
                              recent events (since 1.5): not losses */
    CTR_THREAD_STACK,      /* the thread's stack when its runner asked every
                              thread of the process for it, about to kill
                              it for time (since 1.6): stack, stack_len
                              (innermost first; the first is the address
                              where the thread was interrupted plus one, so
                              that every frame is looked up at pc - 1, as
                              a return address), task = its current task,
                              object = 1 + the system call it was blocked
                              in (its number), 0 if none is known */
    CTR_CPU_SAMPLE,        /* [ext] the thread was found running by its CPU
                              timer (since 1.8): stack, stack_len as
                              CTR_THREAD_STACK's (where it was interrupted
                              first), count = samples it stands for (more
                              than 1: further samples came while it waited
                              to be written, counted at its stack), object
                              = the sampling period in ns (count * object is
                              the CPU time; 0 if its thread's CTR_CPU_SOURCE
                              was not read), task = its current task (if
                              none, its innermost open region's task),
                              parent = the test or fixture that task is in
                              (0: none), name = the innermost region of that
                              task open on its thread (name_len 0: none),
                              message = the task's name (message_len 0: not
                              an open task) */
    CTR_CPU_SOURCE,        /* [ext] whether this thread's CPU time is
                              sampled (since 1.8): object = ctr_cpu_source,
                              count = the rate asked for, in Hz */
} ctr_kind;

/* Whether a thread's CPU time is sampled (CTR_CPU_SOURCE). */
typedef enum ctr_cpu_source {
    CTR_CPU_OFF = 0,    /* not sampled: a rate of 0 was asked for */
    CTR_CPU_ON = 1,     /* sampled, count times a second of its CPU time */
    CTR_CPU_TAKEN = 2,  /* not sampled: the program handles SIGPROF itself */
    CTR_CPU_FAILED = 3, /* not sampled: its timer could not be made */
} ctr_cpu_source;

/* How scheduler waits were captured (CTR_SCHED_SOURCE). */
typedef enum ctr_sched_source {
    CTR_SCHED_NONE = 0,      /* not captured */
    CTR_SCHED_PERF = 1,      /* perf_event_open context-switch records */
    CTR_SCHED_SCHEDSTAT = 2, /* /proc/thread-self/schedstat run_delay */
    CTR_SCHED_DEFERRED = 3,  /* (since 1.8) not chosen yet: the thread opens
                                its source once it has lived 1 ms, and says
                                which then; its waits before, as sums
                                (FORMAT.md, SCHED_SOURCE) */
} ctr_sched_source;

/* What a thread waited for (CTR_BLOCK). */
typedef enum ctr_block_kind {
    CTR_BLOCK_SYNC = 1,
    CTR_BLOCK_SYSCALL = 2,
    CTR_BLOCK_NET = 3,
    CTR_BLOCK_SCHED = 4,
} ctr_block_kind;

typedef enum ctr_task_kind {
    CTR_TASK_USER = 0,
    CTR_TASK_TEST = 1,
    CTR_TASK_FIXTURE = 2,
} ctr_task_kind;

/* Status of a test task, as in `tasks --json`. */
typedef enum ctr_status {
    CTR_STATUS_NONE = 0,
    CTR_STATUS_PASS,
    CTR_STATUS_FAIL,
    CTR_STATUS_SKIP,
    CTR_STATUS_ERROR,
    CTR_STATUS_CRASH,
    CTR_STATUS_TIMEOUT,
} ctr_status;

#define CTR_F_UNENDED 0x1u      /* closed by the trace, not by the program */
#define CTR_F_OUT_OF_ORDER 0x2u /* region ended out of LIFO order */
#define CTR_F_OTHER_THREAD 0x4u /* region ended on another thread */
#define CTR_F_TRUNCATED 0x8u    /* log message was cut */
#define CTR_F_SIGNALED 0x10u    /* process killed by signal -status */
#define CTR_F_UNKNOWN_EXIT 0x20u
#define CTR_F_TIMED_OUT 0x40u   /* process killed (SIGKILL) by its runner for
                                   running too long; status = -9 */
#define CTR_F_LOST 0x80u        /* what events were lost made of it: an
                                   unended region or task whose end may be
                                   among them; a warning that says so */
#define CTR_F_CUT 0x100u        /* a task some of whose events were cut
                                   (CTR_CUT): begun before the window; a
                                   region or task still open where the
                                   window ended (with CTR_F_UNENDED);
                                   CTR_PROCESS_END: the trace ends where a
                                   flight recorder's window did, the
                                   process went on */
#define CTR_F_RUNNING 0x200u    /* CTR_PROCESS_END of a process a test started:
                                   still running when the process it was
                                   traced with ended, it ran on untraced
                                   (since 1.8; with CTR_F_UNKNOWN_EXIT) */

typedef struct ctr_event {
    ctr_kind kind;
    uint32_t flags;      /* CTR_F_* */
    uint64_t ts_ns;      /* when, in ns from the start of the trace */
    uint64_t begin_ns;   /* CTR_REGION, CTR_TASK_END: when it began */
    uint32_t process;    /* index of the process in the trace, from 0 */
    int32_t pid;         /* OS process id */
    int32_t tid;         /* OS thread id of the thread the event is on */
    int32_t parent_tid;  /* CTR_THREAD_BEGIN: creator's tid, 0 if unknown */
    uint64_t task;       /* task id, unique in the trace; 0 = none */
    uint64_t parent;     /* CTR_TASK_BEGIN: parent task id; 0 = none;
                            CTR_CPU_SAMPLE: the test or fixture */
    ctr_task_kind task_kind;
    ctr_status status;   /* CTR_TASK_STATUS */
    int64_t exit_code;   /* CTR_PROCESS_END */
    uint64_t count;      /* CTR_LOST, CTR_PROCESS_END: events dropped */
    const char *name;    /* not NUL-terminated: use name_len. Valid until */
    size_t name_len;     /* the next ctr_next() call; that of a CTR_REGION,
                            CTR_TASK_BEGIN, CTR_TASK_END, CTR_THREAD_NAME
                            or CTR_LOG until ctr_close(), unchanged: one
                            address is one name. Untrusted bytes. */
    const char *message;
    size_t message_len;
    ctr_block_kind block_kind; /* CTR_BLOCK */
    uint64_t object;     /* CTR_BLOCK: what it waited on: a lock's, condition
                            variable's or semaphore's address, the thread
                            joined, a file descriptor (the first polled one),
                            0 if none (FORMAT.md, BLOCK);
                            CTR_THREAD_BEGIN: the start routine's address */
    const uint64_t *stack; /* CTR_BLOCK, CTR_THREAD_STACK, CTR_CPU_SAMPLE: return addresses where the program */
    uint32_t stack_len;    /* waited, innermost first (its own frame, never the
                              tracer's); stack_len 0 if not captured. Valid
                              until ctr_close(). */
    uint32_t thread;     /* the thread's number in its process, from 1: unique
                            in it where an OS tid may be reused (0: not on a
                            thread). (Where padding was: no field moved.) */
    uint64_t module_lo, module_hi; /* CTR_MODULE */
    uint64_t stalls, stall_ns; /* CTR_PROCESS_END (see there) */
    uint64_t cut;        /* CTR_PROCESS_END: events cut (see there) */
    uint64_t serial;     /* CTR_REGION: its number among the regions begun on
                            its thread, from 1 */
    uint64_t parent_serial; /* CTR_REGION: the serial of the innermost region
                            of the same task open on its thread when it began;
                            0 if none (its task is its parent). With process
                            and thread, serials name a region uniquely, so a
                            region's parent is known when the region arrives,
                            before the parent ends */
} ctr_event;

/*! ctr_open() : open the trace at `path` for reading.
 *  @return 0 and *out, or CT_EIO (no such file; errno tells), CT_EEMPTY,
 *  CT_ENOTTRACE (not a trace), CT_EVERSION (newer format), CT_ENOMEM.
 *  On error *out is NULL; ct_strerror() names the code. A file that starts
 *  like a trace opens even if it is damaged from its first bytes on: then the
 *  first ctr_next() returns CT_EDAMAGED and ctr_damage() says where. */
CT_API int ctr_open(ctr_reader **out, const char *path);

/*! ctr_next() : the next event.
 *  @return 1 with *ev filled, 0 at the clean end of the trace, CT_EDAMAGED when
 *  the trace is damaged or truncated at this point (every event before the
 *  damage was delivered; ctr_damage() tells where), CT_ENOMEM. After a non-1
 *  return, further calls return the same value. */
CT_API int ctr_next(ctr_reader *r, ctr_event *ev);

/*! ctr_next_batch() : the next events, up to `cap` of them, into evs[0..*n):
 *  the events ctr_next() calls would give, in the same order, at a fraction
 *  of the cost each. A batch may hold fewer than `cap` events with more to
 *  come; the pointers in its events (name, message) are valid until the next
 *  ctr_next() or ctr_next_batch() call.
 *  @return 1 with *n >= 1; else *n = 0 and what ctr_next() would return (0,
 *  CT_EDAMAGED, CT_ENOMEM), or CT_EINVAL for a `cap` of 0. */
CT_API int ctr_next_batch(ctr_reader *r, ctr_event *evs, size_t cap, size_t *n);

/*! ctr_set_kinds() : [ext] deliver only events of the kinds in `kinds`
 *  (CTR_KIND_BIT(kind) each; CTR_ALL_KINDS, the default, every kind). The
 *  others are still read, as before (regions paired, tasks followed,
 *  misuse found), but not made: a tool that looks at a few kinds does not
 *  pay for the rest. Those skipped count in ctr_events_read(), in the event
 *  count of a damage message and in ctr_info.duration_ns as if delivered.
 *  Takes effect for the events made from then on (call it before reading). */
#define CTR_KIND_BIT(kind) ((uint64_t)1 << (kind))
#define CTR_ALL_KINDS (~(uint64_t)0)
CT_API void ctr_set_kinds(ctr_reader *r, uint64_t kinds);

/*! ctr_span : [ext] a CTR_REGION event as ctr_next_spans() gives it, in 32
 *  bytes: what a latency table needs of a region, not the whole event. */
typedef struct ctr_span {
    const char *name;  /* the region's name: valid and unchanged until ctr_close() */
    uint32_t name_len;
    uint32_t flags;    /* the event's CTR_F_* (CTR_F_UNENDED: the trace closed it) */
    uint64_t begin_ns; /* the event's begin_ns */
    uint64_t end_ns;   /* the event's ts_ns */
} ctr_span;

/*! ctr_next_spans() : [ext] the next regions, up to `cap` of them, as spans
 *  into spans[0..*n): the CTR_REGION events ctr_next_batch() would give, in
 *  the same order, without making a ctr_event each. It sets
 *  ctr_set_kinds(r, CTR_KIND_BIT(CTR_REGION)): every other kind is read and
 *  counted as ctr_set_kinds() says, not made (an event of another kind left
 *  from an earlier ctr_next_batch() call is counted so too).
 *  @return as ctr_next_batch(): 1 with *n >= 1; else *n = 0 and 0,
 *  CT_EDAMAGED or CT_ENOMEM, or CT_EINVAL for a `cap` of 0. */
CT_API int ctr_next_spans(ctr_reader *r, ctr_span *spans, size_t cap, size_t *n);

/*! ctr_damage() : after CT_EDAMAGED, a message naming the byte offset in the
 *  file and what is wrong (e.g. "damaged at byte 81233: zstd: corrupted block;
 *  12034 events before it"). NULL when nothing is damaged. */
CT_API const char *ctr_damage(const ctr_reader *r);

/*! ctr_damage_offset() : byte offset of the damage in the file, or -1. */
CT_API int64_t ctr_damage_offset(const ctr_reader *r);

/*! ctr_events_read() : events delivered so far (and skipped: ctr_set_kinds()). */
CT_API uint64_t ctr_events_read(const ctr_reader *r);

/*! ctr_info() : facts from the trace header, valid after ctr_open(). */
typedef struct ctr_info {
    uint32_t version_major, version_minor;
    uint64_t start_realtime_ns; /* wall clock at trace start, ns since 1970 */
    uint64_t file_bytes;        /* size of the file */
    const char *writer;         /* e.g. "ctest-trace 0.1.0" */
    const char *clock;          /* "tsc" or "monotonic" of the last process */
    uint64_t duration_ns;       /* latest timestamp seen so far */
    uint64_t records;           /* records decoded so far */
    uint64_t wire_events;       /* events decoded so far as the tracer wrote
                                   them: a region's begin and end are two;
                                   string and stack definitions not counted */
    const char *traceparent;    /* the run's W3C TRACEPARENT as recorded (since
                                   1.7; read before the first event), not
                                   checked (common/traceparent.h); NULL: none */
    const char *tracestate;     /* its TRACESTATE ("" if none); NULL without
                                   a traceparent */
} ctr_info;
CT_API void ctr_get_info(const ctr_reader *r, ctr_info *info);

/*! ctr_close() : free the reader (NULL is ignored). */
CT_API void ctr_close(ctr_reader *r);

/*! ctr_text_dump() : print the trace at `path` in its text form (records and
 *  raw events, fields named as in format/FORMAT.md) to `out`.
 *  @return 0; 1 when damaged (printed up to the damage, `err` says where);
 *  a negative CT_E* when it cannot be opened (`err` says why). */
CT_API int ctr_text_dump(const char *path, FILE *out, char *err, size_t err_size);

/*! ctr_text_assemble() : write the binary trace `trace_path` from the text form
 *  in `text_path` (golden tests, hand-made damaged traces).
 *  @return 0; CT_EINVAL with `err` naming file:line:column and what is wrong;
 *  CT_EIO; CT_ENOMEM. */
CT_API int ctr_text_assemble(const char *text_path, const char *trace_path, char *err,
                             size_t err_size);

/* Names of the enums, as written in JSON ("pass", "test", "region"...). */
CT_API const char *ctr_status_name(ctr_status status);
CT_API const char *ctr_task_kind_name(ctr_task_kind kind);
CT_API const char *ctr_kind_name(ctr_kind kind);
/* "sync", "syscall", "net", "sched"; NULL for another value. */
CT_API const char *ctr_block_kind_name(ctr_block_kind kind);
/* "none", "perf", "schedstat"; NULL for another value. */
CT_API const char *ctr_sched_source_name(ctr_sched_source source);
/* [ext] "off", "on", "taken", "failed"; NULL for another value. */
CT_API const char *ctr_cpu_source_name(ctr_cpu_source source);

#ifdef __cplusplus
}
#endif
#endif /* CTRACE_READER_H */
