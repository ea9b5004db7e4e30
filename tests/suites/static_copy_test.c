/*
 * static_copy_test.c - a binary that links libctrace statically, run under
 * ctest-trace, which preloads the shared one (tests/harness/
 * test_assertions.py): the preloaded copy traces; this copy's assertions
 * cannot judge and must say so, never pass.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

static void TestLogs(void **state)
{
    (void)state;
    ct_log(NULL, "copy", "written in the first test");
}

static void TestSeesOnlyItsOwn(void **state)
{
    (void)state;
    ct_assert_log_seen("copy", "written in the first test"); /* not in this test */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestLogs),
        cmocka_unit_test(TestSeesOnlyItsOwn),
    };
    return cmocka_run_group_tests_name("static_copy", tests, NULL, NULL);
}
