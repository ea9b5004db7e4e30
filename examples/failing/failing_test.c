/*
 * failing_test.c - a plain cmocka suite, with no ctrace in it, where tests
 * end every ordinary way: pass, a failing assertion, a skip, and a fixture
 * error. Run it traced:
 *
 *     ctest-trace --trace=trace.out -v ./failing_test
 *
 * The runner preloads libctrace, which takes over cmocka's group runner: each
 * test is a task with its status and cmocka's message, each group's setup and
 * teardown a task of kind fixture, each test's setup and teardown a region.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static void *parse_chunk(void *arg)
{
    usleep(2000); /* some work on another thread: traced too */
    return arg;
}

static void TestParse(void **state)
{
    (void)state;
    pthread_t worker;
    assert_int_equal(pthread_create(&worker, NULL, parse_chunk, NULL), 0);
    pthread_join(worker, NULL);
    printf("parsed 2 chunks\n");
}

static void TestChecksum(void **state)
{
    (void)state;
    unsigned sum = 0;
    for (const char *p = "ctest-trace"; *p; p++)
        sum += (unsigned char)*p;
    assert_int_equal(sum, 1000); /* fails: it is 1119 */
}

static void TestNetwork(void **state)
{
    (void)state;
    skip(); /* no network here */
}

static int open_db(void **state)
{
    (void)state;
    return -1; /* the fixture fails: its test is an error */
}

static void TestQuery(void **state)
{
    (void)state;
}

static int reset_counters(void **state)
{
    (void)state;
    return 0;
}

static int arguments_seen(void **state)
{
    (void)state;
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* arguments after -- reach the binary */
        printf("argument: %s\n", argv[i]);
    const struct CMUnitTest parsing[] = {
        cmocka_unit_test_setup_teardown(TestParse, reset_counters, reset_counters),
        cmocka_unit_test(TestChecksum),
        cmocka_unit_test(TestNetwork),
    };
    const struct CMUnitTest storage[] = {
        cmocka_unit_test_setup(TestQuery, open_db),
    };
    int failed = cmocka_run_group_tests_name("parsing", parsing, arguments_seen, NULL);
    failed += cmocka_run_group_tests_name("storage", storage, NULL, reset_counters);
    return failed;
}
