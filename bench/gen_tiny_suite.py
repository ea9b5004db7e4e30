#!/usr/bin/python3
"""Write a plain cmocka suite of N tiny tests (default 10 000) to stdout, in
groups of 500: what bench/many_tests.sh runs bare and traced."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
group = 500
print("#include <stdarg.h>\n#include <stddef.h>\n#include <setjmp.h>\n#include <stdint.h>")
print("#include <cmocka.h>\n")
print("static volatile unsigned sink;")
for i in range(n):
    print(f"static void Test{i}(void **s) {{ (void)s; sink += {i}u; assert_true(sink != 0xFFFFFFFFu); }}")
print("\nint main(void)\n{\n    int failed = 0;")
for g in range(0, n, group):
    names = ", ".join(f"cmocka_unit_test(Test{i})" for i in range(g, min(n, g + group)))
    print(f"    {{ const struct CMUnitTest t[] = {{ {names} }};")
    print(f"      failed += cmocka_run_group_tests_name(\"g{g // group}\", t, NULL, NULL); }}")
print("    return failed;\n}")
