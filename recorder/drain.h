/*
 * drain.h - moving a pool's committed events into a trace as BATCH records.
 *
 * The drainer trusts nothing in the pool but its own copy of the layout: the
 * traced process may have scribbled over the shared memory, and a bad length
 * must not make the collector read out of bounds.
 */
#ifndef CT_RECORDER_DRAIN_H
#define CT_RECORDER_DRAIN_H

#include <stdint.h>

#include "format/pool.h"
#include "recorder/next_seq.h"
#include "recorder/trace_writer.h"
#include "recorder/window.h"

typedef struct ct_drainer {
    ct_pool_header *pool;
    uint32_t nchunks;       /* our copies of the layout */
    uint32_t chunk_bytes;
    uint64_t descs_offset, data_offset;
    ct_pool_proc *procs;    /* the process table (where it was laid out) */
    uint32_t proc;          /* process index in the trace (of the pool's owner) */
    /* Per slot of the pool's process table: its process index in the
     * trace (proc_of[0] is proc), CT_DRAIN_NOT_YET before its PROCESS_BEGIN
     * was written (its chunks wait), CT_DRAIN_DROP for chunks to free
     * unwritten; and whether it is ending (dead: take all its chunks). */
    uint32_t proc_of[CT_POOL_PROCS];
    uint8_t ending[CT_POOL_PROCS];
    uint32_t *drained;      /* per chunk: bytes already written to the trace */
    struct ct_drain_item *items; /* scratch for one pass */
    ct_next_seq next;       /* the chunk each thread sends next */
    ct_window *window;      /* a flight recorder's: batches go there, not to a trace */
} ct_drainer;

#define CT_DRAIN_NOT_YET UINT32_MAX
#define CT_DRAIN_DROP (UINT32_MAX - 1)

/* Set up for a pool that was laid out by ct_pool_init(). @return 0 or CT_ENOMEM. */
int ct_drainer_init(ct_drainer *d, ct_pool_header *pool, uint32_t proc);
void ct_drainer_free(ct_drainer *d);

/* Batches go into `window` from now on (a flight recorder), not to the
 * trace writer of ct_drainer_pass(), which may then be NULL; and the
 * pages of a chunk are given back to the system as it is freed, so that the
 * collector's memory holds the window, not the pool (a shared pool only). */
void ct_drainer_keep_window(ct_drainer *d, ct_window *window);

/* One pass: write what was committed since the last pass, recycle chunks
 * their threads handed back, flush the writer when due (ct_tw_flush_due();
 * a final pass always). With `final`, the writers are gone: take the rest
 * of the chunks they still owned too. @return 0 or CT_EIO (CT_ENOMEM: a
 * window could not keep its state). */
int ct_drainer_pass(ct_drainer *d, ct_trace_writer *w, int final);

/* The process is done (`how` and `code` as in PROCESS_END, `end_mono_ns`
 * when it ended): write its PROCESS_END with what its pool counted, the
 * events it lost and how long its threads waited for room. Call after the
 * final pass. @return 0 or CT_EIO. */
int ct_drainer_end(ct_drainer *d, ct_trace_writer *w, uint64_t how, uint64_t code,
                   uint64_t end_mono_ns);

/* PROCESS_END of the process in slot `slot` (not 0) of the pool's process
 * table, with what its slot counted. @return 0 or CT_EIO. */
int ct_drainer_end_slot(ct_drainer *d, ct_trace_writer *w, uint32_t slot, uint64_t how,
                        uint64_t code, uint64_t end_mono_ns);

#endif /* CT_RECORDER_DRAIN_H */
