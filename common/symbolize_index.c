/*
 * symbolize_index.c - a module file's functions and function scopes by
 * address (see symbolize_index.h). Everything is read from libdw once and
 * kept: the strings are libdw's own, valid while its Dwfl is.
 */
#include "common/symbolize_index.h"

#include <stdlib.h> /* calloc, realloc, qsort, free */
#include <string.h> /* memmove */

#define NO_SCOPE UINT32_MAX
#define MAX_DIE_DEPTH 256 /* a damaged unit may nest without end: walk no deeper */

typedef struct sym_func {
    uint64_t addr, size;
    const char *name;
    int rank; /* at one address the highest wins: global, weak, local */
} sym_func;

typedef struct sym_scope {
    const char *name;
    const char *call_file; /* an inlined instance's call site, in its parent */
    unsigned call_line;
    uint32_t parent;       /* the enclosing function scope, or NO_SCOPE */
    int inlined;
} sym_scope;

typedef struct sym_unit {
    uint64_t offset; /* of the unit's DIE: the key */
    uint64_t bias;   /* module address - DWARF address */
    const char *comp_dir;
    sym_scope *scopes;
    sym_piece *pieces; /* their .span is a scope index */
    size_t npieces;
} sym_unit;

struct sym_index {
    const ct_dw *dw;
    Dwfl_Module *mod;
    int funcs_built;
    sym_func *funcs; /* by address, one per address */
    size_t nfuncs;
    sym_unit *units; /* by offset */
    size_t nunits, units_cap;
};

sym_index *ctr__sym_index_new(const ct_dw *dw, Dwfl_Module *mod)
{
    sym_index *x = calloc(1, sizeof *x);
    if (x) {
        x->dw = dw;
        x->mod = mod;
    }
    return x;
}

/* ---- ELF symbols ----------------------------------------------------------------- */

static int func_cmp(const void *a, const void *b)
{
    const sym_func *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return y->rank - x->rank; /* the best first */
}

static int binding_rank(unsigned char info)
{
    switch (GELF_ST_BIND(info)) {
    case STB_GLOBAL: return 2;
    case STB_WEAK: return 1;
    default: return 0;
    }
}

/* The function symbols of the module's .symtab (its debug file's when it
 * has none) or .dynsym, as libdwfl picks them. Out of memory: none. */
static void funcs_build(sym_index *x)
{
    x->funcs_built = 1;
    int n = x->dw->dwfl_module_getsymtab(x->mod);
    if (n <= 1 || !(x->funcs = malloc((size_t)n * sizeof *x->funcs)))
        return;
    size_t k = 0;
    for (int i = 1; i < n; i++) { /* 0 is the null symbol */
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = x->dw->dwfl_module_getsym_info(x->mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = GELF_ST_TYPE(sym.st_info);
        if (name && name[0] && shndx != SHN_UNDEF && (type == STT_FUNC || type == STT_GNU_IFUNC))
            x->funcs[k++] = (sym_func){addr, sym.st_size, name, binding_rank(sym.st_info)};
    }
    qsort(x->funcs, k, sizeof *x->funcs, func_cmp);
    size_t out = 0;
    for (size_t i = 0; i < k; i++)
        if (out == 0 || x->funcs[out - 1].addr != x->funcs[i].addr)
            x->funcs[out++] = x->funcs[i];
    x->nfuncs = out;
}

const char *ctr__sym_index_symbol(sym_index *x, uint64_t vaddr, uint64_t *start)
{
    *start = 0;
    if (!x->funcs_built)
        funcs_build(x);
    size_t lo = 0, hi = x->nfuncs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->funcs[mid].addr <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const sym_func *f = &x->funcs[lo - 1];
    if (f->size && vaddr - f->addr >= f->size)
        return NULL;
    *start = f->addr;
    return f->name;
}

/* ---- a unit's function scopes ---------------------------------------------------- */

typedef struct walk {
    const ct_dw *dw;
    Dwarf_Files *files; /* the unit's, for call files; NULL if none */
    size_t nfiles;
    sym_scope *scopes;
    size_t nscopes, scopes_cap;
    sym_span *spans;
    uint32_t *span_scope;
    size_t nspans, spans_cap, span_scope_cap;
    int failed;
} walk;

static int is_function(int tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* Tags whose children may be functions with code: not types or variables. */
static int may_hold_code(int tag)
{
    return is_function(tag) || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
           tag == DW_TAG_module || tag == DW_TAG_try_block || tag == DW_TAG_catch_block;
}

/* Add `die` as a scope inside `parent` if it has code. @return its index,
 * or parent when it has none. */
static uint32_t add_scope(walk *w, Dwarf_Die *die, int tag, uint32_t parent)
{
    const ct_dw *dw = w->dw;
    uint32_t index = (uint32_t)w->nscopes;
    size_t first = w->nspans;
    Dwarf_Addr base, start, end;
    ptrdiff_t at = 0;
    while ((at = dw->dwarf_ranges(die, at, &base, &start, &end)) > 0) {
        if (start >= end)
            continue;
        if (ctr__sym_grow((void **)&w->spans, &w->spans_cap, w->nspans, sizeof *w->spans) != 0 ||
            ctr__sym_grow((void **)&w->span_scope, &w->span_scope_cap, w->nspans, sizeof *w->span_scope) != 0) {
            w->failed = 1;
            return parent;
        }
        w->spans[w->nspans] = (sym_span){start, end};
        w->span_scope[w->nspans++] = index;
    }
    if (w->nspans == first || index == NO_SCOPE)
        return parent;
    if (ctr__sym_grow((void **)&w->scopes, &w->scopes_cap, w->nscopes, sizeof *w->scopes) != 0) {
        w->nspans = first;
        w->failed = 1;
        return parent;
    }
    sym_scope *s = &w->scopes[w->nscopes++];
    *s = (sym_scope){dw->dwarf_diename(die), NULL, 0, parent, tag == DW_TAG_inlined_subroutine};
    Dwarf_Attribute attr;
    Dwarf_Word value;
    if (s->inlined) {
        if (dw->dwarf_formudata(dw->dwarf_attr(die, DW_AT_call_line, &attr), &value) == 0 &&
            value <= UINT32_MAX)
            s->call_line = (unsigned)value;
        if (w->files && dw->dwarf_formudata(dw->dwarf_attr(die, DW_AT_call_file, &attr), &value) == 0 &&
            value < w->nfiles)
            s->call_file = dw->dwarf_filesrc(w->files, value, NULL, NULL);
    }
    return index;
}

/* Pre-order: a scope's spans come before those of the scopes inside it,
 * so the painter, giving a piece to the latest span, gives it to the
 * innermost. */
static void walk_children(walk *w, Dwarf_Die *die, uint32_t parent, int depth)
{
    Dwarf_Die child;
    if (depth >= MAX_DIE_DEPTH || w->failed || w->dw->dwarf_child(die, &child) != 0)
        return;
    do {
        int tag = w->dw->dwarf_tag(&child);
        if (!may_hold_code(tag))
            continue;
        uint32_t inner = is_function(tag) ? add_scope(w, &child, tag, parent) : parent;
        walk_children(w, &child, inner, depth + 1);
    } while (!w->failed && w->dw->dwarf_siblingof(&child, &child) == 0);
}

/* The unit's scopes and pieces into u. @return 0, -1 on ENOMEM. */
static int unit_build(const ct_dw *dw, Dwarf_Die *cu, sym_unit *u)
{
    walk w = {.dw = dw};
    if (dw->dwarf_getsrcfiles(cu, &w.files, &w.nfiles) != 0)
        w.files = NULL;
    walk_children(&w, cu, NO_SCOPE, 0);
    int rc = w.failed ? -1 : ctr__sym_paint(w.spans, w.nspans, &u->pieces, &u->npieces);
    if (rc == 0)
        for (size_t i = 0; i < u->npieces; i++)
            u->pieces[i].span = w.span_scope[u->pieces[i].span];
    free(w.spans);
    free(w.span_scope);
    if (rc != 0) {
        free(w.scopes);
        return -1;
    }
    u->scopes = w.scopes;
    return 0;
}

/* The unit holding vaddr, built the first time. NULL: none, or ENOMEM. */
static const sym_unit *unit_at(sym_index *x, uint64_t vaddr)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = x->dw->dwfl_module_addrdie(x->mod, vaddr, &bias);
    if (!cu)
        return NULL;
    uint64_t offset = x->dw->dwarf_dieoffset(cu);
    size_t lo = 0, hi = x->nunits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->units[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < x->nunits && x->units[lo].offset == offset)
        return &x->units[lo];
    Dwarf_Attribute attr;
    sym_unit u = {offset, bias, x->dw->dwarf_formstring(x->dw->dwarf_attr(cu, DW_AT_comp_dir, &attr)),
                  NULL, NULL, 0};
    if (ctr__sym_grow((void **)&x->units, &x->units_cap, x->nunits, sizeof *x->units) != 0 ||
        unit_build(x->dw, cu, &u) != 0)
        return NULL;
    memmove(&x->units[lo + 1], &x->units[lo], (x->nunits - lo) * sizeof *x->units);
    x->units[lo] = u;
    x->nunits++;
    return &x->units[lo];
}

size_t ctr__sym_index_scopes(sym_index *x, uint64_t vaddr, ct_symbol_frame *frames, size_t cap,
                             const char **comp_dir)
{
    const sym_unit *u = unit_at(x, vaddr);
    *comp_dir = u ? u->comp_dir : NULL;
    if (!u || cap == 0)
        return 0;
    size_t at = ctr__sym_piece_find(u->pieces, u->npieces, vaddr - u->bias);
    if (at == SIZE_MAX)
        return 0;
    const sym_scope *s = &u->scopes[at];
    size_t k = 0;
    frames[k++] = (ct_symbol_frame){s->name, NULL, 0};
    /* An inlined instance names the function it was inlined into and the
     * call's place there. A nest deeper than cap keeps overwriting the last
     * slot: it ends as the outermost. */
    while (s->inlined && s->parent != NO_SCOPE) {
        ct_symbol_frame outer = {u->scopes[s->parent].name, s->call_file, s->call_line};
        if (k == cap)
            k--;
        frames[k++] = outer;
        s = &u->scopes[s->parent];
    }
    return k;
}

void ctr__sym_index_free(sym_index *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->nunits; i++) {
        free(x->units[i].scopes);
        free(x->units[i].pieces);
    }
    free(x->units);
    free(x->funcs);
    free(x);
}
