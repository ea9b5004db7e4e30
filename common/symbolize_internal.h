/*
 * symbolize_internal.h - the symbolizer split by concern:
 *   symbolize.c       modules and their address ranges, lookups, warnings,
 *                     names and paths made presentable (and kept)
 *   symbolize_dwfl.c  one module file read through libdwfl: its symbols,
 *                     lines and inlined functions at an address
 *   symbolize_index.c a module file's tables, built once: its functions by
 *                     address, and each unit's function scopes (inlined ones
 *                     included) by address
 *   symbolize_paint.c overlapping address spans cut into disjoint pieces
 *   symbolize_dw.c    libdw itself, opened on first use
 */
#ifndef CT_COMMON_SYMBOLIZE_INTERNAL_H
#define CT_COMMON_SYMBOLIZE_INTERNAL_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint*_t */
#include <stdlib.h> /* realloc */

#include "common/symbolize.h" /* ct_symbol_frame */

/* Room for one more in a growing array *v of *cap items, n used.
 * @return 0, -1 on ENOMEM (*v unchanged). */
static inline int ctr__sym_grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

/* ---- spans and pieces (symbolize_paint.c) ------------------------------------- */

typedef struct sym_span {
    uint64_t lo, hi; /* [lo, hi); empty ones are ignored */
} sym_span;

typedef struct sym_piece {
    uint64_t lo, hi;
    size_t span; /* index of the span it goes to */
} sym_piece;

/*! ctr__sym_paint() : cut `spans` into sorted, disjoint pieces, each going
 *  to the latest span (highest index) covering it; adjacent pieces of one
 *  span are merged. @return 0 with *out (malloc'd) and *nout, -1 on ENOMEM. */
int ctr__sym_paint(const sym_span *spans, size_t n, sym_piece **out, size_t *nout);

/* The span of the piece holding `addr`, or SIZE_MAX. */
size_t ctr__sym_piece_find(const sym_piece *pieces, size_t n, uint64_t addr);

/* ---- a module file (symbolize_dwfl.c) ------------------------------------------- */

typedef struct sym_file sym_file;

/*! ctr__sym_file_open() : the ELF file at `path` (a regular file: a FIFO
 *  or a device is refused without blocking), checked against `id` when both
 *  it and the file have a build-id. Its debug file is looked for on the
 *  first lookup that needs DWARF, in `*debuginfo_path` (libdwfl's syntax;
 *  the pointer must outlive the file); `offline`: never from a debuginfod
 *  server (ct_symbolizer_offline()).
 *  @return the file, or NULL with why in err (a sentence without the path). */
sym_file *ctr__sym_file_open(const char *path, const uint8_t *id, size_t id_len,
                             char **debuginfo_path, int offline, char *err, size_t err_len);

/*! ctr__sym_file_lookup() : what is at `vaddr` (an address as the file's
 *  program headers place it). Frames innermost first, at most `cap`, their
 *  strings the file's own (not cleaned, valid until it is closed), and in
 *  dirs[i] the directory frames[i].file is relative to when it is (the
 *  unit's DW_AT_comp_dir; NULL if none); *symbol and *symbol_start: the ELF
 *  symbol containing vaddr (NULL and 0 if none).
 *  @return the number of frames: 0 when neither DWARF nor a symbol names
 *  the function. */
size_t ctr__sym_file_lookup(sym_file *f, uint64_t vaddr, ct_symbol_frame *frames,
                            const char **dirs, size_t cap, const char **symbol,
                            uint64_t *symbol_start);

/* Close it; NULL is fine. */
void ctr__sym_file_close(sym_file *f);

#endif /* CT_COMMON_SYMBOLIZE_INTERNAL_H */
