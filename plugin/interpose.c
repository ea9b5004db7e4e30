/*
 * interpose.c - the interposers' slow paths (interpose.h): looking up the
 * real function once, and recording a wait that was long enough.
 */
#include "plugin/interpose.h"

#include <dlfcn.h> /* dlsym, dladdr, RTLD_NEXT */
#include <errno.h> /* errno */
#include <link.h>  /* dl_iterate_phdr */

#include "plugin/api_internal.h" /* ct__block_end */
#include "plugin/fd_kind.h"

/* The name this thread is looking up, if any. */
static __thread const char *resolving __attribute__((tls_model("initial-exec")));

void *ct__interpose_resolve(const char *name)
{
    /* Each interposer passes its own literal: a pointer compare is enough. */
    if (resolving == name)
        return NULL;
    const char *outer = resolving; /* another name's lookup may nest in this one */
    resolving = name;
    void *fn = dlsym(RTLD_NEXT, name);
    resolving = outer;
    return fn;
}

uintptr_t ct__sanitizer_lo, ct__sanitizer_hi;

/* The code of the module holding `at`, unless it is the program itself. */
static int find_runtime(struct dl_phdr_info *info, size_t size, void *at)
{
    (void)size;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t from = info->dlpi_addr + ph->p_vaddr, to = from + ph->p_memsz;
        lo = from < lo ? from : lo;
        hi = to > hi ? to : hi;
    }
    if ((uintptr_t)at < lo || (uintptr_t)at >= hi)
        return 0;
    if (info->dlpi_name && info->dlpi_name[0]) { /* "": the program (clang links TSan in) */
        ct__sanitizer_lo = lo;
        ct__sanitizer_hi = hi;
    }
    return 1;
}

/* Whether two addresses lie in one module. */
static int same_module(const void *a, const void *b)
{
    Dl_info ia, ib;
    return a && b && dladdr(a, &ia) && dladdr(b, &ib) && ia.dli_fbase == ib.dli_fbase;
}

void ct__interpose_find_sanitizer(void)
{
    void *init = dlsym(RTLD_DEFAULT, "__tsan_init");
    /* Only when our interposers come first (preloaded, or linked into the
     * program): behind TSan's (libctrace linked after it), every call
     * reaches ours from TSan's interceptors, the program's included. */
    if (init && same_module(dlsym(RTLD_DEFAULT, "open"), (void *)ct__interpose_find_sanitizer))
        dl_iterate_phdr(find_runtime, init);
}

void ct__interpose_record(unsigned kind, uint64_t t0, uint64_t object, uint64_t caller)
{
    if (ct__interpose_in_sanitizer(caller))
        return;
    /* Attaching the thread may allocate; a malloc of the program's own may
     * take a lock or read a file we interpose: those record nothing. */
    int saved = errno;
    uint8_t was = ct__untraced_begin();
    ct__block_end(kind, t0, object, caller);
    ct__untraced_end(was);
    errno = saved;
}

/* One threshold serves both kinds: the kind is known only past it. */
_Static_assert(CT_SYSCALL_MIN_US == CT_NET_MIN_US, "CT_TIMED_IO times net and syscall alike");

void ct__interpose_record_io(uint64_t t0, int fd, int fd2, uint64_t caller)
{
    int saved = errno;
    unsigned kind = ct__fd_block_kind(fd);
    if (kind != CT_BLOCK_NET && fd2 >= 0 && ct__fd_block_kind(fd2) == CT_BLOCK_NET) {
        kind = CT_BLOCK_NET;
        fd = fd2; /* the socket end is what waited */
    }
    errno = saved;
    ct__interpose_record(kind, t0, fd >= 0 ? (uint64_t)fd : 0, caller);
}
