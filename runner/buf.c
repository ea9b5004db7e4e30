/*
 * buf.c - a byte buffer with a ceiling (buf.h).
 */
#include "buf.h"

#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* malloc, realloc, free */
#include <string.h> /* memcpy */

void rn_buf_init(rn_buf *b, size_t limit)
{
    *b = (rn_buf){0};
    b->limit = limit == 0 ? RN_BUF_DEFAULT_LIMIT : (limit < 2 ? 2 : limit);
}

int rn_buf_empty(const rn_buf *b)
{
    return b->head_len == 0 && b->ring_len == 0 && b->omitted == 0;
}

uint64_t rn_buf_total(const rn_buf *b)
{
    return b->head_len + b->ring_len + b->omitted;
}

/* Append to the ring, dropping its oldest bytes. */
static void ring_push(rn_buf *b, const char *s, size_t n)
{
    if (n >= b->ring_size) {
        b->omitted += b->ring_len + (n - b->ring_size);
        memcpy(b->ring, s + (n - b->ring_size), b->ring_size);
        b->ring_start = 0;
        b->ring_len = b->ring_size;
        return;
    }
    size_t w = (b->ring_start + b->ring_len) % b->ring_size;
    size_t first = b->ring_size - w < n ? b->ring_size - w : n;
    memcpy(b->ring + w, s, first);
    memcpy(b->ring, s + first, n - first);
    b->ring_len += n;
    if (b->ring_len > b->ring_size) {
        size_t dropped = b->ring_len - b->ring_size;
        b->omitted += dropped;
        b->ring_start = (b->ring_start + dropped) % b->ring_size;
        b->ring_len = b->ring_size;
    }
}

/* Past the limit: keep the head's first half, move the rest to a ring. */
static int start_ring(rn_buf *b)
{
    size_t keep = b->limit / 2;
    b->ring_size = b->limit - keep;
    b->ring = malloc(b->ring_size);
    if (b->ring == NULL) {
        b->ring_size = 0;
        return -1;
    }
    b->ring_start = b->ring_len = 0;
    if (b->head_len > keep) {
        size_t moved = b->head_len - keep;
        b->head_len = keep;
        ring_push(b, b->head + keep, moved);
    }
    return 0;
}

void rn_buf_append(rn_buf *b, const char *s, size_t n)
{
    if (n == 0)
        return;
    if (b->ring == NULL && n <= b->limit - b->head_len) {
        if (b->head_len + n > b->head_cap) {
            size_t cap = b->head_cap ? b->head_cap : 256;
            while (cap < b->head_len + n)
                cap *= 2;
            if (cap > b->limit)
                cap = b->limit;
            char *head = realloc(b->head, cap);
            if (head == NULL) {
                b->omitted += n;
                b->oom = 1;
                return;
            }
            b->head = head;
            b->head_cap = cap;
        }
        memcpy(b->head + b->head_len, s, n);
        b->head_len += n;
        return;
    }
    if (b->ring == NULL && start_ring(b) != 0) {
        b->omitted += n;
        b->oom = 1;
        return;
    }
    ring_push(b, s, n);
}

void rn_buf_each(const rn_buf *b, rn_buf_fn *fn, void *ctx)
{
    if (b->head_len > 0)
        fn(ctx, b->head, b->head_len);
    if (b->omitted > 0) {
        char note[96];
        int n = snprintf(note, sizeof note, "\n... [%llu bytes of output omitted] ...\n",
                         (unsigned long long)b->omitted);
        fn(ctx, note, (size_t)n);
    }
    if (b->ring_len > 0) {
        size_t first = b->ring_size - b->ring_start;
        if (first > b->ring_len)
            first = b->ring_len;
        fn(ctx, b->ring + b->ring_start, first);
        if (b->ring_len > first)
            fn(ctx, b->ring, b->ring_len - first);
    }
}

void rn_buf_clear(rn_buf *b)
{
    free(b->ring);
    b->ring = NULL;
    b->ring_size = b->ring_start = b->ring_len = 0;
    b->head_len = 0;
    b->omitted = 0;
    b->oom = 0;
}

void rn_buf_free(rn_buf *b)
{
    free(b->head);
    free(b->ring);
    size_t limit = b->limit;
    *b = (rn_buf){0};
    b->limit = limit;
}
