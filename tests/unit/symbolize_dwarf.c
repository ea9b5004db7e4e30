/* symbolize_dwarf.c - a function on one line, for the symbolizer to find in
 * line tables of older DWARF versions than the compiler's default (v5). */
#include "symbolize_dwarf.h"

/* clang-format off */
__attribute__((noinline)) int SYM_DWARF_FUNCTION(int x) { return x * 5 + 2; } const unsigned SYM_DWARF_LINE = __LINE__;
/* clang-format on */
