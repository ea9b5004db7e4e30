/* symbolize_dwarf.h - symbolize_dwarf.c compiled once per DWARF version
 * (tests/unit/meson.build): a function and the line it is on. */
#ifndef CT_TESTS_UNIT_SYMBOLIZE_DWARF_H
#define CT_TESTS_UNIT_SYMBOLIZE_DWARF_H

int dwarf3_function(int x);
extern const unsigned dwarf3_line;
int dwarf4_function(int x);
extern const unsigned dwarf4_line;

#endif /* CT_TESTS_UNIT_SYMBOLIZE_DWARF_H */
