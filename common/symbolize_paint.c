/*
 * symbolize_paint.c - spans that overlap, cut into disjoint pieces that
 * each go to one span: the latest. Modules use it (a later registration
 * wins: dlclose, then dlopen at the same place), and so do a unit's function
 * scopes, listed outer before inner, so that an address goes to the
 * innermost function inlined there.
 */
#include "common/symbolize_internal.h"

#include <stdlib.h> /* malloc, qsort, free */

typedef struct by_lo {
    uint64_t lo;
    size_t span;
} by_lo;

static int by_lo_cmp(const void *a, const void *b)
{
    const by_lo *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->span < y->span ? -1 : x->span > y->span; /* qsort is not stable */
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A max-heap of span indexes: the latest on top. */
static void heap_push(size_t *h, size_t *n, size_t v)
{
    size_t i = (*n)++;
    for (; i > 0 && h[(i - 1) / 2] < v; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = v;
}

static void heap_pop(size_t *h, size_t *n)
{
    size_t v = h[--*n], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] > h[c])
            c++;
        if (h[c] <= v)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
}

/* A sweep over the pieces between all ends, with the spans covering the
 * current piece in a heap; those already ended are dropped when they
 * surface. */
int ctr__sym_paint(const sym_span *spans, size_t n, sym_piece **out, size_t *nout)
{
    size_t nb = 0, nh = 0, nr = 0;
    uint64_t *bounds = malloc(2 * n * sizeof *bounds + 1);
    by_lo *starts = malloc(n * sizeof *starts + 1);
    size_t *heap = malloc(n * sizeof *heap + 1);
    sym_piece *pieces = malloc(2 * n * sizeof *pieces + 1);
    if (!bounds || !starts || !heap || !pieces) {
        free(bounds), free(starts), free(heap), free(pieces);
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (spans[i].lo >= spans[i].hi)
            continue; /* covers nothing */
        bounds[nb++] = spans[i].lo;
        bounds[nb++] = spans[i].hi;
        starts[m++] = (by_lo){spans[i].lo, i};
    }
    qsort(bounds, nb, sizeof *bounds, u64_cmp);
    qsort(starts, m, sizeof *starts, by_lo_cmp);
    size_t next = 0;
    for (size_t k = 0; k + 1 < nb; k++) {
        if (bounds[k] == bounds[k + 1])
            continue;
        while (next < m && starts[next].lo <= bounds[k])
            heap_push(heap, &nh, starts[next++].span);
        while (nh > 0 && spans[heap[0]].hi <= bounds[k])
            heap_pop(heap, &nh);
        if (nh == 0)
            continue;
        if (nr > 0 && pieces[nr - 1].span == heap[0] && pieces[nr - 1].hi == bounds[k])
            pieces[nr - 1].hi = bounds[k + 1];
        else
            pieces[nr++] = (sym_piece){bounds[k], bounds[k + 1], heap[0]};
    }
    free(bounds), free(starts), free(heap);
    *out = pieces;
    *nout = nr;
    return 0;
}

size_t ctr__sym_piece_find(const sym_piece *pieces, size_t n, uint64_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pieces[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 || addr >= pieces[lo - 1].hi ? SIZE_MAX : pieces[lo - 1].span;
}
