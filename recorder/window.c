/* window.c - the ring of batches of a flight recorder's window (window.h). */
#include "recorder/window.h"

#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcpy */

#include <ctrace.h>        /* CT_ENOMEM */
#include <ctrace_reader.h> /* CTR_STATUS_*: TASK_STATUS's numbers */

#include "format/pool.h"   /* CT_CHUNK_BYTES */
#include "format/schema.h" /* ct_event_parse */

/* A batch in the ring: this header, then its events, padded to 8 bytes. */
typedef struct rec_head {
    uint32_t thread;
    uint32_t len : 31;
    uint32_t pass_begins : 1; /* the first batch a drain pass added */
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
    int pass_begins; /* the next batch added is a drain pass's first */
    ct_wstate state; /* what left the ring */
    /* Tasks whose status said they failed, until their end comes; then
     * those that ended, until taken. Oldest first. */
    uint64_t failing[CT_WINDOW_FAILED_MAX], failed[CT_WINDOW_FAILED_MAX];
    size_t nfailing, nfailed;
    /* Batches are numbered as they come: the oldest held is head_no. The
     * latest test and fixture begins, by task, with their batch's number:
     * a failed test's trace must be written before its begin leaves. */
    uint64_t head_no, next_no;
    uint64_t begun_task[CT_WINDOW_FAILED_MAX], begun_no[CT_WINDOW_FAILED_MAX];
    size_t begun_next;
    uint64_t failed_from; /* the oldest batch the failed tasks need */
    ct_window_failed_fn *on_failed;
    void *on_failed_ctx;
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
    w->head_no++;
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

/* Append `task` to list v (n used), the oldest forgotten when it is full. */
static void remember(uint64_t *v, size_t *n, uint64_t task)
{
    if (*n == CT_WINDOW_FAILED_MAX)
        memmove(v, v + 1, --*n * sizeof *v);
    v[(*n)++] = task;
}

/* The number of the batch test or fixture `task` began in, or 0 (long gone). */
static uint64_t begun_in(const ct_window *w, uint64_t task)
{
    for (size_t i = 0; i < CT_WINDOW_FAILED_MAX; i++)
        if (w->begun_task[i] == task && w->begun_no[i] >= w->head_no)
            return w->begun_no[i];
    return 0;
}

void ct_window_on_failed(ct_window *w, ct_window_failed_fn *fn, void *ctx)
{
    w->on_failed = fn;
    w->on_failed_ctx = ctx;
}

/* Batches are about to leave: the failed tasks not taken yet are written
 * first. */
static void failed_now(ct_window *w)
{
    uint64_t tasks[CT_WINDOW_FAILED_MAX];
    size_t n = w->on_failed ? ct_window_take_failed(w, tasks, CT_WINDOW_FAILED_MAX) : 0;
    for (size_t i = 0; i < n; i++)
        w->on_failed(w->on_failed_ctx, tasks[i]);
}

/* Note the tasks that fail and end in a batch as it comes (its number `no`). */
static void note_failures(ct_window *w, const uint8_t *events, size_t len, uint64_t no)
{
    ct_event_fields f;
    for (size_t at = 0, n; at < len && (n = ct_event_parse(events + at, events + len, &f));
         at += n) {
        if (f.code == CT_EV_TASK_BEGIN && f.v[3] != 0) { /* a test, a fixture */
            w->begun_task[w->begun_next] = f.v[0];
            w->begun_no[w->begun_next] = no;
            w->begun_next = (w->begun_next + 1) % CT_WINDOW_FAILED_MAX;
        } else if (f.code == CT_EV_TASK_STATUS && f.v[1] != CTR_STATUS_PASS &&
            f.v[1] != CTR_STATUS_SKIP) {
            remember(w->failing, &w->nfailing, f.v[0]);
        } else if (f.code == CT_EV_TASK_END) {
            for (size_t i = 0; i < w->nfailing; i++) {
                if (w->failing[i] != f.v[0])
                    continue;
                memmove(&w->failing[i], &w->failing[i + 1],
                        (--w->nfailing - i) * sizeof *w->failing);
                if (w->nfailed == CT_WINDOW_FAILED_MAX)
                    failed_now(w); /* written now rather than forgotten */
                uint64_t from = begun_in(w, f.v[0]);
                if (w->nfailed == 0 || from < w->failed_from)
                    w->failed_from = from;
                remember(w->failed, &w->nfailed, f.v[0]);
                break;
            }
        }
    }
}

size_t ct_window_take_failed(ct_window *w, uint64_t *tasks, size_t cap)
{
    size_t n = w->nfailed < cap ? w->nfailed : cap;
    memcpy(tasks, w->failed, n * sizeof *tasks);
    memmove(w->failed, w->failed + n, (w->nfailed - n) * sizeof *w->failed);
    w->nfailed -= n;
    return n;
}

void ct_window_pass_begin(ct_window *w)
{
    w->pass_begins = 1;
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
    while (w->held + need > w->limit || (at = place(w, need)) == (size_t)-1) {
        if (w->nfailed && w->failed_from <= w->head_no)
            failed_now(w); /* what leaves next is a failed test's: write it first */
        if (evict(w) != 0)
            rc = CT_ENOMEM;
    }
    rec_head *h = (rec_head *)(w->ring + at);
    *h = (rec_head){thread, (uint32_t)len, (uint32_t)w->pass_begins, seq, offset, clock.tsc,
                    clock.ns};
    w->pass_begins = 0;
    memcpy(h + 1, events, len);
    w->tail = at + need;
    w->held += need;
    w->count++;
    /* In the ring first: a failed task's trace may be written as it is noted. */
    note_failures(w, events, len, w->next_no++);
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
                     (const uint8_t *)(h + 1), h->pass_begins};
    c->pos += record_size(h->len);
    c->left--;
    return 1;
}
