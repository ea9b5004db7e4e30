/* blocks.c - see blocks.h. */
#include "blocks.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>      /* malloc, free */
#include <sys/syscall.h> /* SYS_gettid */
#include <time.h>        /* nanosleep */
#include <unistd.h>      /* unlink, syscall */
#include <cmocka.h>

#include <ctrace.h>

static char path[512];

int blocks_start(void **state)
{
    (void)state;
    temp_trace_path(path, sizeof path, "blocks");
    return ct_start(path);
}

int blocks_stop(void **state)
{
    (void)state;
    ct_stop();
    unlink(path);
    return 0;
}

void blocks_read(tevs *t)
{
    assert_int_equal(ct_stop(), 0);
    assert_int_equal(tevs_read(t, path), 0);
    if (t->rc != 0)
        fail_msg("trace damaged: %s", t->damage);
    assert_int_equal(tevs_count(t, CTR_WARNING, NULL), 0);
    assert_int_equal(tevs_count(t, CTR_LOST, NULL), 0);
}

static int matches(const tev *e, ctr_block_kind kind, uint64_t object, pid_t tid)
{
    return e->ev.kind == CTR_BLOCK && e->ev.block_kind == kind && e->ev.tid == tid &&
           (object == ANY_OBJECT || e->ev.object == object);
}

uint64_t blocks_longest(const tevs *t, ctr_block_kind kind, uint64_t object, pid_t tid)
{
    uint64_t longest = 0;
    for (size_t i = 0; i < t->n; i++) {
        const tev *e = &t->v[i];
        if (matches(e, kind, object, tid) && e->ev.ts_ns - e->ev.begin_ns > longest)
            longest = e->ev.ts_ns - e->ev.begin_ns;
    }
    return longest;
}

size_t blocks_count(const tevs *t, ctr_block_kind kind, uint64_t object, pid_t tid)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += matches(&t->v[i], kind, object, tid);
    return n;
}

size_t blocks_count_longer(const tevs *t, ctr_block_kind kind, pid_t tid, uint64_t min_ns)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ctr_event *e = &t->v[i].ev;
        n += matches(&t->v[i], kind, ANY_OBJECT, tid) && e->ts_ns - e->begin_ns >= min_ns;
    }
    return n;
}

pid_t blocks_tid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

struct later {
    long ms;
    void (*fn)(void *);
    void *arg;
};

static void *run_later(void *arg)
{
    struct later l = *(struct later *)arg;
    free(arg);
    sleep_ms(l.ms);
    l.fn(l.arg);
    return NULL;
}

pthread_t blocks_after_ms(long ms, void (*fn)(void *), void *arg)
{
    struct later *l = malloc(sizeof *l);
    assert_non_null(l);
    *l = (struct later){ms, fn, arg};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_later, l), 0);
    return th;
}
