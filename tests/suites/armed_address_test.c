/*
 * armed_address_test.c - a test binary built without PIE that takes the
 * address of ct__check (to call it through a pointer): the linker then hashes the
 * imported symbol (a canonical PLT entry), and the tracer must still see
 * that the binary asserts (tests/harness/test_assertions.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

typedef void check_fn(int, int, const char *, const char *, double, uint64_t, uint64_t,
                      const char *, int);
/* Its address in code: a non-PIE executable's canonical PLT entry. */
__attribute__((noinline)) static check_fn *check_address(void)
{
    return ct__check;
}

static void TestThreeSteps(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        CT_WITH_REGION(NULL, "address.step") {}
    check_address()(0, CT__CHECK_REGION_COUNT, "address.step", NULL, 0.0, 1, 1, __FILE__, __LINE__);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestThreeSteps)};
    return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
