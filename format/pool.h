/*
 * pool.h - the event pool that traced threads write and a collector drains.
 *
 * Under ctest-trace the pool is shared memory owned by the runner, so a child
 * killed by SIGKILL loses nothing it had committed; with ct_start() it is
 * private memory drained by a thread of the process. Layout:
 *
 *   [ct_pool_header][ct_chunk_desc x nchunks][chunk data x nchunks]
 *
 * A thread owns one chunk at a time. It appends encoded events (wire.h) and
 * after each one stores the committed length with release order; a reader of
 * the pool copies [drained, committed) at any time. A full chunk is handed
 * back (state FULL); the collector frees it once drained. Chunk states:
 *
 *   FREE --thread CAS--> CLAIMED --thread fills desc--> OWNED --full/exit--> FULL
 *   FULL --collector drained all--> FREE
 */
#ifndef CT_FORMAT_POOL_H
#define CT_FORMAT_POOL_H

#include <stdint.h>

#define CT_POOL_MAGIC 0x314c4f4f50525443ull /* "CTRPOOL1" */
#define CT_POOL_VERSION 1u
#define CT_POOL_DEFAULT_BYTES (64u << 20)
#define CT_CHUNK_BYTES (32u << 10)

enum ct_chunk_state {
    CT_CHUNK_FREE = 0,
    CT_CHUNK_CLAIMED = 1,
    CT_CHUNK_OWNED = 2,
    CT_CHUNK_FULL = 3,
};

typedef struct ct_pool_header {
    uint64_t magic;
    uint32_t version;
    uint32_t chunk_bytes;
    uint64_t pool_bytes;
    uint32_t nchunks;
    uint32_t owner_pid;   /* atomic: 0 until a process attaches (CAS) */
    uint64_t descs_offset;
    uint64_t data_offset;
    uint32_t clock_kind;  /* ct_clock_kind, chosen by the collector */
    uint32_t reserved;
    uint64_t tsc_hz;      /* ticks per second (1e9 for the monotonic clock) */
    uint64_t dropped;     /* atomic: events the process could not record */
} ct_pool_header;

typedef struct ct_chunk_desc {
    uint32_t state;       /* atomic: ct_chunk_state */
    uint32_t committed;   /* atomic: bytes of complete events */
    uint32_t thread;      /* thread serial, unique in the process */
    uint32_t reserved;
    uint64_t seq;         /* index of this chunk among the thread's chunks */
    uint64_t tsc_base;    /* clock when the chunk was claimed: the first */
    uint64_t ns_base;     /* event's delta is from tsc_base */
    uint64_t pad[3];      /* one cache line per descriptor */
} ct_chunk_desc;

static inline ct_chunk_desc *ct_pool_descs(ct_pool_header *h)
{
    return (ct_chunk_desc *)((char *)h + h->descs_offset);
}

static inline uint8_t *ct_pool_chunk(ct_pool_header *h, uint32_t i)
{
    return (uint8_t *)h + h->data_offset + (uint64_t)i * h->chunk_bytes;
}

/* Lay out a pool in `mem` of `bytes` bytes. @return chunks, 0 if too small. */
uint32_t ct_pool_init(void *mem, uint64_t bytes, uint32_t clock_kind, uint64_t tsc_hz);

/* Check a pool handed over by a collector. @return 0 or -1. */
int ct_pool_check(const void *mem, uint64_t bytes);

#endif /* CT_FORMAT_POOL_H */
