/*
 * test_threads_linked.c - threads made in a ct_start session by a program
 * linked against the shared libctrace, as users link it (the other unit
 * tests link the static library, whose pthread_create comes first). In a
 * ThreadSanitizer build, TSan's pthread_create then comes before ours, and
 * our start routine runs before TSan knows the thread: it must run no
 * instrumented code (pthread_hook.c). Each thread waits on a contended
 * mutex; the trace must hold every thread and its waits with their stacks.
 * The lock is held by spinning, not by a sleep: TSan's sleep interceptor
 * calls ours (here, behind it) as a blocking call, inside which TSan
 * ignores atomics, so what the wait recorded there publishes (the pool's
 * chunk, the assertions' lock-free lookups) would be reported as races:
 * TSan's blind spot, not races.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h> /* mkstemp */
#include <unistd.h> /* close, unlink */
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_reader.h>

#define THREADS 4
#define ROUNDS 200

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long shared;

static void *contend(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        ct_region r = ct_region_begin(NULL, "locked");
        pthread_mutex_lock(&lock);
        shared++;
        for (volatile int spin = 0; spin < 2000; spin++) /* held: the others wait */
            ;
        pthread_mutex_unlock(&lock);
        ct_region_end(&r);
    }
    return arg;
}

static void test_threads_in_a_session_are_traced_with_their_waits(void **state)
{
    (void)state;
    char path[] = "/tmp/ctrace-linked-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ct_start(path), 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, contend, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    ct_stop();
    assert_int_equal(shared, THREADS * ROUNDS);

    ctr_reader *r;
    assert_int_equal(ctr_open(&r, path), 0);
    ctr_event ev;
    int threads = 0, regions = 0, sync_waits = 0, with_stack = 0;
    while (ctr_next(r, &ev) == 1) {
        threads += ev.kind == CTR_THREAD_BEGIN;
        regions += ev.kind == CTR_REGION;
        if (ev.kind == CTR_BLOCK && ev.block_kind == CTR_BLOCK_SYNC) {
            sync_waits++;
            with_stack += ev.stack_len > 0;
        }
    }
    ctr_close(r);
    unlink(path);
    assert_int_equal(threads, THREADS + 1); /* and the main thread, which joined */
    assert_int_equal(regions, THREADS * ROUNDS);
    assert_true(sync_waits > 0);
    assert_int_equal(with_stack, sync_waits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_in_a_session_are_traced_with_their_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
