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

static const ElfW(Dyn) *module_dynamic(const struct dl_phdr_info *info)
{
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            return (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    return NULL;
}

static int is_test_library(const char *name)
{
    return strncmp(name, "libcmocka.so", 12) == 0 || strncmp(name, "libctrace.so", 12) == 0;
}

/* Whether the module needs libcmocka or libctrace (DT_NEEDED). */
static int module_links_tests(const struct dl_phdr_info *info)
{
    const ElfW(Dyn) *dyn = module_dynamic(info);
    if (!dyn)
        return 0;
    uintptr_t strtab = 0;
    int needs = 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB)
            strtab = d->d_un.d_ptr;
        needs |= d->d_tag == DT_NEEDED;
    }
    const char *strings = needs && strtab ? module_table(info, strtab) : NULL;
    if (!strings)
        return 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_NEEDED && is_test_library(strings + d->d_un.d_val))
            return 1;
    return 0;
}

struct scan {
    uintptr_t self; /* an address in this copy of libctrace */
    int first;      /* the next module is the first: the program itself */
};

static int scan_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct scan *s = arg;
    int program = s->first;
    s->first = 0;
    if (module_holds(info, s->self))
        return program; /* linked into the program (the static library): a test binary */
    return module_links_tests(info);
}

int ct__program_runs_tests(void)
{
    struct scan s = {(uintptr_t)&ct__program_runs_tests, 1};
    return dl_iterate_phdr(scan_module, &s) != 0;
}

/* How many of the module's first dynamic symbols hold its undefined ones
 * (imports): with DT_GNU_HASH, those before the first hashed one (undefined
 * symbols are never hashed, and the linker puts the unhashed ones first: a
 * few dozen, where a library defines thousands); else, with DT_HASH, all of
 * them. 0: unknown. */
static uint32_t imports_bound(const struct dl_phdr_info *info, uintptr_t hash, uintptr_t gnu_hash)
{
    const uint32_t *g = gnu_hash ? module_table(info, gnu_hash) : NULL;
    if (g)
        return g[1]; /* symoffset */
    const uint32_t *h = hash ? module_table(info, hash) : NULL;
    return h ? h[1] : 0; /* nchain: the symbol count */
}

/* Whether the module imports `name` (an undefined dynamic symbol); -1 when
 * it cannot be told. */
static int module_imports(const struct dl_phdr_info *info, const char *name)
{
    const ElfW(Dyn) *dyn = module_dynamic(info);
    if (!dyn)
        return 0;
    uintptr_t strtab = 0, symtab = 0, hash = 0, gnu_hash = 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB)
            strtab = d->d_un.d_ptr;
        else if (d->d_tag == DT_SYMTAB)
            symtab = d->d_un.d_ptr;
        else if (d->d_tag == DT_HASH)
            hash = d->d_un.d_ptr;
        else if (d->d_tag == DT_GNU_HASH)
            gnu_hash = d->d_un.d_ptr;
    }
    if (!symtab)
        return 0; /* nothing dynamic: it imports nothing */
    const char *strings = strtab ? module_table(info, strtab) : NULL;
    const ElfW(Sym) *syms = module_table(info, symtab);
    uint32_t n = imports_bound(info, hash, gnu_hash);
    if (!strings || !syms || n == 0)
        return -1;
    for (uint32_t i = 1; i < n; i++)
        if (syms[i].st_shndx == SHN_UNDEF && syms[i].st_name != 0 &&
            strcmp(strings + syms[i].st_name, name) == 0)
            return 1;
    return 0;
}

static int scan_checks(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct scan *s = arg;
    int program = s->first;
    s->first = 0;
    if (module_holds(info, s->self))
        return program; /* linked into the program: its calls cannot be told apart */
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
    struct scan s = {(uintptr_t)&ct__program_calls_checks, 1};
    int calls = dl_iterate_phdr(scan_checks, &s) != 0;
    if (!calls)
        __atomic_store_n(&scanned_at, loads, __ATOMIC_RELAXED);
    return calls;
}
