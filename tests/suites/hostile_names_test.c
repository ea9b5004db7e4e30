/*
 * hostile_names_test.c - names that try to break out of a page or a
 * terminal: a test, a user task, regions, a thread name and a log whose
 * bytes are HTML markup (</script>, <b>, quotes, '&'), an escape sequence
 * and invalid UTF-8. Every view and the HTML report must show them as
 * text (tests/harness/test_report_pages.py).
 */
#include <pthread.h> /* pthread_create, pthread_join, pthread_setname_np */

#include <ctrace_cmocka.h> /* ct_run_group_tests; brings cmocka.h and ctrace.h */

#define REGION_NAME "</script><b>region"
#define TASK_NAME "<img src=x onerror=\"alert(1)\">&amp;"
#define RAW_REGION_NAME "raw\xff\x1b[31m'region'"

static void *worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "<b>worker&</b>");
    CT_WITH_REGION(NULL, REGION_NAME) {}
    return NULL;
}

static void TestHostile(void **state)
{
    (void)state;
    ct_task *task = ct_task_begin(NULL, TASK_NAME);
    ct_task *previous = ct_task_adopt(task);
    ct_log(task, "</script>", "<script>alert(1)</script>");
    CT_WITH_REGION(task, REGION_NAME) {}
    CT_WITH_REGION(task, RAW_REGION_NAME) {}
    pthread_t thread;
    int rc = pthread_create(&thread, NULL, worker, NULL);
    if (rc == 0)
        pthread_join(thread, NULL);
    ct_task_adopt(previous);
    ct_task_end(task);
    assert_int_equal(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"Test</script><b>\"quoted\"&amp;", TestHostile, NULL, NULL, NULL},
    };
    return ct_run_group_tests(tests, NULL, NULL);
}
