/*
 * sort.c - external stable merge sort (see sort.h).
 *
 * Gathering: entries (key, payload offset and length) in one array, payloads
 * in an arena; both grow by doubling within the budget, counting an entry
 * twice (the merge sort's scratch copy). A full buffer is sorted with a
 * bottom-up merge sort (stable, and nearly linear on the nearly sorted input
 * traces give) and written as a run.
 *
 * A run on disk, record after record: the key as deltas from the previous
 * record's (k0 delta; then if it is 0 the k1 delta, else k1 and k2 whole; then
 * if both were 0 the k2 delta, else k2 whole), the payload's length, the
 * payload. Reading merges the runs with a binary heap ordered by key, then
 * run number: earlier runs hold earlier records, which keeps the sort stable.
 */
#include "sort.h"

#include <errno.h>  /* EIO */
#include <stdlib.h> /* malloc, realloc, free */
#include <string.h> /* memcpy, memmove, memset */

#include <ctrace.h> /* CT_ENOMEM, CT_EIO, CT_EINVAL */

#include "format/wire.h" /* ct_put_uvarint, ct_get_uvarint */
#include "maps.h"        /* ctv_reserve */

#define MIN_BUDGET (64u * 1024u)
#define READ_BUFFER (16u * 1024u) /* a run's: CTV_SORT_FANIN of them at once */
#define HEADER_MAX (4 * CT_UVARINT_MAX) /* three key fields and a length */
#define INSERTION_BLOCK 16
#define DISCARD_STEP (1u << 20) /* merged bytes given back to the disk at a time */

struct ctv_sort_entry {
    uint64_t k[3];
    uint32_t off, len; /* in the arena */
};

struct ctv_sort_run {
    uint64_t offset, bytes; /* in s->runs */
};

struct ctv_sort_reader {
    ctv_spill_cursor c;
    uint64_t k[3];                 /* the current record's key */
    const unsigned char *payload;
    size_t len;
    unsigned char *scratch;        /* a payload longer than the cursor's buffer */
    size_t scratch_cap;
    uint64_t discarded;            /* its run's bytes before this are given back */
    int done;
};

void ctv_sort_init(ctv_sort *s, ctv_tmp *tmp, const char *what, size_t budget)
{
    memset(s, 0, sizeof *s);
    s->tmp = tmp;
    s->what = what;
    s->budget = budget < MIN_BUDGET ? MIN_BUDGET : budget;
    ctv_spill_init(&s->runs, tmp, what, 0);
}

/* ---- keys ------------------------------------------------------------------ */

static inline int key_less(const uint64_t *a, const uint64_t *b)
{
    if (a[0] != b[0])
        return a[0] < b[0];
    if (a[1] != b[1])
        return a[1] < b[1];
    return a[2] < b[2];
}

static unsigned char *put_key(unsigned char *p, const uint64_t *prev, const uint64_t *k)
{
    p = ct_put_uvarint(p, k[0] - prev[0]);
    if (k[0] != prev[0]) {
        p = ct_put_uvarint(p, k[1]);
        return ct_put_uvarint(p, k[2]);
    }
    p = ct_put_uvarint(p, k[1] - prev[1]);
    return ct_put_uvarint(p, k[1] != prev[1] ? k[2] : k[2] - prev[2]);
}

/* The key after `prev` from bytes [p, end). @return bytes used, 0 if malformed. */
static size_t get_key(const unsigned char *p, const unsigned char *end, uint64_t *k)
{
    uint64_t d[3];
    size_t used = 0;
    for (int i = 0; i < 3; i++) {
        unsigned n = ct_get_uvarint(p + used, end, &d[i]);
        if (!n)
            return 0;
        used += n;
    }
    if (d[0] != 0) {
        k[0] += d[0];
        k[1] = d[1];
        k[2] = d[2];
    } else if (d[1] != 0) {
        k[1] += d[1];
        k[2] = d[2];
    } else {
        k[2] += d[2];
    }
    return used;
}

/* ---- sorting in memory --------------------------------------------------------- */

static void insertion_sort(ctv_sort_entry *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (!key_less(a[i].k, a[i - 1].k))
            continue;
        ctv_sort_entry e = a[i];
        size_t j = i;
        do {
            a[j] = a[j - 1];
            j--;
        } while (j > 0 && key_less(e.k, a[j - 1].k));
        a[j] = e;
    }
}

/* Merge sorted a[0, mid) and a[mid, n) into out: from the left on ties. */
static void merge(const ctv_sort_entry *a, size_t mid, size_t n, ctv_sort_entry *out)
{
    size_t i = 0, j = mid, k = 0;
    if (mid == 0 || mid == n || !key_less(a[mid].k, a[mid - 1].k)) {
        memcpy(out, a, n * sizeof *a); /* already in order: common in traces */
        return;
    }
    while (i < mid && j < n)
        out[k++] = key_less(a[j].k, a[i].k) ? a[j++] : a[i++];
    while (i < mid)
        out[k++] = a[i++];
    while (j < n)
        out[k++] = a[j++];
}

/* Stable bottom-up merge sort of a[0, n) with scratch space of n entries. */
static void merge_sort(ctv_sort_entry *a, ctv_sort_entry *scratch, size_t n)
{
    for (size_t i = 0; i < n; i += INSERTION_BLOCK)
        insertion_sort(a + i, n - i < INSERTION_BLOCK ? n - i : INSERTION_BLOCK);
    ctv_sort_entry *from = a, *to = scratch;
    for (size_t width = INSERTION_BLOCK; width < n; width *= 2) {
        for (size_t i = 0; i < n; i += 2 * width) {
            size_t mid = i + width < n ? width : n - i;
            size_t len = i + 2 * width < n ? 2 * width : n - i;
            merge(from + i, mid, len, to + i);
        }
        ctv_sort_entry *swap = from;
        from = to;
        to = swap;
    }
    if (from != a)
        memcpy(a, from, n * sizeof *a);
}

static int sort_entries(ctv_sort *s)
{
    if (s->count < 2)
        return 0;
    if (s->count <= INSERTION_BLOCK) {
        insertion_sort(s->entries, s->count);
        return 0;
    }
    ctv_sort_entry *scratch = malloc(s->count * sizeof *scratch);
    if (!scratch)
        return CT_ENOMEM;
    merge_sort(s->entries, scratch, s->count);
    free(scratch);
    return 0;
}

/* ---- runs ------------------------------------------------------------------- */

static int add_run(ctv_sort *s, uint64_t offset)
{
    ctv_sort_run *grown = ctv_reserve(s->run, &s->runs_cap, s->nruns, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    s->run = grown;
    s->run[s->nruns].offset = offset;
    s->run[s->nruns].bytes = s->runs.size - offset;
    s->nruns++;
    return 0;
}

/* Write one record of a run after `prev` (updated). */
static int write_record(ctv_spill *out, uint64_t *prev, const uint64_t *k,
                        const unsigned char *payload, size_t len)
{
    unsigned char head[HEADER_MAX], *p = put_key(head, prev, k);
    p = ct_put_uvarint(p, len);
    memcpy(prev, k, 3 * sizeof *k);
    int rc = ctv_spill_append(out, head, (size_t)(p - head));
    if (rc == 0 && len)
        rc = ctv_spill_append(out, payload, len);
    return rc;
}

/* The gathered records, sorted, as a run; the buffer is then empty. */
static int spill_run(ctv_sort *s)
{
    int rc = sort_entries(s);
    if (rc != 0)
        return rc;
    uint64_t offset = s->runs.size, prev[3] = {0, 0, 0};
    for (size_t i = 0; i < s->count && rc == 0; i++) {
        const ctv_sort_entry *e = &s->entries[i];
        rc = write_record(&s->runs, prev, e->k, s->arena + e->off, e->len);
    }
    if (rc == 0)
        rc = add_run(s, offset);
    s->spilled++;
    s->count = 0;
    s->arena_len = 0;
    return rc;
}

/* Room for one more record of `len` bytes within the budget. @return 1 if
 * there is (or was made), 0 if the buffer is full, -1 out of memory. Both
 * arrays double while they can; then they take what is left of the budget,
 * the entries leaving the payloads room for as many records of the size
 * seen so far. */
static int make_room(ctv_sort *s, size_t len)
{
    size_t entry_cost = 2 * sizeof *s->entries; /* the entry and its scratch copy */
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        if (s->count && cap * entry_cost + s->arena_cap > s->budget) {
            size_t fit = s->budget / (entry_cost + s->arena_len / s->count + 1);
            if (fit <= s->cap)
                return 0;
            cap = fit;
        }
        ctv_sort_entry *grown = realloc(s->entries, cap * sizeof *grown);
        if (!grown)
            return -1;
        s->entries = grown;
        s->cap = cap;
    }
    size_t need = s->arena_len + len;
    if (need > s->arena_cap) {
        size_t cap = s->arena_cap ? s->arena_cap * 2 : 16384;
        while (cap < need)
            cap *= 2;
        if (s->count && s->cap * entry_cost + cap > s->budget) {
            size_t left = s->budget > s->cap * entry_cost ? s->budget - s->cap * entry_cost : 0;
            if (left < need)
                return 0;
            cap = left;
        }
        if (cap > UINT32_MAX) /* offsets are 32-bit: a run first */
            return s->count ? 0 : -1;
        unsigned char *grown = realloc(s->arena, cap);
        if (!grown)
            return -1;
        s->arena = grown;
        s->arena_cap = cap;
    }
    return 1;
}

int ctv_sort_add(ctv_sort *s, uint64_t k0, uint64_t k1, uint64_t k2, const void *payload,
                 size_t len)
{
    if (s->finished)
        return CT_EINVAL;
    if (ctv_tmp_failed(s->tmp))
        return CT_EIO;
    if (len > UINT32_MAX)
        return CT_ENOMEM;
    int room = make_room(s, len);
    if (room == 0) {
        int rc = spill_run(s);
        if (rc != 0)
            return rc;
        room = make_room(s, len);
    }
    if (room <= 0)
        return CT_ENOMEM;
    ctv_sort_entry *e = &s->entries[s->count++];
    e->k[0] = k0;
    e->k[1] = k1;
    e->k[2] = k2;
    e->off = (uint32_t)s->arena_len;
    e->len = (uint32_t)len;
    if (len)
        memcpy(s->arena + s->arena_len, payload, len);
    s->arena_len += len;
    s->records++;
    return 0;
}

/* ---- merging runs ----------------------------------------------------------------- */

static int reader_fail(ctv_sort *s)
{
    if (!ctv_tmp_failed(s->tmp))
        ctv_tmp_fail(s->tmp, "cannot read back a temporary file", s->what, EIO);
    return CT_EIO;
}

/* Move reader r to its next record (r->done at the end of its run). */
static int reader_advance(ctv_sort *s, ctv_sort_reader *r)
{
    ctv_spill_cursor *c = &r->c;
    if (c->pos - r->discarded >= DISCARD_STEP) { /* what was read is read once */
        ctv_spill_discard(c->s, r->discarded, c->pos - r->discarded);
        r->discarded = c->pos;
    }
    if (c->pos >= c->end) {
        r->done = 1;
        return 0;
    }
    uint64_t start = c->pos, left = c->end - c->pos;
    size_t n = left < HEADER_MAX ? (size_t)left : HEADER_MAX;
    const unsigned char *p = ctv_spill_cursor_get(c, n);
    uint64_t len;
    size_t used = p ? get_key(p, p + n, r->k) : 0;
    unsigned len_used = used ? ct_get_uvarint(p + used, p + n, &len) : 0;
    if (!len_used || len > c->end - start - used - len_used)
        return reader_fail(s);
    ctv_spill_cursor_seek(c, start + used + len_used);
    r->len = (size_t)len;
    return ctv_spill_cursor_bytes(c, r->len, &r->payload, &r->scratch, &r->scratch_cap);
}

static int heap_less(const ctv_sort *s, uint32_t a, uint32_t b)
{
    const uint64_t *x = s->readers[a].k, *y = s->readers[b].k;
    if (x[0] != y[0] || x[1] != y[1] || x[2] != y[2])
        return key_less(x, y);
    return a < b; /* the earlier run first: stable */
}

static void heap_down(ctv_sort *s, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_len && heap_less(s, s->heap[l], s->heap[m]))
            m = l;
        if (r < s->heap_len && heap_less(s, s->heap[r], s->heap[m]))
            m = r;
        if (m == i)
            return;
        uint32_t swap = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = swap;
        i = m;
    }
}

static void close_readers(ctv_sort *s, size_t n)
{
    for (size_t i = 0; s->readers && i < n; i++) {
        ctv_spill_cursor_free(&s->readers[i].c);
        free(s->readers[i].scratch);
    }
    free(s->readers);
    free(s->heap);
    s->readers = NULL;
    s->heap = NULL;
    s->heap_len = 0;
}

/* Readers over runs [first, first + n) of `spill`, on their first records. */
static int open_readers(ctv_sort *s, ctv_spill *spill, const ctv_sort_run *runs, size_t n)
{
    s->readers = calloc(n ? n : 1, sizeof *s->readers);
    s->heap = malloc((n ? n : 1) * sizeof *s->heap);
    if (!s->readers || !s->heap) {
        close_readers(s, 0);
        return CT_ENOMEM;
    }
    s->heap_len = 0;
    s->advance = 0;
    for (size_t i = 0; i < n; i++) {
        ctv_sort_reader *r = &s->readers[i];
        int rc = ctv_spill_cursor_init(&r->c, spill, runs[i].offset,
                                       runs[i].offset + runs[i].bytes, READ_BUFFER);
        r->discarded = runs[i].offset;
        if (rc == 0)
            rc = reader_advance(s, r);
        if (rc != 0) {
            close_readers(s, i + 1);
            return rc;
        }
        if (!r->done)
            s->heap[s->heap_len++] = (uint32_t)i;
    }
    for (size_t i = s->heap_len / 2; i-- > 0;)
        heap_down(s, i);
    return 0;
}

/* The smallest record among the readers; its reader moves on at the next
 * call, so the payload stays valid until then. @return 1, 0 at the end, <0. */
static int merge_next(ctv_sort *s, ctv_sort_rec *rec)
{
    if (s->advance && s->heap_len) {
        ctv_sort_reader *top = &s->readers[s->heap[0]];
        int rc = reader_advance(s, top);
        if (rc != 0)
            return rc;
        if (top->done)
            s->heap[0] = s->heap[--s->heap_len];
        heap_down(s, 0);
    }
    s->advance = 0;
    if (s->heap_len == 0)
        return 0;
    const ctv_sort_reader *top = &s->readers[s->heap[0]];
    memcpy(rec->k, top->k, sizeof rec->k);
    rec->payload = top->payload;
    rec->len = top->len;
    s->advance = 1;
    return 1;
}

/* Fewer runs, down to CTV_SORT_FANIN: merge just enough of the first ones,
 * CTV_SORT_FANIN at most at a time, that the rest plus the merged ones fit
 * one final merge (merging k runs into one leaves k - 1 fewer). The merged
 * runs are appended to the same spill, in the place of those they replace:
 * the earlier records stay in earlier runs, which keeps the sort stable. */
static int merge_level(ctv_sort *s)
{
    size_t excess = s->nruns - CTV_SORT_FANIN, first = 0, kept = 0;
    int rc = 0;
    while (excess > 0 && rc == 0 && s->nruns - first >= 2) {
        size_t n = excess + 1 < CTV_SORT_FANIN ? excess + 1 : CTV_SORT_FANIN;
        if (n > s->nruns - first) /* past FANIN^2 runs: another level follows */
            n = s->nruns - first;
        rc = open_readers(s, &s->runs, s->run + first, n);
        if (rc != 0)
            break;
        uint64_t offset = s->runs.size, prev[3] = {0, 0, 0};
        ctv_sort_rec rec;
        while ((rc = merge_next(s, &rec)) == 1)
            rc = write_record(&s->runs, prev, rec.k, rec.payload, rec.len);
        close_readers(s, n);
        if (rc == 0)
            rc = ctv_spill_seal(&s->runs);
        /* run[kept] is read no more: run[first..] are past it */
        s->run[kept].offset = offset;
        s->run[kept].bytes = s->runs.size - offset;
        kept++;
        first += n;
        excess -= n - 1;
    }
    if (rc != 0)
        return rc;
    memmove(s->run + kept, s->run + first, (s->nruns - first) * sizeof *s->run);
    s->nruns = kept + s->nruns - first;
    return 0;
}

int ctv_sort_finish(ctv_sort *s)
{
    if (s->finished)
        return 0;
    s->finished = 1;
    s->next = 0;
    if (s->nruns == 0) /* it all fit: sorted where it is */
        return sort_entries(s);
    int rc = s->count ? spill_run(s) : 0;
    free(s->entries);
    free(s->arena);
    s->entries = NULL;
    s->arena = NULL;
    s->cap = s->arena_cap = 0;
    if (rc == 0)
        rc = ctv_spill_seal(&s->runs);
    while (rc == 0 && s->nruns > CTV_SORT_FANIN)
        rc = merge_level(s);
    if (rc == 0)
        rc = open_readers(s, &s->runs, s->run, s->nruns);
    return rc;
}

int ctv_sort_next(ctv_sort *s, ctv_sort_rec *rec)
{
    if (!s->finished)
        return CT_EINVAL;
    if (s->readers)
        return merge_next(s, rec);
    if (s->nruns) /* the merge failed or ended */
        return ctv_tmp_failed(s->tmp) ? CT_EIO : 0;
    if (s->next >= s->count)
        return 0;
    const ctv_sort_entry *e = &s->entries[s->next++];
    memcpy(rec->k, e->k, sizeof rec->k);
    rec->payload = s->arena + e->off;
    rec->len = e->len;
    return 1;
}

void ctv_sort_free(ctv_sort *s)
{
    close_readers(s, s->nruns);
    free(s->entries);
    free(s->arena);
    free(s->run);
    ctv_spill_free(&s->runs);
    memset(s, 0, sizeof *s);
    s->runs.fd = -1; /* freeing it again closes nothing */
}
