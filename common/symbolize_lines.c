/*
 * symbolize_lines.c - DWARF .debug_line, versions 2 to 5, read into one
 * table per module: every row of every sequence, sorted by address, so a
 * lookup is a binary search. A sequence's end is a row of its own
 * (SYM_ROW_END): addresses between two sequences have no line.
 *
 * Everything read comes through a cursor that stops at its end: a damaged
 * unit is skipped (its length says where the next one starts), never read
 * past. 64-bit DWARF units are skipped: gcc and clang emit 32-bit DWARF.
 */
#include "common/symbolize_internal.h"
#include "format/wire.h" /* ct_get_uvarint */

#include <elf.h>    /* SHF_COMPRESSED */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf */
#include <stdlib.h> /* malloc, realloc, free */
#include <string.h> /* memchr, memcpy, strlen */

enum { /* the DWARF constants read here (DWARF 5, section 7) */
    DW_LNS_copy = 1, DW_LNS_advance_pc, DW_LNS_advance_line, DW_LNS_set_file, DW_LNS_set_column,
    DW_LNS_negate_stmt, DW_LNS_set_basic_block, DW_LNS_const_add_pc, DW_LNS_fixed_advance_pc,
    DW_LNS_set_prologue_end, DW_LNS_set_epilogue_begin, DW_LNS_set_isa,
    DW_LNE_end_sequence = 1, DW_LNE_set_address, DW_LNE_define_file, DW_LNE_set_discriminator,
    DW_LNCT_path = 1, DW_LNCT_directory_index,
    DW_FORM_data2 = 0x05, DW_FORM_data4 = 0x06, DW_FORM_data8 = 0x07, DW_FORM_string = 0x08,
    DW_FORM_block = 0x09, DW_FORM_block1 = 0x0a, DW_FORM_data1 = 0x0b, DW_FORM_sdata = 0x0d,
    DW_FORM_strp = 0x0e, DW_FORM_udata = 0x0f, DW_FORM_data16 = 0x1e, DW_FORM_line_strp = 0x1f,
};

/* Linkers leave the sequences of discarded functions at 0 (or at a
 * tombstone, lld): they would shadow real code near the start. */
#define TOMBSTONE (UINT64_MAX - 1)

/* ---- reading bytes --------------------------------------------------------------- */

typedef struct cursor {
    const uint8_t *p, *end;
    int bad; /* a read went past end: every later read gives 0 */
} cursor;

static size_t left(const cursor *c)
{
    return (size_t)(c->end - c->p);
}

static void skip(cursor *c, uint64_t n)
{
    if (c->bad || n > left(c)) {
        c->bad = 1;
        c->p = c->end;
        return;
    }
    c->p += n;
}

static uint64_t le(cursor *c, unsigned n) /* n <= 8 */
{
    if (c->bad || n > left(c)) {
        skip(c, n);
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

/* LEB128 as the trace format's varints (format/wire.h): DWARF writers use
 * at most 10 bytes for 64 bits too, and a longer one is damage. @return the
 * bytes read, 0 (and c->bad) if malformed. */
static unsigned leb(cursor *c, uint64_t *v)
{
    unsigned k = c->bad ? 0 : ct_get_uvarint(c->p, c->end, v);
    if (!k) {
        c->bad = 1;
        *v = 0;
    }
    c->p += k;
    return k;
}

static uint64_t uleb(cursor *c)
{
    uint64_t v;
    leb(c, &v);
    return v;
}

static int64_t sleb(cursor *c)
{
    uint64_t v;
    unsigned k = leb(c, &v);
    if (k && 7 * k < 64 && (c->p[-1] & 0x40)) /* sign bit of the last group */
        v |= ~(uint64_t)0 << (7 * k);
    return (int64_t)v;
}

static const char *cstr(cursor *c)
{
    const uint8_t *nul = c->bad ? NULL : memchr(c->p, 0, left(c));
    if (!nul) {
        skip(c, left(c) + 1);
        return NULL;
    }
    const char *s = (const char *)c->p;
    c->p = nul + 1;
    return s;
}

/* ---- the table being built ------------------------------------------------------ */

typedef struct builder {
    sym_lines *t;
    size_t rows_cap;
    sym_section line_str, str; /* n == 0 when the file has none */
    const uint8_t *section;    /* .debug_line's start, for offsets in messages */
    char *err;
    size_t err_len;
    int noted;
    int enomem;
} builder;

static void note(builder *b, const void *at, const char *fmt, ...)
{
    if (b->noted)
        return;
    b->noted = 1;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(b->err, b->err_len, "%s at .debug_line+0x%zx", what,
             (size_t)((const uint8_t *)at - b->section));
}

static int push_row(builder *b, uint64_t addr, uint32_t file, uint32_t line)
{
    sym_lines *t = b->t;
    if (t->nrows == b->rows_cap) {
        size_t cap = b->rows_cap ? b->rows_cap * 2 : 1024;
        sym_row *rows = realloc(t->rows, cap * sizeof *rows);
        if (!rows) {
            b->enomem = 1;
            return -1;
        }
        t->rows = rows;
        b->rows_cap = cap;
    }
    t->rows[t->nrows++] = (sym_row){addr, file, line};
    return 0;
}

static int push_file(builder *b, const char *comp, const char *dir, const char *name)
{
    sym_lines *t = b->t;
    if (t->nfiles >= SYM_FILE_NONE)
        return -1;
    if (t->nfiles == t->files_cap) {
        size_t cap = t->files_cap ? t->files_cap * 2 : 64;
        sym_file *files = realloc(t->files, cap * sizeof *files);
        if (!files) {
            b->enomem = 1;
            return -1;
        }
        t->files = files;
        t->files_cap = cap;
    }
    t->files[t->nfiles++] = (sym_file){comp, dir, name, NULL};
    return 0;
}

/* ---- a unit's header ------------------------------------------------------------- */

typedef struct unit {
    unsigned version;
    uint8_t min_inst, max_ops, default_is_stmt, line_range, opcode_base;
    int8_t line_base;
    const uint8_t *std_lengths; /* opcode_base - 1 of them */
    const uint8_t *program, *end;
    size_t file_base, nfiles;   /* this unit's files in t->files */
} unit;

typedef struct entry { /* a v5 directory or file entry */
    const char *path;
    uint64_t dir;
} entry;

/* One value of a v5 entry: a string (*s) or a number (*u).
 * @return 0, or -1 for a form the line table header cannot hold here. */
static int read_form(builder *b, cursor *c, uint64_t form, const char **s, uint64_t *u)
{
    *s = NULL;
    *u = 0;
    switch (form) {
    case DW_FORM_string: *s = cstr(c); break;
    case DW_FORM_line_strp: *s = ctr__sym_cstr(&b->line_str, le(c, 4)); break;
    case DW_FORM_strp: *s = ctr__sym_cstr(&b->str, le(c, 4)); break;
    case DW_FORM_udata: *u = uleb(c); break;
    case DW_FORM_sdata: *u = (uint64_t)sleb(c); break;
    case DW_FORM_data1: *u = le(c, 1); break;
    case DW_FORM_data2: *u = le(c, 2); break;
    case DW_FORM_data4: *u = le(c, 4); break;
    case DW_FORM_data8: *u = le(c, 8); break;
    case DW_FORM_data16: skip(c, 16); break;
    case DW_FORM_block: skip(c, uleb(c)); break;
    case DW_FORM_block1: skip(c, le(c, 1)); break;
    default: return -1;
    }
    return c->bad ? -1 : 0;
}

/* A v5 directory or file table: its entry format, then its entries.
 * @return 0 with *out (free it), -1 damaged or unsupported, -2 ENOMEM. */
static int read_v5_table(builder *b, cursor *c, entry **out, size_t *count)
{
    uint64_t format[255][2]; /* content type, form */
    unsigned nformat = (unsigned)le(c, 1);
    for (unsigned i = 0; i < nformat; i++) {
        format[i][0] = uleb(c);
        format[i][1] = uleb(c);
    }
    uint64_t n = uleb(c);
    /* Each entry takes a byte at least (or none with no format): more
     * entries than bytes left is damage, not a reason to allocate. */
    if (c->bad || n > left(c))
        return -1;
    entry *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return -2;
    for (uint64_t i = 0; i < n; i++) {
        for (unsigned f = 0; f < nformat; f++) {
            const char *s;
            uint64_t u;
            if (read_form(b, c, format[f][1], &s, &u) != 0) {
                free(v);
                return -1;
            }
            if (format[f][0] == DW_LNCT_path)
                v[i].path = s;
            else if (format[f][0] == DW_LNCT_directory_index)
                v[i].dir = u;
        }
    }
    *out = v;
    *count = n;
    return 0;
}

/* v5: directory 0 is the compilation directory, file indexes start at 0. */
static int read_v5_files(builder *b, cursor *c, unit *u)
{
    entry *dirs = NULL, *files = NULL;
    size_t ndirs = 0, nfiles = 0;
    int rc = read_v5_table(b, c, &dirs, &ndirs);
    if (rc == 0)
        rc = read_v5_table(b, c, &files, &nfiles);
    for (size_t i = 0; rc == 0 && i < nfiles; i++) {
        const char *comp = ndirs ? dirs[0].path : NULL;
        const char *dir = files[i].dir != 0 && files[i].dir < ndirs ? dirs[files[i].dir].path : NULL;
        if (push_file(b, comp, dir, files[i].path) != 0)
            rc = b->enomem ? -2 : -1;
        else
            u->nfiles++;
    }
    free(dirs);
    free(files);
    return rc;
}

/* v2-v4: strings up to an empty one; directory 0 (the compilation
 * directory, only in .debug_info) is left out; file indexes start at 1. */
static int read_v4_files(builder *b, cursor *c, unit *u)
{
    const char **dirs = NULL;
    size_t ndirs = 0, cap = 0;
    int rc = 0;
    for (;;) {
        const char *d = cstr(c);
        if (!d || !*d)
            break;
        if (ndirs == cap) {
            cap = cap ? cap * 2 : 16;
            const char **n = realloc(dirs, cap * sizeof *n);
            if (!n) {
                free(dirs);
                return -2;
            }
            dirs = n;
        }
        dirs[ndirs++] = d;
    }
    for (;;) {
        const char *name = cstr(c);
        if (!name || !*name)
            break;
        uint64_t d = uleb(c);
        uleb(c); /* mtime */
        uleb(c); /* length */
        if (push_file(b, NULL, d >= 1 && d <= ndirs ? dirs[d - 1] : NULL, name) != 0) {
            rc = b->enomem ? -2 : -1;
            break;
        }
        u->nfiles++;
    }
    free(dirs);
    return rc == 0 && c->bad ? -1 : rc;
}

/* ---- the line program ------------------------------------------------------------ */

typedef struct state {
    uint64_t addr, op_index, file, line;
    size_t seq_start; /* the first row of the open sequence */
} state;

static void state_reset(state *st, size_t rows)
{
    *st = (state){0, 0, 1, 1, rows};
}

static void advance(const unit *u, state *st, uint64_t operations)
{
    if (u->max_ops <= 1) {
        st->addr += u->min_inst * operations;
        return;
    }
    uint64_t ops = st->op_index + operations; /* VLIW: bundles of max_ops */
    st->addr += u->min_inst * (ops / u->max_ops);
    st->op_index = ops % u->max_ops;
}

static int emit(builder *b, const unit *u, const state *st)
{
    /* v2-v4 number files from 1, v5 from 0. */
    uint64_t i = u->version >= 5 ? st->file : st->file - 1;
    uint32_t file = i < u->nfiles ? (uint32_t)(u->file_base + i) : SYM_FILE_NONE;
    return push_row(b, st->addr, file, st->line <= UINT32_MAX ? (uint32_t)st->line : 0);
}

static int end_sequence(builder *b, state *st)
{
    sym_lines *t = b->t;
    int rc = 0;
    /* Rows at the end address cover nothing; kept, they would sort after
     * the end and hide it. */
    while (t->nrows > st->seq_start && t->rows[t->nrows - 1].addr >= st->addr)
        t->nrows--;
    if (t->nrows > st->seq_start) {
        uint64_t start = t->rows[st->seq_start].addr;
        if (start == 0 || start >= TOMBSTONE || st->addr < start)
            t->nrows = st->seq_start;
        else
            rc = push_row(b, st->addr, SYM_ROW_END, 0);
    }
    state_reset(st, t->nrows);
    return rc;
}

/* An extended opcode (after its 0): length, sub-opcode, operands. */
static int extended(builder *b, unit *u, cursor *c, state *st)
{
    uint64_t len = uleb(c);
    if (c->bad || len > left(c))
        return -1;
    cursor op = {c->p, c->p + len, 0};
    c->p += len;
    if (len == 0)
        return 0;
    switch (le(&op, 1)) {
    case DW_LNE_end_sequence:
        return end_sequence(b, st);
    case DW_LNE_set_address:
        if (len - 1 >= 1 && len - 1 <= 8) {
            st->addr = le(&op, (unsigned)(len - 1));
            st->op_index = 0;
        }
        return 0;
    case DW_LNE_define_file: { /* v2-v4 only; appended to this unit's files */
        const char *name = cstr(&op);
        uleb(&op);
        if (!name || u->file_base + u->nfiles != b->t->nfiles)
            return 0;
        if (push_file(b, NULL, NULL, name) != 0)
            return b->enomem ? -1 : 0;
        u->nfiles++;
        return 0;
    }
    default: /* DW_LNE_set_discriminator and the vendors': their length is enough */
        return 0;
    }
}

/* A standard opcode below opcode_base. @return 0, -1 on ENOMEM. */
static int standard(builder *b, const unit *u, cursor *c, state *st, uint8_t op)
{
    switch (op) {
    case DW_LNS_copy: return emit(b, u, st);
    case DW_LNS_advance_pc: advance(u, st, uleb(c)); return 0;
    case DW_LNS_advance_line: st->line += (uint64_t)sleb(c); return 0;
    case DW_LNS_set_file: st->file = uleb(c); return 0;
    case DW_LNS_const_add_pc: advance(u, st, (255u - u->opcode_base) / u->line_range); return 0;
    case DW_LNS_fixed_advance_pc:
        st->addr += le(c, 2);
        st->op_index = 0;
        return 0;
    case DW_LNS_negate_stmt:
    case DW_LNS_set_basic_block:
    case DW_LNS_set_prologue_end:
    case DW_LNS_set_epilogue_begin:
        return 0;
    default: /* column, isa and opcodes from later versions: skip their operands */
        for (unsigned i = 0; i < u->std_lengths[op - 1]; i++)
            uleb(c);
        return 0;
    }
}

/* Run a unit's program. A sequence not ended when the unit ends is dropped. */
static void run_program(builder *b, unit *u)
{
    cursor c = {u->program, u->end, 0};
    state st;
    state_reset(&st, b->t->nrows);
    while (!c.bad && c.p < c.end && !b->enomem) {
        uint8_t op = *c.p++;
        if (op >= u->opcode_base) { /* special: address and line at once, and a row */
            unsigned adj = op - u->opcode_base;
            advance(u, &st, adj / u->line_range);
            st.line += (uint64_t)(int64_t)(u->line_base + (int)(adj % u->line_range));
            emit(b, u, &st);
        } else if (op == 0) {
            if (extended(b, u, &c, &st) != 0 && !b->enomem)
                c.bad = 1;
        } else {
            standard(b, u, &c, &st, op);
        }
    }
    if (c.bad)
        note(b, c.p, "line program cut short");
    b->t->nrows = st.seq_start;
}

/* One unit, [c->p, c->end). Damage is noted and the unit skipped. */
static void read_unit(builder *b, cursor *c, const uint8_t *at)
{
    unit u = {0};
    u.version = (unsigned)le(c, 2);
    if (u.version < 2 || u.version > 5) {
        note(b, at, "unit of DWARF version %u skipped", u.version);
        return;
    }
    if (u.version >= 5)
        skip(c, 2); /* address_size, segment_selector_size */
    uint64_t header_len = le(c, 4);
    if (c->bad || header_len > left(c)) {
        note(b, at, "unit header past its end");
        return;
    }
    cursor h = {c->p, c->p + header_len, 0};
    u.program = h.end;
    u.end = c->end;
    u.min_inst = (uint8_t)le(&h, 1);
    u.max_ops = u.version >= 4 ? (uint8_t)le(&h, 1) : 1;
    u.default_is_stmt = (uint8_t)le(&h, 1);
    u.line_base = (int8_t)le(&h, 1);
    u.line_range = (uint8_t)le(&h, 1);
    u.opcode_base = (uint8_t)le(&h, 1);
    u.std_lengths = h.p;
    skip(&h, u.opcode_base ? u.opcode_base - 1u : 0);
    if (h.bad || u.line_range == 0 || u.opcode_base == 0) {
        note(b, at, "unit header damaged");
        return;
    }
    u.file_base = b->t->nfiles;
    int rc = u.version >= 5 ? read_v5_files(b, &h, &u) : read_v4_files(b, &h, &u);
    if (rc == -2)
        b->enomem = 1;
    if (rc != 0) {
        note(b, at, "unit's file table damaged or in an unsupported form");
        return;
    }
    run_program(b, &u);
}

/* ---- the table ------------------------------------------------------------------- */

/* Rows at one address: a sequence's start sorts after the end of the one
 * before it. */
static int row_before(const sym_row *x, const sym_row *y)
{
    return x->addr < y->addr || (x->addr == y->addr && x->file == SYM_ROW_END && y->file != SYM_ROW_END);
}

/* Stable (rows at one address keep their program order), bottom-up; the
 * common case, already sorted, costs one pass. @return 0, -1 on ENOMEM. */
static int sort_rows(sym_row *v, size_t n)
{
    size_t i = 1;
    while (i < n && !row_before(&v[i], &v[i - 1]))
        i++;
    if (i >= n)
        return 0;
    sym_row *tmp = malloc(n * sizeof *tmp), *a = v, *out = tmp;
    if (!tmp)
        return -1;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t l = lo, r = mid, o = lo;
            while (l < mid && r < hi)
                out[o++] = row_before(&a[r], &a[l]) ? a[r++] : a[l++];
            while (l < mid)
                out[o++] = a[l++];
            while (r < hi)
                out[o++] = a[r++];
        }
        sym_row *swap = a;
        a = out;
        out = swap;
    }
    if (a != v)
        memcpy(v, a, n * sizeof *v);
    free(tmp);
    return 0;
}

/* One row per address: the last line row there (what addr2line says),
 * else the end of a sequence. */
static void compact_rows(sym_lines *t)
{
    size_t w = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        if (w > 0 && t->rows[w - 1].addr == t->rows[i].addr) {
            if (t->rows[i].file != SYM_ROW_END)
                t->rows[w - 1] = t->rows[i];
            continue;
        }
        t->rows[w++] = t->rows[i];
    }
    t->nrows = w;
}

int ctr__sym_lines_build(sym_lines *t, const sym_elf *e, const sym_section *debug_line,
                         char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    builder b = {.t = t, .section = debug_line->p, .err = err, .err_len = err_len};
    /* Compressed string sections are as good as none: their paths unknown. */
    if (!ctr__sym_elf_section(e, ".debug_line_str", 0, &b.line_str) || (b.line_str.flags & SHF_COMPRESSED))
        b.line_str.n = 0;
    if (!ctr__sym_elf_section(e, ".debug_str", 0, &b.str) || (b.str.flags & SHF_COMPRESSED))
        b.str.n = 0;
    cursor c = {debug_line->p, debug_line->p + debug_line->n, 0};
    while (left(&c) >= 4 && !b.enomem) {
        const uint8_t *at = c.p;
        uint64_t len = le(&c, 4);
        if (len == 0xffffffff) { /* 64-bit DWARF: its 8-byte length says how far to skip */
            len = le(&c, 8);
            note(&b, at, "64-bit DWARF unit skipped");
            if (c.bad || len > left(&c))
                break;
            c.p += len;
            continue;
        }
        if (len >= 0xfffffff0 || len > left(&c)) {
            note(&b, at, "unit length past the section's end");
            break;
        }
        cursor unit_bytes = {c.p, c.p + len, 0};
        c.p += len;
        read_unit(&b, &unit_bytes, at);
    }
    if (b.enomem || sort_rows(t->rows, t->nrows) != 0) {
        ctr__sym_lines_free(t);
        return -1;
    }
    compact_rows(t);
    if (t->nrows < b.rows_cap) { /* give back the doubling's slack */
        sym_row *rows = realloc(t->rows, (t->nrows ? t->nrows : 1) * sizeof *rows);
        if (rows)
            t->rows = rows;
    }
    return b.noted ? 1 : 0;
}

/* ---- lookups --------------------------------------------------------------------- */

/* comp/dir/name, each part dropped when a later one is absolute. */
static const char *file_path(sym_lines *t, uint32_t i)
{
    if (i >= t->nfiles)
        return NULL;
    sym_file *f = &t->files[i];
    if (f->joined)
        return f->joined;
    if (!f->name || !*f->name)
        return NULL;
    const char *parts[3] = {f->comp, f->dir, f->name};
    size_t first = 0, len = 0;
    for (size_t k = 0; k < 3; k++)
        if (parts[k] && parts[k][0] == '/')
            first = k;
    for (size_t k = first; k < 3; k++)
        if (parts[k] && *parts[k])
            len += strlen(parts[k]) + 1;
    if (first == 2 || len == strlen(f->name) + 1)
        return f->name;
    char *out = malloc(len);
    if (!out)
        return f->name;
    size_t o = 0;
    for (size_t k = first; k < 3; k++) {
        if (!parts[k] || !*parts[k])
            continue;
        if (o > 0 && out[o - 1] != '/')
            out[o++] = '/';
        size_t n = strlen(parts[k]);
        memcpy(out + o, parts[k], n);
        o += n;
    }
    out[o] = 0;
    f->joined = out;
    return out;
}

int ctr__sym_lines_find(sym_lines *t, uint64_t addr, const char **file, unsigned *line)
{
    /* The last row at or before addr. Without branches (a conditional
     * move per step): random addresses would mispredict half the steps. */
    if (t->nrows == 0 || t->rows[0].addr > addr)
        return 0;
    const sym_row *r = t->rows;
    for (size_t n = t->nrows; n > 1; n -= n / 2)
        r = r[n / 2].addr <= addr ? r + n / 2 : r;
    if (r->file == SYM_ROW_END)
        return 0;
    *file = file_path(t, r->file);
    *line = r->line;
    return 1;
}

void ctr__sym_lines_free(sym_lines *t)
{
    for (size_t i = 0; i < t->nfiles; i++)
        free(t->files[i].joined);
    free(t->files);
    free(t->rows);
    memset(t, 0, sizeof *t);
}
