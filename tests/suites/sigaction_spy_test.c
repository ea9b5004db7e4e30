/*
 * sigaction_spy_test.c - a suite linked with sigaction_spy.c, whose one
 * test takes SIGUSR1 with sigaction (tests/harness/test_cpu_profile.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <cmocka.h>

static void on_usr1(int sig)
{
    (void)sig;
}

static void TestTakesUsr1(void **state)
{
    (void)state;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestTakesUsr1)};
    return cmocka_run_group_tests_name("spy", tests, NULL, NULL);
}
