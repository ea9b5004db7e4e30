/*
 * test_block_wait.c - waits for locks, children and signals, traced with
 * ct_start() and read back: file locks (flock, OFD fcntl, lockf), C11's
 * mtx/cnd/thrd and the pthread clock and _np variants are kind sync;
 * thrd_sleep, waitpid and sigwait are kind syscall.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>     /* open, fcntl, F_OFD_SETLKW */
#include <semaphore.h>
#include <signal.h>    /* sigwait, pthread_kill */
#include <stdio.h>     /* snprintf */
#include <stdlib.h>    /* getenv, mkstemp */
#include <sys/file.h>  /* flock */
#include <sys/wait.h>  /* waitpid */
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"

static pid_t me;

/* The longest sync wait of this thread on `object`. */
static uint64_t sync_on(const tevs *t, const void *object)
{
    return blocks_longest(t, CTR_BLOCK_SYNC, (uint64_t)(uintptr_t)object, me);
}

/* A timespec `ms` from now on `clock`. */
static struct timespec in_ms(clockid_t clock, long ms)
{
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_nsec += ms * 1000000;
    t.tv_sec += t.tv_nsec / 1000000000;
    t.tv_nsec %= 1000000000;
    return t;
}

/* ---- file locks ---------------------------------------------------------- */

static char lock_path[512];

static int open_lock_file(void)
{
    const char *dir = getenv("TMPDIR");
    snprintf(lock_path, sizeof lock_path, "%s/ctrace-lock-XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(lock_path);
    assert_true(fd >= 0);
    return fd;
}

/* Another open of the lock file: locks on it conflict with the first's. */
static int open_again(void)
{
    int fd = open(lock_path, O_RDWR);
    assert_true(fd >= 0);
    return fd;
}

static void flock_unlock(void *arg)
{
    assert_int_equal(flock(*(int *)arg, LOCK_UN), 0);
}

static void ofd_unlock(void *arg)
{
    struct flock l = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
    assert_int_equal(fcntl(*(int *)arg, F_OFD_SETLK, &l), 0);
}

static void test_file_locks_are_sync_waits(void **state)
{
    (void)state;
    int holder = open_lock_file(), waiter = open_again();

    assert_int_equal(flock(holder, LOCK_EX), 0);
    pthread_t th = blocks_after_ms(20, flock_unlock, &holder);
    assert_int_equal(flock(waiter, LOCK_EX), 0); /* about 20 ms */
    pthread_join(th, NULL);
    assert_int_equal(flock(waiter, LOCK_UN), 0);

    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    assert_int_equal(fcntl(holder, F_OFD_SETLK, &l), 0);
    th = blocks_after_ms(20, ofd_unlock, &holder);
    int waiter2 = open_again();
    assert_int_equal(fcntl(waiter2, F_OFD_SETLKW, &l), 0); /* about 20 ms */
    pthread_join(th, NULL);
    assert_int_equal(fcntl(waiter2, F_GETFL) & O_ACCMODE, O_RDWR); /* not a wait */

    tevs t;
    blocks_read(&t);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYNC, (uint64_t)waiter, me) >= WAITED_20MS);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYNC, (uint64_t)waiter2, me) >= WAITED_20MS);
    assert_int_equal(blocks_count(&t, CTR_BLOCK_SYNC, (uint64_t)waiter2, me), 1);
    tevs_free(&t);
    close(holder);
    close(waiter);
    close(waiter2);
    unlink(lock_path);
}

/* POSIX record locks belong to a process: another process holds this one. */
static void test_lockf_waits_for_another_process(void **state)
{
    (void)state;
    int fd = open_lock_file(), ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char c = 'l';
        if (lockf(fd, F_LOCK, 0) != 0 || write(ready[1], &c, 1) != 1)
            _exit(1);
        sleep_ms(200); /* long: the parent may be descheduled before it waits */
        _exit(0);
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(lockf(fd, F_LOCK, 0), 0); /* until the child exits */
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(status, 0);
    tevs t;
    blocks_read(&t);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYNC, (uint64_t)fd, me) >= WAITED_20MS / 2);
    tevs_free(&t);
    close(fd);
    close(ready[0]);
    close(ready[1]);
    unlink(lock_path);
}

/* ---- C11 threads ---------------------------------------------------------- */

static mtx_t c11_lock, c11_ready_lock;
static cnd_t c11_ready;
static int c11_holding;
static pid_t c11_holder_tid;

static int c11_holder(void *arg)
{
    (void)arg;
    c11_holder_tid = blocks_tid();
    mtx_lock(&c11_lock);
    mtx_lock(&c11_ready_lock);
    c11_holding = 1;
    cnd_signal(&c11_ready);
    mtx_unlock(&c11_ready_lock);
    /* The test waits for this, holding the lock: 100 ms, so that its
     * wait is over the 10 ms it checks even when its wake-up from the
     * condition came late (under load, a fresh-clone CI run saw under 10). */
    struct timespec t = {0, 100000000};
    thrd_sleep(&t, NULL);
    mtx_unlock(&c11_lock);
    return 7;
}

static void test_c11_threads(void **state)
{
    (void)state;
#ifdef CT_UNDER_TSAN
    skip(); /* TSan does not see glibc's C11 mutexes: they lock inside libc */
#endif
    assert_int_equal(mtx_init(&c11_lock, mtx_plain), thrd_success);
    assert_int_equal(mtx_init(&c11_ready_lock, mtx_plain), thrd_success);
    assert_int_equal(cnd_init(&c11_ready), thrd_success);
    c11_holding = 0;
    thrd_t th;
    assert_int_equal(thrd_create(&th, c11_holder, NULL), thrd_success);
    mtx_lock(&c11_ready_lock);
    while (!c11_holding)
        cnd_wait(&c11_ready, &c11_ready_lock);
    mtx_unlock(&c11_ready_lock);
    mtx_lock(&c11_lock); /* about 100 ms, until the holder slept its time */
    mtx_unlock(&c11_lock);
    int result;
    assert_int_equal(thrd_join(th, &result), thrd_success);
    assert_int_equal(result, 7);

    struct timespec until = in_ms(CLOCK_REALTIME, 20);
    mtx_lock(&c11_ready_lock);
    assert_int_equal(cnd_timedwait(&c11_ready, &c11_ready_lock, &until), thrd_timedout);
    mtx_unlock(&c11_ready_lock);

    tevs t;
    blocks_read(&t);
    assert_true(sync_on(&t, &c11_lock) >= WAITED_20MS);
    assert_true(sync_on(&t, &c11_ready) >= WAITED_20MS);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYSCALL, 0, c11_holder_tid) >= WAITED_20MS);
    /* thrd_create, like pthread_create, names the thread's start routine */
    int started = 0;
    for (size_t i = 0; i < t.n; i++)
        started |= t.v[i].ev.kind == CTR_THREAD_BEGIN && t.v[i].ev.tid == c11_holder_tid &&
                   t.v[i].ev.object == (uint64_t)(uintptr_t)c11_holder;
    assert_true(started);
    tevs_free(&t);
    cnd_destroy(&c11_ready);
    mtx_destroy(&c11_ready_lock);
    mtx_destroy(&c11_lock);
}

/* ---- pthread clock and _np waits ------------------------------------------ */

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;

static void *lock_and_keep(void *arg)
{
    pthread_mutex_lock(&held_lock);
    sem_post(arg);
    sleep_ms(20); /* the test waits for this */
    pthread_mutex_unlock(&held_lock);
    return NULL;
}

static void *sleep_20ms(void *arg)
{
    (void)arg;
    sleep_ms(20);
    return NULL;
}

static void test_pthread_clock_waits(void **state)
{
    (void)state;
#ifdef CT_UNDER_TSAN
    skip(); /* gcc 12's TSan has no clocklock, sem_clockwait or clockjoin */
#endif
    sem_t sem;
    sem_init(&sem, 0, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, lock_and_keep, &sem), 0);
    sem_wait(&sem);
    struct timespec until = in_ms(CLOCK_MONOTONIC, 5000);
    assert_int_equal(pthread_mutex_clocklock(&held_lock, CLOCK_MONOTONIC, &until), 0);
    pthread_mutex_unlock(&held_lock);
    pthread_join(th, NULL);

    until = in_ms(CLOCK_MONOTONIC, 20);
    assert_int_equal(sem_clockwait(&sem, CLOCK_MONOTONIC, &until), -1);
    assert_int_equal(errno, ETIMEDOUT);

    pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m);
    until = in_ms(CLOCK_MONOTONIC, 20);
    assert_int_equal(pthread_cond_clockwait(&cond, &m, CLOCK_MONOTONIC, &until), ETIMEDOUT);
    pthread_mutex_unlock(&m);

    assert_int_equal(pthread_create(&th, NULL, sleep_20ms, NULL), 0);
    until = in_ms(CLOCK_MONOTONIC, 5000);
    assert_int_equal(pthread_clockjoin_np(th, NULL, CLOCK_MONOTONIC, &until), 0);
    assert_int_equal(pthread_create(&th, NULL, sleep_20ms, NULL), 0);
    until = in_ms(CLOCK_REALTIME, 5000);
    assert_int_equal(pthread_timedjoin_np(th, NULL, &until), 0);

    tevs t;
    blocks_read(&t);
    assert_true(sync_on(&t, &held_lock) >= WAITED_20MS);
    assert_true(sync_on(&t, &sem) >= WAITED_20MS);
    assert_true(sync_on(&t, &cond) >= WAITED_20MS);
    /* those three and the two joins */
    assert_true(blocks_count_longer(&t, CTR_BLOCK_SYNC, me, WAITED_20MS / 2) >= 5);
    tevs_free(&t);
    sem_destroy(&sem);
}

/* ---- children and signals ------------------------------------------------- */

static void kill_usr1(void *arg)
{
    pthread_kill(*(pthread_t *)arg, SIGUSR1);
}

static void test_children_and_signals_are_syscall_waits(void **state)
{
    (void)state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        sleep_ms(20);
        _exit(7);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child); /* about 20 ms */
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 7);

    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, &old);
    pthread_t self = pthread_self();
    pthread_t th = blocks_after_ms(20, kill_usr1, &self);
    int sig = 0;
    assert_int_equal(sigwait(&usr1, &sig), 0); /* about 20 ms */
    assert_int_equal(sig, SIGUSR1);
    pthread_join(th, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    tevs t;
    blocks_read(&t);
    assert_true(blocks_count_longer(&t, CTR_BLOCK_SYSCALL, me, WAITED_20MS) >= 2);
    tevs_free(&t);
}

static int start(void **state)
{
    me = blocks_tid();
    return blocks_start(state);
}

#define TRACED(test) cmocka_unit_test_setup_teardown(test, start, blocks_stop)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TRACED(test_file_locks_are_sync_waits),
        TRACED(test_lockf_waits_for_another_process),
        TRACED(test_c11_threads),
        TRACED(test_pthread_clock_waits),
        TRACED(test_children_and_signals_are_syscall_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
