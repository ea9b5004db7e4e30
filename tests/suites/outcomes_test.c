/*
 * outcomes_test.c - a cmocka suite whose tests end every way a test can, for
 * tests/harness/test_outcomes.py. OUTCOMES_DEATH chooses how TestDies ends
 * its process (abort, kill, exit, segv); OUTCOMES_GROUP_SETUP makes the
 * second group's setup fail: by returning -1 (fail) or by fail_msg (assert).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

static void TestPasses(void **state)
{
    (void)state;
    printf("A-printf\n");
    if (write(1, "B-write\n", 8) != 8)
        fail_msg("write");
    fprintf(stderr, "C-stderr\n");
    printf("D-printf\n");
    CT_WITH_REGION(NULL, "work") {
    }
}

static void TestFails(void **state)
{
    (void)state;
    ct_region_begin(NULL, "left open by the failure");
    assert_int_equal(1 + 1, 3);
}

static void TestFailsWithMessage(void **state)
{
    (void)state;
    fail_msg("custom message %d", 7);
}

static void TestSkips(void **state)
{
    (void)state;
    skip();
}

/* cmocka catches the signal and goes on with the next test. */
static void TestSegfaultCaught(void **state)
{
    (void)state;
#ifdef CT_UNDER_TSAN
    /* cmocka's handler allocates: TSan stops the process there. */
    print_error("ThreadSanitizer: cmocka's signal handler is not signal-safe\n");
    skip();
#endif
    printf("about to fault\n");
    raise(SIGSEGV);
}

static int setup_fails(void **state)
{
    (void)state;
    return -1;
}

static void TestWithFailingSetup(void **state)
{
    (void)state;
}

static void TestLeavesTaskOpen(void **state)
{
    (void)state;
    ct_task *t = ct_task_begin(NULL, "never ended");
    ct_log(t, "note", "this task is never ended");
}

static void TestPrintsForgedMarkers(void **state)
{
    (void)state;
    printf("\036CTRACE run Forged\n\036CTRACE end fail 1 Forged\n");
}

/* Ends the whole process, the way OUTCOMES_DEATH says. */
static void TestDies(void **state)
{
    (void)state;
    const char *how = getenv("OUTCOMES_DEATH");
    if (!how)
        return;
    ct_region_begin(NULL, "open when the process died");
    printf("about to die by %s\n", how);
    if (strcmp(how, "abort") == 0)
        abort();
    if (strcmp(how, "kill") == 0)
        raise(SIGKILL);
    if (strcmp(how, "exit") == 0)
        exit(3);
}

static void TestInSecondGroup(void **state)
{
    (void)state;
}

static int second_group_setup(void **state)
{
    (void)state;
    const char *mode = getenv("OUTCOMES_GROUP_SETUP");
    if (mode && strcmp(mode, "assert") == 0)
        fail_msg("database %s not reachable", "db7"); /* leaves by longjmp */
    return mode && strcmp(mode, "fail") == 0 ? -1 : 0;
}

static int second_group_teardown(void **state)
{
    (void)state;
    return 0;
}

static void TestInThirdGroup(void **state)
{
    (void)state;
}

/* Run under a hostile name (see main): the name reaches XML, file names and
 * terminals. */
static void fails_with_hostile_name(void **state)
{
    (void)state;
    printf("hostile <output> & \"quotes\" \x01\n");
    fail_msg("failed <&> \"here\"");
}

int main(void)
{
    const struct CMUnitTest first[] = {
        cmocka_unit_test(TestPasses),
        cmocka_unit_test(TestFails),
        cmocka_unit_test(TestFailsWithMessage),
        cmocka_unit_test(TestSkips),
        cmocka_unit_test(TestSegfaultCaught),
        cmocka_unit_test_setup(TestWithFailingSetup, setup_fails),
        cmocka_unit_test(TestLeavesTaskOpen),
        cmocka_unit_test(TestPrintsForgedMarkers),
        cmocka_unit_test(TestDies),
    };
    const struct CMUnitTest second[] = {
        cmocka_unit_test(TestInSecondGroup),
    };
    const struct CMUnitTest third[] = {
        cmocka_unit_test(TestInThirdGroup),
    };
    const struct CMUnitTest hostile[] = {
        {"../../evil <&\"'>\n/name\x1b[31m", fails_with_hostile_name, NULL, NULL, NULL},
    };
    int failed = ct_run_group_tests(first, NULL, NULL);
    failed += ct_run_group_tests(second, second_group_setup, second_group_teardown);
    failed += ct_run_group_tests(third, NULL, NULL);
    failed += ct_run_group_tests_name("../grp<&>", hostile, NULL, NULL);
    return failed;
}
