/*
 * test_drop.c - the tracer in drop mode when the pool is full, in-process
 * (nobody drains): every event that does not fit is counted as it is lost,
 * in the pool (shared with the collector) and in the thread's next LOST;
 * the drop ends at the first call after a chunk was freed, never inside a
 * call (a name being interned must survive); a signal handler that finds
 * its thread inside the tracer loses its event and the trace says so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <ctrace.h>

#include "format/pool.h"
#include "format/schema.h"
#include "plugin/session.h"
#include "plugin/thread.h"

/* A header, the process table and two chunks. */
#define POOL_BYTES (3 * 4096 + CT_POOL_PROCS * sizeof(ct_pool_proc) + 2 * CT_CHUNK_BYTES)

typedef struct kept {
    uint64_t events;  /* timed events, as the reader counts them */
    uint64_t regions; /* REGION_BEGIN */
    uint64_t region_events; /* REGION_BEGIN and REGION_END */
    uint64_t lost;    /* what LOST events say */
    uint64_t lost_events;
} kept;

/* What chunk i holds. */
static void count_chunk(ct_pool_header *h, uint32_t i, kept *k)
{
    ct_chunk_desc *d = &ct_pool_descs(h)[i];
    const uint8_t *p = ct_pool_chunk(h, i), *end = p + d->committed;
    while (p < end) {
        const ct_event_spec *spec = ct_event_spec_of(*p);
        assert_non_null(spec);
        size_t size = ct_event_size(spec, p, end);
        assert_true(size > 0);
        if (*p != CT_EV_STRING && *p != CT_EV_STACK)
            k->events++;
        k->regions += *p == CT_EV_REGION_BEGIN;
        k->region_events += *p == CT_EV_REGION_BEGIN || *p == CT_EV_REGION_END;
        if (*p == CT_EV_LOST) {
            uint64_t delta = 0, n = 0;
            unsigned a = ct_get_uvarint(p + 1, end, &delta);
            assert_true(a > 0 && ct_get_uvarint(p + 1 + a, end, &n) > 0);
            k->lost += n;
            k->lost_events++;
        }
        p += size;
    }
}

static ct_pool_header *start(void)
{
    void *mem = mmap(NULL, POOL_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    assert_true(mem != MAP_FAILED);
    assert_int_equal(ct_pool_init(mem, POOL_BYTES, 0, 0, CT_POOL_OVERFLOW_DROP, 1), 2);
    ct__session_begin(mem, CT_SESSION_SELF);
    return mem;
}

static void stop(ct_pool_header *h)
{
    ct__session_end();
    munmap(h, POOL_BYTES);
}

/* Free chunk i as the collector would once it drained it. */
static void collector_frees(ct_pool_header *h, uint32_t i)
{
    ct_pool_descs(h)[i].state = CT_CHUNK_FREE;
    ct_pool_note_freed(h);
}

static void test_every_lost_event_is_counted(void **state)
{
    (void)state;
    ct_pool_header *h = start();
    enum { REGIONS = 20000 }; /* two chunks hold a few thousand */
    for (int i = 0; i < REGIONS; i++)
        CT_WITH_REGION(NULL, "x") {
        }
    ct__thread *t = ct__self;
    assert_true(t->dropping);
    kept k = {0};
    count_chunk(h, 0, &k);
    count_chunk(h, 1, &k);
    /* What the pool counted lost, and what the chunks hold, make every
     * region event (a begin and an end each). */
    uint64_t other = k.events - k.region_events; /* thread begin, name, modules */
    assert_int_equal(k.region_events + ct_pool_dropped(h), 2 * REGIONS);
    assert_int_equal(t->dropped, ct_pool_dropped(h));
    assert_true(other < 20);

    /* No chunk came back: the drop goes on, counted. */
    CT_WITH_REGION(NULL, "x") {
    }
    assert_true(t->dropping);
    assert_int_equal(ct_pool_dropped(h), 2 * REGIONS - k.region_events + 2);

    /* A chunk comes back: the next call says what was lost, first. */
    uint64_t lost = ct_pool_dropped(h);
    memset(&k, 0, sizeof k);
    collector_frees(h, 0);
    CT_WITH_REGION(NULL, "y") {
    }
    assert_false(t->dropping);
    count_chunk(h, 0, &k);
    assert_int_equal(k.lost_events, 1);
    assert_int_equal(k.lost, lost);
    assert_int_equal(k.regions, 1);
    assert_int_equal(t->dropped, 0);
    assert_int_equal(ct_pool_dropped(h), lost); /* the pool's total: each loss once */
    stop(h);
}

/* A thread that begins while the pool is full: its begin, name and
 * scheduler source go to scratch and are written again once it has room,
 * so they are not counted lost; only its regions are. */
static uint64_t late_dropped;
static int late_begin_lost;

static void *late_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        CT_WITH_REGION(NULL, "late") {
        }
    late_dropped = ct__self->dropped;
    late_begin_lost = ct__self->begin_lost;
    return NULL;
}

static void test_a_thread_begun_in_a_drop_counts_its_events_only(void **state)
{
    (void)state;
    ct_pool_header *h = start();
    for (int i = 0; i < 20000; i++)
        CT_WITH_REGION(NULL, "x") {
        }
    assert_true(ct__self->dropping);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, late_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(late_dropped, 200); /* a begin and an end a region */
    assert_true(late_begin_lost);
    stop(h);
}

/* A name first interned in drop mode was defined in scratch (lost): after
 * the drop ends, its next use defines it again in the chunk. */
static void test_names_defined_while_dropping_are_defined_again(void **state)
{
    (void)state;
    ct_pool_header *h = start();
    for (int i = 0; i < 20000; i++)
        CT_WITH_REGION(NULL, "x") {
        }
    ct__thread *t = ct__self;
    assert_true(t->dropping);
    char name[1001];
    memset(name, 'n', 1000);
    name[1000] = '\0';
    ct_region r = ct_region_begin(NULL, name); /* defined in scratch: lost */
    ct_region_end(&r);
    collector_frees(h, 1);
    r = ct_region_begin(NULL, name);
    ct_region_end(&r);
    assert_false(t->dropping);
    /* The chunk holds LOST, then the name's definition, then its region. */
    const uint8_t *p = ct_pool_chunk(h, 1), *end = p + ct_pool_descs(h)[1].committed;
    int lost_seen = 0, defined = 0;
    while (p < end) {
        size_t size = ct_event_size(ct_event_spec_of(*p), p, end);
        assert_true(size > 0);
        lost_seen |= *p == CT_EV_LOST;
        defined |= *p == CT_EV_STRING && lost_seen && size > 1000;
        if (*p == CT_EV_REGION_BEGIN)
            assert_true(defined);
        p += size;
    }
    assert_true(lost_seen && defined);
    stop(h);
}

/* A signal handler that runs while its thread is inside the tracer cannot
 * write: its event is lost, counted, and told by the thread's next call. */
static void test_nested_handler_loss_is_told(void **state)
{
    (void)state;
    ct_pool_header *h = start();
    CT_WITH_REGION(NULL, "first") {
    }
    ct__thread *t = ct__self;
    t->busy = 1; /* as if the handler had interrupted an event being written */
    ct_log(NULL, "handler", "lost");
    t->busy = 0;
    assert_int_equal(ct_pool_dropped(h), 1);
    assert_int_equal(ct__live_window_lost() > 0, 1);
    CT_WITH_REGION(NULL, "after") {
    }
    kept k = {0};
    count_chunk(h, t->chunk, &k); /* the one it writes in: all of this test's */
    assert_int_equal(k.lost_events, 1);
    assert_int_equal(k.lost, 1);
    stop(h);
}

int main(void)
{
    setenv("CTRACE_SCHED", "off", 1); /* no scheduler waits among the events counted */
    setenv("CTRACE_CPU_HZ", "0", 1);  /* nor CPU samples */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_lost_event_is_counted),
        cmocka_unit_test(test_names_defined_while_dropping_are_defined_again),
        cmocka_unit_test(test_a_thread_begun_in_a_drop_counts_its_events_only),
        cmocka_unit_test(test_nested_handler_loss_is_told),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
