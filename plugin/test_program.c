/*
 * test_program.c - what the program is, from its modules' dynamic sections:
 * a test binary or a program that leads to one (env, sh -c 'exec ...',
 * timeout, valgrind's launcher); and whether it calls the trace assertions.
 *
 * The runner preloads libctrace into whatever it starts. A wrapper that
 * took the runner's pool would keep it from the test binary it then runs:
 * the same process after an exec (the pool's descriptor closes on exec),
 * or a child of it (which finds the pool taken). So only a program that can
 * run cmocka groups takes it; a wrapper leaves the pool, its descriptor and
 * the runner's variables to the program it runs.
 */
#include <link.h>   /* dl_iterate_phdr, ElfW */
#include <stddef.h> /* offsetof */
#include <string.h> /* strncmp, strcmp */

#include "plugin/test_program.h"

/* Whether `addr` lies in one of the module's loaded segments. */
static int module_holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr - lo < ph->p_memsz)
            return 1;
    }
    return 0;
}

/* The loader rewrites a module's dynamic entries to addresses, except where
 * they are read-only (the vDSO): then they are offsets from its base. The
 * result is trusted only inside the module's segments. */
static const void *module_table(const struct dl_phdr_info *info, uintptr_t ptr)
{
    if (module_holds(info, ptr))
        return (const void *)ptr;
    if (module_holds(info, info->dlpi_addr + ptr))
        return (const void *)(info->dlpi_addr + ptr);
    return NULL;
}

/* A module's dynamic tables, where they lie in it (NULL: it has none). */
struct dynamic {
    const ElfW(Dyn) *dyn;
    const char *strings;   /* DT_STRTAB */
    const ElfW(Sym) *syms; /* DT_SYMTAB */
    const uint32_t *hash, *gnu_hash;
};

static void read_dynamic(const struct dl_phdr_info *info, struct dynamic *d)
{
    *d = (struct dynamic){0};
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            d->dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    for (const ElfW(Dyn) *e = d->dyn; e && e->d_tag != DT_NULL; e++) {
        if (e->d_tag == DT_STRTAB)
            d->strings = module_table(info, e->d_un.d_ptr);
        else if (e->d_tag == DT_SYMTAB)
            d->syms = module_table(info, e->d_un.d_ptr);
        else if (e->d_tag == DT_HASH)
            d->hash = module_table(info, e->d_un.d_ptr);
        else if (e->d_tag == DT_GNU_HASH)
            d->gnu_hash = module_table(info, e->d_un.d_ptr);
    }
}

static int is_test_library(const char *name)
{
    return strncmp(name, "libcmocka.so", 12) == 0 || strncmp(name, "libctrace.so", 12) == 0;
}

/* Whether the module needs libcmocka or libctrace (DT_NEEDED). */
static int module_links_tests(const struct dl_phdr_info *info)
{
    struct dynamic d;
    read_dynamic(info, &d);
    if (!d.strings)
        return 0;
    for (const ElfW(Dyn) *e = d.dyn; e->d_tag != DT_NULL; e++)
        if (e->d_tag == DT_NEEDED && is_test_library(d.strings + e->d_un.d_val))
            return 1;
    return 0;
}

/* A walk of the modules asking `module` of each but the one holding this
 * copy of libctrace; the program itself holding it counts as a yes (the
 * static library: its callers cannot be told apart). */
struct scan {
    uintptr_t self; /* an address in this copy of libctrace */
    int first;      /* the next module is the first: the program itself */
    int (*module)(const struct dl_phdr_info *info);
};

static int scan_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct scan *s = arg;
    int program = s->first;
    s->first = 0;
    if (module_holds(info, s->self))
        return program;
    return s->module(info);
}

static int scan(int (*module)(const struct dl_phdr_info *info))
{
    struct scan s = {(uintptr_t)&scan_module, 1, module};
    return dl_iterate_phdr(scan_module, &s) != 0;
}

int ct__program_runs_tests(void)
{
    return scan(module_links_tests);
}

/* The index of `name` among the symbols DT_GNU_HASH table `g` hashes, or
 * 0 (the loader's own lookup). An undefined symbol is hashed when the
 * program takes its address (a non-PIE executable's canonical PLT entry). */
static uint32_t gnu_hash_find(const uint32_t *g, const ElfW(Sym) *syms, const char *strings,
                              const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;
    uint32_t nbuckets = g[0], symoffset = g[1], bloom_words = g[2];
    if (nbuckets == 0)
        return 0;
    const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)&g[4] + bloom_words);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
        return 0; /* an empty bucket */
    for (;; i++) {
        uint32_t hash = chain[i - symoffset];
        if ((hash | 1) == (h | 1) && strcmp(strings + syms[i].st_name, name) == 0)
            return i;
        if (hash & 1)
            return 0; /* the bucket's last */
    }
}

/* Whether the module imports `name` (an undefined dynamic symbol); -1 when
 * it cannot be told. */
static int module_imports(const struct dl_phdr_info *info, const char *name)
{
    struct dynamic d;
    read_dynamic(info, &d);
    if (!d.dyn || !d.syms)
        return 0; /* nothing dynamic: it imports nothing */
    const uint32_t *g = d.gnu_hash, *h = d.hash;
    if (!d.strings || (!g && !h))
        return -1;
    if (g) { /* the hashed one, if any */
        uint32_t i = gnu_hash_find(g, d.syms, d.strings, name);
        if (i != 0)
            return d.syms[i].st_shndx == SHN_UNDEF;
    }
    /* The unhashed ones, first in the table (with DT_GNU_HASH: before its
     * symoffset, a few dozen where a library defines thousands), or all of
     * them (DT_HASH's nchain). */
    uint32_t n = g ? g[1] : h[1];
    for (uint32_t i = 1; i < n; i++)
        if (d.syms[i].st_shndx == SHN_UNDEF && d.syms[i].st_name != 0 &&
            strcmp(d.strings + d.syms[i].st_name, name) == 0)
            return 1;
    return 0;
}

static int module_calls_checks(const struct dl_phdr_info *info)
{
    return module_imports(info, "ct__check") != 0; /* unknown counts as calling */
}

/* How many modules the loader loaded so far (dlpi_adds), or 0 if it does
 * not say. */
static int count_loads(struct dl_phdr_info *info, size_t size, void *arg)
{
    if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof info->dlpi_adds)
        *(unsigned long long *)arg = info->dlpi_adds;
    return 1; /* the first module says it */
}

int ct__program_calls_checks(void)
{
    /* Looked at again only once more modules were loaded: a cmocka group
     * asks at each start. */
    static unsigned long long scanned_at; /* atomic; 0: never */
    unsigned long long loads = 0;
    dl_iterate_phdr(count_loads, &loads);
    if (loads != 0 && loads == __atomic_load_n(&scanned_at, __ATOMIC_RELAXED))
        return 0; /* what was there did not call them */
    int calls = scan(module_calls_checks);
    if (!calls)
        __atomic_store_n(&scanned_at, loads, __ATOMIC_RELAXED);
    return calls;
}
