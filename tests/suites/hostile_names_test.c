/*
 * hostile_names_test.c - names and messages that are markup, script,
 * quotes, control bytes and invalid UTF-8, for the HTML report
 * (tests/harness/test_report.py): each must come out as text, and no
 * script of theirs may run. Each would set document.title if it ran.
 * Threads named with markup too (a kernel thread name: 15 bytes at most).
 */
#include <pthread.h> /* pthread_setname_np: the build defines _GNU_SOURCE */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctrace.h>

#define PWNED(what) "document.title='pwned " what "'"

static void *named_thread(void *name)
{
    pthread_setname_np(pthread_self(), name);
    ct_region r = ct_region_begin(NULL, "named thread"); /* its name goes with its events */
    ct_region_end(&r);
    return NULL;
}

static void TestHostileNames(void **state)
{
    (void)state;
    static const char *const thread_names[] = {"<img src=x>", "</script><i>"};
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, named_thread, (void *)thread_names[i]), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
    }
    ct_task *task = ct_task_begin(NULL, "task \"quoted\" & 'single' <b>bold</b>");
    ct_region outer = ct_region_begin(task, "</style><script>" PWNED("region") "</script>");
    ct_region inner = ct_region_begin(task, "ctl\x01\x1b[31m bad\xff\xfe utf8 <!-- ]]>");
    ct_log(task, "</script><script>" PWNED("category") "</script>",
           "<img src=x onerror=\"" PWNED("log") "\"> \\u003c/script>");
    ct_region_end(&inner);
    ct_region_end(&outer);
    ct_task_end(task);
}

static void TestHostileFailure(void **state)
{
    (void)state;
    fail_msg("</pre></td></tr></table><script>" PWNED("message") "</script> \"'&amp;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        {"</script><img src=x onerror=\"" PWNED("name") "\">", TestHostileNames, NULL, NULL,
         NULL},
        cmocka_unit_test(TestHostileFailure),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
