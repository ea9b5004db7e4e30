/*
 * armed_test.c - trace assertions reached other than through this binary's
 * imports, for tests/harness/test_assertions.py: the tracer keeps their
 * numbers only once something can read them (assertions/live.h).
 *
 * This binary records regions but never calls ct__check itself.
 * ARMED_HOW=dlsym: its tests reach ct__check through dlsym: the first
 * assertion comes too late for its own test, which says so; the next test
 * is judged. ARMED_HOW=module: the tests are in ARMED_MODULE, loaded with
 * dlopen, which imports ct__check: judged from its first test on.
 * ARMED_HOW=fixture: the group setup loads ARMED_MODULE, whose function
 * the tests call: judged from the first test on too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

/* ct_assert_region_count(name, 1, 1), through dlsym. */
static void assert_once_by_dlsym(const char *name)
{
    __typeof__(ct__check) *check = (__typeof__(ct__check) *)dlsym(RTLD_DEFAULT, "ct__check");
    assert_non_null(check);
    check(0, CT__CHECK_REGION_COUNT, name, NULL, 0.0, 1, 1, __FILE__, __LINE__);
}

static void TestFirstAssertion(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "by.dlsym") {}
    assert_once_by_dlsym("by.dlsym"); /* not judged: fails, saying why */
}

static void TestLaterAssertion(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "by.dlsym") {}
    assert_once_by_dlsym("by.dlsym"); /* judged: one region */
}

static void (*module_step)(void);

static int load_module(void **state)
{
    (void)state;
    const char *path = getenv("ARMED_MODULE");
    void *module = path ? dlopen(path, RTLD_NOW) : NULL;
    module_step = module ? (void (*)(void))dlsym(module, "armed_module_step") : NULL;
    return module_step ? 0 : -1;
}

static void TestStepOnce(void **state)
{
    (void)state;
    module_step(); /* one region: holds */
}

static void TestStepTwice(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "module.step") {}
    module_step(); /* two regions: fails */
}

int main(void)
{
    const char *how = getenv("ARMED_HOW");
    if (how && strcmp(how, "module") == 0) {
        const char *path = getenv("ARMED_MODULE");
        void *module = path ? dlopen(path, RTLD_NOW) : NULL;
        int (*run)(void) = module ? (int (*)(void))dlsym(module, "armed_module_run") : NULL;
        if (!run) {
            fprintf(stderr, "armed_test: cannot load ARMED_MODULE: %s\n", dlerror());
            return 2;
        }
        return run();
    }
    if (how && strcmp(how, "fixture") == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(TestStepOnce),
            cmocka_unit_test(TestStepTwice),
        };
        return cmocka_run_group_tests_name("loaded_in_setup", tests, load_module, NULL);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestFirstAssertion),
        cmocka_unit_test(TestLaterAssertion),
    };
    return cmocka_run_group_tests_name("by_dlsym", tests, NULL, NULL);
}
