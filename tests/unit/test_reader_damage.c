/*
 * test_reader_damage.c - a damaged, truncated or foreign file is read up to
 * the damage, reported with its byte offset, and never crashes the reader.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_reader.h>

#include "events.h"

static char good[512], bad[512];
static uint8_t *bytes;
static size_t nbytes;
static uint64_t full_events;

static void *busy_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3000; i++)
        CT_WITH_REGION(NULL, i % 3 ? "a" : "b") {
            if (i % 100 == 0)
                ct_logf(NULL, "n", "i=%d", i);
        }
    return NULL;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Wait until the tracer's drain thread has flushed more of the file: a
 * condition, not a fixed sleep, so a loaded machine only makes it slower. */
static int wait_for_growth(const char *path, long before)
{
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 20000; i++) { /* 20 s at the very least */
        if (file_size(path) > before)
            return 0;
        nanosleep(&ms, NULL);
    }
    return -1;
}

/* Return once everything recorded so far is in the file. The first growth
 * may come from a drain pass that began before the call; the second comes
 * from a pass that began after that one ended, and so saw every event. */
static int flush_barrier(const char *path)
{
    for (int i = 0; i < 2; i++) {
        long before = file_size(path);
        ct_log(NULL, "phase", "barrier");
        if (wait_for_growth(path, before) != 0)
            return -1;
    }
    return 0;
}

#define PHASES 4

/* A real trace with several threads, tasks, logs and an open region, written
 * in PHASES flushes, so a cut late in the file keeps the earlier ones. */
static int make_trace(void **state)
{
    (void)state;
    temp_trace_path(good, sizeof good, "good");
    temp_trace_path(bad, sizeof bad, "bad");
    if (ct_start(good) != 0)
        return -1;
    ct_task *t = ct_task_begin(NULL, "task");
    ct_task_adopt(t);
    for (int phase = 0; phase < PHASES; phase++) {
        pthread_t th[3];
        for (int i = 0; i < 3; i++)
            pthread_create(&th[i], NULL, busy_thread, NULL);
        for (int i = 0; i < 3; i++)
            pthread_join(th[i], NULL);
        if (flush_barrier(good) != 0)
            return -1;
    }
    ct_region_begin(NULL, "left open");
    ct_task_end(t);
    ct_stop();
    FILE *f = fopen(good, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    nbytes = (size_t)ftell(f);
    rewind(f);
    bytes = malloc(nbytes);
    if (fread(bytes, 1, nbytes, f) != nbytes)
        return -1;
    fclose(f);
    tevs all;
    tevs_read(&all, good);
    full_events = all.n;
    tevs_free(&all);
    return full_events > 1000 ? 0 : -1;
}

static int drop_trace(void **state)
{
    (void)state;
    unlink(good);
    unlink(bad);
    free(bytes);
    return 0;
}

static void write_bad(const uint8_t *data, size_t len)
{
    FILE *f = fopen(bad, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Read `bad` to the end. @return ctr_open's code, else ctr_next's last. */
static int read_bad(uint64_t *events, int64_t *offset)
{
    ctr_reader *r;
    int rc = ctr_open(&r, bad);
    *events = 0;
    *offset = -1;
    if (rc != 0)
        return rc;
    ctr_event ev;
    while ((rc = ctr_next(r, &ev)) == 1)
        (*events)++;
    if (rc == CT_EDAMAGED) {
        assert_non_null(ctr_damage(r));
        assert_non_null(strstr(ctr_damage(r), "damaged at byte"));
        *offset = ctr_damage_offset(r);
    }
    /* Once ended, it stays ended. */
    assert_int_equal(ctr_next(r, &ev), rc);
    ctr_close(r);
    return rc;
}

static void test_every_truncation_is_reported(void **state)
{
    (void)state;
    uint64_t best = 0;
    for (size_t len = 0; len < nbytes; len += len < 64 ? 1 : 1 + nbytes / 400) {
        write_bad(bytes, len);
        uint64_t events;
        int64_t offset;
        int rc = read_bad(&events, &offset);
        if (len == 0) {
            assert_int_equal(rc, CT_EEMPTY);
            continue;
        }
        /* It starts like a trace: a cut anywhere is damage, never "clean"
         * nor "not a trace", and the reader says where. */
        assert_int_equal(rc, CT_EDAMAGED);
        assert_true(offset >= 0 && (size_t)offset <= len);
        if (len < 16)
            assert_int_equal(offset, len);
        assert_true(events <= full_events);
        if (events > best)
            best = events;
    }
    /* A cut in the last flush keeps the PHASES - 1 before it. */
    assert_true(best >= full_events * (PHASES - 1) / PHASES - full_events / 20);
}

static void test_flipped_bytes_never_crash(void **state)
{
    (void)state;
    uint8_t *copy = malloc(nbytes);
    srand(12345);
    for (int round = 0; round < 300; round++) {
        memcpy(copy, bytes, nbytes);
        int flips = 1 + rand() % 4;
        for (int i = 0; i < flips; i++)
            copy[16 + (size_t)rand() % (nbytes - 16)] ^= (uint8_t)(1 + rand() % 255);
        write_bad(copy, nbytes);
        uint64_t events;
        int64_t offset;
        int rc = read_bad(&events, &offset);
        assert_true(rc == 0 || rc == CT_EDAMAGED || rc == CT_ENOTTRACE);
    }
    free(copy);
}

static void test_foreign_and_newer_files(void **state)
{
    (void)state;
    uint64_t events;
    int64_t offset;
    write_bad((const uint8_t *)"hello, this is a text file\n", 27);
    assert_int_equal(read_bad(&events, &offset), CT_ENOTTRACE);
    static const uint8_t png[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    write_bad(png, sizeof png);
    assert_int_equal(read_bad(&events, &offset), CT_ENOTTRACE);
    /* Our magic, then garbage instead of zstd. */
    uint8_t junk[4096];
    memcpy(junk, bytes, 16);
    for (size_t i = 16; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 7919u >> 3);
    write_bad(junk, sizeof junk);
    assert_int_equal(read_bad(&events, &offset), CT_EDAMAGED);
    assert_int_equal(offset, 16);
    assert_int_equal(events, 0);
    /* A newer major version is refused, not misread. */
    memcpy(junk, bytes, nbytes < sizeof junk ? nbytes : sizeof junk);
    junk[8] = 99;
    write_bad(junk, 64);
    assert_int_equal(read_bad(&events, &offset), CT_EVERSION);
    assert_string_equal(ct_strerror(CT_EVERSION), "trace written by a newer format version");
    ctr_reader *r;
    assert_int_equal(ctr_open(&r, "/nonexistent/trace.out"), CT_EIO);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_truncation_is_reported),
        cmocka_unit_test(test_flipped_bytes_never_crash),
        cmocka_unit_test(test_foreign_and_newer_files),
    };
    return cmocka_run_group_tests(tests, make_trace, drop_trace);
}
