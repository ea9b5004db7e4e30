/*
 * symbolize_internal.h - the symbolizer split by concern:
 *   symbolize.c       modules and their address ranges, lookups, warnings,
 *                     names and paths made presentable (and kept)
 *   symbolize_dwfl.c  one module file read through libdwfl: its symbols,
 *                     lines and inlined functions at an address
 *   symbolize_dw.c    libdw itself, opened on first use
 */
#ifndef CT_COMMON_SYMBOLIZE_INTERNAL_H
#define CT_COMMON_SYMBOLIZE_INTERNAL_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint*_t */

#include "common/symbolize.h" /* ct_symbol_frame */

typedef struct sym_file sym_file;

/*! ctr__sym_file_open() : the ELF file at `path` (a regular file: a FIFO
 *  or a device is refused without blocking), checked against `id` when both
 *  it and the file have a build-id. Its debug file is looked for on the
 *  first lookup that needs DWARF, in `*debuginfo_path` (libdwfl's syntax;
 *  the pointer must outlive the file).
 *  @return the file, or NULL with why in err (a sentence without the path). */
sym_file *ctr__sym_file_open(const char *path, const uint8_t *id, size_t id_len,
                             char **debuginfo_path, char *err, size_t err_len);

/*! ctr__sym_file_lookup() : what is at `vaddr` (an address as the file's
 *  program headers place it). Frames innermost first, at most `cap`, their
 *  strings the file's own (not cleaned, valid until it is closed); *symbol
 *  and *symbol_start: the ELF symbol containing vaddr (NULL and 0 if none).
 *  @return the number of frames: 0 when neither DWARF nor a symbol names
 *  the function. */
size_t ctr__sym_file_lookup(sym_file *f, uint64_t vaddr, ct_symbol_frame *frames, size_t cap,
                            const char **symbol, uint64_t *symbol_start);

/* Close it; NULL is fine. */
void ctr__sym_file_close(sym_file *f);

#endif /* CT_COMMON_SYMBOLIZE_INTERNAL_H */
