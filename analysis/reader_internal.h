/*
 * reader_internal.h - the reader split by concern:
 *   reader.c         the file: prefix, records, damage
 *   reader_inflate.c the zstd stream, on a thread of its own for a large trace
 *   reader_decode.c  records and each kind of event of BATCH records
 *   reader_fast.c    the hot loop: the most frequent kinds decoded in place,
 *                    those not wanted (ctr_set_kinds()) skimmed
 *   reader_tables.c  processes, threads, open tasks, string tables
 *   reader_pairing.c output queue, region pairing, warnings, closing what
 *                    was left open
 */
#ifndef CT_ANALYSIS_READER_INTERNAL_H
#define CT_ANALYSIS_READER_INTERNAL_H

#include <stdio.h> /* FILE */
#include <string.h> /* memset */
#include <zstd.h>

#include <ctrace_reader.h>

#include "format/schema.h"
#include "format/wire.h"

typedef struct rstring {
    char *bytes;
    uint32_t len;
} rstring;

#define RECENT_REGIONS 32 /* per thread, power of two */
#define LOST_RANGES 8     /* per thread */
#define RECENT_TASKS 16   /* per reader */
#define MESSAGE_NAME 160  /* bytes of a name quoted in a warning */

typedef struct ropen { /* a region begun and not ended yet */
    uint64_t serial;
    uint64_t parent_serial; /* the region of its task open around it at its begin, or 0 */
    uint64_t task;
    uint64_t begin_ns;
    /* When its test (or its thread) ended, if that end was read before
     * some thread's events of that time, which could end it (any thread
     * may end a region): closed then unless they show it ending. */
    uint64_t deadline;
    const char *name; /* a thread string's bytes: never freed before close */
    uint32_t name_len;
    uint16_t maybe_lost; /* open when its thread lost events: its end may be among them */
    uint16_t deadline_flags; /* DEADLINE_*: what the deadline is */
} ropen;
#define DEADLINE_THREAD_END 1u  /* its thread's end, not its test's */
#define DEADLINE_OWNER_LAGGED 2u /* its own thread was not read that far then */

typedef struct rended_region { /* what a second end of it says */
    uint64_t serial, begin_ns;
    const char *name;
    uint64_t name_len;
} rended_region;

typedef struct rthread {
    uint32_t proc, serial;
    int32_t tid;
    int used;
    uint64_t last_ticks, tsc_base, ns_base;
    uint64_t seq;
    uint64_t next_offset;
    int have_chunk;
    rstring *strings; /* indexed by string id: writers' ids are dense */
    uint32_t nstrings, ndefined;
    struct rsparse *sparse; /* ids far beyond those defined: hashed, not indexed */
    uint32_t sparse_cap, sparse_used;
    struct rstack *stacks; /* STACK definitions: open addressing on id */
    uint32_t stacks_cap, stacks_used;
    ropen *stack;
    uint32_t depth, cap;
    uint64_t region_serial;
    /* Regions begun in lost events: serials in (lo, hi] of a range, the
     * latest LOST_RANGES (older ones merged into the oldest kept). An end
     * of one of those that is not open is no misuse. */
    struct { uint64_t lo, hi; } lost_ranges[LOST_RANGES];
    uint32_t nlost_ranges;
    int warned_unknown_string;
    uint64_t sched_said; /* 1 + the last SCHED_SOURCE it said; 0: none yet */
    uint32_t foreign_ends_due; /* ends queued for regions of this thread */
    uint32_t deferred;         /* open regions with a deadline (its process counts them too) */
    uint64_t deadline_min;     /* the earliest of those deadlines */
    uint64_t last_ts;          /* how far its events have been read */
    /* The last regions ended, by serial: a second end can name its region. */
    rended_region ended[RECENT_REGIONS];
    uint64_t cpu_period_ns;    /* its CPU_SOURCE's sampling period, 0: none said */
    int end_made;              /* its THREAD_END was made */
    /* ctr__keep_skim_times(): its skimmed events' times, as tid skim_tid
     * (0: none yet) saw them. */
    int32_t skim_tid;
    uint64_t skim_first, skim_last;
} rthread;

typedef struct rproc {
    int used, ended;
    int32_t pid;
    uint32_t clock;
    uint64_t hz;
    /* ns per tick = ns_int + ns_frac / 2^64, so converting a tick count
     * takes multiplications, not a 128-bit division per event. */
    uint64_t ns_int, ns_frac;
    uint64_t last_ns; /* latest event time of this process, ns from trace start */
    uint32_t deferred; /* its threads' open regions with a deadline */
    /* The thread read the least far when they were last looked at (its
     * serial; 0: look again): until it is read further, nothing changes. */
    uint32_t lagger;
    uint64_t lost;    /* events its threads' LOST events told so far */
    int lost_any;     /* it lost something (a LOST of 0 events lost definitions) */
    int untold;       /* at its end: it lost more than its threads told */
    uint64_t last_lost_ns; /* the latest LOST of its threads: losses end by then */
    uint64_t cut;     /* events its threads' CUT events told so far (since 1.5) */
    int cut_any;      /* a CUT of it was read */
    uint64_t last_cut_ns; /* the latest CUT: what the window cut happened by then */
    int window_end;   /* at its end: a flight recorder's window ended there (the
                         process went on): what is open was cut off (since 1.5) */
    /* A process a test started (since 1.8): 1 + the process that started
     * it (0: none), the task it was started under (that process's id), and
     * the ids up to which its task ids are that process's (inherited). */
    uint32_t parent;
    uint64_t ptask, inherit;
} rproc;

typedef struct rtask { /* a task begun and not ended yet */
    uint64_t id;       /* trace-unique */
    uint64_t root;     /* the test or fixture task it was begun in, 0 if none */
    uint64_t parent_unread; /* its parent, when read before the parent's begin */
    uint64_t deadline; /* as ropen's: its test ended while other threads lagged */
    uint64_t begin_ns;
    uint32_t proc;
    ctr_task_kind kind;
    const char *name; /* a thread string's bytes, as ropen's */
    uint32_t name_len;
    uint32_t members;  /* open tasks whose root it is (itself aside): its end
                          passes over the table for them only if some are */
    int end_held;      /* its end was read before its begin (an orphan end) */
} rtask;

/* A region ended on another thread before the reader met its begin (the
 * ender's events were drained first): applied when the begin comes. */
typedef struct rforeign_end {
    uint32_t proc, thread;  /* the thread the region was begun on */
    uint64_t serial, ts;
    uint32_t ender;         /* serial of the thread that ended it */
} rforeign_end;
#define MAX_FOREIGN_ENDS 65536 /* waiting at once; more is damage, not a trace */

typedef struct rended_task { /* a task that ended: a second end names it */
    uint64_t id;
    uint64_t root; /* see rtask */
    char name[64];
    uint32_t name_len;
} rended_task;

/* An end of a task that is not open, held until its process ends: if the
 * process lost events, the begin was among them (no misuse). */
typedef struct rorphan_end {
    uint32_t proc;
    int32_t tid;
    uint32_t thread; /* the serial of the thread that ended it */
    /* Once its begin was read: the serial of the thread that began it
     * (0: not yet). The end is made when that thread is read past it, so
     * that its events of the task before the end come first. */
    uint32_t begun_on;
    uint64_t id, local_id, ts;
} rorphan_end;
#define MAX_ORPHAN_ENDS 1024 /* held at once; more are told at once */

typedef struct rpending {
    ctr_event ev;
    char *owned; /* freed once the event was delivered */
} rpending;

struct ctr_reader {
    FILE *f;
    uint64_t file_bytes;
    struct ctr_inflater *inflate; /* the zstd frames (reader_inflate.c) */
    uint64_t in_offset;      /* compressed bytes read so far: where damage is */
    uint8_t *dec;            /* decompressed, not yet parsed */
    size_t dec_start, dec_end, dec_cap;
    uint64_t record_file_offset; /* compressed offset when the record was decoded */

    /* trace header */
    uint32_t major, minor;
    char *writer;
    char *traceparent, *tracestate; /* TRACE_CONTEXT (1.7), or NULL */
    uint64_t start_mono_ns, start_realtime_ns;
    int seen_begin, seen_end;
    ct_event_spec file_specs[CT_EV__LIMIT]; /* from the SCHEMA record */
    char *file_spec_text;

    /* the BATCH being walked */
    const uint8_t *ev_pos, *ev_end;
    rthread *ev_thread;
    uint64_t batch_offset;

    rproc *procs;
    uint32_t nprocs;
    rthread *threads; /* open addressing on (proc, serial) */
    uint32_t threads_cap, threads_used;
    rtask *tasks;     /* open addressing on id; id 0 = empty, ~0 = deleted */
    uint32_t tasks_cap, tasks_used, tasks_tomb;
    rtask *tasks_spare; /* a small table's last rebuild left it: the next one's */
    uint32_t tasks_unrooted; /* how many have parent_unread set */
    rended_task ended_tasks[RECENT_TASKS];
    uint32_t ended_tasks_next;
    rforeign_end *foreign_ends; /* grows to MAX_FOREIGN_ENDS */
    uint32_t nforeign_ends, foreign_ends_cap;
    rorphan_end *orphan_ends;   /* grows to MAX_ORPHAN_ENDS */
    uint32_t norphan_ends, orphan_ends_cap;

    /* Output: events go straight into the caller's array [out, out_end)
     * while it has room; any more wait in the ring `pending` (power-of-two
     * capacity). `out_begin` is where the call's array starts: once an
     * event is in it, the reader stops before it would refill `dec`, whose
     * bytes the events' messages point into. */
    ctr_event *out, *out_end, *out_begin;
    /* ctr_next_spans(): regions go to the caller's spans [spans, spans_end)
     * instead (out is then empty: anything else waits in `pending`); NULL
     * otherwise. */
    ctr_span *spans, *spans_end, *spans_begin;
    rpending *pending;
    uint32_t pend_head, pend_count, pend_cap;
    /* Text the events delivered by the last call own (one each at most):
     * freed at the next call. Room for a call's whole array. */
    char **owned;
    uint32_t nowned, owned_cap;
    /* ctr_set_kinds(): events of other kinds are made in `skipped`, one
     * over the other, and counted as delivered; the time of the last one
     * is taken into last_ns when the next comes (and at the call's end). */
    uint64_t kinds;
    ctr_event skipped;
    char *skipped_owned; /* its text */
    /* ctr__keep_skim_times(): the threads keep their skimmed events' times;
     * `skipped` is in them once skipped_kept is set; skim_odd: some of
     * those times cannot stand in for the events (ctr__skim_times()). */
    int skim_times, skipped_kept, skim_odd;

    int final_rc;        /* 0 clean end, CT_EDAMAGED, CT_ENOMEM: once set, sticks */
    char damage[512];
    char damage_what[400]; /* what is wrong, without where: damage says both */
    int64_t damage_offset;
    uint64_t events, records;
    uint64_t wire_events; /* timed events decoded */
    uint64_t last_ns;
    const char *clock_name;
};

#define MAX_DEPTH 4096       /* open regions per thread the reader keeps track of */
/* Regions of a thread kept open past their test's (or thread's) end for a
 * lagging thread, at most: past it they close then, as if none lagged (a
 * thread idle for long would keep them to its process's end). */
#define MAX_DEFERRED 1024
#define MAX_PROCS 65536      /* processes in a trace; a larger index is damage */
#define TASK_TOMB UINT64_MAX /* a removed task's id in the open-addressing table */
#define PROC_SHIFT 40         /* task ids are unique per process: make them per trace */

/* reader_inflate.c: the zstd stream */
typedef struct ctr_inflater ctr_inflater;
/* Decompress `f` (at `offset`) for r; a thread does it ahead for a trace of
 * `file_bytes` large enough. @return 0 or CT_ENOMEM. */
int ctr__inflate_open(ctr_reader *r, FILE *f, uint64_t offset, uint64_t file_bytes);
/* More decompressed bytes at r->dec + r->dec_end (r->dec may grow).
 * @return 1 progress, 0 the clean end, -1 damage (set) or out of memory. */
int ctr__inflate_fill(ctr_reader *r);
void ctr__inflate_close(ctr_reader *r);

/* reader.c: the file */
/* The next raw record. @return 1 and (*kind, *p, *len), 0 at EOF, -1 damage;
 * 2 when it is not all in `dec` and `may_fill` is 0 (nothing read then). */
int ctr__next_record(ctr_reader *r, uint8_t *kind, const uint8_t **p, size_t *len,
                     int may_fill);
void ctr__set_damage(ctr_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* reader_decode.c: records and events */
/* Handle one record (not TRACE_BEGIN/SCHEMA). @return 0, or -1 on damage. */
int ctr__record(ctr_reader *r, uint8_t kind, const uint8_t *p, size_t len);
/* Decode any one event at r->ev_pos (the batch has one more) and advance
 * r->ev_pos past it. @return 0, or -1 on damage. */
int ctr__decode_event(ctr_reader *r);
/* Task k, just inserted as `id`, was begun at ts on thread t, with parent
 * `parent` (as t's process names it), name and kind as TASK_BEGIN says. */
void ctr__task_begun(ctr_reader *r, const rthread *t, rtask *k, uint64_t id, uint64_t parent,
                     const rstring *name, uint64_t kind, uint64_t ts);

/* reader_fast.c: the hot loop */
/* Decode events of the current batch until the caller's array is full or
 * the batch ends. @return 1 if the batch has more, 0 when it is done, -1 on
 * damage. */
int ctr__batch_step(ctr_reader *r);

/* reader_tables.c: processes, threads, open tasks, strings */
rproc *ctr__proc_get(ctr_reader *r, uint64_t proc);
rthread *ctr__thread_find(ctr_reader *r, uint32_t proc, uint32_t serial);
rthread *ctr__thread_get(ctr_reader *r, uint32_t proc, uint32_t serial);
/* The slot of task `id`; NULL if absent (for_insert: a free slot instead). */
rtask *ctr__task_slot(ctr_reader *r, uint64_t id, int for_insert);
rtask *ctr__task_insert(ctr_reader *r, uint64_t id);
void ctr__task_remove(ctr_reader *r, rtask *t);
/* User task k has parent `parent` (trace id): inherit its root, now or,
 * if the parent's begin was not read yet, when it is. */
void ctr__task_root(ctr_reader *r, rtask *k, uint64_t parent);
/* Task k was just begun: root the tasks that were waiting for it. */
void ctr__task_root_waiting(ctr_reader *r);
/* String `id` of thread t, or "?" (with one warning per thread). */
const rstring *ctr__string_of(ctr_reader *r, rthread *t, uint64_t id, uint64_t ts);
int ctr__define_string(rthread *t, uint64_t id, const uint8_t *bytes, uint64_t len);
void ctr__free_state(ctr_reader *r);
/* ctr__keep_skim_times(): take the event in `skipped` into its thread's
 * skimmed times, once. Called before another is made over it and before an
 * end (thread, process) is made, so that its place among them is known. */
void ctr__skim_keep(ctr_reader *r);
/* STACK: define stack `id` of thread t from its packed varints. @return 0,
 * -1 if malformed or out of memory. */
int ctr__define_stack(rthread *t, uint64_t id, const uint8_t *bytes, uint64_t len);
/* Stack `id` of thread t: its addresses and *n, or NULL (*n = 0) if never
 * defined (0 means none). */
const uint64_t *ctr__stack_of(const rthread *t, uint64_t id, uint32_t *n);
/* CPU_SAMPLE of thread t at ts: a CTR_CPU_SAMPLE of `task` labelled with
 * its test and its innermost region open on t as the stream stands. */
void ctr__cpu_sample(ctr_reader *r, rthread *t, uint64_t ts, uint64_t task, uint64_t stack,
                     uint64_t count);

/* reader_pairing.c: output, regions, what is left open */
ctr_event *ctr__emit_queued(ctr_reader *r, char *owned);
/* An event of a kind not wanted (ctr_set_kinds()) owns `owned` (or none):
 * the one skipped before it no longer needs its text. */
void ctr__skipped_owns(ctr_reader *r, char *owned);
/* A CTR_WARNING on thread t (NULL: none). @return it, to fill in more. */
ctr_event *ctr__warn(ctr_reader *r, uint64_t ts, const rthread *t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
ropen *ctr__stack_push(rthread *t);
/* Close every open region of t as unended at end_ns (or its deadline). */
void ctr__close_regions(ctr_reader *r, rthread *t, uint64_t end_ns, const char *why);
/* Every thread of t's process was read up to `now`: close t's regions
 * whose deadline passed. */
void ctr__expire_regions(ctr_reader *r, rthread *t, uint64_t now);
/* Close the deadline regions of the process of `read` (whose batch was
 * just read) that every one of its threads has been read past
 * (ctr__expire_regions). After each batch. */
void ctr__settle_deferred(ctr_reader *r, const rthread *read);
/* Thread t ended at ts: close what it left open, or give it a deadline
 * while another thread of its process, which may still end it, lags. */
void ctr__thread_end_regions(ctr_reader *r, rthread *t, uint64_t ts);
/* `s` as a message shows it: quoted, with \" \\ and \xHH escapes, cut at
 * MESSAGE_NAME bytes. @return buf. */
const char *ctr__quote(char *buf, size_t cap, const char *s, size_t len);
/* Task k (open) ends at ts on thread t; a test or fixture takes with it the
 * regions and tasks begun in it. Emits CTR_TASK_END; removes k. */
void ctr__task_end(ctr_reader *r, rtask *k, uint64_t ts, const rthread *t);
/* Task k ended: a second end can name it; it leaves the table. */
void ctr__task_forget(ctr_reader *r, rtask *k);
/* A task id ended that is not open: a warning naming it if it ended before. */
void ctr__task_end_unknown(ctr_reader *r, uint64_t id, uint64_t local_id, uint64_t ts,
                           const rthread *t);
/* Task k just began on thread t: if its end was read before (another
 * thread's batch came first), that end is held for it, made once t is
 * read past it (ctr__task_ends_due), or t's test or process ends first. */
void ctr__task_end_early(ctr_reader *r, rtask *k, const rthread *t);
/* The held ends of tasks begun on `read`, whose batch was just read, that it
 * was read past. After each batch. */
void ctr__task_ends_due(ctr_reader *r, const rthread *read);
/* End region `serial` of thread t (the one it began on). */
void ctr__end_region(ctr_reader *r, rthread *t, uint64_t serial, uint64_t end_ns,
                     uint32_t flags, const rthread *ender);
/* Thread `ender` ends region `serial` of thread `thread` (proc's) at ts,
 * now or, if its begin has not been read yet, when it is. */
void ctr__foreign_end(ctr_reader *r, rthread *ender, uint32_t thread, uint64_t serial,
                      uint64_t ts);
/* Thread t is new to the reader: count the ends waiting for its regions. */
void ctr__foreign_ends_count(ctr_reader *r, rthread *t);
/* Region o of thread t was just begun: apply the ends read before it. */
void ctr__foreign_end_due(ctr_reader *r, rthread *t, const ropen *o);
/* Process proc ended (how, code as PROCESS_END's); `dropped`: the events it
 * lost as its writer counted them; stalls and stall_ns: its waits for room;
 * `cut`: the events a flight recorder left out of the trace (1.5). */
void ctr__process_end(ctr_reader *r, uint32_t proc, uint64_t how, uint64_t code,
                      uint64_t dropped, uint64_t stalls, uint64_t stall_ns, uint64_t cut);
/* Thread t lost `count` events (LOST at ts), or with `cut` a flight
 * recorder's window left them out (CUT); its region serial now `rserial`. */
void ctr__thread_missing(ctr_reader *r, rthread *t, uint64_t count, uint64_t rserial,
                         uint64_t ts, int cut);
/* Close what is still open (regions, tasks) as unended, at the end. */
void ctr__close_everything(ctr_reader *r);

/* ---- inline helpers of the hot path ---------------------------------------- */

static inline uint64_t trace_task_id(uint32_t proc, uint64_t local)
{
    return local ? ((uint64_t)proc << PROC_SHIFT) | local : 0;
}

/* Task `local` as process proc names it, unique in the trace: a process a
 * test started names its parent's tasks (those it inherited: ids up to
 * `inherit`) by the parent's ids. */
static inline uint64_t task_of(const ctr_reader *r, uint32_t proc, uint64_t local)
{
    while (local && r->procs[proc].parent && local <= r->procs[proc].inherit)
        proc = r->procs[proc].parent - 1; /* always an earlier process: ends */
    return trace_task_id(proc, local);
}

static inline uint64_t rel_ns(const ctr_reader *r, uint64_t abs_ns)
{
    return abs_ns > r->start_mono_ns ? abs_ns - r->start_mono_ns : 0;
}

/* Zero *ev in 16-byte stores, written out: gcc makes memset(), a zeroed
 * compound literal or a loop of stores `rep stos`, whose start-up cost was
 * a fifth of the reader's time, and a copy of a zeroed event takes twice
 * the instructions. */
static inline void zero_event(ctr_event *ev)
{
    typedef uint64_t zero16 __attribute__((vector_size(16), may_alias, aligned(8)));
    _Static_assert(sizeof(ctr_event) == 12 * 16 + 8, "zero_event() covers ctr_event");
    zero16 *w = (zero16 *)ev, z = {0, 0};
    w[0] = z, w[1] = z, w[2] = z, w[3] = z, w[4] = z, w[5] = z;
    w[6] = z, w[7] = z, w[8] = z, w[9] = z, w[10] = z, w[11] = z;
    ((uint64_t __attribute__((may_alias)) *)ev)[12 * 2] = 0;
}

/* Whether the caller's array (of events, or of spans) has room for another. */
static inline int out_room(const ctr_reader *r)
{
    return r->out < r->out_end || r->spans < r->spans_end;
}

/* Where the next event of `kind` is made: the caller's array, the queue,
 * or, not wanted (ctr_set_kinds()), r->skipped. Not zeroed. */
static inline ctr_event *emit_slot(ctr_reader *r, ctr_kind kind, char *owned)
{
    if (__builtin_expect(!((unsigned)kind < 64 && r->kinds >> kind & 1), 0)) {
        /* Made over the one skipped before, whose time is taken now. */
        if (r->skim_times) {
            ctr__skim_keep(r);
            r->skipped_kept = 0; /* the one made now */
        }
        if (r->skipped.ts_ns > r->last_ns)
            r->last_ns = r->skipped.ts_ns;
        if (owned || r->skipped_owned)
            ctr__skipped_owns(r, owned);
        r->events++;
        return &r->skipped;
    }
    if (__builtin_expect(r->out < r->out_end, 1)) {
        if (owned)
            r->owned[r->nowned++] = owned;
        return r->out++;
    }
    return ctr__emit_queued(r, owned);
}

/* The next event, zeroed but its kind. */
static inline ctr_event *emit(ctr_reader *r, ctr_kind kind, char *owned)
{
    ctr_event *ev = emit_slot(r, kind, owned);
    zero_event(ev);
    ev->kind = kind;
    return ev;
}

static inline void fill_thread(ctr_reader *r, ctr_event *ev, const rthread *t)
{
    ev->process = t->proc;
    ev->pid = r->procs[t->proc].pid;
    ev->tid = t->tid;
    ev->thread = t->serial;
}

/* The parent of a region of `task` pushed on a stack of `depth` open regions
 * below it: the innermost region of the same task open under it (a region
 * of another task around it, a thread pool's loop, is not; then its task is
 * its parent), 0 if none. Most often the one right under it: one compare. */
static inline uint64_t region_parent_in(const ropen *stack, uint32_t depth, uint64_t task)
{
    for (uint32_t i = depth; i-- > 0;)
        if (stack[i].task == task)
            return stack[i].serial;
    return 0;
}

/* The parent of the region just pushed on t's stack (its task set). */
static inline uint64_t region_parent(const rthread *t)
{
    return region_parent_in(t->stack, t->depth - 1, t->stack[t->depth - 1].task);
}

/* The fields of an event that say whose it is: process, pid, tid,
 * parent_tid (0), adjacent in ctr_event. */
typedef struct event_who {
    uint32_t process;
    int32_t pid, tid, parent_tid;
} event_who;

static inline event_who who_of(const ctr_reader *r, const rthread *t)
{
    return (event_who){t->proc, r->procs[t->proc].pid, t->tid, 0};
}

/* *ev = region o of thread `thread` (who), ended at end_ns, every other
 * field 0. */
static inline void make_region(ctr_event *ev, const ropen *o, event_who who, uint32_t thread,
                               uint64_t end_ns, uint32_t flags)
{
    _Static_assert(offsetof(ctr_event, parent_tid) - offsetof(ctr_event, process) == 12,
                   "process, pid, tid, parent_tid are adjacent");
    zero_event(ev);
    ev->kind = CTR_REGION;
    ev->flags = flags;
    memcpy(&ev->process, &who, sizeof who);
    ev->thread = thread;
    ev->ts_ns = end_ns;
    ev->begin_ns = o->begin_ns;
    ev->task = o->task;
    ev->name = o->name;
    ev->name_len = o->name_len;
    ev->serial = o->serial;
    ev->parent_serial = o->parent_serial;
}

/* The flags of task k's CTR_TASK_END besides `flags`: events of its process
 * after it began were cut, it is here in part (a CUT's time is that of the
 * last event it tells). */
static inline uint32_t task_end_flags(const ctr_reader *r, const rtask *k, uint32_t flags)
{
    const rproc *p = &r->procs[k->proc];
    return p->cut_any && p->last_cut_ns > k->begin_ns ? flags | CTR_F_CUT : flags;
}

/* *ev = the CTR_TASK_END of task k (of thread `thread`, who) at ts. */
static inline void make_task_end(ctr_event *ev, const rtask *k, event_who who, uint32_t thread,
                                 uint64_t ts, uint32_t flags)
{
    zero_event(ev);
    ev->kind = CTR_TASK_END;
    memcpy(&ev->process, &who, sizeof who);
    ev->thread = thread;
    ev->ts_ns = ts < k->begin_ns ? k->begin_ns : ts;
    ev->begin_ns = k->begin_ns;
    ev->task = k->id;
    ev->task_kind = k->kind;
    ev->name = k->name ? k->name : "";
    ev->name_len = k->name_len;
    ev->flags = flags;
}

/* Thread t skimmed events from `first` to `last` (ns: their begin_ns for
 * regions and waits, else ts_ns; their latest ts_ns) while its tid was
 * `tid` (0: not a thread's own events yet, as a view takes them). */
static inline void skim_times_of(ctr_reader *r, rthread *t, int32_t tid, uint64_t first,
                                 uint64_t last)
{
    if (tid == 0)
        return;
    /* After its end was made, or under a second tid, a view would not take
     * them as these times say. */
    if (t->end_made || r->procs[t->proc].ended || (t->skim_tid && t->skim_tid != tid))
        r->skim_odd = 1;
    if (!t->skim_tid) {
        t->skim_tid = tid;
        t->skim_first = first;
        t->skim_last = last;
        return;
    }
    t->skim_first = first < t->skim_first ? first : t->skim_first;
    t->skim_last = last > t->skim_last ? last : t->skim_last;
}

/* Region o of thread t ended: a second end of it can name it. */
static inline void remember_ended(rthread *t, const ropen *o)
{
    t->ended[o->serial & (RECENT_REGIONS - 1)] =
        (rended_region){o->serial, o->begin_ns, o->name, o->name_len};
}

/* Region o ended at end_ns as a span (ctr_next_spans()). */
static inline ctr_span span_of(const ropen *o, uint64_t end_ns, uint32_t flags)
{
    return (ctr_span){.name = o->name, .name_len = o->name_len, .flags = flags,
                      .begin_ns = o->begin_ns, .end_ns = end_ns};
}

/* Emit region o of thread t, ended at end_ns (a span when the caller takes
 * spans and has room for one), and remember it as ended. */
static inline void emit_region(ctr_reader *r, rthread *t, const ropen *o, uint64_t end_ns,
                               uint32_t flags)
{
    if (r->spans < r->spans_end)
        *r->spans++ = span_of(o, end_ns, flags);
    else
        make_region(emit_slot(r, CTR_REGION, NULL), o, who_of(r, t), t->serial, end_ns, flags);
    remember_ended(t, o);
}

/* Read one varint field; most are a single byte. @return 0 if malformed. */
static inline __attribute__((always_inline)) int rd(const uint8_t **pp, const uint8_t *e,
                                                    uint64_t *v)
{
    const uint8_t *p = *pp;
    if (__builtin_expect(p < e && *p < 0x80, 1)) {
        *v = *p;
        *pp = p + 1;
        return 1;
    }
    unsigned k = e - p >= CT_UVARINT_MAX ? ct_get_uvarint_unbounded(p, v)
                                          : ct_get_uvarint(p, e, v);
    *pp = p + k;
    return k != 0;
}

/* Read a length-prefixed byte string. @return 0 if malformed. */
static inline int rd_str(const uint8_t **pp, const uint8_t *e, const uint8_t **s, uint64_t *len)
{
    if (!rd(pp, e, len) || *len > (uint64_t)(e - *pp))
        return 0;
    *s = *pp;
    *pp += *len;
    return 1;
}

#endif /* CT_ANALYSIS_READER_INTERNAL_H */
