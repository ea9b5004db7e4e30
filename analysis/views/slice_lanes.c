/*
 * slice_lanes.c - which lane of its thread a slice goes on
 * (slice_lanes.h).
 *
 * Why the stack of records finds the true parent. Slices arrive in order of
 * their begin; at a begin b the open ones are those ending after b. Call an
 * open slice a record when no open slice that began after it ends as late
 * as it does. The latest-begun open slice ending at or after e is always a
 * record (a later one ending as late would be later still), so the parent
 * of [b, e] is the topmost record with end >= e, and records' ends decrease
 * from the bottom of the stack up: a binary search. A new slice is a record
 * and removes those it outlasts; those never come back, for they end no
 * later than it. Slices close in order of their end, so a record closing
 * is the top one.
 */
#include "slice_lanes.h"

#include <stdlib.h> /* free */

#include "maps.h" /* ctv_reserve */

/* ---- a binary min-heap of lanes by (key, lane) ------------------------------------------ */

static int before(const ctv_lane_heap_item *a, const ctv_lane_heap_item *b)
{
    return a->key < b->key || (a->key == b->key && a->lane < b->lane);
}

static void swap_items(ctv_lane_heap_item *a, ctv_lane_heap_item *b)
{
    ctv_lane_heap_item t = *a;
    *a = *b;
    *b = t;
}

/* @return 0, or -1 out of memory. */
static int heap_push(ctv_lane_heap *h, uint64_t key, uint32_t lane)
{
    size_t cap = h->cap;
    ctv_lane_heap_item *at = ctv_reserve(h->at, &cap, h->count, sizeof *at);
    if (!at)
        return -1;
    h->at = at;
    h->cap = (uint32_t)cap;
    uint32_t i = h->count++;
    at[i] = (ctv_lane_heap_item){key, lane};
    while (i > 0 && before(&at[i], &at[(i - 1) / 2])) {
        swap_items(&at[i], &at[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return 0;
}

static ctv_lane_heap_item heap_pop(ctv_lane_heap *h)
{
    ctv_lane_heap_item *at = h->at, top = at[0];
    at[0] = at[--h->count];
    for (uint32_t i = 0;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->count && before(&at[l], &at[m]))
            m = l;
        if (r < h->count && before(&at[r], &at[m]))
            m = r;
        if (m == i)
            break;
        swap_items(&at[i], &at[m]);
        i = m;
    }
    return top;
}

/* ---- records ---------------------------------------------------------------------------- */

static void records_close(ctv_lane_records *r, uint64_t ts)
{
    while (r->count && r->at[r->count - 1].end <= ts)
        r->count--;
}

/* @return 0, or -1 out of memory. */
static int records_push(ctv_lane_records *r, ctv_lane_record rec)
{
    while (r->count && r->at[r->count - 1].end <= rec.end)
        r->count--;
    size_t cap = r->cap;
    ctv_lane_record *at = ctv_reserve(r->at, &cap, r->count, sizeof *at);
    if (!at)
        return -1;
    r->at = at;
    r->cap = (uint32_t)cap;
    r->at[r->count++] = rec;
    return 0;
}

/* The topmost record ending at or after `end`, or NULL. */
static const ctv_lane_record *records_parent(const ctv_lane_records *r, uint64_t end)
{
    uint32_t lo = 0, hi = r->count; /* records [0, lo) end >= end; [hi, count) do not */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->at[mid].end >= end)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &r->at[lo - 1] : NULL;
}

/* ---- lanes ------------------------------------------------------------------------------ */

void ctv_lanes_init(ctv_lanes *t, uint64_t thread_id)
{
    *t = (ctv_lanes){.thread_id = thread_id};
}

/* Tell the ends of what is open on l and ended by `ts`, innermost first. */
static void close_until(const ctv_lanes_out *out, ctv_lane *l, uint64_t ts)
{
    while (l->depth && l->open[l->depth - 1].end <= ts) {
        uint64_t end = l->open[--l->depth].end;
        if (out->slice_end)
            out->slice_end(out->ctx, l->id, end);
    }
}

/* Lane number `count`, made (past the thread's own). @return its number,
 * or UINT32_MAX out of memory. */
static uint32_t new_lane(ctv_lanes *t, const ctv_lanes_out *out)
{
    size_t cap = t->cap;
    ctv_lane *lanes = ctv_reserve(t->lanes, &cap, t->count, sizeof *lanes);
    if (!lanes)
        return UINT32_MAX;
    t->lanes = lanes;
    t->cap = (uint32_t)cap;
    uint32_t i = t->count;
    uint64_t id = i ? out->new_lane(out->ctx, t->thread_id, i) : t->thread_id;
    if (!id)
        return UINT32_MAX;
    lanes[i] = (ctv_lane){.id = id};
    t->count++;
    return i;
}

/* The lane of a slice [begin, end]: its parent's, else the lowest free one.
 * @return its number, or UINT32_MAX out of memory. */
static uint32_t choose_lane(ctv_lanes *t, const ctv_lanes_out *out, uint64_t begin, uint64_t end,
                            int wait)
{
    const ctv_lane_record *parent = records_parent(wait ? &t->all : &t->regions, end);
    if (parent) {
        ctv_lane *l = &t->lanes[parent->lane];
        close_until(out, l, begin);
        if (l->depth && l->open[l->depth - 1].id == parent->id)
            return parent->lane; /* its innermost: nests there */
    }
    uint32_t i = t->free.count ? heap_pop(&t->free).lane : new_lane(t, out);
    if (i == UINT32_MAX || heap_push(&t->busy, end, i) != 0)
        return UINT32_MAX; /* (a lane lost to the heaps is only not used again) */
    close_until(out, &t->lanes[i], begin);
    return i;
}

uint64_t ctv_lanes_place(ctv_lanes *t, const ctv_lanes_out *out, uint64_t begin, uint64_t end,
                         int wait)
{
    records_close(&t->regions, begin);
    records_close(&t->all, begin);
    while (t->busy.count && t->busy.at[0].key <= begin) { /* everything on it ended */
        if (heap_push(&t->free, t->busy.at[0].lane, t->busy.at[0].lane) != 0)
            return 0;
        heap_pop(&t->busy);
    }
    uint32_t i = choose_lane(t, out, begin, end, wait);
    if (i == UINT32_MAX)
        return 0;
    ctv_lane *l = &t->lanes[i];
    size_t cap = l->cap;
    ctv_lane_open *open = ctv_reserve(l->open, &cap, l->depth, sizeof *open);
    if (!open)
        return 0;
    l->open = open;
    l->cap = (uint32_t)cap;
    uint64_t id = ++t->placed;
    l->open[l->depth++] = (ctv_lane_open){end, id};
    ctv_lane_record rec = {end, id, i};
    if (records_push(&t->all, rec) != 0 || (!wait && records_push(&t->regions, rec) != 0))
        return 0;
    return l->id;
}

void ctv_lanes_finish(ctv_lanes *t, const ctv_lanes_out *out)
{
    for (uint32_t i = 0; i < t->count; i++) {
        close_until(out, &t->lanes[i], UINT64_MAX);
        free(t->lanes[i].open);
    }
    free(t->lanes);
    free(t->regions.at);
    free(t->all.at);
    free(t->busy.at);
    free(t->free.at);
    *t = (ctv_lanes){0};
}
