/*
 * test_chunk_claim.c - where a thread takes its chunks of the pool: from
 * its own place among the first ones, so that a long run keeps to the
 * chunks in flight between drains (their pages mapped and in cache) rather
 * than walking the whole pool (a page fault and a zeroed page per page, in
 * the test process and the collector, and all of the pool resident).
 * In-process: the test frees full chunks as the collector would.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <ctrace.h>

#include "format/pool.h"
#include "plugin/session.h"
#include "plugin/thread.h"

enum { CHUNKS = 64 };
#define POOL_BYTES (3 * 4096 + CT_POOL_PROCS * sizeof(ct_pool_proc) + CHUNKS * CT_CHUNK_BYTES)

/* Free every full chunk, as a drain pass does. @return how many. */
static unsigned drain(ct_pool_header *h)
{
    unsigned freed = 0;
    for (uint32_t i = 0; i < h->nchunks; i++) {
        ct_chunk_desc *d = &ct_pool_descs(h)[i];
        if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == CT_CHUNK_FULL) {
            __atomic_store_n(&d->state, CT_CHUNK_FREE, __ATOMIC_RELEASE);
            freed++;
        }
    }
    if (freed)
        ct_pool_note_freed(h);
    return freed;
}

/* A thread that fills chunk after chunk, drained as it goes, takes the same
 * few again: the highest chunk it ever took stays near its place. */
static void test_a_drained_thread_keeps_to_a_few_chunks(void **state)
{
    (void)state;
    void *mem = mmap(NULL, POOL_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(ct_pool_init(mem, POOL_BYTES, 0, 0, CT_POOL_OVERFLOW_DROP, 1), CHUNKS);
    ct_pool_header *h = mem;
    ct__session_begin(mem, CT_SESSION_SELF);
    unsigned filled = 0;
    /* Four times the pool's worth of chunks (a region is a few bytes). */
    while (filled < 4 * CHUNKS) {
        for (int i = 0; i < 1000; i++)
            CT_WITH_REGION(NULL, "r") {
            }
        filled += drain(h);
    }
    ct__thread *t = ct__self;
    assert_false(t->dropping);
    uint32_t place = t->claim_from % CHUNKS;
    /* Its place, and the next one while its place was not drained yet. */
    assert_true(h->claimed_end <= place + 2);
    ct__session_end();
    munmap(mem, POOL_BYTES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_drained_thread_keeps_to_a_few_chunks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
