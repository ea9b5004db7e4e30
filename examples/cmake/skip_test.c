/* skip_test.c - a test binary that skips itself, as automake, meson and
 * ctest (SKIP_RETURN_CODE 77) read it: exit 77 before any cmocka group. */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>  /* puts */
#include <stdlib.h> /* getenv */

static void TestNeedsAServer(void **state)
{
    (void)state;
}

int main(void)
{
    if (getenv("EXAMPLE_SERVER") == NULL) {
        puts("EXAMPLE_SERVER is not set: nothing to test against");
        return 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestNeedsAServer)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
