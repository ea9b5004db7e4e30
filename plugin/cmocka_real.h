/*
 * cmocka_real.h - cmocka's own runners, which ours run. The shared libctrace
 * is interposed on them (cmocka_real_shared.c), the static one calls
 * cmocka's group runner directly (cmocka_real_static.c).
 */
#ifndef CT_PLUGIN_CMOCKA_REAL_H
#define CT_PLUGIN_CMOCKA_REAL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* cmocka's _cmocka_run_group_tests(). */
int ct__real_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                             size_t count, CMFixtureFunction group_setup,
                             CMFixtureFunction group_teardown);

/* Shared library only: cmocka's definition of `symbol`, found after ours
 * (`ours`) in the lookup order, kept in *cache (set once, the same by every
 * thread). Never NULL: when there is none (cmocka linked into the binary
 * itself) it says so on stderr and aborts. */
void *ct__cmocka_symbol(void **cache, const char *symbol, const void *ours);

#endif /* CT_PLUGIN_CMOCKA_REAL_H */
