/*
 * symbolize_internal.h - the symbolizer split by concern:
 *   symbolize.c        modules and their address ranges, lookups, warnings,
 *                      finding a module's separate debug file
 *   symbolize_elf.c    an ELF file mapped read-only: sections, notes, and
 *                      the function table from .symtab/.dynsym
 *   symbolize_lines.c  DWARF .debug_line (v2-v5): the address -> file:line table
 * Every offset read from a file is checked against the mapping before use.
 */
#ifndef CT_ANALYSIS_SYMBOLIZE_INTERNAL_H
#define CT_ANALYSIS_SYMBOLIZE_INTERNAL_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint*_t */

/* ---- an ELF file (symbolize_elf.c) -------------------------------------------- */

typedef struct sym_elf {
    const uint8_t *base; /* the whole file, PROT_READ; NULL when not open */
    size_t size;
    int mapped;          /* base is ours to munmap */
    uint64_t shoff, phoff;
    size_t shnum, phnum;
    size_t shstrndx;     /* 0: no section names */
} sym_elf;

typedef struct sym_section {
    const uint8_t *p; /* inside the mapping, n bytes (0 for SHT_NOBITS) */
    size_t n;
    uint32_t type;
    uint32_t link;
    uint64_t flags;
    uint64_t entsize;
} sym_section;

enum { /* ctr__sym_elf_open's failures */
    SYM_ELF_ENOENT = -1,  /* cannot open or map it: errno says why */
    SYM_ELF_NOTELF = -2,  /* no ELF magic, or too short */
    SYM_ELF_UNSUPPORTED = -3, /* ELF but not 64-bit little-endian */
};

/* Map `path` read-only and check its ELF header. @return 0 or SYM_ELF_*. */
int ctr__sym_elf_open(sym_elf *e, const char *path);
/* The same over `size` bytes that stay valid while e is used (not unmapped). */
int ctr__sym_elf_from_memory(sym_elf *e, const void *bytes, size_t size);
void ctr__sym_elf_close(sym_elf *e);

/* The section called `name`, or the first of `type` when name is NULL.
 * @return 1 found with its bytes inside the file, 0 otherwise. */
int ctr__sym_elf_section(const sym_elf *e, const char *name, uint32_t type, sym_section *out);
/* @return 1 and *out for section index i, 0 when out of range or damaged. */
int ctr__sym_elf_section_at(const sym_elf *e, size_t i, sym_section *out);
/* The NT_GNU_BUILD_ID note's bytes (PT_NOTE segments, else SHT_NOTE
 * sections). @return its length, 0 when there is none. */
size_t ctr__sym_elf_build_id(const sym_elf *e, const uint8_t **id);
/* The file name in .gnu_debuglink, NUL-terminated inside the mapping, or NULL. */
const char *ctr__sym_elf_debuglink(const sym_elf *e);
/* A NUL-terminated string at `off` inside section bytes, or NULL. */
const char *ctr__sym_cstr(const sym_section *sec, uint64_t off);

/* ---- functions (symbolize_elf.c) ---------------------------------------------- */

typedef struct sym_func {
    uint64_t addr, size;
    const char *name; /* in the mapping, or in names when trimmed of @VERSION */
} sym_func;

typedef struct sym_funcs {
    sym_func *v; /* sorted by addr, one per address */
    size_t n;
    char *names;
} sym_funcs;

/* The STT_FUNC/STT_GNU_IFUNC symbols of a SHT_SYMTAB or SHT_DYNSYM section.
 * @return 0 (damaged entries skipped), -1 on ENOMEM. */
int ctr__sym_funcs_build(sym_funcs *t, const sym_elf *e, const sym_section *symtab);
/* The function containing vaddr `addr`, or the nearest before it when its
 * size is 0; NULL when none. */
const sym_func *ctr__sym_funcs_find(const sym_funcs *t, uint64_t addr);
void ctr__sym_funcs_free(sym_funcs *t);

/* ---- lines (symbolize_lines.c) ------------------------------------------------ */

typedef struct sym_row {
    uint64_t addr;
    uint32_t file; /* index in files, SYM_FILE_NONE, or SYM_ROW_END (no line from here) */
    uint32_t line;
} sym_row;

#define SYM_ROW_END UINT32_MAX
#define SYM_FILE_NONE (UINT32_MAX - 1)

typedef struct sym_file {
    const char *comp, *dir, *name; /* in the mapping; comp/dir may be NULL */
    char *joined;                  /* comp/dir/name, made on first use */
} sym_file;

typedef struct sym_lines {
    sym_row *rows; /* sorted by addr, one per address */
    size_t nrows;
    sym_file *files;
    size_t nfiles, files_cap;
} sym_lines;

/* Read every unit of `e`'s .debug_line (its strings in .debug_line_str and
 * .debug_str of the same file). A damaged unit is skipped.
 * @return 0, 1 when something was skipped (why in err), -1 on ENOMEM. */
int ctr__sym_lines_build(sym_lines *t, const sym_elf *e, const sym_section *debug_line,
                         char *err, size_t err_len);
/* @return 1 with *file (NULL if unknown) and *line for vaddr `addr`, 0 when
 * no sequence covers it. */
int ctr__sym_lines_find(sym_lines *t, uint64_t addr, const char **file, unsigned *line);
void ctr__sym_lines_free(sym_lines *t);

#endif /* CT_ANALYSIS_SYMBOLIZE_INTERNAL_H */
