/*
 * symbols.h - addresses of a trace (stack frames, start routines) to
 * function, file and line, with the modules each process recorded (MODULE
 * events, read as CTR_MODULE). One symbolizer per process, because each has
 * its own address layout.
 */
#ifndef CTV_SYMBOLS_H
#define CTV_SYMBOLS_H

#include <stdint.h>
#include <stdio.h> /* FILE */

#include <ctrace_reader.h>

#include "common/symbolize.h"

typedef struct ctv_symbols {
    ct_symbolizer **by_process; /* index: ctr_event.process; NULL until a module */
    uint32_t count;
    int failed; /* out of memory once: lookups find nothing */
    int offline; /* ct_symbolizer_offline() for each: a run's output, not a view */
} ctv_symbols;

void ctv_symbols_init(ctv_symbols *s);

/*! ctv_symbols_add() : take in `ev` if it is a CTR_MODULE (other kinds are
 *  ignored). @return 0 or CT_ENOMEM. */
int ctv_symbols_add(ctv_symbols *s, const ctr_event *ev);

/*! ctv_symbols_lookup() : `pc` of `process`; `is_return_address` for stack
 *  frames (looked up at pc - 1). @return 1 with *out when its module is
 *  known, else 0 (*out zeroed). */
int ctv_symbols_lookup(ctv_symbols *s, uint32_t process, uint64_t pc, int is_return_address,
                       ct_symbol *out);

/*! ctv_symbols_is_tracer() : whether `sym` lies in libctrace itself (its
 *  trampolines sit between cmocka and a test, its thread start between libc
 *  and a start routine): analyses leave such frames out. */
int ctv_symbols_is_tracer(const ct_symbol *sym);

/*! ctv_symbols_warn() : print each warning met (a module's file missing or
 *  rebuilt) once to err, as "ctest-trace: warning: FILE: what". */
void ctv_symbols_warn(ctv_symbols *s, FILE *err);

void ctv_symbols_free(ctv_symbols *s);

#endif /* CTV_SYMBOLS_H */
