/* window.c - the ring of batches of a flight recorder's window (window.h). */
#include "recorder/window.h"

#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcpy */

#include <ctrace.h> /* CT_ENOMEM */

#include "format/pool.h" /* CT_CHUNK_BYTES */

/* A batch in the ring: this header, then its events, padded to 8 bytes. */
typedef struct rec_head {
    uint32_t thread, len;
    uint64_t seq, offset, tsc, ns;
} rec_head;

_Static_assert(sizeof(rec_head) == CT_WINDOW_BATCH_OVERHEAD, "a batch's cost, as documented");

#define MAX_RECORD (sizeof(rec_head) + CT_CHUNK_BYTES)

struct ct_window {
    uint8_t *ring;
    size_t cap;      /* limit and a record's worth: the end a wrap may leave unused */
    size_t limit;    /* what the records may take in all */
    size_t held;     /* what they take */
    size_t head;     /* the oldest */
    size_t tail;     /* where the next goes */
    size_t wrap_at;  /* with `wrapped`, where the older records end: on from 0 */
    size_t count;
    int wrapped;
    ct_wstate state; /* what left the ring */
};

static size_t record_size(uint32_t len)
{
    return sizeof(rec_head) + (((size_t)len + 7) & ~(size_t)7);
}

ct_window *ct_window_new(size_t limit)
{
    if (limit < MAX_RECORD)
        return NULL;
    ct_window *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->limit = limit;
    w->cap = limit + MAX_RECORD;
    w->ring = malloc(w->cap); /* pages are taken as batches come */
    if (!w->ring) {
        free(w);
        return NULL;
    }
    return w;
}

void ct_window_free(ct_window *w)
{
    if (!w)
        return;
    ct_ws_free(&w->state);
    free(w->ring);
    free(w);
}

const ct_wstate *ct_window_state(const ct_window *w)
{
    return &w->state;
}

static const rec_head *head_at(const ct_window *w, size_t pos)
{
    return (const rec_head *)(w->ring + pos);
}

/* The oldest batch leaves, folded into the state. */
static int evict(ct_window *w)
{
    const rec_head *h = head_at(w, w->head);
    ct_wclock clock = {h->tsc, h->ns};
    long rc = ct_ws_fold(&w->state, h->thread, h->seq, h->offset, clock,
                         (const uint8_t *)(h + 1), h->len, UINT64_MAX);
    size_t size = record_size(h->len);
    w->held -= size;
    w->head += size;
    if (--w->count == 0) {
        w->head = w->tail = 0;
        w->wrapped = 0;
    } else if (w->wrapped && w->head == w->wrap_at) {
        w->head = 0;
        w->wrapped = 0;
    }
    return rc < 0 ? CT_ENOMEM : 0;
}

/* Where `need` bytes fit in one piece, or (size_t)-1. */
static size_t place(ct_window *w, size_t need)
{
    if (!w->wrapped) {
        if (w->tail + need <= w->cap)
            return w->tail;
        if (need <= w->head) { /* from the start, the rest of the end unused */
            w->wrap_at = w->tail;
            w->wrapped = 1;
            w->tail = 0;
            return 0;
        }
        return (size_t)-1;
    }
    return w->tail + need <= w->head ? w->tail : (size_t)-1;
}

int ct_window_add(ct_window *w, uint32_t thread, uint64_t seq, uint64_t offset, ct_wclock clock,
                  const uint8_t *events, size_t len)
{
    if (len == 0)
        return 0;
    size_t need = record_size((uint32_t)len);
    if (len > CT_CHUNK_BYTES)
        return CT_EINVAL; /* a drainer never sends more than a chunk */
    int rc = 0;
    size_t at = 0;
    while (w->held + need > w->limit || (at = place(w, need)) == (size_t)-1)
        if (evict(w) != 0)
            rc = CT_ENOMEM;
    rec_head *h = (rec_head *)(w->ring + at);
    *h = (rec_head){thread, (uint32_t)len, seq, offset, clock.tsc, clock.ns};
    memcpy(h + 1, events, len);
    w->tail = at + need;
    w->held += need;
    w->count++;
    return rc;
}

void ct_window_first(const ct_window *w, ct_wcursor *c)
{
    c->pos = w->head;
    c->left = w->count;
}

int ct_window_next(const ct_window *w, ct_wcursor *c, ct_wbatch *b)
{
    if (c->left == 0)
        return 0;
    if (w->wrapped && c->pos == w->wrap_at)
        c->pos = 0;
    const rec_head *h = head_at(w, c->pos);
    *b = (ct_wbatch){h->thread, h->len, h->seq, h->offset, {h->tsc, h->ns},
                     (const uint8_t *)(h + 1)};
    c->pos += record_size(h->len);
    c->left--;
    return 1;
}
