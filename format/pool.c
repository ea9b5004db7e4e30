/* pool.c - laying out and checking an event pool (see pool.h). */
#include "format/pool.h"

#include <stddef.h> /* offsetof */
#include <string.h> /* memset */

#define POOL_HEADER_BYTES 4096u

uint32_t ct_pool_init(void *mem, uint64_t bytes, uint32_t clock_kind, uint64_t tsc_hz)
{
    if (bytes < POOL_HEADER_BYTES + sizeof(ct_chunk_desc) + CT_CHUNK_BYTES)
        return 0;
    uint64_t per_chunk = sizeof(ct_chunk_desc) + CT_CHUNK_BYTES;
    uint64_t n = (bytes - 2 * POOL_HEADER_BYTES) / per_chunk;
    if (n == 0)
        return 0;
    if (n > UINT32_MAX / 2)
        n = UINT32_MAX / 2;
    ct_pool_header *h = mem;
    memset(h, 0, POOL_HEADER_BYTES);
    h->magic = CT_POOL_MAGIC;
    h->version = CT_POOL_VERSION;
    h->chunk_bytes = CT_CHUNK_BYTES;
    h->pool_bytes = bytes;
    h->nchunks = (uint32_t)n;
    h->descs_offset = POOL_HEADER_BYTES;
    /* Chunk data starts page aligned after the descriptors. */
    uint64_t descs_end = POOL_HEADER_BYTES + n * sizeof(ct_chunk_desc);
    h->data_offset = (descs_end + POOL_HEADER_BYTES - 1) / POOL_HEADER_BYTES * POOL_HEADER_BYTES;
    h->clock_kind = clock_kind;
    h->tsc_hz = tsc_hz;
    memset((char *)mem + h->descs_offset, 0, n * sizeof(ct_chunk_desc));
    return (uint32_t)n;
}

int ct_pool_check(const void *mem, uint64_t bytes)
{
    const ct_pool_header *h = mem;
    if (bytes < POOL_HEADER_BYTES || h->magic != CT_POOL_MAGIC || h->version != CT_POOL_VERSION)
        return -1;
    if (h->pool_bytes != bytes || h->chunk_bytes != CT_CHUNK_BYTES || h->nchunks == 0)
        return -1;
    if (h->descs_offset < sizeof *h ||
        h->descs_offset + (uint64_t)h->nchunks * sizeof(ct_chunk_desc) > h->data_offset)
        return -1;
    if (h->data_offset + (uint64_t)h->nchunks * h->chunk_bytes > bytes)
        return -1;
    return 0;
}
