/*
 * timeout_test.c - a plain cmocka suite whose middle test hangs, to show
 * what a test killed for time says (TIMEOUT_HOW: deadlock, two threads each
 * holding the mutex the other wants; masked, a thread that blocks every
 * signal and sleeps; sleep, a sleep that the runner's request for stacks
 * interrupts; reset, the signals the tracer may ask with made fatal again;
 * child_resets, a sleep after a forked child set every signal back to its
 * default, as a child does before an exec; unset, nothing hangs). Run traced:
 *
 *     TIMEOUT_HOW=deadlock ctest-trace --timeout=1s ./timeout_test
 *
 * TestHang times out: before the kill every thread writes its stack into
 * the trace, and the runner shows them under the test, as go test shows
 * every goroutine: here the test thread in take_a_then_b() and the worker
 * in take_b_then_a(), each in pthread_mutex_lock. Then TestAfterHang runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static int deadlock;

/* noinline: each keeps a frame of its own, named in the stacks. */
static __attribute__((noinline)) void take_b_then_a(void)
{
    pthread_mutex_lock(&b);
    if (deadlock)
        pthread_barrier_wait(&both_hold_one); /* a is taken by now */
    pthread_mutex_lock(&a);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "worker");
    take_b_then_a();
    return NULL;
}

static __attribute__((noinline)) void take_a_then_b(void)
{
    pthread_mutex_lock(&a);
    if (deadlock)
        pthread_barrier_wait(&both_hold_one); /* b is taken by now */
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
}

static void TestBeforeHang(void **state)
{
    (void)state;
    printf("before the hang\n");
}

static void TestHang(void **state)
{
    (void)state;
    const char *how = getenv("TIMEOUT_HOW");
    how = how ? how : "";
    printf("about to hang by %s\n", how[0] ? how : "(nothing)");
    if (strcmp(how, "sleep") == 0) { /* a sleep the stack request interrupts */
        sleep(30);
        return;
    }
    if (strcmp(how, "reset") == 0) { /* the signals the tracer may ask with, made fatal */
        for (int sig = SIGRTMAX - 3; sig <= SIGRTMAX; sig++)
            signal(sig, SIG_DFL);
        sleep(30);
        return;
    }
    if (strcmp(how, "child_resets") == 0) { /* the child's dispositions are its own */
        pid_t child = fork();
        if (child == 0) {
            for (int sig = 1; sig < SIGRTMAX; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                    signal(sig, SIG_DFL);
            _exit(0);
        }
        waitpid(child, NULL, 0);
        sleep(30);
        return;
    }
    if (strcmp(how, "masked") == 0) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL); /* only SIGKILL ends it now */
        for (;;)
            sleep(1);
    }
    deadlock = strcmp(how, "deadlock") == 0;
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker, NULL), 0);
    if (!deadlock)
        pthread_join(t, NULL); /* one after the other: no deadlock */
    take_a_then_b();
    if (deadlock)
        pthread_join(t, NULL);
    pthread_barrier_destroy(&both_hold_one);
}

static void TestAfterHang(void **state)
{
    (void)state;
    printf("after the hang\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestBeforeHang),
        cmocka_unit_test(TestHang),
        cmocka_unit_test(TestAfterHang),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
