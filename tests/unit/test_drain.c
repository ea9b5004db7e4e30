/*
 * test_drain.c - the drainer writes each thread's chunks in their order,
 * even when a pass sees a thread's later chunk without the one before it
 * (the thread filled that one and took the next while the pass read the
 * descriptors), and frees chunks a scribbled pool says were sent already;
 * a pass flushes the trace writer when due, the last one always.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_reader.h>

#include "events.h"
#include "format/pool.h"
#include "format/wire.h"
#include "recorder/drain.h"
#include "recorder/trace_writer.h"

#define POOL_BYTES (3 * 4096 + CT_POOL_PROCS * sizeof(ct_pool_proc) + 4 * CT_CHUNK_BYTES)

/* Chunk i holds one LOG of thread 1, chunk `seq` of it, saying `text`. */
static void fill(ct_pool_header *h, uint32_t i, uint64_t seq, uint32_t state, const char *text)
{
    ct_chunk_desc *d = &ct_pool_descs(h)[i];
    uint8_t *p = ct_pool_chunk(h, i), *q = p;
    if (seq == 0) { /* the thread's first chunk begins it, and defines its names */
        *q++ = CT_EV_THREAD_BEGIN;
        for (int f = 0; f < 6; f++) /* delta, tid, ptid, task, fn, rserial */
            q = ct_put_uvarint(q, f == 1 ? 42 : 0);
        *q++ = CT_EV_STRING;
        q = ct_put_uvarint(q, 1);
        q = ct_put_uvarint(q, 3);
        memcpy(q, "seq", 3);
        q += 3;
    }
    size_t len = strlen(text);
    *q++ = CT_EV_LOG;
    q = ct_put_uvarint(q, 1);  /* delta */
    q = ct_put_uvarint(q, 0);  /* task */
    q = ct_put_uvarint(q, 1);  /* category "seq" */
    q = ct_put_uvarint(q, len);
    memcpy(q, text, len);
    q += len;
    q = ct_put_uvarint(q, 0); /* flags */
    d->thread = 1;
    d->seq = seq;
    d->tsc_base = d->ns_base = 1000 + seq;
    d->committed = (uint32_t)(q - p);
    if (h->claimed_end < i + 1) /* as a claim raises it */
        h->claimed_end = i + 1;
    d->state = state;
}

/* A pool of four chunks, a trace at a temporary path (into `trace`) with
 * process 0 begun in it, and a drainer of the pool. */
static ct_pool_header *start(char *trace, size_t trace_size, const char *name,
                             ct_trace_writer **w, ct_drainer *d)
{
    ct_pool_header *h = aligned_alloc(4096, POOL_BYTES);
    assert_non_null(h);
    assert_int_equal(ct_pool_init(h, POOL_BYTES, CT_CLOCK_MONOTONIC, 1000000000u,
                                  CT_POOL_OVERFLOW_WAIT, 0), 4);
    temp_trace_path(trace, trace_size, name);
    assert_int_equal(ct_tw_open(w, trace, 0), 0);
    uint8_t begin[64], *q = begin; /* process 0, pid 7, exe "", monotonic */
    for (int f = 0; f < 7; f++)
        q = ct_put_uvarint(q, f == 1 ? 7 : f == 4 ? 1000000000u : 0);
    assert_int_equal(ct_tw_record(*w, CT_REC_PROCESS_BEGIN, begin, (size_t)(q - begin)), 0);
    assert_int_equal(ct_drainer_init(d, h, 0), 0);
    return h;
}

/* The process ended, the trace closed and read back into *t: three logs. */
static void finish(ct_drainer *d, ct_trace_writer *w, const char *trace, tevs *t)
{
    assert_int_equal(ct_drainer_end(d, w, CT_EXIT_CODE, 0, 0), 0);
    assert_int_equal(ct_tw_close(w), 0);
    ct_drainer_free(d);
    assert_int_equal(tevs_read(t, trace), 0);
    assert_int_equal(t->rc, 0);
    assert_int_equal(tevs_count(t, CTR_LOG, "seq"), 3);
}

static void test_a_later_chunk_waits_for_the_one_before(void **state)
{
    (void)state;
    char trace[512];
    ct_trace_writer *w;
    ct_drainer d;
    ct_pool_header *h = start(trace, sizeof trace, "drain", &w, &d);

    /* Chunk 0 of the thread came in full; the pass that reads it sees it. */
    fill(h, 2, 0, CT_CHUNK_FULL, "0");
    assert_int_equal(ct_drainer_pass(&d, w, 0), 0);
    assert_int_equal(ct_pool_descs(h)[2].state, CT_CHUNK_FREE);
    /* Then a pass sees chunk 2 but not chunk 1, taken and filled meanwhile. */
    fill(h, 0, 2, CT_CHUNK_OWNED, "2");
    assert_int_equal(ct_drainer_pass(&d, w, 0), 0);
    fill(h, 3, 1, CT_CHUNK_FULL, "1");
    /* A descriptor that says chunk 0 again: sent already, freed unsent. */
    fill(h, 1, 0, CT_CHUNK_FULL, "0 again");
    assert_int_equal(ct_drainer_pass(&d, w, 0), 0);
    assert_int_equal(ct_pool_descs(h)[1].state, CT_CHUNK_FREE);
    assert_int_equal(ct_pool_descs(h)[3].state, CT_CHUNK_FREE);
    /* A descriptor past the highest claimed chunk is not looked at (a
     * claim raises the bound before the chunk is owned). */
    fill(h, 3, 2, CT_CHUNK_FULL, "past the end");
    h->claimed_end = 3;
    assert_int_equal(ct_drainer_pass(&d, w, 0), 0);
    assert_int_equal(ct_pool_descs(h)[3].state, CT_CHUNK_FULL);
    ct_pool_descs(h)[3].state = CT_CHUNK_FREE;
    assert_int_equal(ct_drainer_pass(&d, w, 1), 0);
    tevs t;
    finish(&d, w, trace, &t);
    for (size_t i = 0; i < 3; i++) {
        const tev *log = tevs_find(&t, CTR_LOG, "seq", i);
        char want[2] = {(char)('0' + i), '\0'};
        assert_string_equal(log->message, want);
    }
    assert_int_equal(tevs_count(&t, CTR_WARNING, NULL), 0);
    tevs_free(&t);
    unlink(trace);
    free(h);
}

static off_t size_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

/* A pass that is not the last flushes the writer when due only
 * (ct_tw_flush_every()): what it drained before then is compressed, not yet
 * a block of the file; a due pass puts it there, the last pass always. */
static void test_a_pass_flushes_when_due(void **state)
{
    (void)state;
    char trace[512];
    ct_trace_writer *w;
    ct_drainer d;
    ct_pool_header *h = start(trace, sizeof trace, "drain-due", &w, &d);
    assert_int_equal(ct_tw_flush(w), 0);
    off_t flushed = size_of(trace);

    ct_tw_flush_every(w, 3600000000000ull); /* not due within the test */
    fill(h, 0, 0, CT_CHUNK_FULL, "0");
    assert_int_equal(ct_drainer_pass(&d, w, 0), 0);
    assert_int_equal(ct_pool_descs(h)[0].state, CT_CHUNK_FREE); /* drained all the same */
    assert_int_equal(size_of(trace), flushed);
    ct_tw_flush_every(w, 0); /* due at every pass */
    fill(h, 1, 1, CT_CHUNK_FULL, "1");
    assert_int_equal(ct_drainer_pass(&d, w, 0), 0);
    assert_true(size_of(trace) > flushed);
    flushed = size_of(trace);
    ct_tw_flush_every(w, 3600000000000ull);
    fill(h, 2, 2, CT_CHUNK_FULL, "2");
    assert_int_equal(ct_drainer_pass(&d, w, 1), 0); /* the last: flushed whatever */
    assert_true(size_of(trace) > flushed);
    tevs t;
    finish(&d, w, trace, &t);
    tevs_free(&t);
    unlink(trace);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_later_chunk_waits_for_the_one_before),
        cmocka_unit_test(test_a_pass_flushes_when_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
