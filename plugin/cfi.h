/*
 * cfi.h - how to leave an x86-64 frame, read from the module's DWARF call
 * frame information (.eh_frame, found through .eh_frame_hdr).
 *
 * The unwinder (unwind.c) asks once per return address and caches the
 * answer; this side does the slow part: find the module, binary-search its
 * FDE table, parse the CIE and FDE, run the CFA program up to the address.
 * No allocation and no lock (the module is found with _dl_find_object): it
 * may run in a signal handler.
 */
#ifndef CT_PLUGIN_CFI_H
#define CT_PLUGIN_CFI_H

#include <stdint.h>

/* What the CFI says about an address. */
enum ct__cfi_kind {
    CT__CFI_NONE = 0,     /* in no module (JIT code, garbage): the walk ends; not cached */
    CT__CFI_RULE = 1,     /* a rule this unwinder follows: *rule is set */
    CT__CFI_FALLBACK = 2, /* a rule it cannot express (expressions, a signal frame,
                           * an unusual table): the whole stack goes to libgcc */
    CT__CFI_END = 3,      /* the outermost frame (return address undefined, or no FDE) */
};

/* Leaving a frame: CFA = (rbp if cfa_rbp, else rsp) + cfa_off; the return
 * address is at CFA - 8; the caller's rbp is at CFA + rbp_off, or unchanged
 * when rbp_off is 0. */
struct ct__cfi_rule {
    uint8_t cfa_rbp;
    int32_t cfa_off;
    int32_t rbp_off;
};

/* The rule at `addr`: for a return address, pass the address minus one (the
 * call instruction: a call can be a function's last instruction). @return a
 * ct__cfi_kind; *rule is set only for CT__CFI_RULE. Never reads outside
 * the mapping of the module holding `addr`. */
int ct__cfi_rule_at(uintptr_t addr, struct ct__cfi_rule *rule);

#endif /* CT_PLUGIN_CFI_H */
