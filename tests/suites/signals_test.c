/*
 * signals_test.c - what a test process gets of the runner's signals, for
 * tests/harness/test_signals.py: TestStartsWithNoSignalBlocked fails if the
 * process began with a signal blocked (the runner blocks them all while it
 * starts its child); TestWaitsForASignal waits, up to 60 s, for the signal
 * the runner passes on when it is interrupted (the default action ends it).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <cmocka.h>

static void TestStartsWithNoSignalBlocked(void **state)
{
    (void)state;
    sigset_t blocked;
    assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &blocked), 0);
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(&blocked, sig) == 1)
            fail_msg("signal %d is blocked", sig);
}

static void TestWaitsForASignal(void **state)
{
    (void)state;
    struct timespec left = {60, 0};
    while (nanosleep(&left, &left) != 0) /* a handled signal: wait on */
        ;
    fail_msg("no signal came in 60 s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestStartsWithNoSignalBlocked),
        cmocka_unit_test(TestWaitsForASignal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
