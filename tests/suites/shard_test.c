/*
 * shard_test.c - twenty tests in two groups, for --shard and `merge`
 * (tests/harness/test_shard.py, test_merge.py). Each test has a region
 * "step" and logs its own name, so a trace shows every test's events; the
 * first group has a setup and a teardown. SHARD_CRASH=NAME makes the test
 * NAME abort its process, SHARD_FAIL=NAME fail.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h> /* getenv, abort */
#include <string.h> /* strcmp */
#include <time.h>   /* nanosleep */

#include <ctrace.h>

static void one_test(const char *name)
{
    CT_WITH_REGION(NULL, "step")
    {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        ct_log(NULL, "test", name);
    }
    const char *crash = getenv("SHARD_CRASH");
    if (crash && strcmp(crash, name) == 0)
        abort();
    const char *fail = getenv("SHARD_FAIL");
    if (fail && strcmp(fail, name) == 0)
        fail_msg("%s fails as SHARD_FAIL asked", name);
}

#define TEST(name)                                                                     \
    static void name(void **state)                                                     \
    {                                                                                  \
        (void)state;                                                                   \
        one_test(#name);                                                               \
    }
TEST(TestAlpha) TEST(TestBravo) TEST(TestCharlie) TEST(TestDelta) TEST(TestEcho)
TEST(TestFoxtrot) TEST(TestGolf) TEST(TestHotel) TEST(TestIndia) TEST(TestJuliett)
TEST(TestKilo) TEST(TestLima) TEST(TestMike) TEST(TestNovember) TEST(TestOscar)
TEST(TestPapa) TEST(TestQuebec) TEST(TestRomeo) TEST(TestSierra) TEST(TestTango)

static int group_fixture(void **state)
{
    (void)state;
    return 0;
}

int main(void)
{
    const struct CMUnitTest first[] = {
        cmocka_unit_test(TestAlpha), cmocka_unit_test(TestBravo),
        cmocka_unit_test(TestCharlie), cmocka_unit_test(TestDelta),
        cmocka_unit_test(TestEcho), cmocka_unit_test(TestFoxtrot),
        cmocka_unit_test(TestGolf), cmocka_unit_test(TestHotel),
        cmocka_unit_test(TestIndia), cmocka_unit_test(TestJuliett),
        cmocka_unit_test(TestKilo), cmocka_unit_test(TestLima),
    };
    const struct CMUnitTest second[] = {
        cmocka_unit_test(TestMike), cmocka_unit_test(TestNovember),
        cmocka_unit_test(TestOscar), cmocka_unit_test(TestPapa),
        cmocka_unit_test(TestQuebec), cmocka_unit_test(TestRomeo),
        cmocka_unit_test(TestSierra), cmocka_unit_test(TestTango),
    };
    int failed = cmocka_run_group_tests_name("first", first, group_fixture, group_fixture);
    failed += cmocka_run_group_tests_name("second", second, NULL, NULL);
    return failed;
}
