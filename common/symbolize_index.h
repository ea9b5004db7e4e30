/*
 * symbolize_index.h - a module file's tables, built once through libdw so
 * that each lookup is a binary search: its functions from the ELF symbol
 * table, and for each DWARF unit, the first time an address lands in it,
 * its function scopes (subprograms and inlined instances) cut into pieces
 * of address space that each go to the innermost scope there.
 * (libdwfl's own dwfl_module_addrinfo scans the symbol table, and
 * dwarf_getscopes walks the unit's DIEs, on every call: tens of
 * microseconds each on a large file; bench/symbolize.c.)
 */
#ifndef CT_COMMON_SYMBOLIZE_INDEX_H
#define CT_COMMON_SYMBOLIZE_INDEX_H

#include "common/symbolize_dw.h"       /* ct_dw, Dwfl_Module */
#include "common/symbolize_internal.h" /* ct_symbol_frame */

typedef struct sym_index sym_index;

/* An empty index of `mod`; tables are built when first needed.
 * @return it, or NULL on ENOMEM. */
sym_index *ctr__sym_index_new(const ct_dw *dw, Dwfl_Module *mod);

/*! ctr__sym_index_symbol() : the ELF function symbol containing `vaddr`
 *  (the nearest before it when its size is 0). Global names win over local
 *  ones at one address. @return its name (NULL: none) and *start. */
const char *ctr__sym_index_symbol(sym_index *x, uint64_t vaddr, uint64_t *start);

/*! ctr__sym_index_scopes() : the functions at `vaddr`, innermost first:
 *  frames[0] names the innermost (its file and line left 0 for the line
 *  table to fill), each next one is the function the previous was inlined
 *  into, with the call's file and line. At most `cap`, the outermost kept.
 *  *comp_dir: the unit's compilation directory (NULL if none), which
 *  relative call files are relative to.
 *  @return how many (0: no DWARF function there, or out of memory). */
size_t ctr__sym_index_scopes(sym_index *x, uint64_t vaddr, ct_symbol_frame *frames, size_t cap,
                             const char **comp_dir);

void ctr__sym_index_free(sym_index *x);

#endif /* CT_COMMON_SYMBOLIZE_INDEX_H */
