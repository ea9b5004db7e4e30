/*
 * test_api.c - the annotation API written with ct_start() and read back:
 * tasks, regions in all three forms, logs, interning, threads, misuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>

#include "events.h"
#include "plugin/api_internal.h"
#include "plugin/session.h"
#include "plugin/thread.h"

static char path[512];

static int start(void **state)
{
    (void)state;
    temp_trace_path(path, sizeof path, "api");
    return ct_start(path);
}

static int stop(void **state)
{
    (void)state;
    ct_stop();
    unlink(path);
    return 0;
}

static void read_back(tevs *t)
{
    assert_int_equal(ct_stop(), 0);
    assert_int_equal(tevs_read(t, path), 0);
    assert_int_equal(t->rc, 0);
}

static void test_start_twice_and_stop_twice(void **state)
{
    (void)state;
    assert_true(ct_is_enabled());
    assert_int_equal(ct_start(path), CT_EALREADY);
    assert_string_equal(ct_strerror(CT_EALREADY), "tracing already enabled");
    assert_int_equal(ct_stop(), 0);
    assert_false(ct_is_enabled());
    assert_int_equal(ct_stop(), CT_ENOTRACER);
    assert_int_equal(ct_start(NULL), CT_EINVAL);
    assert_string_equal(ct_strerror(12345), "unknown error");
}

static void test_regions_nest_and_belong_to_tasks(void **state)
{
    (void)state;
    ct_task *req = ct_task_begin(NULL, "request");
    assert_non_null(req);
    ct_task *child = ct_task_begin(req, "child");
    ct_region outer = ct_region_begin(req, "outer");
    CT_WITH_REGION(child, "block") {
        CT_REGION_SCOPE(NULL, "scoped");
    }
    ct_region_end(&outer);
    ct_log(req, "cat", "hello");
    ct_logf(child, "fmt", "n=%d", 42);
    ct_task_end(child);
    ct_task_end(req);

    tevs t;
    read_back(&t);
    const tev *tb = tevs_find(&t, CTR_TASK_BEGIN, "request", 0);
    const tev *cb = tevs_find(&t, CTR_TASK_BEGIN, "child", 0);
    assert_non_null(tb);
    assert_non_null(cb);
    assert_true(cb->ev.parent == tb->ev.task);
    assert_true(tb->ev.parent == 0);
    const tev *o = tevs_find(&t, CTR_REGION, "outer", 0);
    const tev *b = tevs_find(&t, CTR_REGION, "block", 0);
    const tev *s = tevs_find(&t, CTR_REGION, "scoped", 0);
    assert_non_null(o);
    assert_non_null(b);
    assert_non_null(s);
    assert_true(o->ev.task == tb->ev.task);
    assert_true(b->ev.task == cb->ev.task);
    assert_true(s->ev.task == 0); /* no current task on this thread */
    /* Nesting: scoped inside block inside outer, none flagged. */
    assert_true(o->ev.begin_ns <= b->ev.begin_ns && b->ev.begin_ns <= s->ev.begin_ns);
    assert_true(s->ev.ts_ns <= b->ev.ts_ns && b->ev.ts_ns <= o->ev.ts_ns);
    assert_int_equal(o->ev.flags | b->ev.flags | s->ev.flags, 0);
    const tev *l = tevs_find(&t, CTR_LOG, "fmt", 0);
    assert_non_null(l);
    assert_string_equal(l->message, "n=42");
    assert_true(l->ev.task == cb->ev.task);
    assert_int_equal(tevs_count(&t, CTR_WARNING, NULL), 0);
    tevs_free(&t);
}

static int leave_early(int how)
{
    CT_WITH_REGION(NULL, "early") {
        if (how == 0)
            return 1; /* the cleanup still ends the region */
        if (how == 1)
            goto out;
    }
out:
    return 0;
}

static void test_with_region_ends_however_left(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        CT_WITH_REGION(NULL, "step") {
            if (i == 1)
                break; /* leaves the region (not the enclosing loop) */
        }
    leave_early(0);
    leave_early(1);
    leave_early(2);
    tevs t;
    read_back(&t);
    assert_int_equal(tevs_count(&t, CTR_REGION, "step"), 3);
    assert_int_equal(tevs_count(&t, CTR_REGION, "early"), 3);
    assert_int_equal(tevs_count(&t, CTR_WARNING, NULL), 0);
    for (size_t i = 0; i < t.n; i++)
        assert_int_equal(t.v[i].ev.flags & CTR_F_UNENDED, 0);
    tevs_free(&t);
}

/* Both forms declare a variable: two on one line (in a macro) still work. */
#define TWO_SCOPES() CT_REGION_SCOPE(NULL, "outer"); CT_REGION_SCOPE(NULL, "inner")
#define TWO_BLOCKS() CT_WITH_REGION(NULL, "b1") {} CT_WITH_REGION(NULL, "b2") {}

static void two_scopes(void)
{
    TWO_SCOPES();
    TWO_BLOCKS();
}

static void test_two_regions_on_one_line(void **state)
{
    (void)state;
    two_scopes();
    tevs t;
    read_back(&t);
    const tev *outer = tevs_find(&t, CTR_REGION, "outer", 0);
    const tev *inner = tevs_find(&t, CTR_REGION, "inner", 0);
    assert_non_null(outer);
    assert_non_null(inner);
    assert_int_equal(tevs_count(&t, CTR_REGION, "b1"), 1);
    assert_int_equal(tevs_count(&t, CTR_REGION, "b2"), 1);
    /* Scopes end in reverse: inner first, both properly nested. */
    assert_true(inner->ev.ts_ns <= outer->ev.ts_ns);
    assert_int_equal(outer->ev.flags, 0);
    assert_int_equal(inner->ev.flags, 0);
    tevs_free(&t);
}

static void test_reused_name_buffer_is_not_confused(void **state)
{
    (void)state;
    char name[32];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "step%d", i);
        ct_region r = ct_region_begin(NULL, name);
        ct_region_end(&r);
    }
    tevs t;
    read_back(&t);
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "step%d", i);
        assert_int_equal(tevs_count(&t, CTR_REGION, name), 1);
    }
    tevs_free(&t);
}

/* A literal name is known by its address alone; after dlclose() an address
 * may hold another string, so every literal is checked again. */
static void test_literal_names_are_checked_again_after_dlclose(void **state)
{
    (void)state;
    char name[32];
    strcpy(name, "step0");
    assert_true(CT__IS_LITERAL("fetch"));
    assert_false(CT__IS_LITERAL(name));
    for (int i = 0; i < 3; i++)
        CT_WITH_REGION(NULL, "fetch") {
        }
    /* What a reused address looks like: the bytes behind a pointer the
     * tracer was told is a literal change, then a module is unloaded. */
    ct_region r = ct__region_begin_literal(NULL, name);
    ct_region_end(&r);
    strcpy(name, "step1");
    void *lib = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
    assert_non_null(lib);
    assert_int_equal(dlclose(lib), 0);
    r = ct__region_begin_literal(NULL, name);
    ct_region_end(&r);
    tevs t;
    read_back(&t);
    assert_int_equal(tevs_count(&t, CTR_REGION, "fetch"), 3);
    assert_int_equal(tevs_count(&t, CTR_REGION, "step0"), 1);
    assert_int_equal(tevs_count(&t, CTR_REGION, "step1"), 1);
    tevs_free(&t);
}

static void test_untrusted_names_and_huge_logs(void **state)
{
    (void)state;
    static char huge[10000];
    memset(huge, 'x', sizeof huge - 1);
    ct_log(NULL, "big", huge);
    ct_region r = ct_region_begin(NULL, NULL); /* NULL name: recorded as "" */
    ct_region_end(&r);
    ct_region q = ct_region_begin(NULL, "quote\"\n\x01\xff");
    ct_region_end(&q);
    ct_log(NULL, NULL, NULL);
    tevs t;
    read_back(&t);
    const tev *l = tevs_find(&t, CTR_LOG, "big", 0);
    assert_non_null(l);
    assert_int_equal(l->ev.message_len, 4096);
    assert_true(l->ev.flags & CTR_F_TRUNCATED);
    assert_int_equal(tevs_count(&t, CTR_REGION, ""), 1);
    assert_int_equal(tevs_count(&t, CTR_REGION, "quote\"\n\x01\xff"), 1);
    assert_int_equal(tevs_count(&t, CTR_LOG, ""), 1);
    tevs_free(&t);
}

static void test_misuse_is_recorded_not_fatal(void **state)
{
    (void)state;
    ct_region a = ct_region_begin(NULL, "a");
    ct_region b = ct_region_begin(NULL, "b");
    ct_region_end(&a); /* out of order */
    ct_region_end(&b);
    ct_region_end(&b); /* twice */
    ct_region never = ct_region_begin(NULL, "never");
    (void)never;
    ct_task *t1 = ct_task_begin(NULL, "t1");
    ct_task_end(t1);
    ct_task_end(t1); /* twice */
    ct_task_begin(NULL, "open-task");
    tevs t;
    read_back(&t);
    const tev *ra = tevs_find(&t, CTR_REGION, "a", 0);
    assert_non_null(ra);
    assert_true(ra->ev.flags & CTR_F_OUT_OF_ORDER);
    const tev *rn = tevs_find(&t, CTR_REGION, "never", 0);
    assert_non_null(rn);
    assert_true(rn->ev.flags & CTR_F_UNENDED);
    const tev *te = tevs_find(&t, CTR_TASK_END, "open-task", 0);
    assert_non_null(te);
    assert_true(te->ev.flags & CTR_F_UNENDED);
    /* out of order, ended twice, never ended, task ended twice */
    assert_true(tevs_count(&t, CTR_WARNING, NULL) >= 4);
    int named = 0;
    for (size_t i = 0; i < t.n; i++)
        if (t.v[i].ev.kind == CTR_WARNING && strstr(t.v[i].message, "\"never\""))
            named = 1;
    assert_true(named);
    tevs_free(&t);
}

struct foreign {
    ct_region region;
};

static void *end_elsewhere(void *arg)
{
    struct foreign *f = arg;
    ct_region_end(&f->region);
    return NULL;
}

static void test_region_ended_on_another_thread(void **state)
{
    (void)state;
    struct foreign f = {ct_region_begin(NULL, "crossing")};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, end_elsewhere, &f), 0);
    pthread_join(th, NULL);
    tevs t;
    read_back(&t);
    const tev *r = tevs_find(&t, CTR_REGION, "crossing", 0);
    assert_non_null(r);
    assert_true(r->ev.flags & CTR_F_OTHER_THREAD);
    assert_true(r->ev.tid == (int32_t)gettid()); /* it belongs where it began */
    tevs_free(&t);
}

#define THREADS 16
#define PER_THREAD 20000

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++)
        CT_WITH_REGION(NULL, i % 2 ? "odd" : "even") {
            if (i % 1000 == 0)
                ct_logf(NULL, "progress", "%d", i);
        }
    return NULL;
}

static void test_many_threads_inherit_and_lose_nothing(void **state)
{
    (void)state;
    ct_task *job = ct_task_begin(NULL, "job");
    ct_task *old = ct_task_adopt(job);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    ct_task_adopt(old);
    assert_true(ct_task_current() == old);
    ct_task_end(job);
    tevs t;
    read_back(&t);
    const tev *jb = tevs_find(&t, CTR_TASK_BEGIN, "job", 0);
    assert_non_null(jb);
    size_t regions = 0, in_job = 0, lost = 0;
    for (size_t i = 0; i < t.n; i++) {
        const ctr_event *e = &t.v[i].ev;
        if (e->kind == CTR_REGION) {
            regions++;
            in_job += e->task == jb->ev.task;
        }
        if (e->kind == CTR_LOST)
            lost += e->count;
    }
    assert_int_equal(regions + lost, (size_t)THREADS * PER_THREAD);
    assert_int_equal(in_job, regions);
    assert_int_equal(tevs_count(&t, CTR_THREAD_BEGIN, NULL), THREADS + 1);
    assert_int_equal(tevs_count(&t, CTR_THREAD_END, NULL), THREADS);
    tevs_free(&t);
}

/* A test's name is defined at its run, outside the string table; with
 * -count (its runs more than one) through the table, once for all its runs:
 * a reader keeps every definition. Every run is named in the trace. */
static void test_a_test_name_is_defined_once_for_its_runs(void **state)
{
    (void)state;
    ct__task_end_id(ct__task_begin_kind(0, "TestRepeated", CT__TASK_TEST, NULL));
    ct__thread *t = ct__self;
    assert_non_null(t);
    uint32_t defined = t->next_string_id;
    ct__task_end_id(ct__task_begin_kind(0, "TestRepeated", CT__TASK_TEST, NULL));
    assert_int_equal(t->next_string_id, defined + 1); /* once a run */
    ct__run_count = 3;
    for (int i = 0; i < 3; i++)
        ct__task_end_id(ct__task_begin_kind(0, "TestRepeated", CT__TASK_TEST, NULL));
    ct__run_count = 1;
    assert_int_equal(t->next_string_id, defined + 2); /* once for all three */
    tevs ev;
    read_back(&ev);
    assert_int_equal(tevs_count(&ev, CTR_TASK_BEGIN, "TestRepeated"), 5);
    tevs_free(&ev);
}

static void test_untraced_calls_are_noops(void **state)
{
    (void)state;
    assert_false(ct_is_enabled());
    assert_null(ct_task_begin(NULL, "x"));
    ct_region r = ct_region_begin(NULL, "x");
    assert_int_equal(r.ct__serial, 0);
    ct_region_end(&r);
    ct_log(NULL, "a", "b");
    ct_logf(NULL, "a", "%s", "b");
    CT_WITH_REGION(NULL, "x") {
    }
    /* The exported functions behave the same as the inline ones. */
    ct_region e = (ct_region_begin)(NULL, "x");
    (ct_region_end)(&e);
    (ct_log)(NULL, "a", "b");
    /* Adoption works untraced: threads created later still inherit. */
    ct_task *prev = ct_task_adopt((ct_task *)(uintptr_t)7);
    assert_true(ct_task_current() == (ct_task *)(uintptr_t)7);
    ct_task_adopt(prev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_twice_and_stop_twice, start, stop),
        cmocka_unit_test_setup_teardown(test_regions_nest_and_belong_to_tasks, start, stop),
        cmocka_unit_test_setup_teardown(test_with_region_ends_however_left, start, stop),
        cmocka_unit_test_setup_teardown(test_two_regions_on_one_line, start, stop),
        cmocka_unit_test_setup_teardown(test_reused_name_buffer_is_not_confused, start, stop),
        cmocka_unit_test_setup_teardown(test_literal_names_are_checked_again_after_dlclose, start,
                                        stop),
        cmocka_unit_test_setup_teardown(test_untrusted_names_and_huge_logs, start, stop),
        cmocka_unit_test_setup_teardown(test_misuse_is_recorded_not_fatal, start, stop),
        cmocka_unit_test_setup_teardown(test_region_ended_on_another_thread, start, stop),
        cmocka_unit_test_setup_teardown(test_many_threads_inherit_and_lose_nothing, start, stop),
        cmocka_unit_test_setup_teardown(test_a_test_name_is_defined_once_for_its_runs, start, stop),
        cmocka_unit_test(test_untraced_calls_are_noops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
