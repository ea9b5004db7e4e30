/*
 * test_program.c - is this process a test binary, or a program that leads
 * to one (env, sh -c 'exec ...', timeout, valgrind's launcher)?
 *
 * The runner preloads libctrace into whatever it starts. A wrapper that
 * took the runner's pool would keep it from the test binary it then runs:
 * the same process after an exec (the pool's descriptor closes on exec),
 * or a child of it (which finds the pool taken). So only a program that can
 * run cmocka groups takes it; a wrapper leaves the pool, its descriptor and
 * the runner's variables to the program it runs.
 */
#include <link.h>   /* dl_iterate_phdr, ElfW */
#include <string.h> /* strncmp */

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
static const char *module_string_table(const struct dl_phdr_info *info, uintptr_t ptr)
{
    if (module_holds(info, ptr))
        return (const char *)ptr;
    if (module_holds(info, info->dlpi_addr + ptr))
        return (const char *)(info->dlpi_addr + ptr);
    return NULL;
}

static int is_test_library(const char *name)
{
    return strncmp(name, "libcmocka.so", 12) == 0 || strncmp(name, "libctrace.so", 12) == 0;
}

/* Whether the module needs libcmocka or libctrace (DT_NEEDED). */
static int module_links_tests(const struct dl_phdr_info *info)
{
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return 0;
    uintptr_t strtab = 0;
    int needs = 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_STRTAB)
            strtab = d->d_un.d_ptr;
        needs |= d->d_tag == DT_NEEDED;
    }
    const char *strings = needs && strtab ? module_string_table(info, strtab) : NULL;
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
