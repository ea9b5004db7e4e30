/*
 * cmocka_real_shared.c - the shared libctrace takes over cmocka's group
 * runner, so that a binary that neither includes nor links ctrace gets a
 * task per test when the runner preloads the library: cmocka_run_group_tests()
 * is a macro for _cmocka_run_group_tests(), and the preloaded definition
 * comes first. Ours runs cmocka's, found after us in the lookup order.
 */
#include <dlfcn.h> /* dlsym, RTLD_NEXT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h> /* fprintf */
#include <stdlib.h> /* abort */
#include <cmocka.h>

#include <ctrace_cmocka.h>

typedef int run_group_fn(const char *, const struct CMUnitTest *, size_t, CMFixtureFunction,
                         CMFixtureFunction);

int ct__real_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                             size_t count, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown);

__attribute__((visibility("default"))) int
_cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                        const size_t num_tests, CMFixtureFunction group_setup,
                        CMFixtureFunction group_teardown)
{
    return ct__run_group_tests(group_name, tests, num_tests, group_setup, group_teardown);
}

int ct__real_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                             size_t count, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown)
{
    static run_group_fn *real; /* atomic: set once, the same by every thread */
    run_group_fn *fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (run_group_fn *)dlsym(RTLD_NEXT, "_cmocka_run_group_tests");
        if (!fn) {
            /* Linked with --as-needed, `cc t.c -lctrace -lcmocka` keeps no
             * libcmocka when ours satisfied its one reference: load it. */
            void *cmocka = dlopen("libcmocka.so.0", RTLD_NOW | RTLD_GLOBAL);
            fn = cmocka ? (run_group_fn *)dlsym(cmocka, "_cmocka_run_group_tests") : NULL;
        }
        if (!fn || fn == _cmocka_run_group_tests) {
            /* cmocka linked into the binary itself precedes us: then the
             * binary's own calls never reach here, and ours cannot reach it. */
            fprintf(stderr, "ctest-trace: cannot find cmocka's _cmocka_run_group_tests "
                            "(is cmocka linked statically? then link libctrace too and "
                            "call ct_run_group_tests)\n");
            abort();
        }
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    return fn(group_name, tests, count, group_setup, group_teardown);
}
