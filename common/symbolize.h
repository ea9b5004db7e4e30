/*
 * symbolize.h - addresses of a traced process to function, file:line and
 * module, read from the modules' ELF files (.symtab/.dynsym and DWARF
 * .debug_line) and their separate debug files, by our own code: no libdw,
 * libelf or libbfd. Internal to libctrace; the profile command uses it.
 *
 * One symbolizer per traced process. Not thread-safe: one thread at a time.
 * Files are read lazily, on the first lookup inside them, and never trusted:
 * a damaged or hostile file gives fewer answers and a warning, not a crash.
 */
#ifndef CT_ANALYSIS_SYMBOLIZE_H
#define CT_ANALYSIS_SYMBOLIZE_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint8_t, uint64_t */

typedef struct ct_symbolizer ct_symbolizer;

typedef struct ct_symbol {
    const char *function;    /* demangling not needed; NULL if unknown. Valid until ct_symbolizer_free */
    const char *file;        /* source file path from DWARF .debug_line (dir joined with name), NULL if unknown */
    unsigned line;           /* 0 if unknown */
    const char *module;      /* path of the module the address is in, NULL if in none */
    uint64_t module_offset;  /* address - load bias (the ELF virtual address); of pc-1 for a return address */
    uint64_t function_start; /* ELF vaddr of the function's symbol, 0 if unknown */
    uint64_t module_lo, module_hi; /* the module's registered range; 0 if in none */
    const uint8_t *build_id;     /* as registered (may be NULL with length 0) */
    size_t build_id_len;
} ct_symbol;

/* @return a symbolizer with no module, or NULL on ENOMEM. */
ct_symbolizer *ct_symbolizer_new(void);

/* A module loaded in the traced process: its file path, its GNU build-id
 * (may be len 0), its load bias (dl_iterate_phdr's dlpi_addr) and the
 * absolute range [lo, hi) of its PT_LOAD segments. Later registrations
 * covering the same range take precedence (dlclose/dlopen reuse). Modules
 * with the same path and build-id share one reading of the file.
 * @return 0, or -1 on ENOMEM. Nothing is read yet (lazy). */
int ct_symbolizer_add_module(ct_symbolizer *s, const char *path, const uint8_t *build_id,
                             size_t build_id_len, uint64_t bias, uint64_t lo, uint64_t hi);

/* Resolve `pc`, an absolute address. `is_return_address`: look up pc-1 (a
 * caller frame's return address points after the call). The first lookup in
 * a module maps its file and builds its tables.
 * @return 1 when something (at least the module) is known, 0 otherwise;
 * *out is filled either way (all NULL/0 when 0 is returned). */
int ct_symbolizer_lookup(ct_symbolizer *s, uint64_t pc, int is_return_address, ct_symbol *out);

/* Warnings met (a module's file missing, build-id mismatch, malformed
 * DWARF), at most one per module file, for the caller to print once.
 * @return the next unseen warning (valid until ct_symbolizer_free), or NULL. */
const char *ct_symbolizer_next_warning(ct_symbolizer *s);

/* Unmap every file and free everything; NULL is fine. */
void ct_symbolizer_free(ct_symbolizer *s);

/* For tests: look for separate debug files under `dir` instead of
 * /usr/lib/debug (.build-id/xx/yyyy.debug and DIR/<module's dir>/LINK).
 * @return 0, or -1 on ENOMEM. */
int ctr__sym_set_debug_root(ct_symbolizer *s, const char *dir);

#endif /* CT_ANALYSIS_SYMBOLIZE_H */
