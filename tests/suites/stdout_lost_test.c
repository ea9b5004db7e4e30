/*
 * stdout_lost_test.c - tests that lose the binary's stdout, as code that
 * daemonizes does, with the tracer's markers on it: LOSE=dup2 (/dev/null
 * onto 0, 1 and 2) or LOSE=closeall (every descriptor closed) in t_lose;
 * LOSE_BETWEEN=1 between the first and second groups. What comes after:
 * FAIL_AFTER=1 fails t_fails, CRASH_AFTER=1 aborts in t_crash,
 * SECOND_SETUP=fail fails the second group's setup, CRASH_THIRD=1 aborts in
 * the third group and HANG_THIRD=1 hangs there (for --timeout), SLOW_MS=N
 * makes each of the third group's tests take N ms.
 * Each test that runs appends its name to the file RUNS_LOG names, so that
 * a test run twice shows.
 * For tests/harness/test_honest_runs.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int env_is(const char *name, const char *value)
{
    const char *v = getenv(name);
    return v != NULL && strcmp(v, value) == 0;
}

/* Whatever became of stdout, the log of test runs is reopened each time. */
static void ran(const char *test)
{
    const char *log = getenv("RUNS_LOG");
    if (log == NULL)
        return;
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "%s\n", test);
    if (write(fd, line, (size_t)n) != n)
        abort();
    close(fd);
}

static void lose_stdout(void)
{
    fflush(stdout);
    fflush(stderr);
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        abort();
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
}

static void t_before(void **state)
{
    (void)state;
    ran("t_before");
    printf("before\n");
}

static void t_lose(void **state)
{
    (void)state;
    ran("t_lose");
    printf("losing stdout\n");
    if (env_is("LOSE", "dup2"))
        lose_stdout();
    if (env_is("LOSE", "closeall")) {
        fflush(stdout);
        fflush(stderr);
        close_range(0, ~0u, 0);
    }
}

static void t_after(void **state)
{
    (void)state;
    ran("t_after");
    printf("after\n");
}

static void t_fails(void **state)
{
    (void)state;
    ran("t_fails");
    if (env_is("FAIL_AFTER", "1"))
        fail_msg("failed with its output gone");
}

static void t_crash(void **state)
{
    (void)state;
    ran("t_crash");
    if (env_is("CRASH_AFTER", "1"))
        abort();
}

static void t_last(void **state)
{
    (void)state;
    ran("t_last");
}

static int second_setup(void **state)
{
    (void)state;
    return env_is("SECOND_SETUP", "fail") ? -1 : 0;
}

static void t_second_a(void **state)
{
    (void)state;
    ran("t_second_a");
}

static void t_second_b(void **state)
{
    (void)state;
    ran("t_second_b");
}

static void slow(void)
{
    const char *ms = getenv("SLOW_MS");
    if (ms != NULL)
        usleep((useconds_t)atoi(ms) * 1000);
}

static void t_third_crash(void **state)
{
    (void)state;
    ran("t_third_crash");
    slow();
    if (env_is("CRASH_THIRD", "1"))
        abort();
    while (env_is("HANG_THIRD", "1"))
        pause();
}

static void t_third_after(void **state)
{
    (void)state;
    ran("t_third_after");
    slow();
}

int main(void)
{
    const struct CMUnitTest first[] = {
        cmocka_unit_test(t_before), cmocka_unit_test(t_lose),  cmocka_unit_test(t_after),
        cmocka_unit_test(t_fails),  cmocka_unit_test(t_crash), cmocka_unit_test(t_last),
    };
    const struct CMUnitTest second[] = {
        cmocka_unit_test(t_second_a),
        cmocka_unit_test(t_second_b),
    };
    const struct CMUnitTest third[] = {
        cmocka_unit_test(t_third_crash),
        cmocka_unit_test(t_third_after),
    };
    int failed = cmocka_run_group_tests_name("first", first, NULL, NULL);
    if (env_is("LOSE_BETWEEN", "1"))
        lose_stdout();
    failed += cmocka_run_group_tests_name("second", second, second_setup, NULL);
    failed += cmocka_run_group_tests_name("third", third, NULL, NULL);
    return failed;
}
