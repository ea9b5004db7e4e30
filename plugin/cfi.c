/*
 * cfi.c - the rule for leaving an x86-64 frame, from .eh_frame (see cfi.h).
 *
 * The same lookup as libgcc's unwinder, so that both agree frame for frame:
 * _dl_find_object gives the module's .eh_frame_hdr, whose sorted table
 * (initial location, FDE) is binary-searched; a module without one, or an
 * address no FDE covers, is the end of the stack, as for libgcc. Then the
 * CIE's initial instructions and the FDE's are run up to the address,
 * tracking only what the walk needs: the CFA, rbp, rsp and the return
 * address. Other registers' rules are parsed and ignored, so an expression
 * for, say, rbx does not stop the walk; an expression for one of ours does.
 *
 * Every byte read lies within the module's mapping as _dl_find_object gives
 * it: a damaged table ends in CT__CFI_FALLBACK, not a fault.
 */
#include "plugin/cfi.h"

#include <dlfcn.h>  /* _dl_find_object */
#include <stddef.h> /* size_t */
#include <string.h> /* memcpy */

#if defined(__x86_64__) && defined(DLFO_STRUCT_HAS_EH_DBASE)

/* DWARF pointer encodings (DW_EH_PE_*). */
enum {
    PE_ABSPTR = 0x00, PE_ULEB128 = 0x01, PE_UDATA2 = 0x02, PE_UDATA4 = 0x03, PE_UDATA8 = 0x04,
    PE_SLEB128 = 0x09, PE_SDATA2 = 0x0a, PE_SDATA4 = 0x0b, PE_SDATA8 = 0x0c,
    PE_PCREL = 0x10, PE_DATAREL = 0x30, PE_ALIGNED = 0x50, PE_INDIRECT = 0x80, PE_OMIT = 0xff,
};

/* Call frame instructions (DW_CFA_*) with an operand in the low six bits. */
enum { CFA_ADVANCE_LOC = 1, CFA_OFFSET = 2, CFA_RESTORE = 3 };
/* The others. */
enum {
    CFA_NOP = 0x00, CFA_SET_LOC = 0x01, CFA_ADVANCE_LOC1 = 0x02, CFA_ADVANCE_LOC2 = 0x03,
    CFA_ADVANCE_LOC4 = 0x04, CFA_OFFSET_EXTENDED = 0x05, CFA_RESTORE_EXTENDED = 0x06,
    CFA_UNDEFINED = 0x07, CFA_SAME_VALUE = 0x08, CFA_REGISTER = 0x09,
    CFA_REMEMBER_STATE = 0x0a, CFA_RESTORE_STATE = 0x0b, CFA_DEF_CFA = 0x0c,
    CFA_DEF_CFA_REGISTER = 0x0d, CFA_DEF_CFA_OFFSET = 0x0e, CFA_DEF_CFA_EXPRESSION = 0x0f,
    CFA_EXPRESSION = 0x10, CFA_OFFSET_EXTENDED_SF = 0x11, CFA_DEF_CFA_SF = 0x12,
    CFA_DEF_CFA_OFFSET_SF = 0x13, CFA_VAL_OFFSET = 0x14, CFA_VAL_OFFSET_SF = 0x15,
    CFA_VAL_EXPRESSION = 0x16, CFA_GNU_ARGS_SIZE = 0x2e, CFA_GNU_NEGATIVE_OFFSET_EXTENDED = 0x2f,
};

/* x86-64 DWARF register numbers, and the ones a row tracks. */
enum { DW_RBP = 6, DW_RSP = 7, DW_RA = 16 };
enum { T_RBP, T_RSP, T_RA, TRACKED };

#define MAX_REMEMBERED 8      /* remember_state depth: compilers use 1 */
#define MAX_FACTOR (1 << 16)  /* larger alignment factors are garbage */
#define MAX_OFFSET (1ll << 31)

/* ---- reading bytes, bounded ---------------------------------------------- */

struct rd {
    const uint8_t *p, *end;
    int bad; /* read past end, or a value out of range: the result is unusable */
};

static uint8_t u8(struct rd *r)
{
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

/* `size` bytes, little-endian (the host's order). */
static uint64_t fixed(struct rd *r, size_t size)
{
    uint64_t v = 0;
    if ((size_t)(r->end - r->p) < size) {
        r->bad = 1;
        r->p = r->end;
        return 0;
    }
    memcpy(&v, r->p, size);
    r->p += size;
    return v;
}

/* A LEB128 number's bits; *shift says how many were read, *last is the
 * last byte (its 0x40 bit is the sign of an sleb). */
static uint64_t leb128(struct rd *r, unsigned *shift, uint8_t *last)
{
    uint64_t v = 0;
    uint8_t b;
    *shift = 0;
    do {
        b = u8(r);
        if (*shift < 64)
            v |= (uint64_t)(b & 0x7f) << *shift;
        *shift += 7;
    } while (b & 0x80); /* u8 past the end gives 0: the loop ends */
    *last = b;
    return v;
}

static uint64_t uleb(struct rd *r)
{
    unsigned shift;
    uint8_t last;
    return leb128(r, &shift, &last);
}

static int64_t sleb(struct rd *r)
{
    unsigned shift;
    uint8_t last;
    uint64_t v = leb128(r, &shift, &last);
    if (shift < 64 && (last & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

static void skip(struct rd *r, uint64_t n)
{
    if (n > (uint64_t)(r->end - r->p)) {
        r->bad = 1;
        r->p = r->end;
    } else {
        r->p += n;
    }
}

/* A pointer in encoding `enc`; `datarel` is the base of DW_EH_PE_datarel
 * (0: none here). Indirect pointers are never followed. */
static uintptr_t encoded(struct rd *r, uint8_t enc, uintptr_t datarel)
{
    uintptr_t at = (uintptr_t)r->p;
    uint64_t v;
    switch (enc & 0x0f) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8: v = fixed(r, 8); break;
    case PE_ULEB128: v = uleb(r); break;
    case PE_UDATA2: v = fixed(r, 2); break;
    case PE_UDATA4: v = fixed(r, 4); break;
    case PE_SLEB128: v = (uint64_t)sleb(r); break;
    case PE_SDATA2: v = (uint64_t)(int64_t)(int16_t)fixed(r, 2); break;
    case PE_SDATA4: v = (uint64_t)(int64_t)(int32_t)fixed(r, 4); break;
    default: r->bad = 1; return 0;
    }
    switch (enc & 0x70) {
    case 0: break;
    case PE_PCREL: v += at; break;
    case PE_DATAREL: r->bad |= datarel == 0; v += datarel; break;
    default: r->bad = 1; /* textrel, funcrel, aligned: not in x86-64 .eh_frame */
    }
    r->bad |= (enc & PE_INDIRECT) != 0;
    return (uintptr_t)v;
}

/* A reader over [at, at + 4 + length) of a CIE or FDE, after its length
 * field; bad if it does not lie in [lo, hi). 64-bit lengths are not used in
 * .eh_frame by any toolchain: refused. */
static struct rd entry(uintptr_t at, uintptr_t lo, uintptr_t hi)
{
    struct rd r = {(const uint8_t *)hi, (const uint8_t *)hi, 1};
    if (at < lo || at >= hi)
        return r;
    r.p = (const uint8_t *)at;
    r.bad = 0;
    uint64_t len = fixed(&r, 4);
    if (len == 0 || len == 0xffffffffu || len > (uint64_t)(r.end - r.p))
        r.bad = 1;
    else
        r.end = r.p + len;
    return r;
}

/* ---- CIE and FDE ------------------------------------------------------------ */

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint8_t fde_enc; /* how the FDE's addresses are encoded ('R') */
    uint8_t has_z;   /* FDEs carry augmentation data to skip */
    struct rd insns; /* initial instructions */
};

static int parse_cie(uintptr_t at, uintptr_t lo, uintptr_t hi, struct cie *c)
{
    struct rd r = entry(at, lo, hi);
    if (r.bad || fixed(&r, 4) != 0) /* CIE id: 0 in .eh_frame */
        return CT__CFI_FALLBACK;
    uint8_t version = u8(&r);
    if (version != 1 && version != 3)
        return CT__CFI_FALLBACK;
    const uint8_t *aug = r.p;
    while (u8(&r) != 0)
        ;
    if (r.bad)
        return CT__CFI_FALLBACK;
    c->code_align = uleb(&r);
    c->data_align = sleb(&r);
    uint64_t ra = version == 1 ? u8(&r) : uleb(&r);
    if (ra != DW_RA || c->code_align > MAX_FACTOR || c->data_align > MAX_FACTOR ||
        c->data_align < -MAX_FACTOR)
        return CT__CFI_FALLBACK;
    c->fde_enc = PE_ABSPTR;
    c->has_z = aug[0] == 'z';
    if (c->has_z) {
        struct rd a = r;
        uint64_t len = uleb(&a);
        skip(&r, (uint64_t)(a.p - r.p) + len);
        a.end = r.p;
        for (const uint8_t *s = aug + 1; *s; s++) {
            uint8_t enc;
            switch (*s) {
            case 'R': c->fde_enc = u8(&a); break;
            case 'L': u8(&a); break;
            case 'P':
                enc = u8(&a);
                if ((enc & 0x70) == PE_ALIGNED)
                    return CT__CFI_FALLBACK;
                encoded(&a, enc & 0x0f, 0); /* the personality routine: unused */
                break;
            default: return CT__CFI_FALLBACK; /* 'S' (signal frame), or unknown */
            }
        }
        if (a.bad)
            return CT__CFI_FALLBACK;
    } else if (aug[0] != 0) {
        return CT__CFI_FALLBACK; /* "eh" and other old forms */
    }
    if (r.bad)
        return CT__CFI_FALLBACK;
    c->insns = r;
    return CT__CFI_RULE;
}

/* The FDE of `addr` in the module whose .eh_frame_hdr is at `hdr`: its
 * instructions in *insns, its start in *begin, its CIE in *c. */
static int find_fde(uintptr_t addr, uintptr_t hdr, uintptr_t lo, uintptr_t hi, struct cie *c,
                    struct rd *insns, uintptr_t *begin)
{
    struct rd r = {(const uint8_t *)hdr, (const uint8_t *)hi, 0};
    uint8_t version = u8(&r), ptr_enc = u8(&r), count_enc = u8(&r), table_enc = u8(&r);
    if (ptr_enc != PE_OMIT)
        encoded(&r, ptr_enc, hdr); /* where .eh_frame starts: unused */
    /* No sorted table: libgcc would scan .eh_frame. Linkers always write
     * one, in this encoding. */
    if (r.bad || version != 1 || count_enc == PE_OMIT || table_enc != (PE_DATAREL | PE_SDATA4))
        return CT__CFI_FALLBACK;
    uint64_t count = encoded(&r, count_enc, hdr);
    if (r.bad || count > (uint64_t)(r.end - r.p) / 8)
        return CT__CFI_FALLBACK;
    const uint8_t *table = r.p;
    /* The last entry whose initial location is <= addr. */
    uint64_t first = 0, past = count;
    while (first < past) {
        uint64_t mid = first + (past - first) / 2;
        int32_t loc;
        memcpy(&loc, table + mid * 8, 4);
        if (hdr + (uintptr_t)(intptr_t)loc <= addr)
            first = mid + 1;
        else
            past = mid;
    }
    if (first == 0)
        return CT__CFI_END; /* before the first function: no FDE, as for libgcc */
    int32_t fde_off;
    memcpy(&fde_off, table + (first - 1) * 8 + 4, 4);
    uintptr_t fde = hdr + (uintptr_t)(intptr_t)fde_off;

    struct rd f = entry(fde, lo, hi);
    uintptr_t cie_field = (uintptr_t)f.p;
    uint32_t cie_off = (uint32_t)fixed(&f, 4);
    if (f.bad || cie_off == 0) /* 0: a CIE, not an FDE */
        return CT__CFI_FALLBACK;
    int kind = parse_cie(cie_field - cie_off, lo, hi, c);
    if (kind != CT__CFI_RULE)
        return kind;
    *begin = encoded(&f, c->fde_enc, 0);
    uintptr_t range = encoded(&f, c->fde_enc & 0x0f, 0);
    if (c->has_z)
        skip(&f, uleb(&f));
    if (f.bad)
        return CT__CFI_FALLBACK;
    if (addr < *begin || addr - *begin >= range)
        return CT__CFI_END; /* in a gap between FDEs: no unwind information */
    *insns = f;
    return CT__CFI_RULE;
}

/* ---- the CFA program ------------------------------------------------------ */

enum how { SAME = 0, OFFSET, UNDEF, OTHER }; /* OTHER: a rule we do not follow */

struct row {
    uint64_t cfa_reg;
    int64_t cfa_off;
    uint8_t cfa_expr;
    uint8_t how[TRACKED];
    int64_t off[TRACKED]; /* for OFFSET: saved at CFA + off */
};

struct program {
    const struct cie *cie;
    uintptr_t addr, loc; /* the row wanted; the row being built */
    struct row row, initial; /* initial: after the CIE, for DW_CFA_restore */
    struct row saved[MAX_REMEMBERED];
    unsigned nsaved;
};

static int tracked(uint64_t reg)
{
    return reg == DW_RBP ? T_RBP : reg == DW_RSP ? T_RSP : reg == DW_RA ? T_RA : -1;
}

static void set_rule(struct program *pr, uint64_t reg, enum how how, int64_t off)
{
    int t = tracked(reg);
    if (t >= 0) {
        pr->row.how[t] = (uint8_t)how;
        pr->row.off[t] = off;
    }
}

static void restore_rule(struct program *pr, uint64_t reg)
{
    int t = tracked(reg);
    if (t >= 0) {
        pr->row.how[t] = pr->initial.how[t];
        pr->row.off[t] = pr->initial.off[t];
    }
}

/* v * the data alignment factor, or bad when out of range. */
static int64_t factored(struct rd *r, int64_t v, const struct cie *c)
{
    if (v >= MAX_OFFSET || v <= -MAX_OFFSET) {
        r->bad = 1;
        return 0;
    }
    return v * c->data_align;
}

static int64_t plain(struct rd *r, uint64_t v)
{
    r->bad |= v >= (uint64_t)MAX_OFFSET;
    return (int64_t)(v & 0x7fffffff);
}

/* Run instructions until the row that covers pr->addr is built (1), or the
 * end of `r` (0); -1 on anything this unwinder cannot follow. */
static int run(struct program *pr, struct rd *r)
{
    const struct cie *c = pr->cie;
    while (r->p < r->end && !r->bad) {
        uint8_t op = u8(r);
        uint64_t reg, delta = 0;
        int64_t off;
        switch (op >> 6) {
        case CFA_ADVANCE_LOC: delta = op & 0x3f; goto advance;
        case CFA_OFFSET:
            off = factored(r, (int64_t)uleb(r), c);
            set_rule(pr, op & 0x3f, OFFSET, off);
            continue;
        case CFA_RESTORE: restore_rule(pr, op & 0x3f); continue;
        }
        switch (op) {
        case CFA_NOP: break;
        case CFA_SET_LOC: {
            uintptr_t loc = encoded(r, c->fde_enc, 0);
            if (pr->addr < loc)
                return 1;
            pr->loc = loc;
            break;
        }
        case CFA_ADVANCE_LOC1: delta = fixed(r, 1); goto advance;
        case CFA_ADVANCE_LOC2: delta = fixed(r, 2); goto advance;
        case CFA_ADVANCE_LOC4: delta = fixed(r, 4); goto advance;
        case CFA_OFFSET_EXTENDED:
            reg = uleb(r);
            set_rule(pr, reg, OFFSET, factored(r, (int64_t)uleb(r), c));
            break;
        case CFA_OFFSET_EXTENDED_SF:
            reg = uleb(r);
            set_rule(pr, reg, OFFSET, factored(r, sleb(r), c));
            break;
        case CFA_GNU_NEGATIVE_OFFSET_EXTENDED:
            reg = uleb(r);
            set_rule(pr, reg, OFFSET, -factored(r, (int64_t)uleb(r), c));
            break;
        case CFA_RESTORE_EXTENDED: restore_rule(pr, uleb(r)); break;
        case CFA_UNDEFINED: set_rule(pr, uleb(r), UNDEF, 0); break;
        case CFA_SAME_VALUE: set_rule(pr, uleb(r), SAME, 0); break;
        case CFA_REGISTER:
            reg = uleb(r);
            uleb(r);
            set_rule(pr, reg, OTHER, 0);
            break;
        case CFA_VAL_OFFSET:
        case CFA_VAL_OFFSET_SF:
            reg = uleb(r);
            uleb(r); /* an sleb skips the same way */
            set_rule(pr, reg, OTHER, 0);
            break;
        case CFA_EXPRESSION:
        case CFA_VAL_EXPRESSION:
            reg = uleb(r);
            skip(r, uleb(r));
            set_rule(pr, reg, OTHER, 0);
            break;
        case CFA_REMEMBER_STATE:
            if (pr->nsaved == MAX_REMEMBERED)
                return -1;
            pr->saved[pr->nsaved++] = pr->row;
            break;
        case CFA_RESTORE_STATE:
            if (pr->nsaved == 0)
                return -1;
            pr->row = pr->saved[--pr->nsaved];
            break;
        case CFA_DEF_CFA:
            pr->row.cfa_reg = uleb(r);
            pr->row.cfa_off = plain(r, uleb(r));
            pr->row.cfa_expr = 0;
            break;
        case CFA_DEF_CFA_SF:
            pr->row.cfa_reg = uleb(r);
            pr->row.cfa_off = factored(r, sleb(r), c);
            pr->row.cfa_expr = 0;
            break;
        case CFA_DEF_CFA_REGISTER:
            pr->row.cfa_reg = uleb(r);
            pr->row.cfa_expr = 0;
            break;
        /* The offset alone keeps an expression CFA an expression, as libgcc does. */
        case CFA_DEF_CFA_OFFSET: pr->row.cfa_off = plain(r, uleb(r)); break;
        case CFA_DEF_CFA_OFFSET_SF: pr->row.cfa_off = factored(r, sleb(r), c); break;
        case CFA_DEF_CFA_EXPRESSION:
            skip(r, uleb(r));
            pr->row.cfa_expr = 1;
            break;
        case CFA_GNU_ARGS_SIZE: uleb(r); break; /* for landing pads only */
        default: return -1; /* operands unknown: cannot even skip it */
        }
        continue;
    advance:
        if (delta * c->code_align > ~pr->loc || pr->addr < pr->loc + delta * c->code_align)
            return 1;
        pr->loc += delta * c->code_align;
    }
    return r->bad ? -1 : 0;
}

/* The row's verdict, in the unwinder's terms. */
static int rule_of(const struct row *row, struct ct__cfi_rule *rule)
{
    if (row->how[T_RA] == UNDEF)
        return CT__CFI_END; /* _start, clone3's child: the outermost frame */
    if (row->how[T_RA] != OFFSET || row->off[T_RA] != -8 || row->cfa_expr ||
        (row->cfa_reg != DW_RSP && row->cfa_reg != DW_RBP) ||
        (row->how[T_RSP] != SAME && row->how[T_RSP] != UNDEF) || row->how[T_RBP] == OTHER ||
        (row->how[T_RBP] == OFFSET && row->off[T_RBP] == 0))
        return CT__CFI_FALLBACK;
    rule->cfa_rbp = row->cfa_reg == DW_RBP;
    rule->cfa_off = (int32_t)row->cfa_off;
    /* UNDEF rbp keeps its value, as libgcc does. */
    rule->rbp_off = row->how[T_RBP] == OFFSET ? (int32_t)row->off[T_RBP] : 0;
    return CT__CFI_RULE;
}

int ct__cfi_rule_at(uintptr_t addr, struct ct__cfi_rule *rule)
{
    struct dl_find_object o;
    if (_dl_find_object((void *)addr, &o) != 0)
        return CT__CFI_NONE;
    if (o.dlfo_eh_frame == NULL)
        return CT__CFI_END; /* no unwind information: libgcc stops here too */
    uintptr_t lo = (uintptr_t)o.dlfo_map_start, hi = (uintptr_t)o.dlfo_map_end;
    uintptr_t hdr = (uintptr_t)o.dlfo_eh_frame;
    if (hdr < lo || hdr >= hi)
        return CT__CFI_FALLBACK;

    struct cie cie;
    struct rd insns;
    uintptr_t begin;
    int kind = find_fde(addr, hdr, lo, hi, &cie, &insns, &begin);
    if (kind != CT__CFI_RULE)
        return kind;
    struct program pr; /* not zeroed whole: saved[] is written before it is read */
    pr.cie = &cie;
    pr.addr = addr;
    pr.loc = begin;
    pr.row = (struct row){.cfa_reg = ~(uint64_t)0};
    pr.nsaved = 0;
    int done = run(&pr, &cie.insns);
    if (done < 0)
        return CT__CFI_FALLBACK;
    pr.initial = pr.row;
    if (!done && run(&pr, &insns) < 0)
        return CT__CFI_FALLBACK;
    return rule_of(&pr.row, rule);
}

#else /* no _dl_find_object, or not x86-64: libgcc's unwinder does it all */

int ct__cfi_rule_at(uintptr_t addr, struct ct__cfi_rule *rule)
{
    (void)addr;
    (void)rule;
    return CT__CFI_FALLBACK;
}

#endif
