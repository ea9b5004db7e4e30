/* pool.c - laying out and checking an event pool (see pool.h). */
#include "format/pool.h"

#include <errno.h>       /* EINTR */
#include <limits.h>      /* INT_MAX */
#include <linux/futex.h> /* FUTEX_WAIT */
#include <stddef.h>      /* offsetof */
#include <string.h>      /* memset */
#include <sys/syscall.h> /* SYS_futex */
#include <time.h>        /* struct timespec */
#include <unistd.h>      /* syscall, getpid */

#define POOL_HEADER_BYTES 4096u
#define POOL_PROCS_BYTES (CT_POOL_PROCS * sizeof(ct_pool_proc))
_Static_assert(sizeof(ct_pool_header) <= POOL_HEADER_BYTES, "the header fits its page");
_Static_assert(sizeof(ct_pool_proc) == 256, "a process slot is 256 bytes");

uint32_t ct_pool_init(void *mem, uint64_t bytes, uint32_t clock_kind, uint64_t tsc_hz,
                      uint32_t overflow, int zeroed)
{
    uint64_t head = POOL_HEADER_BYTES + POOL_PROCS_BYTES;
    if (bytes < head + POOL_HEADER_BYTES + sizeof(ct_chunk_desc) + CT_CHUNK_BYTES)
        return 0;
    uint64_t per_chunk = sizeof(ct_chunk_desc) + CT_CHUNK_BYTES;
    uint64_t n = (bytes - head - POOL_HEADER_BYTES) / per_chunk;
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
    h->procs_offset = POOL_HEADER_BYTES;
    if (!zeroed)
        memset((char *)mem + h->procs_offset, 0, POOL_PROCS_BYTES);
    h->descs_offset = head;
    /* Chunk data starts page aligned after the descriptors. */
    uint64_t descs_end = head + n * sizeof(ct_chunk_desc);
    h->data_offset = (descs_end + POOL_HEADER_BYTES - 1) / POOL_HEADER_BYTES * POOL_HEADER_BYTES;
    h->clock_kind = clock_kind;
    h->tsc_hz = tsc_hz;
    h->overflow = overflow == CT_POOL_OVERFLOW_DROP ? CT_POOL_OVERFLOW_DROP : CT_POOL_OVERFLOW_WAIT;
    h->collector_pid = (uint32_t)getpid();
    if (!zeroed)
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
    if (h->procs_offset < sizeof *h || h->procs_offset + POOL_PROCS_BYTES > h->descs_offset ||
        h->descs_offset < sizeof *h ||
        h->descs_offset + (uint64_t)h->nchunks * sizeof(ct_chunk_desc) > h->data_offset)
        return -1;
    if (h->data_offset + (uint64_t)h->nchunks * h->chunk_bytes > bytes)
        return -1;
    return 0;
}

/* Not FUTEX_PRIVATE: the word may be in memory shared with another process. */
int ct_pool_futex_wait(uint32_t *word, uint32_t seen, uint64_t timeout_ns)
{
    struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, seen, timeout_ns ? &ts : NULL, NULL, 0);
    if (rc == 0 || errno == EAGAIN) /* woken, or the word had already changed */
        return 0;
    return -1; /* ETIMEDOUT, EINTR */
}

void ct_pool_futex_wake(uint32_t *word, int n)
{
    syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);
}

int ct_pool_drain_again(const ct_pool_header *h, uint32_t *freed_seen)
{
    uint32_t freed = __atomic_load_n(&h->freed, __ATOMIC_ACQUIRE);
    int progress = freed != *freed_seen;
    *freed_seen = freed;
    return progress && __atomic_load_n(&h->waiters, __ATOMIC_ACQUIRE) != 0;
}

uint64_t ct_pool_dropped(const ct_pool_header *h)
{
    uint64_t n = __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
    uint32_t used = __atomic_load_n(&h->loss_slots_used, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; used && i < CT_POOL_LOSS_SLOTS; i++)
        n += __atomic_load_n(&h->loss_slots[i].lost, __ATOMIC_RELAXED);
    return n;
}

void ct_pool_chunk_free(ct_pool_header *h, ct_chunk_desc *descs, uint32_t i)
{
    __atomic_store_n(&descs[i].state, CT_CHUNK_FREE, __ATOMIC_RELEASE);
    uint32_t hint = __atomic_load_n(&h->free_hint, __ATOMIC_RELAXED);
    while (i < hint && !__atomic_compare_exchange_n(&h->free_hint, &hint, i, 1,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void ct_pool_note_freed(ct_pool_header *h)
{
    /* Sequentially consistent, as the waiter's count and its read of
     * `freed` are: either it sees this bump or this sees it waiting. */
    __atomic_add_fetch(&h->freed, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&h->waiters, __ATOMIC_SEQ_CST)) /* a wake is a syscall: only if needed */
        ct_pool_futex_wake(&h->freed, INT_MAX);
}
