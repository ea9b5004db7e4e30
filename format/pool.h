/*
 * pool.h - the event pool that traced threads write and a collector drains.
 *
 * Under ctest-trace the pool is shared memory owned by the runner, so a child
 * killed by SIGKILL loses nothing it had committed; with ct_start() it is
 * private memory drained by a thread of the process. Layout:
 *
 *   [ct_pool_header][ct_chunk_desc x nchunks][chunk data x nchunks]
 *
 * A thread owns one chunk at a time. It appends encoded events (wire.h) and
 * after each one stores the committed length with release order; a reader of
 * the pool copies [drained, committed) at any time. A full chunk is handed
 * back (state FULL); the collector frees it once drained. Chunk states:
 *
 *   FREE --thread CAS--> CLAIMED --thread fills desc--> OWNED --full/exit--> FULL
 *   FULL --collector drained all--> FREE
 *
 * When no chunk is FREE, a thread either waits for the collector to free one
 * (CT_POOL_OVERFLOW_WAIT, the default: no event is lost) or drops its events and
 * counts them (CT_POOL_OVERFLOW_DROP). A waiting thread rings `doorbell` (a
 * drainer may sleep on it) and sleeps on `freed`, which the collector bumps
 * and wakes after every pass that freed a chunk. Both are futex words: the
 * pool may be shared between processes, so a wait and a wake are plain
 * futex calls (async-signal-safe, no lock). A collector that is gone never
 * wakes anyone: a waiting thread checks `collector_pid` still exists, and
 * `closed` says the collector stopped draining for good.
 */
#ifndef CT_FORMAT_POOL_H
#define CT_FORMAT_POOL_H

#include <stdint.h>

#define CT_POOL_MAGIC 0x314c4f4f50525443ull /* "CTRPOOL1" */
#define CT_POOL_VERSION 6u
#define CT_POOL_DEFAULT_BYTES (64u << 20)
#define CT_CHUNK_BYTES (32u << 10)
#define CT_POOL_LOSS_SLOTS 48 /* threads that count their losses alone */
#define CT_POOL_PROCS 64 /* processes tracing into the pool at once: its owner
                            (slot 0) and the processes its tests start */
#define CT_CHILD_THREAD_BASE (1u << 30) /* serials of child processes' threads */

enum ct_chunk_state {
    CT_CHUNK_FREE = 0,
    CT_CHUNK_CLAIMED = 1,
    CT_CHUNK_OWNED = 2,
    CT_CHUNK_FULL = 3,
};

/* What a thread does when no chunk is free. */
enum ct_overflow {
    CT_POOL_OVERFLOW_WAIT = 0, /* wait for the collector: the program slows, nothing is lost */
    CT_POOL_OVERFLOW_DROP = 1, /* never block: drop the events and count them */
};

typedef struct ct_pool_header {
    /* Set up once: read-only from then on. */
    uint64_t magic;
    uint32_t version;
    uint32_t chunk_bytes;
    uint64_t pool_bytes;
    uint32_t nchunks;
    uint32_t owner_pid;   /* atomic: 0 until a process attaches (CAS) */
    uint64_t descs_offset;
    uint64_t data_offset;
    uint32_t clock_kind;  /* ct_clock_kind, chosen by the collector */
    uint32_t overflow;    /* ct_overflow, chosen by the collector */
    uint64_t tsc_hz;      /* ticks per second (1e9 for the monotonic clock) */
    uint32_t collector_pid; /* the process that drains the pool */

    /* Waiting for room: read by every thread that waits or drops, on a
     * cache line apart from what losing events writes. */
    _Alignas(64) uint32_t freed; /* futex: bumped by the collector when it frees chunks */
    uint32_t waiters;       /* atomic: threads waiting for a free chunk */
    uint32_t doorbell;      /* futex: bumped by a thread that begins to wait */
    uint32_t passes;        /* atomic: drain passes so far */
    uint32_t claimed_end;   /* atomic: one past the highest chunk ever claimed, raised
                               before the chunk is OWNED: a drain pass looks no further
                               (a run of a few tests uses a few chunks of thousands) */
    uint32_t closed;        /* atomic: the collector drains no more: never wait */
    uint32_t gone;          /* atomic: the process stopped tracing, its collector gone */
    uint32_t free_hint;     /* atomic: where a claim looks first: past the last chunk
                               claimed, or back to a lower chunk just freed
                               (ct_pool_chunk_free()); only a hint, the state decides */

    /* Counted as things happen. */
    _Alignas(64) uint64_t dropped; /* atomic: events the process lost, every
                             * thread's, whether or not a LOST event told them
                             * yet; counted as each is lost, so it is exact even
                             * when the process is killed while losing events */
    uint64_t stalls;        /* atomic: times a thread waited for a free chunk */
    uint64_t stall_ns;      /* atomic: how long, in all */
    /* The process's progress through its tests, counted by the tracer as it
     * prints their markers: a collector compares them with the markers it
     * read (a test that closed its stdout took some with it), and times out
     * a process from its last progress without reading the trace. */
    _Alignas(64) uint32_t tests_begun; /* atomic */
    uint32_t tests_ended;    /* atomic */
    uint32_t fixtures_begun; /* atomic: group setups and teardowns */
    uint32_t fixtures_ended; /* atomic */
    uint64_t progress_ns;    /* atomic: CLOCK_MONOTONIC of the last begin or end
                                (its coarse reading: up to a timer tick behind) */

    /* Every thread's stack before a kill for time (plugin/thread_dump.c):
     * the signal the tracer takes, from the collector's process only, as
     * "write your stack now" (0: it has no handler for one), and how many
     * threads took it so far (whether they could write it or not). */
    _Alignas(64) uint32_t stack_signal; /* set once, before main */
    uint32_t stacks_answered;           /* atomic */

    /* Processes the owner's tests start (fork, exec) trace into the pool
     * too, each a process of the trace: its slot in the table at
     * procs_offset (ct_pool_procs()), its chunks marked with it
     * (ct_chunk_desc.proc). Their threads take serials unique in the pool,
     * CT_CHILD_THREAD_BASE + child_threads. */
    _Alignas(64) uint64_t procs_offset;
    uint32_t child_threads;   /* atomic: thread serials given to child processes */

    /* Losses counted where the thread that loses them writes alone: a
     * thread that drops takes a slot (CAS of `thread` from 0) and counts
     * there with plain stores, not a locked add on a line all share. Those
     * without a slot count in `dropped`. ct_pool_dropped() sums both. */
    uint32_t loss_slots_used; /* atomic: slots taken; 0: `dropped` says all */
    _Alignas(64) struct ct_loss_slot {
        uint32_t thread;   /* atomic: its thread serial, 0: free */
        uint32_t unused;
        uint64_t lost;     /* atomic (one writer): events its thread lost */
        uint8_t pad[48];
    } loss_slots[CT_POOL_LOSS_SLOTS];
} ct_pool_header;

typedef struct ct_chunk_desc {
    uint32_t state;       /* atomic: ct_chunk_state */
    uint32_t committed;   /* atomic: bytes of complete events */
    uint32_t thread;      /* thread serial, unique in the pool */
    uint32_t proc;        /* slot of its process in the process table (0: the owner) */
    uint64_t seq;         /* index of this chunk among the thread's chunks */
    uint64_t tsc_base;    /* clock when the chunk was claimed: the first */
    uint64_t ns_base;     /* event's delta is from tsc_base */
    uint64_t pad[3];      /* one cache line per descriptor */
} ct_chunk_desc;

/* A process's slot: claimed by the process itself (CAS of `state` from
 * FREE), filled, then RUNNING; its parent's wait() sets `status` and
 * REAPED; the collector writes its PROCESS_END once it is dead and frees
 * the slot. Slot 0 is the owner (the process that runs the tests): only
 * its `cur_task`, and its `exe` then `pid` (release), written as it takes
 * the pool. */
enum ct_proc_state {
    CT_PROC_FREE = 0,
    CT_PROC_CLAIMED = 1, /* being filled in */
    CT_PROC_RUNNING = 2,
    CT_PROC_REAPED = 3, /* its parent waited for it: `status` holds how it ended */
    CT_PROC_ENDING = 4, /* the collector is ending it */
};

#define CT_POOL_EXE_BYTES 128

typedef struct ct_pool_proc {
    uint32_t state;       /* atomic: ct_proc_state */
    uint32_t pid;
    uint32_t parent;      /* slot of the process that started it */
    uint32_t status;      /* wait status (waitpid's), once REAPED */
    uint64_t parent_task; /* the task it was started under, as its parent names it */
    uint64_t inherit;     /* its task ids up to this are its parent's (fork) */
    uint64_t next_task;   /* atomic: the last task id it gave */
    uint64_t cur_task;    /* atomic: the task a program it starts is under
                             (slot 0: the owner's running test) */
    uint64_t tsc0, ns0;   /* clock pair when it began */
    uint64_t dropped;     /* atomic: events it lost */
    uint64_t stalls, stall_ns; /* atomic: its waits for a free chunk */
    uint64_t end_ns;      /* atomic: CLOCK_MONOTONIC when it ended, as the first
                             of its exit and its parent's wait saw it (0: not yet) */
    uint64_t pad[4];
    char exe[CT_POOL_EXE_BYTES]; /* its executable, NUL-terminated (cut) */
} ct_pool_proc;

static inline ct_pool_proc *ct_pool_procs(ct_pool_header *h)
{
    return (ct_pool_proc *)((char *)h + h->procs_offset);
}

static inline ct_chunk_desc *ct_pool_descs(ct_pool_header *h)
{
    return (ct_chunk_desc *)((char *)h + h->descs_offset);
}

static inline uint8_t *ct_pool_chunk(ct_pool_header *h, uint32_t i)
{
    return (uint8_t *)h + h->data_offset + (uint64_t)i * h->chunk_bytes;
}

/* Lay out a pool in `mem` of `bytes` bytes, drained by the calling process,
 * overflowing as `overflow` says. `zeroed`: mem is known to be all zeros (a
 * new mapping), so its process table and chunk descriptors are not cleared
 * (at 64 MiB, 128 KiB of pages that would be faulted in for nothing).
 * @return chunks, 0 if too small. */
uint32_t ct_pool_init(void *mem, uint64_t bytes, uint32_t clock_kind, uint64_t tsc_hz,
                      uint32_t overflow, int zeroed);

/* Check a pool handed over by a collector. @return 0 or -1. */
int ct_pool_check(const void *mem, uint64_t bytes);

/* Sleep while the futex word *word holds `seen`, at most timeout_ns (0:
 * no limit), or until woken. Async-signal-safe. @return 0 woken or the
 * word changed, -1 timed out or interrupted. */
int ct_pool_futex_wait(uint32_t *word, uint32_t seen, uint64_t timeout_ns);

/* Wake up to `n` threads sleeping on *word, in any process. */
void ct_pool_futex_wake(uint32_t *word, int n);

/* Whether a drainer should pass again at once: threads wait for room, and
 * chunks were freed since it last asked (*freed_seen, updated): passes give
 * room. Else, the usual pace: the holders of every chunk (or a stopped
 * process) need no pass every moment. */
int ct_pool_drain_again(const ct_pool_header *h, uint32_t *freed_seen);

/* Events the process lost so far, every thread's (`dropped` and the slots). */
uint64_t ct_pool_dropped(const ct_pool_header *h);

/* The collector freed chunks, or waiting is over (the session ended, the
 * collector is gone): the threads that wait for a chunk look again now. */
void ct_pool_note_freed(ct_pool_header *h);

/* Chunk `i` of `descs` (drained) is FREE again; the next claim looks there
 * first if it is lower than where claims look now: a freed chunk's pages
 * are mapped and in cache, where a chunk never used costs a page fault and
 * a zeroed page a page, in both processes. `descs`: where the caller found
 * the descriptors when it set up (not the header's offset now, which the
 * traced program could have scribbled on). Threads waiting for room are
 * told by ct_pool_note_freed(). */
void ct_pool_chunk_free(ct_pool_header *h, ct_chunk_desc *descs, uint32_t i);

#endif /* CT_FORMAT_POOL_H */
