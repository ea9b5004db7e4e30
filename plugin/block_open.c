/*
 * block_open.c - where threads wait opening files: a FIFO until the other
 * end opens it, a file on a slow or remote file system. A call that took
 * at least CT_SYSCALL_MIN_US is a BLOCK event of kind syscall on the new
 * descriptor (0 if it failed); open() cannot open a socket.
 *
 * Both NAME and NAME64 are taken, and glibc's fortified __open_2 forms
 * (block_file.c says why, and why no _FILE_OFFSET_BITS or _FORTIFY_SOURCE).
 * fopen() opens from inside libc and is not seen here.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <fcntl.h>       /* open, openat, creat, O_CREAT, O_TMPFILE, AT_FDCWD */
#include <stdarg.h>      /* va_list */
#include <stdint.h>
#include <sys/stat.h>    /* mode_t */
#include <sys/syscall.h> /* SYS_openat */
#include <unistd.h>      /* syscall */

#include "format/wire.h" /* CT_BLOCK_SYSCALL */
#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_open_linked = 1;

/* glibc's fortified forms (_FORTIFY_SOURCE), for opens without a mode. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dir, const char *path, int flags);
int __openat64_2(int dir, const char *path, int flags);

CT_REAL(int, open, (const char *, int, ...))
CT_REAL(int, open64, (const char *, int, ...))
CT_REAL(int, openat, (int, const char *, int, ...))
CT_REAL(int, openat64, (int, const char *, int, ...))
CT_REAL(int, creat, (const char *, mode_t))
CT_REAL(int, creat64, (const char *, mode_t))
CT_REAL(int, __open_2, (const char *, int))
CT_REAL(int, __open64_2, (const char *, int))
CT_REAL(int, __openat_2, (int, const char *, int))
CT_REAL(int, __openat64_2, (int, const char *, int))

/* The mode argument is there only when the flags create a file. */
static int needs_mode(int flags)
{
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

#define MODE_AFTER(flags, last, mode)                                                  \
    do {                                                                               \
        if (needs_mode(flags)) {                                                       \
            va_list ap_;                                                               \
            va_start(ap_, last);                                                       \
            mode = (mode_t)va_arg(ap_, int);                                           \
            va_end(ap_);                                                               \
        }                                                                              \
    } while (0)

/* The call, timed when tracing, on the descriptor it returns. */
#define TIMED(call)                                                                    \
    do {                                                                               \
        if (!ct__interpose_tracing())                                                  \
            return call;                                                               \
        uint64_t t0_ = ct__ticks();                                                    \
        int fd_ = call;                                                                \
        ct__interpose_waited(CT_BLOCK_SYSCALL, t0_, CT_SYSCALL_MIN_US,                 \
                             fd_ >= 0 ? (uint64_t)fd_ : 0);                            \
        return fd_;                                                                    \
    } while (0)

/* What follows the real function's absence: dlsym() is looking that very
 * function up on this thread (interpose.h), so make the system call. */
#define OR_SYSCALL(fn, dir, path, flags, mode)                                         \
    do {                                                                               \
        if (__builtin_expect(fn == NULL, 0))                                           \
            return (int)syscall(SYS_openat, dir, path, flags, mode);                   \
    } while (0)

CT_EXPORT int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_AFTER(flags, flags, mode);
    int (*fn)(const char *, int, ...) = get_open();
    OR_SYSCALL(fn, AT_FDCWD, path, flags, mode);
    TIMED(fn(path, flags, mode));
}

CT_EXPORT int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_AFTER(flags, flags, mode);
    int (*fn)(const char *, int, ...) = get_open64();
    OR_SYSCALL(fn, AT_FDCWD, path, flags, mode);
    TIMED(fn(path, flags, mode));
}

CT_EXPORT int openat(int dir, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_AFTER(flags, flags, mode);
    int (*fn)(int, const char *, int, ...) = get_openat();
    OR_SYSCALL(fn, dir, path, flags, mode);
    TIMED(fn(dir, path, flags, mode));
}

CT_EXPORT int openat64(int dir, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_AFTER(flags, flags, mode);
    int (*fn)(int, const char *, int, ...) = get_openat64();
    OR_SYSCALL(fn, dir, path, flags, mode);
    TIMED(fn(dir, path, flags, mode));
}

CT_EXPORT int creat(const char *path, mode_t mode)
{
    TIMED(get_creat()(path, mode));
}

CT_EXPORT int creat64(const char *path, mode_t mode)
{
    TIMED(get_creat64()(path, mode));
}

CT_EXPORT int __open_2(const char *path, int flags)
{
    TIMED(get___open_2()(path, flags));
}

CT_EXPORT int __open64_2(const char *path, int flags)
{
    TIMED(get___open64_2()(path, flags));
}

CT_EXPORT int __openat_2(int dir, const char *path, int flags)
{
    TIMED(get___openat_2()(dir, path, flags));
}

CT_EXPORT int __openat64_2(int dir, const char *path, int flags)
{
    TIMED(get___openat64_2()(dir, path, flags));
}
