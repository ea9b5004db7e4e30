/* drain.c - pool -> BATCH records, in each thread's chunk order (see drain.h). */
#include "recorder/drain.h"

#include "format/wire.h" /* ct_put_uvarint */

#include <stdlib.h> /* calloc, qsort */

#include <ctrace.h>

struct ct_drain_item {
    uint32_t index, thread;
    uint64_t seq;
    uint32_t committed;
    int full;
};

int ct_drainer_init(ct_drainer *d, ct_pool_header *pool, uint32_t proc)
{
    d->pool = pool;
    d->nchunks = pool->nchunks;
    d->chunk_bytes = pool->chunk_bytes;
    d->descs_offset = pool->descs_offset;
    d->data_offset = pool->data_offset;
    d->proc = proc;
    d->drained = calloc(d->nchunks, sizeof *d->drained);
    d->items = calloc(d->nchunks, sizeof *d->items);
    if (!d->drained || !d->items) {
        ct_drainer_free(d);
        return CT_ENOMEM;
    }
    return 0;
}

void ct_drainer_free(ct_drainer *d)
{
    free(d->drained);
    free(d->items);
    d->drained = NULL;
    d->items = NULL;
}

static int by_thread_then_seq(const void *a, const void *b)
{
    const struct ct_drain_item *x = a, *y = b;
    if (x->thread != y->thread)
        return x->thread < y->thread ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int write_batch(ct_drainer *d, ct_trace_writer *w, const struct ct_drain_item *it,
                       const ct_chunk_desc *desc)
{
    uint32_t from = d->drained[it->index];
    if (it->committed <= from)
        return 0;
    uint8_t head[8 * CT_UVARINT_MAX], *p = head;
    p = ct_put_uvarint(p, d->proc);
    p = ct_put_uvarint(p, it->thread);
    p = ct_put_uvarint(p, it->seq);
    p = ct_put_uvarint(p, from);
    p = ct_put_uvarint(p, desc->tsc_base);
    p = ct_put_uvarint(p, desc->ns_base);
    const uint8_t *data = (const uint8_t *)d->pool + d->data_offset +
                          (uint64_t)it->index * d->chunk_bytes;
    d->drained[it->index] = it->committed;
    return ct_tw_batch(w, head, (size_t)(p - head), data + from, it->committed - from);
}

int ct_drainer_pass(ct_drainer *d, ct_trace_writer *w, int final)
{
    ct_chunk_desc *descs = (ct_chunk_desc *)((char *)d->pool + d->descs_offset);
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->nchunks; i++) {
        uint32_t state = __atomic_load_n(&descs[i].state, __ATOMIC_ACQUIRE);
        if (state != CT_CHUNK_OWNED && state != CT_CHUNK_FULL)
            continue;
        struct ct_drain_item *it = &d->items[n++];
        it->index = i;
        it->thread = descs[i].thread;
        it->seq = descs[i].seq;
        it->full = state == CT_CHUNK_FULL || final;
        /* Read after the state: a FULL chunk's length is then final. */
        uint32_t c = __atomic_load_n(&descs[i].committed, __ATOMIC_ACQUIRE);
        it->committed = c <= d->chunk_bytes ? c : d->chunk_bytes;
    }
    qsort(d->items, n, sizeof *d->items, by_thread_then_seq);

    int rc = 0;
    for (uint32_t k = 0; k < n; k++) {
        struct ct_drain_item *it = &d->items[k];
        if (write_batch(d, w, it, &descs[it->index]) != 0)
            rc = CT_EIO;
        if (it->full) {
            d->drained[it->index] = 0;
            __atomic_store_n(&descs[it->index].state, CT_CHUNK_FREE, __ATOMIC_RELEASE);
            continue;
        }
        /* This thread's later chunks wait for the next pass, after the rest
         * of this one: a thread's events must stay in order. */
        while (k + 1 < n && d->items[k + 1].thread == it->thread)
            k++;
    }
    if (ct_tw_flush(w) != 0)
        rc = CT_EIO;
    return rc;
}
