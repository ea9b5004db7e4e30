/*
 * symbolize_dw.h - elfutils' libdw and libdwfl, loaded with dlopen on first
 * use, for the symbolizer (symbolize.c).
 *
 * libctrace is preloaded into every traced test process, and libdw brings
 * libelf, zlib, liblzma and libbz2 with it: linked in, each test process
 * would load them at start (README, "Profiles", has the figures). They are
 * only needed when something is named: an assertion's failure message in a
 * test process, or a view in the command. So the library is opened then,
 * once per process, and never in a signal handler or on a traced call.
 *
 * The headers give the types; the functions are reached through ct_dw.
 */
#ifndef CT_COMMON_SYMBOLIZE_DW_H
#define CT_COMMON_SYMBOLIZE_DW_H

#include <dwarf.h>              /* DW_TAG_*, DW_AT_* */
#include <elfutils/libdwfl.h>   /* Dwfl, Dwfl_Module, Dwarf_Die and the prototypes */

/* Every function the symbolizer calls, once: the table's fields and the
 * names looked up come from this list. */
#define CT_DW_FUNCTIONS(X)                                                                     \
    X(dwfl_begin) X(dwfl_end) X(dwfl_errno) X(dwfl_errmsg) X(dwfl_report_begin)                \
    X(dwfl_report_elf) X(dwfl_report_end) X(dwfl_module_build_id) X(dwfl_module_getsymtab)    \
    X(dwfl_module_getsym_info) X(dwfl_module_getsrc) X(dwfl_lineinfo) X(dwfl_module_addrdie)   \
    X(dwfl_build_id_find_elf) X(dwfl_standard_find_debuginfo) X(dwfl_build_id_find_debuginfo) X(dwarf_dieoffset) X(dwarf_tag)  \
    X(dwarf_child) X(dwarf_siblingof) X(dwarf_ranges) X(dwarf_diename) X(dwarf_attr) X(dwarf_formstring) X(dwfl_line_comp_dir)           \
    X(dwarf_formudata) X(dwarf_getsrcfiles) X(dwarf_filesrc)

typedef struct ct_dw {
#define CT_DW_FIELD(name) __typeof__(name) *name;
    CT_DW_FUNCTIONS(CT_DW_FIELD)
#undef CT_DW_FIELD
} ct_dw;

/* The functions of libdw.so.1, opened on the first call (thread-safe; the
 * library stays loaded). @return the table, or NULL when libdw cannot be
 * loaded: then *why says what dlopen or dlsym said (static text). */
const ct_dw *ct__dw_get(const char **why);

#endif /* CT_COMMON_SYMBOLIZE_DW_H */
