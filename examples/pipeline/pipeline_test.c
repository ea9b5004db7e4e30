/*
 * pipeline_test.c - Go's annotated runtime/trace example, as a cmocka suite.
 *
 * A request is served by a small pipeline: one thread fetches the data while
 * another renders the page around it. The test annotates that work the way a
 * Go program uses runtime/trace:
 *
 *   task   "request"  one logical operation, spanning three threads
 *   log    "request"  "id=req-42": which request it was
 *   region "fetch"    ~20 ms on one worker thread  (CT_WITH_REGION block form)
 *   region "render"   ~10 ms on the other          (ct_region_begin/_end form)
 *   region "lookup"   in TestCache                 (CT_REGION_SCOPE form)
 *
 * Run it traced and look at what happened:
 *
 *   ctest-trace --trace=trace.out -v -run TestPipeline ./pipeline_test
 *   ctest-trace tasks trace.out        the request task inside TestPipeline
 *   ctest-trace regions trace.out      fetch and render latencies
 *
 * Run bare (./pipeline_test, or `meson test`), it is an ordinary cmocka suite:
 * without a tracer every annotation is one load and a branch.
 */
#include <errno.h>   /* EINTR */
#include <pthread.h> /* pthread_create, pthread_join */
#include <stdio.h>   /* snprintf */
#include <string.h>  /* strcmp */
#include <time.h>    /* nanosleep */

#include <ctrace_cmocka.h> /* ct_run_group_tests; brings cmocka.h and ctrace.h */

/* Sleep at least `ms` milliseconds, even if a signal interrupts the sleep. */
static void sleep_ms(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        continue;
}

/* ---- TestPipeline: one request, two threads ------------------------------ */

struct request {
    const char *id;
    char data[64]; /* written by fetch() */
    char page[64]; /* written by render() */
};

/* Worker thread 1: fetch the request's data.
 * The thread was created while "request" was the creator's current task, so
 * it starts with "request" as its own current task: passing NULL as the task
 * puts the region there without handing the task over by hand. */
static void *fetch(void *arg)
{
    struct request *req = arg;

    /* Block form, like Go's trace.WithRegion: the region ends when the block
     * does, however it is left. */
    CT_WITH_REGION(NULL, "fetch") {
        sleep_ms(20); /* stands for a database or network round trip */
        snprintf(req->data, sizeof req->data, "data for %s", req->id);
    }
    return NULL;
}

/* Worker thread 2: render the page the data goes into. */
static void *render(void *arg)
{
    struct request *req = arg;

    /* Manual form, like Go's trace.StartRegion + region.End(): keep the
     * ct_region value (it lives on the stack) and end it yourself. */
    ct_region region = ct_region_begin(NULL, "render");
    sleep_ms(10); /* stands for template work */
    snprintf(req->page, sizeof req->page, "<html>%s</html>", req->id);
    ct_region_end(&region);
    return NULL;
}

static void TestPipeline(void **state)
{
    (void)state;
    struct request req = {.id = "req-42"};

    /* Under ctest-trace the running test is the thread's current task, so
     * parent NULL makes "request" a child of the task "TestPipeline". */
    ct_task *task = ct_task_begin(NULL, "request");
    ct_logf(task, "request", "id=%s", req.id);

    /* Make "request" current: the threads created below inherit it. Keep
     * the old current task (the test's) to put it back afterwards. */
    ct_task *previous = ct_task_adopt(task);

    pthread_t fetcher, renderer;
    int fetch_rc = pthread_create(&fetcher, NULL, fetch, &req);
    int render_rc = pthread_create(&renderer, NULL, render, &req);
    if (fetch_rc == 0)
        pthread_join(fetcher, NULL);
    if (render_rc == 0)
        pthread_join(renderer, NULL);

    ct_task_adopt(previous);
    ct_task_end(task);

    /* Assert after the task is closed: a failing cmocka assertion leaves the
     * test by longjmp, which would skip the two calls above. */
    assert_int_equal(fetch_rc, 0);
    assert_int_equal(render_rc, 0);
    assert_string_equal(req.data, "data for req-42");
    assert_string_equal(req.page, "<html>req-42</html>");
}

/* ---- TestCache: a region that ends with its scope ------------------------ */

struct entry {
    const char *key;
    const char *value;
};

static const struct entry cache[] = {
    {"req-41", "cached page 41"},
    {"req-42", "cached page 42"},
};

/* Look `key` up in the cache; NULL on a miss. */
static const char *cache_lookup(const char *key)
{
    /* Scope form: the region ends when the function returns, from whichever
     * return statement. */
    CT_REGION_SCOPE(NULL, "lookup");

    for (size_t i = 0; i < sizeof cache / sizeof cache[0]; i++) {
        if (strcmp(cache[i].key, key) == 0)
            return cache[i].value;
    }
    return NULL;
}

static void TestCache(void **state)
{
    (void)state;
    assert_string_equal(cache_lookup("req-42"), "cached page 42");
    assert_null(cache_lookup("req-43"));
}

int main(void)
{
    const struct CMUnitTest pipeline_tests[] = {
        cmocka_unit_test(TestPipeline),
        cmocka_unit_test(TestCache),
    };
    /* Drop-in for cmocka_run_group_tests(): each test case becomes a task. */
    return ct_run_group_tests(pipeline_tests, NULL, NULL);
}
