/*
 * dl_hook.c - notice modules being unloaded.
 *
 * Region names that are string literals are known by their address alone
 * (thread.h). When dlclose() unmaps a module, another string may later sit
 * at one of its addresses: bump the epoch so every literal is checked again.
 */
#include <dlfcn.h> /* dlsym, RTLD_NEXT */

#include "plugin/thread.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__dl_hook_linked = 1;

typedef int (*dlclose_fn)(void *);

static void bump_epoch(void)
{
    /* Never 0: a slot's epoch 0 means "not known to be a literal". */
    if (__atomic_add_fetch(&ct__names_epoch, 1, __ATOMIC_RELAXED) == 0)
        __atomic_add_fetch(&ct__names_epoch, 1, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) int dlclose(void *handle)
{
    static dlclose_fn real; /* atomic: set once, same value by every thread */
    dlclose_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (dlclose_fn)dlsym(RTLD_NEXT, "dlclose");
        if (!fn)
            return -1; /* cannot happen with a working libc; dlerror() says why */
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    /* Before and after: a thread checking a literal while the module goes
     * away must not keep trusting an address the unmapping made stale. */
    bump_epoch();
    int rc = fn(handle);
    bump_epoch();
    return rc;
}
