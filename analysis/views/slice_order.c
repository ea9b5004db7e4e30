/*
 * slice_order.c - the slices of threads by begin, on lanes where they nest
 * (slice_order.h).
 */
#include "slice_order.h"

#include <stdlib.h> /* realloc, free */
#include <string.h> /* memcpy */

#include <ctrace.h> /* CT_ENOMEM, CT_EIO */

/* A slice between the two stages: this head, its name, its stack. */
typedef struct slice_head {
    uint64_t thread, end_ns, task, object, flow;
    uint32_t proc, flags, kind, name_len, stack_len;
    int32_t pid, tid;
} slice_head;

void ctv_slices_init(ctv_slices *s)
{
    *s = (ctv_slices){.read = 0};
    ctv_tmp_init(&s->tmp);
    ctv_sort_init(&s->sort, &s->tmp, "export: slices", s->tmp.budget);
    ctv_ids_init(&s->lane_index);
}

/* @return 0, or CT_ENOMEM. */
static int reserve_bytes(unsigned char **at, size_t *cap, size_t len)
{
    if (len <= *cap)
        return 0;
    size_t bigger = *cap ? *cap : 256;
    while (bigger < len)
        bigger *= 2;
    unsigned char *p = realloc(*at, bigger);
    if (!p)
        return CT_ENOMEM;
    *at = p;
    *cap = bigger;
    return 0;
}

int ctv_slices_add(ctv_slices *s, const ctr_event *ev, uint64_t thread, const char *name,
                   size_t name_len, uint32_t kind, uint64_t flow)
{
    uint64_t end = ev->ts_ns >= ev->begin_ns ? ev->ts_ns : ev->begin_ns;
    slice_head h = {.thread = thread, .end_ns = end, .task = ev->task, .object = ev->object,
                    .flow = flow, .proc = ev->process, .flags = ev->flags, .kind = kind,
                    .name_len = (uint32_t)name_len, .stack_len = kind ? ev->stack_len : 0,
                    .pid = ev->pid, .tid = ev->tid};
    size_t stack_bytes = (size_t)h.stack_len * sizeof(uint64_t);
    size_t len = sizeof h + name_len + stack_bytes;
    if (reserve_bytes(&s->rec, &s->rec_cap, len) != 0)
        return CT_ENOMEM;
    memcpy(s->rec, &h, sizeof h);
    memcpy(s->rec + sizeof h, name, name_len);
    if (stack_bytes)
        memcpy(s->rec + sizeof h + name_len, ev->stack, stack_bytes);
    /* Among equal begins: regions before waits (nothing happens on a thread
     * while it waits, so a wait holds no region), then the longest, then of
     * two alike the outer: read last when the program ended them, read
     * first when the reader closed them, never ended (outermost first). */
    uint64_t longest_first = (UINT64_MAX >> 1) - ((end - ev->begin_ns) & (UINT64_MAX >> 1));
    uint64_t read = s->read++;
    uint64_t outer_first = (ev->flags & CTR_F_UNENDED) ? read : UINT64_MAX - read;
    return ctv_sort_add(&s->sort, ev->begin_ns, (uint64_t)(kind != 0) << 63 | longest_first,
                        outer_first, s->rec, len);
}

static uint64_t thread_key(uint32_t proc, int32_t tid)
{
    return ((uint64_t)proc + 1) << 32 | (uint32_t)tid;
}

/* The lanes of h's thread, made when first needed. NULL: out of memory. */
static ctv_lanes *lanes_of(ctv_slices *s, const slice_head *h)
{
    uint64_t key = thread_key(h->proc, h->tid);
    uint32_t index;
    if (ctv_ids_find(&s->lane_index, key, &index))
        return &s->lanes[index];
    ctv_lanes *all = ctv_reserve(s->lanes, &s->lanes_cap, s->nlanes, sizeof *all);
    if (!all)
        return NULL;
    s->lanes = all;
    if (ctv_ids_put(&s->lane_index, key, (uint32_t)s->nlanes) != 0)
        return NULL;
    ctv_lanes *t = &all[s->nlanes++];
    ctv_lanes_init(t, h->thread);
    return t;
}

/* One record to write(). @return 0, or CT_ENOMEM. */
static int write_record(ctv_slices *s, const ctv_lanes_out *out, uint64_t begin,
                        const unsigned char *rec, size_t len,
                        void (*write)(void *ctx, const ctv_slice *slice, uint64_t lane), void *ctx)
{
    slice_head h;
    if (len < sizeof h)
        return 0;
    memcpy(&h, rec, sizeof h);
    size_t stack_bytes = (size_t)h.stack_len * sizeof(uint64_t);
    if (len != sizeof h + h.name_len + stack_bytes)
        return 0;
    ctv_lanes *t = lanes_of(s, &h);
    uint64_t lane = t ? ctv_lanes_place(t, out, begin, h.end_ns, h.kind != 0) : 0;
    unsigned char *stack = (unsigned char *)s->stack;
    if (!lane || reserve_bytes(&stack, &s->stack_cap, stack_bytes) != 0)
        return CT_ENOMEM;
    s->stack = (uint64_t *)stack; /* realloc'd: aligned for uint64_t */
    if (stack_bytes)
        memcpy(s->stack, rec + sizeof h + h.name_len, stack_bytes);
    ctv_slice slice = {.begin_ns = begin, .end_ns = h.end_ns, .task = h.task,
                       .object = h.object, .flow = h.flow, .thread = h.thread, .proc = h.proc,
                       .flags = h.flags, .kind = h.kind, .pid = h.pid, .tid = h.tid,
                       .name = (const char *)rec + sizeof h, .name_len = h.name_len,
                       .stack = s->stack, .stack_len = h.stack_len};
    write(ctx, &slice, lane);
    return 0;
}

int ctv_slices_write(ctv_slices *s, const ctv_lanes_out *out,
                     void (*write)(void *ctx, const ctv_slice *slice, uint64_t lane), void *ctx)
{
    int rc = ctv_sort_finish(&s->sort);
    ctv_sort_rec rec;
    while (rc == 0 && (rc = ctv_sort_next(&s->sort, &rec)) == 1)
        rc = write_record(s, out, rec.k[0], rec.payload, rec.len, write, ctx);
    for (size_t i = 0; i < s->nlanes; i++)
        ctv_lanes_finish(&s->lanes[i], out);
    s->nlanes = 0;
    return rc < 0 ? rc : 0;
}

void ctv_slices_free(ctv_slices *s)
{
    for (size_t i = 0; i < s->nlanes; i++)
        ctv_lanes_finish(&s->lanes[i], &(ctv_lanes_out){0});
    free(s->lanes);
    ctv_ids_free(&s->lane_index);
    free(s->stack);
    free(s->rec);
    ctv_sort_free(&s->sort);
    *s = (ctv_slices){.read = 0};
}
