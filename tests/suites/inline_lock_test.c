/*
 * inline_lock_test.c - a lock taken inside an always-inline function, for
 * the profile's inlined frames (tests/harness/test_profile_inline.py).
 * Built -O2 -g -gz: the inlined call leaves no frame of its own, only
 * DWARF (compressed) saying that take_table_lock was inlined into
 * TestInlinedLock, and where. A helper thread holds the lock about 30 ms.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h> /* nanosleep */
#include <cmocka.h>

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t held;

static __attribute__((always_inline)) inline void take_table_lock(void)
{
    pthread_mutex_lock(&table_lock); /* the wait the profile names */
}

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table_lock);
    pthread_barrier_wait(&held);
    struct timespec t = {0, 30 * 1000 * 1000};
    while (nanosleep(&t, &t) != 0) {
    }
    pthread_mutex_unlock(&table_lock);
    return NULL;
}

static void TestInlinedLock(void **state)
{
    (void)state;
    pthread_barrier_init(&held, NULL, 2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, holder, NULL), 0);
    pthread_barrier_wait(&held);
    take_table_lock();
    pthread_mutex_unlock(&table_lock);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestInlinedLock)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
