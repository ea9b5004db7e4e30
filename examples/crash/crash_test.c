/*
 * crash_test.c - a plain cmocka suite whose middle test takes the whole
 * process down (CRASH_HOW: abort, the default; segv, with cmocka's handler
 * off; kill, SIGKILL; exit, exit(3); hang, for --timeout). Run traced:
 *
 *     ctest-trace --trace=trace.out -v ./crash_test
 *
 * TestCrash is reported as crash with the signal or exit code, every event it
 * wrote before dying is in the trace, its open region is closed as unended,
 * and the runner starts the binary again after it, so TestAfterCrash runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void TestBeforeCrash(void **state)
{
    (void)state;
    printf("before the crash\n");
}

static void TestCrash(void **state)
{
    (void)state;
    const char *how = getenv("CRASH_HOW");
    how = how ? how : "abort";
    printf("about to crash by %s\n", how);
    if (strcmp(how, "segv") == 0) {
        signal(SIGSEGV, SIG_DFL); /* past cmocka's handler: the process dies */
        raise(SIGSEGV);
    } else if (strcmp(how, "kill") == 0) {
        raise(SIGKILL);
    } else if (strcmp(how, "exit") == 0) {
        exit(3);
    } else if (strcmp(how, "hang") == 0) {
        for (;;)
            pause();
    }
    abort();
}

static void TestAfterCrash(void **state)
{
    (void)state;
    printf("after the crash\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestBeforeCrash),
        cmocka_unit_test(TestCrash),
        cmocka_unit_test(TestAfterCrash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
