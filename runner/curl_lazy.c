/* curl_lazy.c - libcurl opened on first use (curl_lazy.h). */
#include "curl_lazy.h"

#include <dlfcn.h> /* dlopen, dlsym, dlerror */
#include <stdio.h> /* snprintf */

/* The soname Debian's libcurl4 packages install (libcurl's ABI since 7.16). */
#define CURL_SONAME "libcurl.so.4"

const rn_curl *rn_curl_load(char *why, size_t why_size)
{
    static rn_curl fns;
    static int loaded;
    if (loaded)
        return &fns;
    void *lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(why, why_size, "cannot load libcurl (%s)", dlerror());
        return NULL;
    }
    /* Each pointer from dlsym() converted through a union: ISO C has no
     * conversion from void * to a function pointer, POSIX guarantees it. */
#define LOAD(field, symbol)                                                                  \
    do {                                                                                     \
        union {                                                                              \
            void *p;                                                                         \
            __typeof__(fns.field) f;                                                         \
        } u = {.p = dlsym(lib, symbol)};                                                     \
        if (u.p == NULL) {                                                                   \
            snprintf(why, why_size, "cannot load libcurl (%s has no %s)", CURL_SONAME,       \
                     symbol);                                                                \
            dlclose(lib); /* the next call tries again, holding nothing */                   \
            return NULL;                                                                     \
        }                                                                                    \
        fns.field = u.f;                                                                     \
    } while (0)
    LOAD(global_init, "curl_global_init");
    LOAD(easy_init, "curl_easy_init");
    LOAD(easy_setopt, "curl_easy_setopt");
    LOAD(easy_perform, "curl_easy_perform");
    LOAD(easy_getinfo, "curl_easy_getinfo");
    LOAD(easy_strerror, "curl_easy_strerror");
    LOAD(easy_cleanup, "curl_easy_cleanup");
    LOAD(slist_append, "curl_slist_append");
    LOAD(slist_free_all, "curl_slist_free_all");
    LOAD(url, "curl_url");
    LOAD(url_set, "curl_url_set");
    LOAD(url_get, "curl_url_get");
    LOAD(url_strerror, "curl_url_strerror");
    LOAD(url_cleanup, "curl_url_cleanup");
    LOAD(free, "curl_free");
#undef LOAD
    loaded = 1; /* the library stays open: its functions are used to the end */
    return &fns;
}
