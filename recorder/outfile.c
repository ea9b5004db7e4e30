/* outfile.c - replace an output file only once complete (outfile.h). */
#include "recorder/outfile.h"

#include <errno.h>    /* errno, ELOOP, EISDIR */
#include <fcntl.h>    /* open, O_* */
#include <stdio.h>    /* asprintf, rename, renameat2 */
#include <stdlib.h>   /* malloc, free, realpath */
#include <string.h>   /* strdup, strrchr, strerror_r */
#include <sys/stat.h> /* lstat, chmod */
#include <unistd.h>   /* readlink, unlink */

#define MAX_LINKS 40 /* as the kernel's ELOOP */

/* The directory part of `path` ("." when it has none), malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    char *dir = strdup(path);
    if (dir != NULL)
        dir[slash - path] = '\0';
    return dir;
}

/* Is `path` in a directory of /proc (/dev/stdout leads to /proc/self/fd/1,
 * /dev/fd/1 is in it): a link there names an open file, not a file to
 * replace. */
static int under_proc(const char *path)
{
    char *dir = dir_of(path);
    char *real = dir ? realpath(dir, NULL) : NULL;
    int yes = real != NULL && strncmp(real, "/proc/", 6) == 0;
    free(real);
    free(dir);
    return yes;
}

/* What the link at `path` points to, as a path from here. */
static char *follow(const char *path, size_t size_hint)
{
    size_t cap = size_hint > 0 ? size_hint + 1 : 256;
    char *link = NULL;
    for (;;) {
        char *grown = realloc(link, cap);
        if (grown == NULL) {
            free(link);
            errno = ENOMEM;
            return NULL;
        }
        link = grown;
        ssize_t n = readlink(path, link, cap);
        if (n < 0) {
            free(link);
            return NULL;
        }
        if ((size_t)n < cap) {
            link[n] = '\0';
            break;
        }
        cap *= 2;
    }
    if (link[0] == '/' || strchr(path, '/') == NULL)
        return link;
    char *dir = dir_of(path), *next = NULL;
    if (dir == NULL || asprintf(&next, "%s/%s", dir, link) < 0)
        next = NULL;
    free(dir);
    free(link);
    if (next == NULL)
        errno = ENOMEM;
    return next;
}

int ct_outfile_begin(ct_outfile *f, const char *path)
{
    *f = (ct_outfile){0};
    if (path == NULL || *path == '\0') {
        errno = ENOENT;
        return -1;
    }
    char *cur = strdup(path);
    int direct = 0;
    for (int hops = 0; cur != NULL; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0) {
            if (errno != ENOENT)
                goto fail;
            break; /* a new file */
        }
        if (S_ISLNK(st.st_mode)) {
            if (under_proc(cur)) {
                direct = 1;
                break;
            }
            if (hops == MAX_LINKS) {
                errno = ELOOP;
                goto fail;
            }
            char *next = follow(cur, (size_t)st.st_size);
            free(cur);
            cur = next;
            if (cur == NULL)
                return -1;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            goto fail;
        }
        if (S_ISREG(st.st_mode))
            f->mode = st.st_mode & 07777;
        else
            direct = 1; /* FIFO, device, socket */
        break;
    }
    if (cur == NULL) {
        errno = ENOMEM;
        return -1;
    }
    if (!direct && asprintf(&f->partial, "%s.partial", cur) < 0) {
        f->partial = NULL;
        errno = ENOMEM;
        goto fail;
    }
    f->target = cur;
    return 0;
fail:;
    int e = errno;
    free(cur);
    errno = e;
    return -1;
}

int ct_outfile_open(const ct_outfile *f)
{
    if (f->partial == NULL)
        return open(f->target, O_WRONLY | O_APPEND | O_CLOEXEC);
    /* A fresh file: never through a link left (or planted) at that name. */
    if (unlink(f->partial) != 0 && errno != ENOENT)
        return -1;
    return open(f->partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
}

const char *ct_outfile_writing(const ct_outfile *f)
{
    return f->partial ? f->partial : f->target;
}

/* swap: ct_outfile_commit_swap() (outfile.h says why, and at what cost). */
static int commit(ct_outfile *f, int swap)
{
    if (f->partial == NULL)
        return 0;
    if (f->mode != 0) {
        (void)chmod(f->partial, f->mode); /* as it was; a failure is not fatal */
        struct stat st;
        if (swap && lstat(f->target, &st) == 0 && S_ISREG(st.st_mode) &&
            renameat2(AT_FDCWD, f->partial, AT_FDCWD, f->target, RENAME_EXCHANGE) == 0) {
            (void)unlink(f->partial); /* the old content */
            return 0;
        }
    }
    return rename(f->partial, f->target);
}

int ct_outfile_commit(ct_outfile *f)
{
    return commit(f, 0);
}

int ct_outfile_commit_swap(ct_outfile *f)
{
    return commit(f, 1);
}

void ct_outfile_discard(ct_outfile *f)
{
    if (f->partial != NULL) {
        int e = errno;
        unlink(f->partial);
        errno = e;
    }
}

void ct_outfile_free(ct_outfile *f)
{
    free(f->target);
    free(f->partial);
    *f = (ct_outfile){0};
}

const char *ct_errno_text(int e)
{
    static __thread char text[128];
    switch (e) {
    case 0: return "unknown error";
    case ENOENT: return "no such file";
    case ENOSPC: return "no space left on device";
    case EACCES: return "permission denied";
    case EISDIR: return "is a directory";
    case ENOTDIR: return "a part of the path is not a directory";
    default: break;
    }
    const char *s = strerror_r(e, text, sizeof text); /* GNU: may return its own */
    if (s != text)
        snprintf(text, sizeof text, "%s", s);
    if (text[0] >= 'A' && text[0] <= 'Z')
        text[0] = (char)(text[0] - 'A' + 'a');
    return text;
}

const char *ct_outfile_error(int e)
{
    return e == ENOENT ? "no such directory" : ct_errno_text(e);
}

int ct_make_dirs(const char *dir)
{
    if (*dir == '\0') {
        errno = ENOENT;
        return -1;
    }
    char *d = strdup(dir);
    if (d == NULL)
        return -1;
    int rc = 0;
    for (char *p = d + 1; *p && rc == 0; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(d, 0777) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    if (rc == 0 && mkdir(d, 0777) != 0 && errno != EEXIST)
        rc = -1;
    int e = errno;
    free(d);
    errno = e;
    return rc;
}
