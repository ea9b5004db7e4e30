/*
 * symbolize.h - addresses of a traced process to function, file:line and
 * module, and the functions inlined there, read from the modules' ELF files
 * and their separate debug files with elfutils' libdwfl: symbol tables,
 * DWARF 2-5, compressed debug sections (-gz), debug files found by build-id
 * or .gnu_debuglink (Debian's -dbg and -dbgsym packages). Internal to
 * libctrace: the views use it, and so does an assertion's failure message
 * in the test process. libdw is opened on the first lookup (dlopen, see
 * symbolize_dw.h), never at the start of a test process.
 *
 * One symbolizer per traced process. Not thread-safe: one thread at a time.
 * Files are read lazily, on the first lookup inside them, and never trusted:
 * a damaged or hostile file gives fewer answers and a warning, not a crash.
 * Source file names are cleaned (path_clean.h): realpath when the file is
 * there, else without "..", "." and "//".
 */
#ifndef CT_ANALYSIS_SYMBOLIZE_H
#define CT_ANALYSIS_SYMBOLIZE_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint8_t, uint64_t */

typedef struct ct_symbolizer ct_symbolizer;

/* At most this many functions at one address (inlined into each other):
 * deeper nests keep their innermost ones and the function they are in. */
#define CT_SYMBOL_MAX_FRAMES 16

/* One function at an address: the innermost one inlined there, or one that
 * it was inlined into, or the function the address is in. */
typedef struct ct_symbol_frame {
    const char *function; /* NULL if unknown. Valid until ct_symbolizer_free */
    const char *file;     /* source file (cleaned), NULL if unknown; likewise */
    unsigned line;        /* 0 if unknown: the address's line in the innermost
                             frame, the call site of the inner frame in the others */
} ct_symbol_frame;

typedef struct ct_symbol {
    /* The innermost frame, as addr2line names the address; frames[0] when
     * there are frames. */
    const char *function;    /* demangling not needed; NULL if unknown. Valid until ct_symbolizer_free */
    const char *file;        /* source file path (cleaned), NULL if unknown */
    unsigned line;           /* 0 if unknown */
    /* Innermost first, as `eu-addr2line -i -f` prints them: each frame was
     * inlined into the next, and the last is the function the address is
     * in. One frame when nothing is inlined there; 0 when the function is
     * unknown. Valid until the next lookup. */
    const ct_symbol_frame *frames;
    size_t nframes;
    const char *module;      /* path of the module the address is in, NULL if in none */
    uint64_t module_offset;  /* address - load bias (the ELF virtual address); of pc-1 for a return address */
    uint64_t function_start; /* ELF vaddr of the function's ELF symbol, 0 if unknown */
    uint64_t module_lo, module_hi; /* the module's registered range; 0 if in none */
    const uint8_t *build_id;     /* as registered (may be NULL with length 0) */
    size_t build_id_len;
} ct_symbol;

/* @return a symbolizer with no module, or NULL on ENOMEM. */
ct_symbolizer *ct_symbolizer_new(void);

/* Ask no debuginfod server for a module's debug file: the symbolizer of a
 * test process (an assertion's message names the place), which must not wait
 * on the network, nor write a cache. With DEBUGINFOD_URLS set it then looks
 * by build-id only (under /usr/lib/debug/.build-id), not by .gnu_debuglink.
 * Without the call, libdw's standard search asks the servers in
 * DEBUGINFOD_URLS last, as elfutils' own tools do. Before the first lookup. */
void ct_symbolizer_offline(ct_symbolizer *s);

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
 * a module opens its file (and libdw, the first time).
 * @return 1 when something (at least the module) is known, 0 otherwise;
 * *out is filled either way (all NULL/0 when 0 is returned). */
int ct_symbolizer_lookup(ct_symbolizer *s, uint64_t pc, int is_return_address, ct_symbol *out);

/* Warnings met (libdw missing, a module's file missing or not ELF,
 * build-id mismatch), at most one per module file, for the caller to print
 * once.
 * @return the next unseen warning (valid until ct_symbolizer_free), or NULL. */
const char *ct_symbolizer_next_warning(ct_symbolizer *s);

/* Close every file and free everything; NULL is fine. */
void ct_symbolizer_free(ct_symbolizer *s);

/* For tests: look for separate debug files under `dir` instead of
 * /usr/lib/debug (DIR/.build-id/xx/yyyy.debug and DIR/<module's dir>/LINK;
 * LINK beside the module and in its .debug/ are looked at either way).
 * @return 0, or -1 on ENOMEM. */
int ctr__sym_set_debug_root(ct_symbolizer *s, const char *dir);

#endif /* CT_ANALYSIS_SYMBOLIZE_H */
