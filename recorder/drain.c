/* drain.c - pool -> BATCH records, in each thread's chunk order (see drain.h). */
#include "recorder/drain.h"

#include "format/wire.h" /* ct_put_uvarint */

#include <stdlib.h>   /* calloc */
#include <sys/mman.h> /* madvise */

#define FREE_NOTE_EVERY 16 /* chunks freed (512 KiB) between wake-ups of waiting threads */

#include <ctrace.h>

struct ct_drain_item {
    uint32_t index, thread, slot;
    uint64_t seq;
    uint32_t committed;
    int full;
    /* A window's pass: what to add, when its chunk was claimed, and
     * whether it is freed after. */
    uint32_t from;
    int add, release;
    uint64_t claimed_ns;
};

int ct_drainer_init(ct_drainer *d, ct_pool_header *pool, uint32_t proc)
{
    d->pool = pool;
    d->nchunks = pool->nchunks;
    d->chunk_bytes = pool->chunk_bytes;
    d->descs_offset = pool->descs_offset;
    d->data_offset = pool->data_offset;
    d->procs = ct_pool_procs(pool);
    d->proc = proc;
    for (uint32_t s = 0; s < CT_POOL_PROCS; s++) {
        d->proc_of[s] = s == 0 ? proc : CT_DRAIN_NOT_YET;
        d->ending[s] = 0;
    }
    d->window = NULL;
    d->drained = calloc(d->nchunks, sizeof *d->drained);
    d->items = calloc(d->nchunks, sizeof *d->items);
    if (!d->drained || !d->items || ct_next_seq_init(&d->next) != 0) {
        ct_drainer_free(d);
        return CT_ENOMEM;
    }
    return 0;
}

void ct_drainer_free(ct_drainer *d)
{
    free(d->drained);
    free(d->items);
    ct_next_seq_free(&d->next);
    d->drained = NULL;
    d->items = NULL;
}

void ct_drainer_keep_window(ct_drainer *d, ct_window *window)
{
    d->window = window;
}

/* By thread, newest first, then seq; or by when the chunk was claimed (a
 * thread's chunks are claimed in seq order). Newest threads first: a
 * test's thread is older than the threads it starts, and those may end its
 * regions (ct_region_end on another thread); a reader that meets the test's
 * end after their ends in the file knows at once what the test left open. */
static int before(const struct ct_drain_item *x, const struct ct_drain_item *y, int by_time)
{
    if (by_time && x->claimed_ns != y->claimed_ns)
        return x->claimed_ns < y->claimed_ns;
    return x->thread != y->thread ? x->thread > y->thread : x->seq < y->seq;
}

static void sift_down(struct ct_drain_item *a, uint32_t i, uint32_t n, int by_time)
{
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && before(&a[c], &a[c + 1], by_time))
            c++;
        if (!before(&a[i], &a[c], by_time))
            return;
        struct ct_drain_item tmp = a[i];
        a[i] = a[c];
        a[c] = tmp;
        i = c;
    }
}

/* As before() orders them. A heapsort, not qsort: glibc's qsort may call malloc,
 * and with ct_start this runs while a thread of the program may wait for
 * room holding malloc's lock (a signal handler that traces). */
static void sort_items(struct ct_drain_item *a, uint32_t n, int by_time)
{
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(a, i, n, by_time);
    for (uint32_t end = n; end > 1; end--) {
        struct ct_drain_item tmp = a[0];
        a[0] = a[end - 1];
        a[end - 1] = tmp;
        sift_down(a, 0, end - 1, by_time);
    }
}

static int write_batch(ct_drainer *d, ct_trace_writer *w, struct ct_drain_item *it,
                       const ct_chunk_desc *desc)
{
    uint32_t from = d->drained[it->index];
    if (it->committed <= from)
        return 0;
    uint8_t head[8 * CT_UVARINT_MAX], *p = head;
    p = ct_put_uvarint(p, d->proc_of[it->slot]);
    p = ct_put_uvarint(p, it->thread);
    p = ct_put_uvarint(p, it->seq);
    p = ct_put_uvarint(p, from);
    p = ct_put_uvarint(p, desc->tsc_base);
    p = ct_put_uvarint(p, desc->ns_base);
    const uint8_t *data = (const uint8_t *)d->pool + d->data_offset +
                          (uint64_t)it->index * d->chunk_bytes;
    d->drained[it->index] = it->committed;
    if (d->window) { /* added once the pass knows all it takes (add_to_window) */
        it->from = from;
        it->add = 1;
        it->claimed_ns = desc->ns_base;
        return 0;
    }
    return ct_tw_batch(w, head, (size_t)(p - head), data + from, it->committed - from);
}

/* A chunk drained whole goes back to its threads. */
static void release(ct_drainer *d, const struct ct_drain_item *it, ct_chunk_desc *descs,
                    uint32_t *freed)
{
    d->drained[it->index] = 0;
    if (d->window) /* its pages go back until a thread writes there again */
        madvise((uint8_t *)d->pool + d->data_offset + (uint64_t)it->index * d->chunk_bytes,
                d->chunk_bytes, MADV_REMOVE);
    ct_pool_chunk_free(d->pool, descs, it->index);
    /* Threads waiting for room go on as soon as there is some, not after
     * the whole pass. */
    if (++*freed % FREE_NOTE_EVERY == 0)
        ct_pool_note_freed(d->pool);
}

/* A window takes a pass's batches in the order their chunks were claimed,
 * close to time order across threads (its threads' chunks in seq order
 * still): a test's events on every thread come in before what followed it
 * pushes them out. A trace of the window writes them as the pass would
 * have (ct_window_pass_begin). Then the chunks drained whole are freed. */
static int add_to_window(ct_drainer *d, ct_chunk_desc *descs, uint32_t n, uint32_t *freed)
{
    int rc = 0;
    ct_window_pass_begin(d->window);
    sort_items(d->items, n, 1);
    for (uint32_t k = 0; k < n; k++) {
        const struct ct_drain_item *it = &d->items[k];
        const uint8_t *data = (const uint8_t *)d->pool + d->data_offset +
                              (uint64_t)it->index * d->chunk_bytes;
        ct_wclock clock = {descs[it->index].tsc_base, descs[it->index].ns_base};
        if (it->add && ct_window_add(d->window, it->thread, it->seq, it->from, clock,
                                     data + it->from, it->committed - it->from) != 0)
            rc = CT_EIO;
    }
    for (uint32_t k = 0; k < n; k++)
        if (d->items[k].release)
            release(d, &d->items[k], descs, freed);
    return rc;
}

int ct_drainer_pass(ct_drainer *d, ct_trace_writer *w, int final)
{
    ct_chunk_desc *descs = (ct_chunk_desc *)((char *)d->pool + d->descs_offset);
    /* Chunks past the highest ever claimed are free: not looked at (the
     * pool's memory is shared: a scribbled bound is kept to the pool). */
    uint32_t claimed = __atomic_load_n(&d->pool->claimed_end, __ATOMIC_RELAXED);
    if (claimed > d->nchunks)
        claimed = d->nchunks;
    uint32_t n = 0;
    for (uint32_t i = 0; i < claimed; i++) {
        uint32_t state = __atomic_load_n(&descs[i].state, __ATOMIC_ACQUIRE);
        if (state != CT_CHUNK_OWNED && state != CT_CHUNK_FULL)
            continue;
        uint32_t slot = descs[i].proc;
        if (slot >= CT_POOL_PROCS) /* scribbled on: the owner's */
            slot = 0;
        if (d->proc_of[slot] == CT_DRAIN_NOT_YET && !final)
            continue; /* a process begun since its slot was looked at: the next pass */
        struct ct_drain_item *it = &d->items[n++];
        it->add = it->release = 0;
        it->index = i;
        it->slot = slot;
        it->thread = descs[i].thread;
        it->seq = descs[i].seq;
        it->full = state == CT_CHUNK_FULL || final || d->ending[slot];
        /* Read after the state: a FULL chunk's length is then final. */
        uint32_t c = __atomic_load_n(&descs[i].committed, __ATOMIC_ACQUIRE);
        it->committed = c <= d->chunk_bytes ? c : d->chunk_bytes;
    }
    sort_items(d->items, n, 0);

    int rc = 0;
    uint32_t freed = 0;
    for (uint32_t k = 0, end; k < n; k = end) {
        uint32_t thread = d->items[k].thread;
        for (end = k; end < n && d->items[end].thread == thread;)
            end++;
        /* NULL: no memory to follow the thread; its chunks go in seq order. */
        ct_next_seq_slot *next = thread ? ct_next_seq_of(&d->next, thread) : NULL;
        for (; k < end; k++) {
            struct ct_drain_item *it = &d->items[k];
            int stale = (next && it->seq < next->next) || !thread || /* a pool scribbled on */
                        d->proc_of[it->slot] >= CT_DRAIN_DROP; /* not traced */
            if (!stale && next && it->seq > next->next && !final)
                break; /* the chunk before it was missed by this pass: the next one */
            if (!stale && write_batch(d, w, it, &descs[it->index]) != 0)
                rc = CT_EIO;
            if (!it->full)
                break; /* this thread's later chunks wait for the next pass */
            if (d->window)
                it->release = 1; /* once its bytes are in the window */
            else
                release(d, it, descs, &freed);
            if (next && !stale)
                next->next = it->seq + 1;
        }
    }
    if (d->window && add_to_window(d, descs, n, &freed) != 0)
        rc = CT_EIO;
    if (freed % FREE_NOTE_EVERY != 0)
        ct_pool_note_freed(d->pool);
    __atomic_add_fetch(&d->pool->passes, 1, __ATOMIC_RELEASE);
    if (w && (final ? ct_tw_flush(w) : ct_tw_flush_due(w)) != 0)
        rc = CT_EIO;
    return rc;
}

int ct_drainer_end(ct_drainer *d, ct_trace_writer *w, uint64_t how, uint64_t code,
                   uint64_t end_mono_ns)
{
    const ct_pool_header *h = d->pool;
    uint8_t buf[7 * CT_UVARINT_MAX], *q = buf;
    q = ct_put_uvarint(q, d->proc);
    q = ct_put_uvarint(q, how);
    q = ct_put_uvarint(q, code);
    q = ct_put_uvarint(q, ct_pool_dropped(h));
    q = ct_put_uvarint(q, end_mono_ns);
    q = ct_put_uvarint(q, __atomic_load_n(&h->stalls, __ATOMIC_RELAXED));
    q = ct_put_uvarint(q, __atomic_load_n(&h->stall_ns, __ATOMIC_RELAXED));
    return ct_tw_record(w, CT_REC_PROCESS_END, buf, (size_t)(q - buf));
}

int ct_drainer_end_slot(ct_drainer *d, ct_trace_writer *w, uint32_t slot, uint64_t how,
                        uint64_t code, uint64_t end_mono_ns)
{
    const ct_pool_proc *p = &d->procs[slot];
    uint8_t buf[7 * CT_UVARINT_MAX], *q = buf;
    q = ct_put_uvarint(q, d->proc_of[slot]);
    q = ct_put_uvarint(q, how);
    q = ct_put_uvarint(q, code);
    q = ct_put_uvarint(q, __atomic_load_n(&p->dropped, __ATOMIC_RELAXED));
    q = ct_put_uvarint(q, end_mono_ns);
    q = ct_put_uvarint(q, __atomic_load_n(&p->stalls, __ATOMIC_RELAXED));
    q = ct_put_uvarint(q, __atomic_load_n(&p->stall_ns, __ATOMIC_RELAXED));
    return ct_tw_record(w, CT_REC_PROCESS_END, buf, (size_t)(q - buf));
}
