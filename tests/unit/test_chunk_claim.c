/*
 * test_chunk_claim.c - where threads take their chunks of the pool: from
 * the pool's hint, past the chunk claimed last or back to one just freed,
 * so that a long run keeps to the chunks in flight between drains (their
 * pages mapped and in cache) rather than walking the whole pool (a page
 * fault and a zeroed page per page, in the test process and the collector,
 * and all of the pool resident), and a claim looks at a descriptor or two
 * rather than at every chunk claimed since the last drain.
 * In-process: the test frees full chunks as the collector does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
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
            ct_pool_chunk_free(h, ct_pool_descs(h), i);
            freed++;
        }
    }
    if (freed)
        ct_pool_note_freed(h);
    return freed;
}

/* A pool of CHUNKS chunks, this process's session tracing into it. */
static ct_pool_header *start_pool(void)
{
    void *mem = mmap(NULL, POOL_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(ct_pool_init(mem, POOL_BYTES, 0, 0, CT_POOL_OVERFLOW_DROP, 1), CHUNKS);
    ct__session_begin(mem, CT_SESSION_SELF);
    return mem;
}

static void end_pool(ct_pool_header *h)
{
    ct__session_end();
    munmap(h, POOL_BYTES);
}

/* A thread that fills chunk after chunk, drained as it goes, takes the same
 * few again: the highest chunk it ever took stays low. */
static void test_a_drained_thread_keeps_to_a_few_chunks(void **state)
{
    (void)state;
    ct_pool_header *h = start_pool();
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
    /* The first chunk, and the next one while the first was not drained. */
    assert_true(h->claimed_end <= 2);
    end_pool(h);
}

/* Short threads made one after another, their chunks not drained between
 * them (a collector passes every few ms): each takes the chunk past the last
 * claimed, looking at no other; drained, the next takes the lowest chunk
 * freed. */
static void *nothing(void *arg)
{
    CT_WITH_REGION(NULL, "short") {
    }
    return arg;
}

static void test_short_threads_claim_the_next_chunk(void **state)
{
    (void)state;
    ct_pool_header *h = start_pool();
    CT_WITH_REGION(NULL, "main") { /* main's chunk: 0 */
    }
    for (uint32_t k = 1; k <= 20; k++) {
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, nothing, NULL), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        assert_int_equal(h->claimed_end, k + 1); /* chunk k, its next */
        assert_int_equal(h->free_hint, k + 1);
    }
    assert_int_equal(drain(h), 20); /* the threads' chunks, full as they ended */
    assert_int_equal(h->free_hint, 1);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, nothing, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(h->claimed_end, 21); /* chunk 1 again: no new one */
    assert_int_equal(h->free_hint, 2);
    end_pool(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_drained_thread_keeps_to_a_few_chunks),
        cmocka_unit_test(test_short_threads_claim_the_next_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
