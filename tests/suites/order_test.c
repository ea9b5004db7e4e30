/*
 * order_test.c - what ran, and in what order, for -list, -failfast,
 * -shuffle and -p (tests/harness/test_goflags.py). A plain cmocka suite:
 * two groups, the first with group fixtures and a test with fixtures of its
 * own, and a test whose name holds an escape byte.
 *
 * ORDER_LOG=FILE: every test body, test fixture and group fixture appends a
 * line naming itself ("TestA", "TestA setup", "first setup").
 * ORDER_FAIL=NAME fails the test NAME, ORDER_CRASH=NAME aborts the process in it.
 * ORDER_MEET=DIR:N: the first test creates a file in DIR, then waits (up to
 * 120 s) until DIR holds N: N binaries given the same DIR pass only when
 * they run at the same time (-p N).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h> /* opendir, readdir */
#include <fcntl.h>  /* open */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* getenv, abort */
#include <string.h> /* strcmp, strrchr */
#include <time.h>   /* nanosleep */
#include <unistd.h> /* write, close, access */

static void note(const char *what)
{
    const char *log = getenv("ORDER_LOG");
    if (log == NULL)
        return;
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0)
        return;
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", what);
    if (write(fd, line, (size_t)n) != n)
        fail_msg("cannot write %s", log);
    close(fd);
}

/* Files in `dir`, "." and ".." left out. */
static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* ORDER_MEET: a file of this process's in DIR, then wait for N of them. */
static void meet(void)
{
    const char *spec = getenv("ORDER_MEET");
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    if (colon == NULL)
        return;
    char mine[512];
    snprintf(mine, sizeof mine, "%.*s/%ld", (int)(colon - spec), spec, (long)getpid());
    int fd = open(mine, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0)
        close(fd);
    mine[colon - spec] = '\0';
    int want = atoi(colon + 1);
    for (int i = 0; i < 12000; i++) { /* 120 s: a loaded machine is slow, never this slow */
        if (files_in(mine) >= want)
            return;
        struct timespec ten_ms = {0, 10000000};
        nanosleep(&ten_ms, NULL);
    }
    fail_msg("only %d of %d binaries came to %s: they did not run at the same time",
             files_in(mine), want, mine);
}

static void body(const char *name)
{
    note(name);
    const char *crash = getenv("ORDER_CRASH");
    if (crash && strcmp(crash, name) == 0)
        abort();
    const char *fail = getenv("ORDER_FAIL");
    if (fail && strcmp(fail, name) == 0)
        fail_msg("%s fails as ORDER_FAIL asked", name);
}

#define TEST(name)                                                                     \
    static void name(void **state)                                                     \
    {                                                                                  \
        (void)state;                                                                   \
        body(#name);                                                                   \
    }
TEST(TestB) TEST(TestC) TEST(TestD) TEST(TestE) TEST(TestF) TEST(TestG)

static void TestA(void **state)
{
    (void)state;
    meet();
    body("TestA");
}

static void TestEscape(void **state)
{
    (void)state;
    body("TestEscape");
}

static int test_setup(void **state)
{
    (void)state;
    note("TestA setup");
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    note("TestA teardown");
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    note("first setup");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    note("first teardown");
    return 0;
}

int main(void)
{
    const struct CMUnitTest first[] = {
        cmocka_unit_test_setup_teardown(TestA, test_setup, test_teardown),
        cmocka_unit_test(TestB),
        cmocka_unit_test(TestC),
        cmocka_unit_test(TestD),
    };
    const struct CMUnitTest second[] = {
        cmocka_unit_test(TestE),
        cmocka_unit_test(TestF),
        {"Test\033[31mEscape", TestEscape, NULL, NULL, NULL},
        cmocka_unit_test(TestG),
    };
    int failed = cmocka_run_group_tests_name("first", first, group_setup, group_teardown);
    failed += cmocka_run_group_tests_name("second", second, NULL, NULL);
    return failed;
}
