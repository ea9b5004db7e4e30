/* math_test.c - a plain cmocka suite: no ctrace in it. */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h> /* nanosleep */

static unsigned gcd(unsigned a, unsigned b)
{
    while (b != 0) {
        unsigned r = a % b;
        a = b;
        b = r;
    }
    return a;
}

static void TestGcd(void **state)
{
    (void)state;
    assert_int_equal(gcd(12, 18), 6);
    assert_int_equal(gcd(7, 0), 7);
}

static void TestGcdIsSlowEnoughToSee(void **state)
{
    (void)state;
    struct timespec ms = {0, 2000000};
    nanosleep(&ms, NULL); /* a wait the trace shows */
    assert_int_equal(gcd(1071, 462), 21);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestGcd),
        cmocka_unit_test(TestGcdIsSlowEnoughToSee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
