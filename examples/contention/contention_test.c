/*
 * contention_test.c - a plain cmocka suite (no ctrace in it) whose test
 * waits on a mutex another thread holds for about 35 ms, and on a condition
 * variable; one that waits about 20 ms for a read-write lock a writer
 * holds; and one that waits about 20 ms for a C11 mtx_t a thread made with
 * thrd_create holds. Traced, the waits are BLOCK events of kind sync:
 *
 *     ctest-trace --trace=trace.out ./contention_test
 *     ctest-trace export --format=jsonl -o - trace.out | grep '"block"'
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <threads.h>
#include <time.h>

static pthread_mutex_t hot = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int holding;

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static void *holder(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "lock-holder"); /* threads shows it by this name */
    pthread_mutex_lock(&hot);
    pthread_mutex_lock(&ready_lock);
    holding = 1;
    pthread_cond_signal(&ready);
    pthread_mutex_unlock(&ready_lock);
    sleep_ms(35); /* the test waits for this */
    pthread_mutex_unlock(&hot);
    return NULL;
}

static void TestHotMutex(void **state)
{
    (void)state;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, holder, NULL), 0);
    pthread_mutex_lock(&ready_lock);
    while (!holding)
        pthread_cond_wait(&ready, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
    pthread_mutex_lock(&hot); /* blocks about 35 ms */
    pthread_mutex_unlock(&hot);
    pthread_join(t, NULL);
}

static pthread_rwlock_t table = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t both;

static void *writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&table);
    pthread_barrier_wait(&both); /* the test may try now */
    sleep_ms(20);
    pthread_rwlock_unlock(&table);
    return NULL;
}

static void TestReadWriteLock(void **state)
{
    (void)state;
    pthread_barrier_init(&both, NULL, 2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, writer, NULL), 0);
    pthread_setname_np(t, "rw-writer"); /* named by another thread */
    pthread_barrier_wait(&both);
    pthread_rwlock_rdlock(&table); /* blocks about 20 ms */
    pthread_rwlock_unlock(&table);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&both);
}

static mtx_t c11_hot, c11_ready_lock;
static cnd_t c11_ready;
static int c11_holding;

static int c11_holder(void *arg)
{
    (void)arg;
    mtx_lock(&c11_hot);
    mtx_lock(&c11_ready_lock);
    c11_holding = 1;
    cnd_signal(&c11_ready);
    mtx_unlock(&c11_ready_lock);
    sleep_ms(20); /* the test waits for this */
    mtx_unlock(&c11_hot);
    return 0;
}

static void TestC11Mutex(void **state)
{
    (void)state;
#ifdef CT_UNDER_TSAN /* the build defines it for ThreadSanitizer */
    skip(); /* gcc's TSan does not see glibc's C11 mutexes (they lock inside libc) */
#endif
    assert_int_equal(mtx_init(&c11_hot, mtx_plain), thrd_success);
    assert_int_equal(mtx_init(&c11_ready_lock, mtx_plain), thrd_success);
    assert_int_equal(cnd_init(&c11_ready), thrd_success);
    thrd_t t;
    assert_int_equal(thrd_create(&t, c11_holder, NULL), thrd_success);
    mtx_lock(&c11_ready_lock);
    while (!c11_holding)
        cnd_wait(&c11_ready, &c11_ready_lock);
    mtx_unlock(&c11_ready_lock);
    mtx_lock(&c11_hot); /* blocks about 20 ms */
    mtx_unlock(&c11_hot);
    assert_int_equal(thrd_join(t, NULL), thrd_success);
    cnd_destroy(&c11_ready);
    mtx_destroy(&c11_ready_lock);
    mtx_destroy(&c11_hot);
}

static void TestUncontended(void **state)
{
    (void)state;
    for (int i = 0; i < 100000; i++) {
        pthread_mutex_lock(&hot);
        pthread_mutex_unlock(&hot);
        pthread_rwlock_rdlock(&table);
        pthread_rwlock_unlock(&table);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestHotMutex),
        cmocka_unit_test(TestReadWriteLock),
        cmocka_unit_test(TestC11Mutex),
        cmocka_unit_test(TestUncontended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
