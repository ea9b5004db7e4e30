/*
 * window.h - a flight recorder's window: the most recent events of one
 * traced process, in bounded memory, and traces written from it.
 *
 * The drainer hands each batch it takes from the pool to ct_window_add()
 * instead of the trace file. Batches are kept as they came, oldest first, in
 * a ring of `limit` bytes; to make room the oldest leave, folded into the
 * window's state (window_state.h) so that what stays can still be read
 * alone. As batches come, the tasks that fail and end in them are noted
 * (ct_window_take_failed()), so that their traces can be written before
 * the window moves on. ct_window_write() writes a trace of the window: the state as the
 * events each thread's first batch needs, then the batches
 * (format/FORMAT.md, *Windows*).
 */
#ifndef CT_RECORDER_WINDOW_H
#define CT_RECORDER_WINDOW_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "recorder/trace_writer.h"
#include "recorder/window_state.h"

/* What a batch costs in the window besides its events. */
#define CT_WINDOW_BATCH_OVERHEAD 40u

typedef struct ct_window ct_window;

/*! ct_window_new() : a window of `limit` bytes: events as drained plus
 *  CT_WINDOW_BATCH_OVERHEAD a batch (at least a pool chunk's worth and one
 *  batch's overhead). @return NULL when out of memory or `limit` is too small. */
ct_window *ct_window_new(size_t limit);
void ct_window_free(ct_window *w);

/*! ct_window_pass_begin() : the batches added next are a drain pass's
 *  (recorder/drain.c): a trace of the window writes each pass's batches
 *  newest thread first, as the pass would have written them to a trace. */
void ct_window_pass_begin(ct_window *w);

/*! ct_window_add() : keep a batch of thread `thread` (the bytes from
 *  `offset` of its chunk `seq`, whose clock pair is `clock`); the oldest
 *  batches leave to make room. @return 0, or CT_ENOMEM (the state could not
 *  take the events that left: what stays is then cut without them). */
int ct_window_add(ct_window *w, uint32_t thread, uint64_t seq, uint64_t offset, ct_wclock clock,
                  const uint8_t *events, size_t len);

/* Tests (and fixtures) that failed and ended in the batches added so far,
 * oldest first: their task ids into `tasks` (at most `cap`), and forgotten.
 * A failure is a status other than pass and skip; the end must follow it.
 * @return how many. */
#define CT_WINDOW_FAILED_MAX 64 /* kept at once; past it, handed to the callback
                                   below, or else the oldest forgotten */
size_t ct_window_take_failed(ct_window *w, uint64_t *tasks, size_t cap);

/* Called with each such task before a batch leaves the window while it
 * was not taken yet, or when more failed than are kept: its trace is to be
 * written now, while the window still holds it (a drain pass may bring more
 * than the window holds, or many quick failures). */
typedef void ct_window_failed_fn(void *ctx, uint64_t task);
void ct_window_on_failed(ct_window *w, ct_window_failed_fn *fn, void *ctx);

/* The process a window is of, as its trace says it (PROCESS_BEGIN,
 * PROCESS_END). */
typedef struct ct_window_proc {
    uint32_t proc;        /* its index in the trace written */
    uint32_t pid;
    const char *exe;
    uint32_t clock;       /* ct_clock_kind */
    uint64_t hz, tsc0, ns0;
    uint64_t how, code;   /* how it ended (ct_exit_how); CT_EXIT_WINDOW: it runs on */
    uint64_t end_ns;      /* CLOCK_MONOTONIC when it ended, or now */
    uint64_t dropped;     /* events it lost in all (its pool's count) */
    uint64_t stalls, stall_ns;
} ct_window_proc;

/* What a trace written from a window holds of its task. */
typedef struct ct_window_report {
    int found;            /* the task's begin was in the window or its state */
    int task_cut;         /* events of its process after it began were cut */
    uint64_t cut;         /* events of the process left out of the trace */
    uint64_t begin_ns;    /* CLOCK_MONOTONIC when the task began (found) */
    uint64_t end_ns;      /* when it ended, or the process did, or now */
    uint64_t kept_from_ns; /* from when the trace holds every event of its threads
                              (those with events of it), within its span: > begin_ns
                              if they were cut */
} ct_window_report;

/*! ct_window_write() : write a trace of process `p` from the window on `tw`
 *  (its PROCESS_BEGIN, batches, PROCESS_END; not TRACE_BEGIN or TRACE_END):
 *  with `task` (an id as the process numbers its tasks), the process's
 *  events from the task's begin to its end, what came before cut (none at
 *  all if its begin is neither in the window nor open in its state); with
 *  0, the whole window. `out` (may be NULL) says what it holds.
 *  @return 0, CT_EIO (a write failed), CT_ENOMEM. */
int ct_window_write(ct_window *w, ct_trace_writer *tw, const ct_window_proc *p, uint64_t task,
                    ct_window_report *out);

/* ---- for window_write.c ----------------------------------------------------------- */

/* A batch in the window. */
typedef struct ct_wbatch {
    uint32_t thread;
    uint32_t len;
    uint64_t seq, offset;
    ct_wclock clock;
    const uint8_t *events;
    int pass_begins; /* the first batch its drain pass added */
} ct_wbatch;

/* The state folded from what left the window. */
const ct_wstate *ct_window_state(const ct_window *w);

/* Where a walk through the batches is. */
typedef struct ct_wcursor {
    size_t pos, left;
} ct_wcursor;

/* The batches, oldest first: ct_window_first(), then ct_window_next() until
 * it returns 0. */
void ct_window_first(const ct_window *w, ct_wcursor *c);
int ct_window_next(const ct_window *w, ct_wcursor *c, ct_wbatch *b);

#endif /* CT_RECORDER_WINDOW_H */
