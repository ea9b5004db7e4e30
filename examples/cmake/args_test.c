/* args_test.c - a cmocka suite that reads its command line: add_test()'s
 * arguments reach it through ctest-trace. */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h> /* strcmp */

static const char *greeting; /* --greeting TEXT */

static void TestGreeting(void **state)
{
    (void)state;
    assert_non_null(greeting);
    assert_string_equal(greeting, "hello, world");
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--greeting") == 0)
            greeting = argv[++i];
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestGreeting)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
