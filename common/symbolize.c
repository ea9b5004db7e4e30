/*
 * symbolize.c - the symbolizer's modules: where each sits in the traced
 * process, which file (and separate debug file) describes it, and the
 * lookups that put the two together. symbolize_elf.c and symbolize_lines.c
 * read the files.
 *
 * A module file is read on the first lookup that lands in it, so symbolizing
 * a profile costs the files it touches, not every library the process had.
 */
#include "common/symbolize.h"
#include "common/symbolize_internal.h"

#include <elf.h>    /* SHT_SYMTAB, SHT_DYNSYM, SHF_COMPRESSED */
#include <errno.h>  /* errno */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* snprintf, vsnprintf */
#include <stdlib.h> /* calloc, malloc, realloc, qsort, free */
#include <string.h> /* memcmp, memcpy, strcmp, strdup, strerror, strrchr */

#define DEBUG_ROOT "/usr/lib/debug"

typedef struct sym_object { /* one module file, shared by its registrations */
    char *path;
    uint8_t *build_id;
    size_t build_id_len;
    int loaded; /* tried: the tables hold what could be read */
    int warned;
    sym_elf main, debug; /* debug.base NULL: no separate debug file */
    char *debug_path;
    sym_funcs funcs;
    sym_lines lines;
} sym_object;

typedef struct sym_module {
    uint64_t bias, lo, hi;
    sym_object *obj;
} sym_module;

typedef struct sym_range { /* a piece of the address space and who wins it */
    uint64_t lo, hi;
    size_t module;
} sym_range;

struct ct_symbolizer {
    sym_module *mods; /* in registration order: a later one wins */
    size_t nmods, mods_cap;
    sym_object **objs;
    size_t nobjs, objs_cap;
    sym_range *ranges; /* sorted, disjoint; rebuilt after registrations */
    size_t nranges;
    int ranges_stale;
    char **warnings;
    size_t nwarnings, warnings_cap, warnings_seen;
    char *debug_root; /* NULL: DEBUG_ROOT */
};

/* Room for one more in a growing array. @return 0, -1 on ENOMEM. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
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

/* ---- warnings -------------------------------------------------------------------- */

/* A module file's first problem; later ones would mostly repeat it. */
static void warn(ct_symbolizer *s, sym_object *o, const char *fmt, ...)
{
    if (o->warned)
        return;
    o->warned = 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *w = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!w)
        return;
    va_start(ap, fmt);
    vsnprintf(w, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (grow((void **)&s->warnings, &s->warnings_cap, s->nwarnings, sizeof *s->warnings) != 0) {
        free(w);
        return;
    }
    s->warnings[s->nwarnings++] = w;
}

const char *ct_symbolizer_next_warning(ct_symbolizer *s)
{
    return s->warnings_seen < s->nwarnings ? s->warnings[s->warnings_seen++] : NULL;
}

/* ---- registration ---------------------------------------------------------------- */

ct_symbolizer *ct_symbolizer_new(void)
{
    return calloc(1, sizeof(ct_symbolizer));
}

int ctr__sym_set_debug_root(ct_symbolizer *s, const char *dir)
{
    char *d = strdup(dir);
    if (!d)
        return -1;
    free(s->debug_root);
    s->debug_root = d;
    return 0;
}

static sym_object *object_get(ct_symbolizer *s, const char *path, const uint8_t *id, size_t id_len)
{
    for (size_t i = 0; i < s->nobjs; i++) {
        sym_object *o = s->objs[i];
        if (o->build_id_len == id_len && strcmp(o->path, path) == 0 &&
            (id_len == 0 || memcmp(o->build_id, id, id_len) == 0))
            return o;
    }
    if (grow((void **)&s->objs, &s->objs_cap, s->nobjs, sizeof *s->objs) != 0)
        return NULL;
    sym_object *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->path = strdup(path);
    o->build_id = malloc(id_len ? id_len : 1);
    if (!o->path || !o->build_id) {
        free(o->path);
        free(o->build_id);
        free(o);
        return NULL;
    }
    if (id_len)
        memcpy(o->build_id, id, id_len);
    o->build_id_len = id_len;
    s->objs[s->nobjs++] = o;
    return o;
}

int ct_symbolizer_add_module(ct_symbolizer *s, const char *path, const uint8_t *build_id,
                             size_t build_id_len, uint64_t bias, uint64_t lo, uint64_t hi)
{
    if (lo >= hi) /* no address can land in it */
        return 0;
    sym_object *o = object_get(s, path ? path : "", build_id, build_id ? build_id_len : 0);
    if (!o || grow((void **)&s->mods, &s->mods_cap, s->nmods, sizeof *s->mods) != 0)
        return -1;
    s->mods[s->nmods++] = (sym_module){bias, lo, hi, o};
    s->ranges_stale = 1;
    return 0;
}

/* ---- which module an address is in ---------------------------------------------- */

typedef struct by_lo {
    uint64_t lo;
    size_t module;
} by_lo;

static int by_lo_cmp(const void *a, const void *b)
{
    const by_lo *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A max-heap of module indexes: the latest registration on top. */
static void heap_push(size_t *h, size_t *n, size_t v)
{
    size_t i = (*n)++;
    for (; i > 0 && h[(i - 1) / 2] < v; i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = v;
}

static void heap_pop(size_t *h, size_t *n)
{
    size_t v = h[--*n], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] > h[c])
            c++;
        if (h[c] <= v)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = v;
}

/* Cut the address space at every module's ends; each piece goes to the
 * latest module covering it (a sweep over the pieces with the covering
 * modules in a heap, those already ended dropped when they surface).
 * @return 0, -1 on ENOMEM. */
static int ranges_build(ct_symbolizer *s)
{
    size_t n = s->nmods, nb = 0, nh = 0, nr = 0;
    uint64_t *bounds = malloc(2 * n * sizeof *bounds + 1);
    by_lo *starts = malloc(n * sizeof *starts + 1);
    size_t *heap = malloc(n * sizeof *heap + 1);
    sym_range *ranges = malloc(2 * n * sizeof *ranges + 1);
    if (!bounds || !starts || !heap || !ranges) {
        free(bounds), free(starts), free(heap), free(ranges);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        bounds[nb++] = s->mods[i].lo;
        bounds[nb++] = s->mods[i].hi;
        starts[i] = (by_lo){s->mods[i].lo, i};
    }
    qsort(bounds, nb, sizeof *bounds, u64_cmp);
    qsort(starts, n, sizeof *starts, by_lo_cmp);
    size_t next = 0;
    for (size_t k = 0; k + 1 < nb; k++) {
        if (bounds[k] == bounds[k + 1])
            continue;
        while (next < n && starts[next].lo <= bounds[k])
            heap_push(heap, &nh, starts[next++].module);
        while (nh > 0 && s->mods[heap[0]].hi <= bounds[k])
            heap_pop(heap, &nh);
        if (nh == 0)
            continue;
        if (nr > 0 && ranges[nr - 1].module == heap[0] && ranges[nr - 1].hi == bounds[k])
            ranges[nr - 1].hi = bounds[k + 1];
        else
            ranges[nr++] = (sym_range){bounds[k], bounds[k + 1], heap[0]};
    }
    free(bounds), free(starts), free(heap);
    free(s->ranges);
    s->ranges = ranges;
    s->nranges = nr;
    s->ranges_stale = 0;
    return 0;
}

static const sym_module *module_at(ct_symbolizer *s, uint64_t pc)
{
    if (s->ranges_stale && ranges_build(s) != 0) {
        for (size_t i = s->nmods; i-- > 0;) /* out of memory: the slow way */
            if (pc >= s->mods[i].lo && pc < s->mods[i].hi)
                return &s->mods[i];
        return NULL;
    }
    size_t lo = 0, hi = s->nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ranges[mid].lo <= pc)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || pc >= s->ranges[lo - 1].hi)
        return NULL;
    return &s->mods[s->ranges[lo - 1].module];
}

/* ---- reading a module's files ---------------------------------------------------- */

static int same_id(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
    return a_len == b_len && memcmp(a, b, a_len) == 0;
}

/* Use `path` as o's debug file if it is an ELF file with o's build-id (when
 * both are known). @return 1 if taken. */
static int debug_try(sym_object *o, const char *path, const uint8_t *id, size_t id_len)
{
    if (strcmp(path, o->path) == 0)
        return 0;
    sym_elf d;
    if (ctr__sym_elf_open(&d, path) != 0)
        return 0;
    const uint8_t *did;
    size_t did_len = ctr__sym_elf_build_id(&d, &did);
    if ((id_len && did_len && !same_id(id, id_len, did, did_len)) || !(o->debug_path = strdup(path))) {
        ctr__sym_elf_close(&d);
        return 0;
    }
    o->debug = d;
    return 1;
}

/* Where Debian's dbgsym packages and gdb look: by build-id, then by the
 * .gnu_debuglink name beside the module, in .debug/ there, and under the
 * debug root. */
static void debug_find(ct_symbolizer *s, sym_object *o, const uint8_t *id, size_t id_len)
{
    const char *root = s->debug_root ? s->debug_root : DEBUG_ROOT;
    char path[4096];
    if (id_len >= 2 && id_len <= 512) {
        int n = snprintf(path, sizeof path, "%s/.build-id/%02x/", root, id[0]);
        for (size_t i = 1; i < id_len && n > 0 && (size_t)n < sizeof path; i++)
            n += snprintf(path + n, sizeof path - (size_t)n, "%02x", id[i]);
        if (n > 0 && (size_t)n < sizeof path &&
            snprintf(path + n, sizeof path - (size_t)n, ".debug") < (int)(sizeof path - (size_t)n) &&
            debug_try(o, path, id, id_len))
            return;
    }
    const char *link = ctr__sym_elf_debuglink(&o->main);
    if (!link)
        return;
    const char *slash = strrchr(o->path, '/');
    int dir_len = slash ? (int)(slash - o->path) : 1;
    const char *dir = slash ? o->path : ".";
    const char *forms[] = {"%.*s/%s", "%.*s/.debug/%s"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
        int n = snprintf(path, sizeof path, forms[i], dir_len, dir, link);
        if (n > 0 && (size_t)n < sizeof path && debug_try(o, path, id, id_len))
            return;
    }
    if (slash && o->path[0] == '/') {
        int n = snprintf(path, sizeof path, "%s%.*s/%s", root, dir_len, dir, link);
        if (n > 0 && (size_t)n < sizeof path)
            debug_try(o, path, id, id_len);
    }
}

static int has_symtab(const sym_elf *e, sym_section *out)
{
    return e->base && ctr__sym_elf_section(e, NULL, SHT_SYMTAB, out) && out->n > 0 &&
           !(out->flags & SHF_COMPRESSED);
}

static int has_lines(const sym_elf *e, sym_section *out)
{
    return e->base && ctr__sym_elf_section(e, ".debug_line", 0, out) && out->n > 0;
}

static void load_funcs(ct_symbolizer *s, sym_object *o, int in_main)
{
    sym_section sec;
    const sym_elf *e = in_main ? &o->main : &o->debug;
    if (!has_symtab(e, &sec)) {
        e = &o->main;
        if (!ctr__sym_elf_section(e, NULL, SHT_DYNSYM, &sec) || (sec.flags & SHF_COMPRESSED))
            return;
    }
    if (ctr__sym_funcs_build(&o->funcs, e, &sec) != 0)
        warn(s, o, "%s: out of memory reading its symbols", o->path);
}

static void load_lines(ct_symbolizer *s, sym_object *o, int in_main)
{
    sym_section sec;
    const sym_elf *e = in_main ? &o->main : &o->debug;
    const char *where = in_main ? o->path : o->debug_path;
    if (!has_lines(e, &sec))
        return;
    if (sec.flags & SHF_COMPRESSED) {
        /* Debian's separate debug files (dbgsym, libc6-dbg) are compressed:
         * their functions are still named, so only a module's own
         * compressed sections (-gz) are worth a word. */
        if (in_main)
            warn(s, o, "%s: its debug sections are compressed (not read: no zlib); no file:line",
                 o->path);
        return;
    }
    char err[256];
    int rc = ctr__sym_lines_build(&o->lines, e, &sec, err, sizeof err);
    if (rc < 0)
        warn(s, o, "%s: out of memory reading its line table", o->path);
    else if (rc > 0)
        warn(s, o, "%s: malformed DWARF in %s (%s); some file:line unknown", o->path, where, err);
}

static void object_load(ct_symbolizer *s, sym_object *o)
{
    o->loaded = 1;
    int rc = ctr__sym_elf_open(&o->main, o->path);
    if (rc == SYM_ELF_ENOENT) {
        warn(s, o, "%s: cannot read it (%s); no symbols", o->path, strerror(errno));
        return;
    }
    if (rc != 0) {
        warn(s, o, "%s: %s; no symbols", o->path,
             rc == SYM_ELF_NOTELF ? "not an ELF file" : "not a 64-bit little-endian ELF file");
        return;
    }
    const uint8_t *id;
    size_t id_len = ctr__sym_elf_build_id(&o->main, &id);
    if (id_len && o->build_id_len && !same_id(id, id_len, o->build_id, o->build_id_len)) {
        warn(s, o, "%s: build-id differs from the traced one (rebuilt since?)", o->path);
        ctr__sym_elf_close(&o->main);
        return;
    }
    if (!id_len) {
        id = o->build_id;
        id_len = o->build_id_len;
    }
    sym_section sec;
    int main_symtab = has_symtab(&o->main, &sec), main_lines = has_lines(&o->main, &sec);
    if (!main_symtab || !main_lines)
        debug_find(s, o, id, id_len);
    load_funcs(s, o, main_symtab || !o->debug.base);
    load_lines(s, o, main_lines || !o->debug.base);
}

/* ---- lookups --------------------------------------------------------------------- */

int ct_symbolizer_lookup(ct_symbolizer *s, uint64_t pc, int is_return_address, ct_symbol *out)
{
    memset(out, 0, sizeof *out);
    if (is_return_address && pc > 0)
        pc--; /* inside the call instruction: its line, not the next one's */
    const sym_module *m = module_at(s, pc);
    if (!m)
        return 0;
    sym_object *o = m->obj;
    if (!o->loaded)
        object_load(s, o);
    uint64_t vaddr = pc - m->bias;
    out->module = o->path;
    out->module_offset = vaddr;
    out->module_lo = m->lo;
    out->module_hi = m->hi;
    out->build_id = o->build_id;
    out->build_id_len = o->build_id_len;
    const sym_func *f = ctr__sym_funcs_find(&o->funcs, vaddr);
    if (f) {
        out->function = f->name;
        out->function_start = f->addr;
    }
    ctr__sym_lines_find(&o->lines, vaddr, &out->file, &out->line);
    return 1;
}

void ct_symbolizer_free(ct_symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nobjs; i++) {
        sym_object *o = s->objs[i];
        ctr__sym_funcs_free(&o->funcs);
        ctr__sym_lines_free(&o->lines);
        ctr__sym_elf_close(&o->debug);
        ctr__sym_elf_close(&o->main);
        free(o->debug_path);
        free(o->build_id);
        free(o->path);
        free(o);
    }
    for (size_t i = 0; i < s->nwarnings; i++)
        free(s->warnings[i]);
    free(s->warnings);
    free(s->objs);
    free(s->mods);
    free(s->ranges);
    free(s->debug_root);
    free(s);
}
