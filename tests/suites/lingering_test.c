/*
 * lingering_test.c - a test that starts a process which outlives it holding
 * the test binary's output open (a daemon, a server left behind): it sleeps
 * LINGER_SECONDS (default 3) with stdout and stderr. What comes after must
 * not pay for it: the next tests' durations, a test the binary dies in
 * (LINGERING=abort) or hangs in (LINGERING=hang, for --timeout), the
 * binary's elapsed time.
 * For tests/harness/test_honest_runs.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void t_leaves_a_sleeper(void **state)
{
    (void)state;
    const char *seconds = getenv("LINGER_SECONDS");
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* keeps stdout and stderr: the runner's pipe */
        execl("/bin/sleep", "sleep", seconds ? seconds : "3", (char *)NULL);
        _exit(127);
    }
    printf("sleeper %d started\n", (int)pid);
}

static void t_next(void **state)
{
    (void)state;
    printf("next ran\n");
    usleep(10000);
}

static void t_ends(void **state)
{
    (void)state;
    const char *how = getenv("LINGERING");
    if (how && strcmp(how, "abort") == 0)
        abort();
    if (how && strcmp(how, "hang") == 0)
        for (;;)
            pause();
}

static void t_last(void **state)
{
    (void)state;
    printf("last ran\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_leaves_a_sleeper),
        cmocka_unit_test(t_next),
        cmocka_unit_test(t_ends),
        cmocka_unit_test(t_last),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
