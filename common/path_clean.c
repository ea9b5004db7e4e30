/*
 * path_clean.c - see path_clean.h.
 */
#include "common/path_clean.h"

#include <limits.h> /* PATH_MAX */
#include <stdlib.h> /* realpath, free */
#include <string.h> /* strdup, memmove */

char *ct_path_normalize(char *path)
{
    int absolute = path[0] == '/';
    size_t out = absolute, keep = out; /* keep: where ".." can no longer go back */
    for (size_t in = absolute; path[in];) {
        size_t end = in;
        while (path[end] && path[end] != '/')
            end++;
        size_t len = end - in;
        if (len == 0 || (len == 1 && path[in] == '.')) {
            /* "//" or "/./": nothing to keep */
        } else if (len == 2 && path[in] == '.' && path[in + 1] == '.') {
            if (out > keep) { /* back over the last part and its slash */
                while (out > keep && path[out - 1] != '/')
                    out--;
                if (out > keep)
                    out--;
            } else if (!absolute) { /* a relative path's leading "..": kept */
                if (out > 0)
                    path[out++] = '/';
                path[out++] = '.';
                path[out++] = '.';
                keep = out;
            }
        } else {
            if (out > (size_t)absolute)
                path[out++] = '/';
            memmove(path + out, path + in, len);
            out += len;
        }
        in = path[end] ? end + 1 : end;
    }
    if (out == 0 && path[0] != '\0' && !absolute) /* "a/.." and "." are "." */
        path[out++] = '.';
    path[out] = '\0';
    return path;
}

char *ct_path_clean(const char *path)
{
    char resolved[PATH_MAX];
    if (path[0] && realpath(path, resolved))
        return strdup(resolved);
    char *copy = strdup(path);
    return copy ? ct_path_normalize(copy) : NULL;
}
