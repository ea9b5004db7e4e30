/*
 * armed_module.c - tests with trace assertions in a module armed_test
 * loads with dlopen (see there): each judged, from the first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

static void TestOneStep(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "module.step") {}
    ct_assert_region_count("module.step", 1, 1); /* holds */
}

static void TestTwoSteps(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "module.step") {}
    CT_WITH_REGION(NULL, "module.step") {}
    ct_assert_region_count("module.step", 1, 1); /* fails: two */
}

/* A step and its assertion, for a suite that loads this module in its
 * group setup (armed_test, ARMED_HOW=fixture). */
__attribute__((visibility("default"))) void armed_module_step(void)
{
    CT_WITH_REGION(NULL, "module.step") {}
    ct_assert_region_count("module.step", 1, 1);
}

__attribute__((visibility("default"))) int armed_module_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestOneStep),
        cmocka_unit_test(TestTwoSteps),
    };
    return cmocka_run_group_tests_name("in_module", tests, NULL, NULL);
}
