/*
 * symbolize.c - the symbolizer's modules: where each sits in the traced
 * process and which file describes it, the lookups that put the two
 * together, and the names they hand out, made presentable once each.
 * symbolize_dwfl.c reads the files.
 *
 * A module file is read on the first lookup that lands in it, so symbolizing
 * a profile costs the files it touches, not every library the process had.
 */
#include "common/symbolize.h"
#include "common/symbolize_internal.h"

#include <stdarg.h> /* va_list */
#include <stdio.h>  /* snprintf, vsnprintf */
#include <stdlib.h> /* calloc, malloc, realloc, qsort, free */
#include <string.h> /* memcmp, memcpy, strchr, strcmp, strdup, strndup */

#include "common/path_clean.h"

/* Where Debian's -dbg and -dbgsym packages put debug files, in libdwfl's
 * debuginfo_path syntax: beside the module, in its .debug/, then under the
 * root (by build-id, then by the module's directory). '-': no CRC check of
 * a file found by .gnu_debuglink (the build-id is checked when there is one). */
#define DEBUG_ROOT "/usr/lib/debug"
#define DEBUGINFO_PATH(root) "-:.debug:" root

typedef struct sym_object { /* one module file, shared by its registrations */
    char *path;
    uint8_t *build_id;
    size_t build_id_len;
    int loaded; /* tried: file is what could be opened */
    int warned;
    sym_file *file; /* NULL: no symbols */
} sym_object;

typedef struct sym_module {
    uint64_t bias, lo, hi;
    sym_object *obj;
} sym_module;

typedef struct sym_kept { /* a name from a file, as handed out */
    const char *raw; /* the file's string (the key); NULL: a free slot */
    int is_path;
    char *shown;
} sym_kept;

struct ct_symbolizer {
    sym_module *mods; /* in registration order: a later one wins */
    size_t nmods, mods_cap;
    sym_object **objs;
    size_t nobjs, objs_cap;
    sym_piece *ranges; /* sorted, disjoint, to modules; rebuilt after registrations */
    size_t nranges;
    int ranges_stale;
    char **warnings;
    size_t nwarnings, warnings_cap, warnings_seen;
    char *debuginfo_path; /* libdwfl's search path; NULL until a file is opened */
    int offline;          /* ct_symbolizer_offline(): no debuginfod */
    sym_kept *kept;       /* open addressing by raw pointer */
    size_t nkept, kept_cap;
    ct_symbol_frame frames[CT_SYMBOL_MAX_FRAMES]; /* the last lookup's */
};

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
    if (ctr__sym_grow((void **)&s->warnings, &s->warnings_cap, s->nwarnings, sizeof *s->warnings) != 0) {
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

void ct_symbolizer_offline(ct_symbolizer *s)
{
    s->offline = 1;
}

int ctr__sym_set_debug_root(ct_symbolizer *s, const char *dir)
{
    size_t n = sizeof DEBUGINFO_PATH("") + strlen(dir);
    char *path = malloc(n);
    if (!path)
        return -1;
    snprintf(path, n, DEBUGINFO_PATH("%s"), dir);
    free(s->debuginfo_path);
    s->debuginfo_path = path;
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
    if (ctr__sym_grow((void **)&s->objs, &s->objs_cap, s->nobjs, sizeof *s->objs) != 0)
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
    if (!o || ctr__sym_grow((void **)&s->mods, &s->mods_cap, s->nmods, sizeof *s->mods) != 0)
        return -1;
    s->mods[s->nmods++] = (sym_module){bias, lo, hi, o};
    s->ranges_stale = 1;
    return 0;
}

/* ---- which module an address is in ---------------------------------------------- */

/* The pieces of the address space and the module each goes to, made again
 * after registrations. @return 0, -1 on ENOMEM. */
static int ranges_build(ct_symbolizer *s)
{
    sym_span *spans = malloc(s->nmods * sizeof *spans + 1);
    if (!spans)
        return -1;
    for (size_t i = 0; i < s->nmods; i++)
        spans[i] = (sym_span){s->mods[i].lo, s->mods[i].hi};
    sym_piece *pieces;
    size_t n;
    int rc = ctr__sym_paint(spans, s->nmods, &pieces, &n);
    free(spans);
    if (rc != 0)
        return -1;
    free(s->ranges);
    s->ranges = pieces;
    s->nranges = n;
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
    size_t at = ctr__sym_piece_find(s->ranges, s->nranges, pc);
    return at == SIZE_MAX ? NULL : &s->mods[at];
}

/* ---- names as handed out --------------------------------------------------------- */

static size_t kept_slot(const sym_kept *k, size_t cap, const char *raw, int is_path)
{
    size_t h = (size_t)(((uintptr_t)raw >> 3) * 0x9E3779B97F4A7C15ull) ^ (size_t)is_path;
    size_t i = h & (cap - 1);
    while (k[i].raw && (k[i].raw != raw || k[i].is_path != is_path))
        i = (i + 1) & (cap - 1);
    return i;
}

/* Twice the room, every entry moved. @return 0, -1 on ENOMEM. */
static int kept_grow(ct_symbolizer *s)
{
    size_t cap = s->kept_cap ? s->kept_cap * 2 : 64;
    sym_kept *k = calloc(cap, sizeof *k);
    if (!k)
        return -1;
    for (size_t i = 0; i < s->kept_cap; i++)
        if (s->kept[i].raw)
            k[kept_slot(k, cap, s->kept[i].raw, s->kept[i].is_path)] = s->kept[i];
    free(s->kept);
    s->kept = k;
    s->kept_cap = cap;
    return 0;
}

/* A source path relative to `dir` joined to it, then cleaned. */
static char *path_shown(const char *raw, const char *dir)
{
    if (raw[0] == '/' || !dir || !dir[0])
        return ct_path_clean(raw);
    size_t n = strlen(dir) + 1 + strlen(raw) + 1;
    char *joined = malloc(n);
    if (!joined)
        return NULL;
    snprintf(joined, n, "%s/%s", dir, raw);
    char *clean = ct_path_clean(joined);
    free(joined);
    return clean;
}

/* A file's string as shown: a source path joined to the directory `dir` it
 * is relative to and cleaned (path_clean.h), a symbol without its
 * "@VERSION" or "@@VERSION" (a debug file's .symtab has them), made once
 * per string (a string's unit, and so its dir, is always the same). Out of
 * memory: the string as it is. */
static const char *shown(ct_symbolizer *s, const char *raw, const char *dir, int is_path)
{
    if (!raw || (!is_path && (!strchr(raw, '@') || raw[0] == '@')))
        return raw;
    if (s->nkept * 2 >= s->kept_cap && kept_grow(s) != 0)
        return raw;
    sym_kept *k = &s->kept[kept_slot(s->kept, s->kept_cap, raw, is_path)];
    if (!k->raw) {
        char *text = is_path ? path_shown(raw, dir) : strndup(raw, (size_t)(strchr(raw, '@') - raw));
        if (!text)
            return raw;
        *k = (sym_kept){raw, is_path, text};
        s->nkept++;
    }
    return k->shown;
}

/* ---- reading a module's file ----------------------------------------------------- */

static void object_load(ct_symbolizer *s, sym_object *o)
{
    o->loaded = 1;
    if (!s->debuginfo_path && !(s->debuginfo_path = strdup(DEBUGINFO_PATH(DEBUG_ROOT)))) {
        warn(s, o, "%s: out of memory; no symbols", o->path);
        return;
    }
    char err[512];
    o->file = ctr__sym_file_open(o->path, o->build_id, o->build_id_len, &s->debuginfo_path,
                                 s->offline, err, sizeof err);
    if (!o->file)
        warn(s, o, "%s: %s; no symbols", o->path, err);
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
    if (!o->file)
        return 1;
    const char *symbol, *dirs[CT_SYMBOL_MAX_FRAMES];
    size_t n = ctr__sym_file_lookup(o->file, vaddr, s->frames, dirs, CT_SYMBOL_MAX_FRAMES,
                                    &symbol, &out->function_start);
    for (size_t i = 0; i < n; i++) {
        s->frames[i].function = shown(s, s->frames[i].function, NULL, 0);
        s->frames[i].file = shown(s, s->frames[i].file, dirs[i], 1);
    }
    if (n > 0) {
        out->frames = s->frames;
        out->nframes = n;
        out->function = s->frames[0].function;
        out->file = s->frames[0].file;
        out->line = s->frames[0].line;
    }
    return 1;
}

void ct_symbolizer_free(ct_symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nobjs; i++) {
        sym_object *o = s->objs[i];
        ctr__sym_file_close(o->file);
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
    for (size_t i = 0; i < s->kept_cap; i++)
        free(s->kept[i].shown);
    free(s->kept);
    free(s->debuginfo_path);
    free(s);
}
