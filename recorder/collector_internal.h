/*
 * collector_internal.h - the collector of ctrace_collect.h, split in two:
 *   collector.c         pools for children, draining them into the trace
 *   collector_flight.c  the flight recorder: a window per child instead of
 *                       the whole trace, and traces written from it
 *   collector_kids.c    the processes a child's tests start, traced into its
 *                       pool: their PROCESS_BEGIN and PROCESS_END
 */
#ifndef CT_RECORDER_COLLECTOR_INTERNAL_H
#define CT_RECORDER_COLLECTOR_INTERNAL_H

#include <ctrace_collect.h>

#include "format/pool.h"
#include "recorder/drain.h"
#include "recorder/outfile.h"
#include "recorder/trace_writer.h"
#include "recorder/tsc_cache.h"
#include "recorder/window.h"

#define CT_FLIGHT_POOL_MIN (4u << 20) /* a flight recorder's smallest pool */
/* The trace of a test that failed, written from its window as it ended, in
 * memory until ct_collector_window_write() asks for it. */
typedef struct ct_prepared {
    int pid;       /* the child's, as the runner started it */
    int tests_pid; /* the process that ran its tests (a wrapper's program) */
    uint64_t task;
    uint8_t *trace; /* NULL: not kept, the budget was spent */
    size_t len;
    ct_window_info info;
} ct_prepared;

struct ct_collector {
    ct_trace_writer *w; /* NULL: a flight recorder writing no trace */
    ct_outfile file;   /* written beside, renamed when closed */
    int failed_errno;  /* errno of the first write that failed */
    size_t pool_bytes;
    uint32_t clock_kind;
    uint64_t tsc_hz;
    int tsc_hz_cached;          /* tsc_hz came from the cache: checked at close */
    ct_tsc_mark start_mark;     /* the clocks read at open, for that check */
    uint32_t next_proc;
    uint32_t overflow; /* CT_POOL_OVERFLOW_* */
    int failed;
    uint64_t start_mono_ns; /* time 0 of the traces it writes */
    uint8_t *context;       /* TRACE_CONTEXT's payload, or NULL (set_context) */
    size_t context_len;
    /* A flight recorder: */
    size_t window_bytes;   /* each child's window; 0: the whole trace is written */
    ct_child_pool *live;   /* children running, newest first */
    ct_child_pool *last;   /* the child that ended last, its window kept */
    ct_prepared *prepared; /* oldest first */
    size_t nprepared, prepared_cap;
    size_t prepared_bytes; /* what they take: traces and notes */
    int scratch_fd;        /* a memfd they are written in first, or -1 */
};

_Static_assert(CT_OVERFLOW_WAIT == CT_POOL_OVERFLOW_WAIT &&
                   CT_OVERFLOW_DROP == CT_POOL_OVERFLOW_DROP,
               "the public overflow modes are the pool's");

/* A process of the pool's table (a process the child's tests started), as
 * the collector follows it. */
typedef struct ct_kid {
    int seen;           /* its slot was seen running (since seen_ns) */
    int begun;          /* its PROCESS_BEGIN was written */
    int exited;         /* it is dead (or a zombie) */
    uint32_t pid;       /* our copy */
    int pidfd;          /* readable once it exited; -1: none */
    uint64_t seen_ns, exited_ns; /* CLOCK_MONOTONIC when those were seen */
    char *exe;          /* what it ran when last looked at (malloc), or NULL */
} ct_kid;

struct ct_child_pool {
    int fd;
    void *mem;
    size_t bytes;
    ct_drainer drainer;
    int started;
    uint64_t timeout_ns; /* killed for running past this, or 0 */
    uint32_t freed_seen; /* the pool's `freed` at the last ct_collector_child_waiting() */
    ct_kid kids[CT_POOL_PROCS]; /* [0] unused: the child itself */
    int exited;                 /* the child itself is gone */
    uint64_t exited_ns;         /* when (ct_collector_child_reaped()), or 0 */
    ct_window_proc proc; /* what its trace says of it (exe: owned): the process
                            that runs its tests, once known (collector_owner.c) */
    int child_pid;       /* the process started (a runner knows it by this pid) */
    char *child_real;    /* its executable's real path, or NULL */
    int owner_known;     /* slot 0 named the process that runs its tests */
    int begun;           /* its PROCESS_BEGIN is written (not a window's) */
    /* A flight recorder's: */
    ct_window *window;
    ct_collector *collector; /* whose window it is */
    ct_child_pool *next; /* in the collector's list of live children */
};

/* Write c's TRACE_CONTEXT, if it has one, into w (after its head).
 * @return 0 or CT_EIO. */
int ct__collector_write_context(const ct_collector *c, ct_trace_writer *w);

/* A write failed: remember why for ct_collector_close(). */
void ct__collector_failed(ct_collector *c);

/* collector_kids.c: the processes p's tests start. */
void ct__kids_init(ct_child_pool *p);
/* A drain of p: PROCESS_BEGIN of the processes begun since the last, the
 * pass, and PROCESS_END of those that ended (the child itself ended:
 * `final`, every one, those still running said so). @return 0 or CT_EIO. */
int ct__kids_drain(ct_collector *c, ct_child_pool *p, int final);
/* How many of p's processes are still running. */
int ct__kids_running(ct_child_pool *p);
/* Free what p's processes' records hold. */
void ct__kids_free(ct_child_pool *p);

/* The executable process `pid` runs now, NUL-terminated in exe (cap bytes;
 * collector_kids.c). @return 0, or -1 (gone, or not ours to see). */
int ct__proc_exe(uint32_t pid, char *exe, size_t cap);

/* collector_owner.c: the process that runs a child's tests. */
/* p was started as `pid` from `exe`. */
void ct__owner_started(ct_child_pool *p, int pid, const char *exe);
/* Put the process that took p's pool into p->proc (pid, exe), once it
 * named itself. @return 1 when it did (then or before), 0 not yet. */
int ct__owner_take(ct_child_pool *p);
/* Free what p->proc and the above hold. */
void ct__owner_free(ct_child_pool *p);

/* collector_flight.c: a child's window. */
/* Set up p's window (p->drainer ready). @return 0 or CT_ENOMEM. */
int ct__flight_pool(ct_collector *c, ct_child_pool *p);
/* A pass over p's pool is done: write the traces of the tests that failed
 * and ended in it, before its window moves on. */
void ct__flight_after_pass(ct_collector *c, ct_child_pool *p);
/* Forget the traces written for process `pid` (all of them, and what held
 * them: -1). */
void ct__flight_forget(ct_collector *c, int pid);
/* p ended (its final pass done): write its last window into the trace, if
 * any, and keep it as the last child's. */
void ct__flight_exited(ct_collector *c, ct_child_pool *p, uint64_t how, uint64_t code,
                       uint64_t end_mono_ns);
/* Free what a child's window holds. */
void ct__flight_free(ct_child_pool *p);

#endif /* CT_RECORDER_COLLECTOR_INTERNAL_H */
