/*
 * symbolize_elf.c - an ELF file mapped read-only, as the symbolizer reads
 * it: section headers, notes, .gnu_debuglink and the function symbols.
 * Headers are copied out with memcpy: offsets in a hostile file need not be
 * aligned. Only 64-bit little-endian files (x86-64, aarch64) are read, on a
 * little-endian host, so the copied fields need no swapping.
 */
#include "common/symbolize_internal.h"

#include <elf.h>      /* Elf64_*, SHT_*, STT_*, NT_GNU_BUILD_ID */
#include <errno.h>    /* errno */
#include <fcntl.h>    /* open */
#include <stdlib.h>   /* malloc, qsort, free */
#include <string.h>   /* memcpy, memchr, memcmp, strchr */
#include <sys/mman.h> /* mmap, munmap */
#include <sys/stat.h> /* fstat */
#include <unistd.h>   /* close */

/* [off, off+n) lies inside a buffer of `size` bytes (no overflow). */
static int in_bounds(uint64_t off, uint64_t n, uint64_t size)
{
    return off <= size && n <= size - off;
}

/* ---- the file ------------------------------------------------------------------ */

int ctr__sym_elf_from_memory(sym_elf *e, const void *bytes, size_t size)
{
    memset(e, 0, sizeof *e);
    Elf64_Ehdr h;
    if (size < EI_NIDENT || memcmp(bytes, ELFMAG, SELFMAG) != 0)
        return SYM_ELF_NOTELF;
    const uint8_t *id = bytes;
    if (id[EI_CLASS] != ELFCLASS64 || id[EI_DATA] != ELFDATA2LSB)
        return SYM_ELF_UNSUPPORTED;
    if (size < sizeof h)
        return SYM_ELF_NOTELF;
    memcpy(&h, bytes, sizeof h);
    e->base = bytes;
    e->size = size;
    /* A table that does not fit is treated as absent: the other one (or a
     * debug file) may still answer. */
    if (h.e_shentsize == sizeof(Elf64_Shdr) && h.e_shoff != 0) {
        e->shoff = h.e_shoff;
        e->shnum = h.e_shnum;
        e->shstrndx = h.e_shstrndx;
        Elf64_Shdr zero;
        /* Past 0xff00 sections the counts live in section 0. */
        if ((e->shnum == 0 || e->shstrndx == SHN_XINDEX) && in_bounds(h.e_shoff, sizeof zero, size)) {
            memcpy(&zero, e->base + h.e_shoff, sizeof zero);
            if (e->shnum == 0)
                e->shnum = zero.sh_size;
            if (e->shstrndx == SHN_XINDEX)
                e->shstrndx = zero.sh_link;
        }
        if (e->shnum > (size - (e->shoff < size ? e->shoff : size)) / sizeof(Elf64_Shdr))
            e->shnum = 0;
    }
    if (h.e_phentsize == sizeof(Elf64_Phdr) && h.e_phoff != 0 && h.e_phoff <= size &&
        h.e_phnum <= (size - h.e_phoff) / sizeof(Elf64_Phdr)) {
        e->phoff = h.e_phoff;
        e->phnum = h.e_phnum;
    }
    return 0;
}

int ctr__sym_elf_open(sym_elf *e, const char *path)
{
    memset(e, 0, sizeof *e);
    /* Non-blocking: a path from a trace may name a FIFO; S_ISREG below refuses it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return SYM_ELF_ENOENT;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return SYM_ELF_ENOENT;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < EI_NIDENT) {
        close(fd);
        return SYM_ELF_NOTELF;
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (map == MAP_FAILED) {
        errno = err;
        return SYM_ELF_ENOENT;
    }
    int rc = ctr__sym_elf_from_memory(e, map, (size_t)st.st_size);
    if (rc != 0) {
        munmap(map, (size_t)st.st_size);
        memset(e, 0, sizeof *e);
        return rc;
    }
    e->mapped = 1;
    return 0;
}

void ctr__sym_elf_close(sym_elf *e)
{
    if (e->mapped)
        munmap((void *)e->base, e->size);
    memset(e, 0, sizeof *e);
}

/* ---- sections ------------------------------------------------------------------ */

static int shdr_at(const sym_elf *e, size_t i, Elf64_Shdr *out)
{
    if (i >= e->shnum)
        return 0;
    memcpy(out, e->base + e->shoff + i * sizeof *out, sizeof *out);
    return 1;
}

int ctr__sym_elf_section_at(const sym_elf *e, size_t i, sym_section *out)
{
    Elf64_Shdr sh;
    if (!shdr_at(e, i, &sh))
        return 0;
    uint64_t n = sh.sh_type == SHT_NOBITS ? 0 : sh.sh_size;
    if (!in_bounds(sh.sh_offset, n, e->size))
        return 0;
    out->p = e->base + sh.sh_offset;
    out->n = n;
    out->type = sh.sh_type;
    out->link = sh.sh_link;
    out->flags = sh.sh_flags;
    out->entsize = sh.sh_entsize;
    return 1;
}

const char *ctr__sym_cstr(const sym_section *sec, uint64_t off)
{
    if (off >= sec->n)
        return NULL;
    const char *s = (const char *)sec->p + off;
    return memchr(s, 0, sec->n - off) ? s : NULL;
}

int ctr__sym_elf_section(const sym_elf *e, const char *name, uint32_t type, sym_section *out)
{
    sym_section names;
    if (name && (e->shstrndx == 0 || !ctr__sym_elf_section_at(e, e->shstrndx, &names)))
        return 0;
    for (size_t i = 1; i < e->shnum; i++) {
        Elf64_Shdr sh;
        shdr_at(e, i, &sh);
        if (name) {
            const char *n = ctr__sym_cstr(&names, sh.sh_name);
            if (!n || strcmp(n, name) != 0)
                continue;
        } else if (sh.sh_type != type) {
            continue;
        }
        return ctr__sym_elf_section_at(e, i, out);
    }
    return 0;
}

/* ---- notes ----------------------------------------------------------------------- */

/* The build-id in a run of notes aligned to `align` (4, or 8 for PT_NOTE
 * segments aligned so). @return its length, 0 if none. */
static size_t notes_build_id(const uint8_t *p, uint64_t n, uint64_t align, const uint8_t **id)
{
    uint64_t off = 0;
    while (n - off >= 12) {
        uint32_t w[3]; /* namesz, descsz, type */
        memcpy(w, p + off, sizeof w);
        uint64_t name = off + 12;
        uint64_t name_end = name + ((w[0] + align - 1) & ~(align - 1));
        uint64_t desc_end = name_end + ((w[1] + align - 1) & ~(align - 1));
        if (name_end > n || w[1] > n - name_end)
            return 0;
        if (w[2] == NT_GNU_BUILD_ID && w[0] == 4 && memcmp(p + name, "GNU", 4) == 0 && w[1] > 0) {
            *id = p + name_end;
            return w[1];
        }
        if (desc_end > n) /* the last note, unpadded */
            return 0;
        off = desc_end;
    }
    return 0;
}

size_t ctr__sym_elf_build_id(const sym_elf *e, const uint8_t **id)
{
    for (size_t i = 0; i < e->phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, e->base + e->phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_NOTE || !in_bounds(ph.p_offset, ph.p_filesz, e->size))
            continue;
        size_t n = notes_build_id(e->base + ph.p_offset, ph.p_filesz, ph.p_align == 8 ? 8 : 4, id);
        if (n)
            return n;
    }
    /* Separate debug files keep the note as a section, with no segments. */
    for (size_t i = 1; i < e->shnum; i++) {
        sym_section sec;
        if (!ctr__sym_elf_section_at(e, i, &sec) || sec.type != SHT_NOTE)
            continue;
        size_t n = notes_build_id(sec.p, sec.n, 4, id);
        if (n)
            return n;
    }
    return 0;
}

const char *ctr__sym_elf_debuglink(const sym_elf *e)
{
    sym_section sec;
    if (!ctr__sym_elf_section(e, ".gnu_debuglink", 0, &sec))
        return NULL;
    const char *name = ctr__sym_cstr(&sec, 0);
    /* A file name, not a path: it is looked for in known directories only. */
    if (!name || !*name || strchr(name, '/'))
        return NULL;
    return name;
}

/* ---- functions ------------------------------------------------------------------- */

typedef struct func_candidate {
    sym_func f;
    unsigned rank; /* lower is preferred among symbols at one address */
} func_candidate;

/* At one address (aliases), prefer a sized symbol, then GLOBAL over WEAK
 * over LOCAL, then the fewest leading underscores: pthread_mutex_lock rather
 * than ___pthread_mutex_lock or __GI___pthread_mutex_lock. */
static unsigned func_rank(const Elf64_Sym *sym, const char *name)
{
    unsigned bind = ELF64_ST_BIND(sym->st_info);
    unsigned r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
    unsigned underscores = 0;
    while (name[underscores] == '_' && underscores < 15)
        underscores++;
    return (sym->st_size == 0) << 8 | r << 4 | underscores;
}

static int candidate_cmp(const void *a, const void *b)
{
    const func_candidate *x = a, *y = b;
    if (x->f.addr != y->f.addr)
        return x->f.addr < y->f.addr ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->f.name < y->f.name ? -1 : x->f.name > y->f.name; /* a total order: same result every run */
}

/* .symtab names versioned symbols name@VERSION or name@@VERSION; a
 * profile wants name. The trimmed copies go in one block. */
static int trim_versions(sym_funcs *t)
{
    size_t bytes = 0;
    for (size_t i = 0; i < t->n; i++) {
        const char *at = strchr(t->v[i].name, '@');
        if (at && at != t->v[i].name)
            bytes += (size_t)(at - t->v[i].name) + 1;
    }
    if (bytes == 0)
        return 0;
    t->names = malloc(bytes);
    if (!t->names)
        return -1;
    char *out = t->names;
    for (size_t i = 0; i < t->n; i++) {
        const char *at = strchr(t->v[i].name, '@');
        if (!at || at == t->v[i].name)
            continue;
        size_t len = (size_t)(at - t->v[i].name);
        memcpy(out, t->v[i].name, len);
        out[len] = 0;
        t->v[i].name = out;
        out += len + 1;
    }
    return 0;
}

int ctr__sym_funcs_build(sym_funcs *t, const sym_elf *e, const sym_section *symtab)
{
    memset(t, 0, sizeof *t);
    sym_section strtab;
    if (symtab->entsize != sizeof(Elf64_Sym) || !ctr__sym_elf_section_at(e, symtab->link, &strtab) ||
        (strtab.flags & SHF_COMPRESSED))
        return 0;
    size_t count = symtab->n / sizeof(Elf64_Sym);
    func_candidate *c = malloc((count ? count : 1) * sizeof *c);
    if (!c)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        Elf64_Sym sym;
        memcpy(&sym, symtab->p + i * sizeof sym, sizeof sym);
        unsigned type = ELF64_ST_TYPE(sym.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
            continue;
        const char *name = ctr__sym_cstr(&strtab, sym.st_name);
        if (!name || !*name)
            continue;
        c[n].f = (sym_func){sym.st_value, sym.st_size, name};
        c[n].rank = func_rank(&sym, name);
        n++;
    }
    qsort(c, n, sizeof *c, candidate_cmp);
    t->v = malloc((n ? n : 1) * sizeof *t->v);
    if (!t->v) {
        free(c);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (t->n == 0 || t->v[t->n - 1].addr != c[i].f.addr)
            t->v[t->n++] = c[i].f;
    free(c);
    return trim_versions(t);
}

const sym_func *ctr__sym_funcs_find(const sym_funcs *t, uint64_t addr)
{
    if (t->n == 0 || t->v[0].addr > addr)
        return NULL;
    const sym_func *f = t->v; /* the last at or before addr, as in ctr__sym_lines_find */
    for (size_t n = t->n; n > 1; n -= n / 2)
        f = f[n / 2].addr <= addr ? f + n / 2 : f;
    size_t lo = (size_t)(f - t->v) + 1;
    if (f->size == 0 || addr - f->addr < f->size)
        return f;
    /* Past its end: maybe inside a larger symbol that starts earlier. A
     * few steps back are enough for real files. */
    for (size_t back = 1; back <= 8 && back < lo; back++) {
        const sym_func *g = &t->v[lo - 1 - back];
        if (g->size != 0 && addr - g->addr < g->size)
            return g;
    }
    return NULL;
}

void ctr__sym_funcs_free(sym_funcs *t)
{
    free(t->v);
    free(t->names);
    memset(t, 0, sizeof *t);
}
