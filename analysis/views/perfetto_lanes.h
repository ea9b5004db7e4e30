/*
 * perfetto_lanes.h - which track of its thread a slice goes on in the
 * Perfetto export (export_perfetto.c), given the thread's slices in order
 * of their begin (longer first, regions before waits at equal begins).
 *
 * A slice nests under its true parent: the open slice that contains it and
 * began last, when that one is still the innermost of its track; a region
 * never nests in a wait (a thread does nothing while it waits). A slice
 * with no such parent (a scheduler wait measured on another clock, a
 * region ended out of order, a region overlapping a wait) goes on the
 * lowest free track of its thread: the thread's own first, then extra
 * tracks ("overlapping N", made when first needed), so what is nested is
 * always nested right.
 *
 * Cost: O(log n) a slice, n the slices open on the thread. The parent is
 * found by a binary search in the open slices that no later-begun open
 * slice outlasts (the only ones that can be "the latest that contains"),
 * kept as a stack: slices close in order of their end, so one closing is
 * always its top. Free tracks come from two heaps (busy by the end of
 * their outermost slice, free by number). Memory: the open slices.
 */
#ifndef CTV_PERFETTO_LANES_H
#define CTV_PERFETTO_LANES_H

#include <stdint.h> /* uint32_t, uint64_t */

#include "perfetto_seq.h"

typedef struct ptf_open { /* a slice open on a lane */
    uint64_t end, id;
} ptf_open;

typedef struct ptf_lane {
    uint64_t uuid;
    ptf_open *open; /* innermost last; those ended are written lazily */
    uint32_t depth, cap;
} ptf_lane;

typedef struct ptf_record { /* an open slice no later one outlasts */
    uint64_t end, id;
    uint32_t lane;
} ptf_record;

typedef struct ptf_records {
    ptf_record *at; /* ends decreasing from the bottom */
    uint32_t count, cap;
} ptf_records;

typedef struct ptf_heap_item {
    uint64_t key;
    uint32_t lane;
} ptf_heap_item;

typedef struct ptf_heap {
    ptf_heap_item *at;
    uint32_t count, cap;
} ptf_heap;

typedef struct ptf_lanes {
    uint64_t thread_uuid; /* lane 0's track */
    ptf_lane *lanes;
    uint32_t count, cap;
    ptf_records regions, all; /* candidate parents of a region, of a wait */
    ptf_heap busy;            /* lanes in use, by the end of their outermost slice */
    ptf_heap free;            /* lanes free, by number */
    uint64_t placed;          /* slices placed: their ids */
} ptf_lanes;

/* A new track's uuid. */
typedef uint64_t (*ptf_uuid_fn)(void *ctx);

/*! ptf_lanes_init() : the lanes of the thread whose track is `thread_uuid`. */
void ptf_lanes_init(ptf_lanes *t, uint64_t thread_uuid);

/*! ptf_lanes_place() : the track of slice [begin, end] (a wait when
 *  `wait`), whose BEGIN the caller writes next on `s`. Before returning, the
 *  ENDs that must precede it on that track are written to `s`; a new lane
 *  is described on `s`, its uuid from new_uuid(ctx).
 *  @return the track's uuid, or 0 out of memory. */
uint64_t ptf_lanes_place(ptf_lanes *t, ptf_seq *s, uint64_t begin, uint64_t end, int wait,
                         ptf_uuid_fn new_uuid, void *ctx);

/*! ptf_lanes_finish() : write the ENDs of every slice still open and free
 *  the lanes. */
void ptf_lanes_finish(ptf_lanes *t, ptf_seq *s);

#endif /* CTV_PERFETTO_LANES_H */
