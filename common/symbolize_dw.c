/*
 * symbolize_dw.c - libdw.so.1 opened on first use (see symbolize_dw.h).
 */
#include "common/symbolize_dw.h"

#include <dlfcn.h>   /* dlopen, dlsym, dlerror */
#include <pthread.h> /* pthread_once */
#include <stdio.h>   /* snprintf */

/* Debian's libdw1 package; its SONAME does not change with the version. */
#define LIBDW_SONAME "libdw.so.1"

static ct_dw table;
static const ct_dw *loaded;
static char failure[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    /* RTLD_LOCAL: its symbols stay out of the test's global scope. */
    void *h = dlopen(LIBDW_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(failure, sizeof failure, "%s", e ? e : "cannot load " LIBDW_SONAME);
        return;
    }
#define CT_DW_LOOKUP(name)                                                                   \
    if (!(table.name = (__typeof__(name) *)dlsym(h, #name))) {                               \
        snprintf(failure, sizeof failure, "%s: no %s in it", LIBDW_SONAME, #name);           \
        return;                                                                              \
    }
    CT_DW_FUNCTIONS(CT_DW_LOOKUP)
#undef CT_DW_LOOKUP
    loaded = &table;
}

const ct_dw *ct__dw_get(const char **why)
{
    pthread_once(&once, load);
    if (!loaded && why)
        *why = failure;
    return loaded;
}
