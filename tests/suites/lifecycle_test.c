/*
 * lifecycle_test.c - cmocka suites the tracer must follow exactly: tests
 * failed by cmocka after their body returned (an unused will_return, a
 * leaked test_malloc), cmocka's own skip filter, output between groups and
 * in a group teardown, a thread pool started before the tests that works
 * for them, and a group setup that ends the process (LIFECYCLE=gsetupcrash:
 * abort, gsetupexit: exit(3)).
 * For tests/harness/test_lifecycle.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctrace.h>

static int mocked(void)
{
    return mock_type(int);
}

static void t_leftover(void **state)
{
    (void)state;
    will_return(mocked, 1);
    will_return(mocked, 2); /* never taken: cmocka fails the test after it */
    assert_int_equal(mocked(), 1);
}

static void t_leak(void **state)
{
    (void)state;
    void *p = test_malloc(16); /* never freed: cmocka fails the test */
    (void)p;
}

static void t_ok(void **state)
{
    (void)state;
}

static void t_filtered_out(void **state)
{
    (void)state;
    printf("t_filtered_out ran\n");
}

static void t_kept(void **state)
{
    (void)state;
    printf("kept ran\n");
}

static int teardown_prints(void **state)
{
    (void)state;
    printf("teardown output\n");
    return 0;
}

static int setup_may_crash(void **state)
{
    (void)state;
    const char *mode = getenv("LIFECYCLE");
    if (mode && strcmp(mode, "gsetupcrash") == 0)
        abort();
    if (mode && strcmp(mode, "gsetupexit") == 0)
        exit(3);
    return 0;
}

static void t_after(void **state)
{
    (void)state;
    printf("after ran\n");
}

/* A worker started before the tests, doing a job for the test that asks. */
static sem_t job_ready, job_done;
static ct_task *job_parent;
static int pool_used;

static void *pool_worker(void *arg)
{
    (void)arg;
    sem_wait(&job_ready);
    ct_task *job = ct_task_begin(job_parent, "pool job");
    CT_WITH_REGION(job, "pool work") {
        usleep(1000);
    }
    ct_log(job, "pool", "done");
    ct_task_end(job);
    sem_post(&job_done);
    return NULL;
}

static void t_pool(void **state)
{
    (void)state;
    job_parent = ct_task_current();
    pool_used = 1;
    sem_post(&job_ready);
    sem_wait(&job_done);
    fail_msg("failing so that the job is in an attachment");
}

int main(void)
{
    sem_init(&job_ready, 0, 0);
    sem_init(&job_done, 0, 0);
    pthread_t worker;
    pthread_create(&worker, NULL, pool_worker, NULL);

    const struct CMUnitTest mocks[] = {
        cmocka_unit_test(t_leftover), cmocka_unit_test(t_leak), cmocka_unit_test(t_ok),
    };
    const struct CMUnitTest filtered[] = {
        cmocka_unit_test(t_filtered_out), cmocka_unit_test(t_kept),
    };
    const struct CMUnitTest crashy[] = {cmocka_unit_test(t_ok)};
    const struct CMUnitTest after[] = {cmocka_unit_test(t_after), cmocka_unit_test(t_pool)};
    /* A name longer than the trace keeps (1100 three-byte characters). */
    static char long_name[3 * 1100 + 1];
    for (int i = 0; i < 1100; i++)
        memcpy(long_name + 3 * i, "\xe6\xb5\x8b", 3);
    struct CMUnitTest long_names[] = {cmocka_unit_test(t_ok)};
    long_names[0].name = long_name;
    int failed = cmocka_run_group_tests(mocks, NULL, teardown_prints);
    printf("between groups\n");
    cmocka_set_skip_filter("*filtered_out");
    failed += cmocka_run_group_tests(filtered, NULL, NULL);
    cmocka_set_skip_filter(NULL);
    failed += cmocka_run_group_tests(crashy, setup_may_crash, NULL);
    failed += cmocka_run_group_tests(after, NULL, NULL);
    failed += cmocka_run_group_tests(long_names, NULL, NULL);
    if (!pool_used) /* t_pool was not selected: let the worker finish */
        sem_post(&job_ready);
    pthread_join(worker, NULL);
    return failed;
}
