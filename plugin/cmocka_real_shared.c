/*
 * cmocka_real_shared.c - the shared libctrace takes over cmocka's group
 * runner, so that a binary that neither includes nor links ctrace gets a
 * task per test when the runner preloads the library: cmocka_run_group_tests()
 * is a macro for _cmocka_run_group_tests(), and the preloaded definition
 * comes first. Ours runs cmocka's, found after us in the lookup order.
 */
#include "plugin/cmocka_real.h"

#include <dlfcn.h>  /* dlsym, dlopen, RTLD_NEXT */
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* abort */

#include <ctrace_cmocka.h>

typedef int run_group_fn(const char *, const struct CMUnitTest *, size_t, CMFixtureFunction,
                         CMFixtureFunction);

__attribute__((visibility("default"))) int
_cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
                        const size_t num_tests, CMFixtureFunction group_setup,
                        CMFixtureFunction group_teardown)
{
    return ct__run_group_tests(group_name, tests, num_tests, group_setup, group_teardown);
}

void *ct__cmocka_symbol(void **cache, const char *symbol, const void *ours)
{
    void *fn = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (fn)
        return fn;
    fn = dlsym(RTLD_NEXT, symbol);
    if (!fn) {
        /* Linked with --as-needed, `cc t.c -lctrace -lcmocka` keeps no
         * libcmocka when ours satisfied its one reference: load it. */
        void *cmocka = dlopen("libcmocka.so.0", RTLD_NOW | RTLD_GLOBAL);
        fn = cmocka ? dlsym(cmocka, symbol) : NULL;
    }
    if (!fn || fn == ours) {
        /* cmocka linked into the binary itself precedes us: then the
         * binary's own calls never reach here, and ours cannot reach it. */
        fprintf(stderr, "ctest-trace: cannot find cmocka's %s (is cmocka linked statically? "
                        "then link libctrace too and call ct_run_group_tests)\n", symbol);
        abort();
    }
    __atomic_store_n(cache, fn, __ATOMIC_RELEASE);
    return fn;
}

int ct__real_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                             size_t count, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown)
{
    static void *real;
    run_group_fn *fn = (run_group_fn *)ct__cmocka_symbol(&real, "_cmocka_run_group_tests",
                                                          (const void *)_cmocka_run_group_tests);
    return fn(group_name, tests, count, group_setup, group_teardown);
}
