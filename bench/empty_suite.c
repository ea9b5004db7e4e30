/*
 * empty_suite.c - a plain cmocka suite with one empty test: what running a
 * binary under ctest-trace costs before any test does anything (bench/
 * examples.sh subtracts it to show what tracing costs a suite's tests).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
static void TestNothing(void **s) { (void)s; }
int main(void) { const struct CMUnitTest t[] = {cmocka_unit_test(TestNothing)}; return cmocka_run_group_tests(t, NULL, NULL); }
