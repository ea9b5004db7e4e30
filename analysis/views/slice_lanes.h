/*
 * slice_lanes.h - which lane of its thread a slice goes on in the timeline
 * exports (slice_order.h), given the thread's slices in order of their
 * begin (longer first, regions before waits at equal begins).
 *
 * A slice nests under its true parent: the open slice that contains it and
 * began last, when that one is still the innermost of its lane; a region
 * never nests in a wait (a thread does nothing while it waits). A slice
 * with no such parent (a scheduler wait measured on another clock or
 * summed over a stretch, a region ended out of order, a region overlapping
 * a wait) goes on the lowest free lane of its thread: the thread's own
 * first, then extra lanes ("overlapping N", made when first needed), so
 * what is nested is always nested right.
 *
 * The exporter says what a lane is (its id: a Perfetto track's uuid, a
 * Chrome lane's tid) and is told when a slice ends on one, in order, for
 * formats that write begins and ends apart.
 *
 * Cost: O(log n) a slice, n the slices open on the thread. The parent is
 * found by a binary search in the open slices that no later-begun open
 * slice outlasts (the only ones that can be "the latest that contains"),
 * kept as a stack: slices close in order of their end, so one closing is
 * always its top. Free lanes come from two heaps (busy by the end of
 * their outermost slice, free by number). Memory: the open slices.
 */
#ifndef CTV_SLICE_LANES_H
#define CTV_SLICE_LANES_H

#include <stdint.h> /* uint32_t, uint64_t */

typedef struct ctv_lane_open { /* a slice open on a lane */
    uint64_t end, id;
} ctv_lane_open;

typedef struct ctv_lane {
    uint64_t id; /* the exporter's */
    ctv_lane_open *open; /* innermost last; those ended are told lazily */
    uint32_t depth, cap;
} ctv_lane;

typedef struct ctv_lane_record { /* an open slice no later one outlasts */
    uint64_t end, id;
    uint32_t lane;
} ctv_lane_record;

typedef struct ctv_lane_records {
    ctv_lane_record *at; /* ends decreasing from the bottom */
    uint32_t count, cap;
} ctv_lane_records;

typedef struct ctv_lane_heap_item {
    uint64_t key;
    uint32_t lane;
} ctv_lane_heap_item;

typedef struct ctv_lane_heap {
    ctv_lane_heap_item *at;
    uint32_t count, cap;
} ctv_lane_heap;

/* What the exporter does with lanes. */
typedef struct ctv_lanes_out {
    /* A new lane, number `number` (from 1) of the thread whose own lane is
     * `thread_id`: described, with its id returned (0: out of memory). */
    uint64_t (*new_lane)(void *ctx, uint64_t thread_id, uint32_t number);
    /* A slice on lane `lane_id` ended at `ts`: innermost first, before the
     * next begin after it on that lane. NULL: not needed. */
    void (*slice_end)(void *ctx, uint64_t lane_id, uint64_t ts);
    void *ctx;
} ctv_lanes_out;

typedef struct ctv_lanes {
    uint64_t thread_id; /* lane 0's id */
    ctv_lane *lanes;
    uint32_t count, cap;
    ctv_lane_records regions, all; /* candidate parents of a region, of a wait */
    ctv_lane_heap busy;            /* lanes in use, by the end of their outermost slice */
    ctv_lane_heap free;            /* lanes free, by number */
    uint64_t placed;               /* slices placed: their ids */
} ctv_lanes;

/*! ctv_lanes_init() : the lanes of the thread whose own lane is `thread_id`. */
void ctv_lanes_init(ctv_lanes *t, uint64_t thread_id);

/*! ctv_lanes_place() : the lane of slice [begin, end] (a wait when `wait`),
 *  whose begin the caller writes next. Before returning, the ends that must
 *  precede it on that lane are told to out->slice_end; a new lane is made
 *  by out->new_lane.
 *  @return the lane's id, or 0 out of memory. */
uint64_t ctv_lanes_place(ctv_lanes *t, const ctv_lanes_out *out, uint64_t begin, uint64_t end,
                         int wait);

/*! ctv_lanes_finish() : tell the ends of every slice still open and free
 *  the lanes. */
void ctv_lanes_finish(ctv_lanes *t, const ctv_lanes_out *out);

#endif /* CTV_SLICE_LANES_H */
