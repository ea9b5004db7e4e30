/*
 * static_cmocka_test.c - a cmocka suite as it runs with cmocka linked
 * statically: its call reaches cmocka's own group runner directly, never
 * through a symbol the dynamic linker could bind to the preloaded tracer's.
 * (Debian ships no static libcmocka: the runner is taken from the shared
 * library by address.) No cmocka group runs under the tracer.
 * For tests/harness/test_honest_runs.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>

typedef int group_runner(const char *group_name, const struct CMUnitTest *tests, size_t count,
                         CMFixtureFunction group_setup, CMFixtureFunction group_teardown);

static void t_static(void **state)
{
    (void)state;
    assert_true(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(t_static)};
    void *cmocka = dlopen("libcmocka.so.0", RTLD_NOW | RTLD_NOLOAD);
    group_runner *run = cmocka ? (group_runner *)dlsym(cmocka, "_cmocka_run_group_tests") : NULL;
    if (run == NULL) {
        fprintf(stderr, "cannot find cmocka's group runner\n");
        return 2;
    }
    return run("static_group", tests, sizeof tests / sizeof tests[0], NULL, NULL);
}
