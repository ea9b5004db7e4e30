/*
 * preload.c - find the libctrace.so to preload (preload.h).
 */
#include "preload.h"

#include <limits.h> /* PATH_MAX */
#include <stdio.h>  /* asprintf */
#include <stdlib.h> /* getenv, realpath */
#include <string.h> /* strrchr, strdup */
#include <unistd.h> /* access, readlink */

#define SONAME "libctrace.so.0"

/* `dir`/`rel`/SONAME if it exists. @return malloc'd or NULL. */
static char *candidate(const char *dir, const char *rel)
{
    char *path = NULL;
    if (asprintf(&path, "%s%s%s/" SONAME, dir, *dir && *rel ? "/" : "", rel) < 0)
        return NULL;
    if (access(path, R_OK) == 0) {
        char *real = realpath(path, NULL);
        free(path);
        return real;
    }
    free(path);
    return NULL;
}

char *rn_preload_path(const char **why)
{
    *why = NULL;
    const char *forced = getenv("CTRACE_PRELOAD");
    if (forced != NULL) {
        if (*forced == '\0')
            return NULL;
        if (access(forced, R_OK) != 0) {
            *why = "CTRACE_PRELOAD names no readable file";
            return NULL;
        }
        return strdup(forced);
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *found = NULL;
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL)
            *slash = '\0';
        /* Installed: BINDIR/<to libdir>. Built: runner/ beside the library. */
        if (CT_BINDIR_TO_LIBDIR[0] != '/')
            found = candidate(self, CT_BINDIR_TO_LIBDIR);
        if (found == NULL)
            found = candidate(self, "..");
    }
    if (found == NULL)
        found = candidate("", CT_LIBDIR);
    if (found == NULL)
        *why = "cannot find " SONAME " (set CTRACE_PRELOAD to its path)";
    return found;
}
