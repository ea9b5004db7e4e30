/*
 * buf.h - a byte buffer with a ceiling, for output held back until we know
 * whether to show it (a test's output is shown only if the test fails).
 *
 * Up to `limit` bytes are kept whole. Past that, the buffer keeps the first
 * half of the limit and the latest bytes in a ring of the other half, and
 * counts what fell in between: a test that prints gigabytes costs the runner
 * `limit` bytes, and its failure message (at the end) is still shown.
 */
#ifndef RN_BUF_H
#define RN_BUF_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#define RN_BUF_DEFAULT_LIMIT ((size_t)16 << 20) /* 16 MiB */

typedef struct rn_buf {
    size_t limit;     /* >= 2 */
    char *head;       /* the first bytes, kept whole */
    size_t head_len, head_cap;
    char *ring;       /* the latest bytes once past the limit; NULL before */
    size_t ring_size, ring_start, ring_len;
    uint64_t omitted; /* bytes dropped between head and ring */
    int oom;          /* an allocation failed: bytes were dropped */
} rn_buf;

/* An empty buffer holding up to `limit` bytes (0: RN_BUF_DEFAULT_LIMIT). */
void rn_buf_init(rn_buf *b, size_t limit);

/* Append `n` bytes. Never fails: what cannot be kept is counted as omitted. */
void rn_buf_append(rn_buf *b, const char *s, size_t n);

int rn_buf_empty(const rn_buf *b);

/* Total bytes appended since the last clear. */
uint64_t rn_buf_total(const rn_buf *b);

/* Call fn on the content in order: the head, a line saying how many bytes
 * were omitted (if any), then the ring. */
typedef void rn_buf_fn(void *ctx, const char *s, size_t n);
void rn_buf_each(const rn_buf *b, rn_buf_fn *fn, void *ctx);

/* Forget the content (memory is kept for reuse, up to the limit). */
void rn_buf_clear(rn_buf *b);
void rn_buf_free(rn_buf *b);

#endif /* RN_BUF_H */
