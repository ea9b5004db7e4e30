/*
 * window_state.h - what a flight recorder's window needs besides its batches
 * to be read alone (format/FORMAT.md, *Windows*).
 *
 * Events leave the window oldest first; each is folded in here as it goes:
 * per thread, its begin, names, stacks, scheduler source, open regions and
 * region serial; per process, its open tasks and modules; and how many
 * events were folded (cut). Memory grows with threads alive, distinct names
 * and stacks, and what is open, never with the events: a thread's state
 * goes when its end is folded.
 *
 * The pool is the traced process's memory: nothing read from it is trusted
 * (a malformed event ends the fold of its batch; tables have ceilings).
 */
#ifndef CT_RECORDER_WINDOW_STATE_H
#define CT_RECORDER_WINDOW_STATE_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#define CT_WS_MAX_DEPTH 4096     /* open regions kept per thread */
#define CT_WS_MAX_TASKS 65536    /* open tasks kept per process */
#define CT_WS_MAX_STRINGS (1u << 20) /* string ids kept per thread */
#define CT_WS_MAX_STACKS 65536   /* stacks kept per thread (since its last LOST) */
#define CT_WS_MAX_MODULES 4096

/* A chunk's clock pair, as BATCH carries it. */
typedef struct ct_wclock {
    uint64_t tsc, ns;
} ct_wclock;

/* Something begun and still open, said again ahead of the window at its
 * own time: a region (serial, task, name) or a task (task, parent, name,
 * kind, on thread `thread`). */
typedef struct ct_wopen {
    uint64_t tick;
    ct_wclock clock;
    uint64_t serial;
    uint64_t task, parent, name, kind;
    uint64_t root;   /* tasks: the test or fixture it was begun in, 0 if none */
    uint32_t thread;
} ct_wopen;

typedef struct ct_wbytes {
    uint8_t *bytes;  /* NULL: not defined */
    uint32_t len;
} ct_wbytes;

typedef struct ct_wstack {
    uint64_t id;
    ct_wbytes pcs;   /* as STACK carries them: packed varints */
} ct_wstack;

typedef struct ct_wmodule {
    uint64_t bias, lo, hi;
    ct_wbytes path, build_id;
} ct_wmodule;

typedef struct ct_wthread {
    uint32_t serial;         /* the thread's in the pool; 0: a free slot */
    int begun;
    uint64_t begin[5];       /* THREAD_BEGIN: tid ptid task fn rserial */
    uint64_t begin_tick;
    ct_wclock begin_clock;
    int named, has_sched, has_cpu;
    uint64_t name, sched;    /* THREAD_NAME's string id, SCHED_SOURCE's source */
    uint64_t cpu[2];         /* CPU_SOURCE's state and hz (since 1.8) */
    ct_wbytes *strings;      /* by id */
    uint32_t nstrings;
    ct_wstack *stacks;
    uint32_t nstacks, stacks_cap;
    ct_wopen *regions;       /* open, oldest first */
    uint32_t depth, regions_cap;
    uint64_t region_serial;
    uint64_t cut;            /* its events folded, but for those said again */
    uint64_t lost;           /* what its folded LOST events told */
    /* Where its folded events stop: the chunk, the next byte, the tick. */
    int have_chunk;
    uint64_t seq, next_offset, tick;
    ct_wclock clock;
} ct_wthread;

typedef struct ct_wstate {
    ct_wthread *threads;     /* open addressing on serial */
    uint32_t threads_cap, threads_used;
    ct_wopen *tasks;         /* open tasks, in the order they began */
    uint32_t ntasks, tasks_cap;
    ct_wmodule *modules;
    uint32_t nmodules, modules_cap;
    uint64_t cut_gone;       /* events folded of threads whose end was folded */
    uint64_t lost_told;      /* what every folded LOST told */
    int malformed;           /* a batch held an event that could not be read */
} ct_wstate;

/* A state with nothing folded: all zero. */
void ct_ws_free(ct_wstate *s);

/*! ct_ws_copy() : *dst = a copy of src (dst is overwritten, not freed).
 *  @return 0 or CT_ENOMEM (dst then empty). */
int ct_ws_copy(ct_wstate *dst, const ct_wstate *src);

/*! ct_ws_thread() : thread `serial`'s state; with `create`, made when new.
 *  @return it, or NULL (not there, or out of memory). Valid until the next
 *  call that may create or free a thread. */
ct_wthread *ct_ws_thread(ct_wstate *s, uint32_t serial, int create);

/*! ct_ws_fold() : fold in the events of a batch of thread `serial` (bytes
 *  from `offset` of its chunk `seq`, whose clock pair is `clock`), up to the
 *  first timed event at `stop_tick` or later (UINT64_MAX: all of them).
 *  @return the bytes of `events` folded (where that event starts, or len),
 *  or -1 out of memory. A malformed event ends the batch (s->malformed). */
long ct_ws_fold(ct_wstate *s, uint32_t serial, uint64_t seq, uint64_t offset, ct_wclock clock,
                const uint8_t *events, size_t len, uint64_t stop_tick);

/* Whether an event of kind `code` left out counts as cut: what the program
 * did, not what is said again ahead of a window (FORMAT.md, *Windows*). */
int ct_ws_counts_as_cut(uint8_t code);

/* Events folded in all that no thread's CUT can tell any more (threads
 * gone) plus those the threads' CUTs will. */
uint64_t ct_ws_cut_total(const ct_wstate *s);

#endif /* CT_RECORDER_WINDOW_STATE_H */
