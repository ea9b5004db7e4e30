/*
 * slice_order.h - the slices of threads (regions and waits) in the order
 * the timeline exports write them: by begin, each placed on a lane of its
 * thread where it nests (slice_lanes.h).
 *
 * The reader gives a region whole at its end, after the regions inside it,
 * and a wait at its end, so slices come in order of their end, and not even
 * that across clocks. A slice that straddles another on its thread (a
 * scheduler wait summed over a stretch or measured on another clock, a
 * region ended out of order) nests under nothing; consumers that build a
 * stack per thread (trace_processor, Chrome's viewer) then misplace both.
 * So the exports do not write slices as they are read: they go through an
 * external sort (sort.h: bounded memory, spilled to $TMPDIR) by begin,
 * regions before waits, longer first, then through the lanes of their
 * thread. Memory: the sort's budget, and the slices open on each thread.
 */
#ifndef CTV_SLICE_ORDER_H
#define CTV_SLICE_ORDER_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include <ctrace_reader.h>

#include "maps.h"
#include "slice_lanes.h"
#include "sort.h"
#include "spill.h"

/* A slice as the second stage gives it. */
typedef struct ctv_slice {
    uint64_t begin_ns, end_ns, task, object;
    uint64_t flow;   /* the arrow that ends at it, or 0 */
    uint64_t thread; /* the exporter's id of its thread's own lane */
    uint32_t proc, flags, kind; /* kind: 0 a region, else its block kind */
    int32_t pid, tid;
    const char *name; /* not terminated */
    size_t name_len;
    const uint64_t *stack; /* a wait's, innermost first */
    uint32_t stack_len;
} ctv_slice;

typedef struct ctv_slices {
    ctv_tmp tmp;
    ctv_sort sort;
    uint64_t read;      /* slices added so far: their order */
    unsigned char *rec; /* a record being built */
    size_t rec_cap;
    uint64_t *stack; /* an aligned copy of a record's stack */
    size_t stack_cap;
    ctv_lanes *lanes; /* second stage: per thread */
    size_t nlanes, lanes_cap;
    ctv_ids lane_index; /* thread key -> index in lanes */
} ctv_slices;

/*! ctv_slices_init() : an empty set; its spills go where ctv_tmp_init() says. */
void ctv_slices_init(ctv_slices *s);

/*! ctv_slices_add() : region or wait `ev`, named `name` (a wait's name is
 *  its kind's), of kind `kind` (0 a region, else the block kind), on the
 *  thread whose own lane is `thread`, with arrow `flow` (or 0) ending at it.
 *  @return 0, CT_ENOMEM, or CT_EIO (a spill failed: s->tmp says how). */
int ctv_slices_add(ctv_slices *s, const ctr_event *ev, uint64_t thread, const char *name,
                   size_t name_len, uint32_t kind, uint64_t flow);

/*! ctv_slices_write() : every slice added, in order of its begin, given to
 *  write(ctx, slice, lane) with the id of the lane it goes on; lanes are
 *  made and ends told as `out` says.
 *  @return 0, CT_ENOMEM, or CT_EIO. */
int ctv_slices_write(ctv_slices *s, const ctv_lanes_out *out,
                     void (*write)(void *ctx, const ctv_slice *slice, uint64_t lane), void *ctx);

void ctv_slices_free(ctv_slices *s);

#endif /* CTV_SLICE_ORDER_H */
