/*
 * block_flock.c - where threads wait for a file lock: flock() without
 * LOCK_NB, fcntl() with F_SETLKW or F_OFD_SETLKW, lockf() with F_LOCK. A
 * file lock held by another process or thread is a lock like a mutex, so a
 * wait of at least CT_SYNC_MIN_US is a BLOCK event of kind sync, on the fd.
 * Calls that cannot wait (every other fcntl command, the non-blocking and
 * unlocking forms) go straight to libc, tracing or not.
 *
 * glibc has fcntl64 and lockf64 beside fcntl and lockf: both are taken,
 * each with its own types, hence no _FILE_OFFSET_BITS here (block_file.c).
 */
#undef _FILE_OFFSET_BITS
#include <fcntl.h>    /* fcntl, fcntl64, F_SETLKW, F_OFD_SETLKW */
#include <stdarg.h>   /* va_list */
#include <stdint.h>
#include <sys/file.h> /* flock, LOCK_NB, LOCK_UN */
#include <unistd.h>   /* lockf, lockf64, F_LOCK */

#include "format/wire.h" /* CT_BLOCK_SYNC */
#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_flock_linked = 1;

CT_REAL(int, flock, (int, int))
CT_REAL(int, fcntl, (int, int, ...))
CT_REAL(int, fcntl64, (int, int, ...))
CT_REAL(int, lockf, (int, int, off_t))
CT_REAL(int, lockf64, (int, int, off64_t))

static int fcntl_waits(int cmd)
{
    switch (cmd) {
    case F_SETLKW:
#if defined F_SETLKW64 && F_SETLKW64 != F_SETLKW
    case F_SETLKW64:
#endif
#ifdef F_OFD_SETLKW
    case F_OFD_SETLKW:
#endif
        return 1;
    default:
        return 0;
    }
}

/* The call, timed when tracing and `waits`; on `fd`. */
#define TIMED_IF(waits, call, fd)                                                      \
    do {                                                                               \
        if (!(waits))                                                                  \
            return call;                                                               \
        CT_TIMED(call, CT_BLOCK_SYNC, CT_SYNC_MIN_US, (fd) >= 0 ? (uint64_t)(fd) : 0);  \
    } while (0)

CT_EXPORT int flock(int fd, int op)
{
    TIMED_IF(!(op & (LOCK_NB | LOCK_UN)), get_flock()(fd, op), fd);
}

/* fcntl's third argument is an int or a pointer, or absent: passed on as
 * the pointer-sized word glibc's own fcntl reads it as. */
#define THIRD_ARG(cmd, arg)                                                            \
    do {                                                                               \
        va_list ap_;                                                                   \
        va_start(ap_, cmd);                                                            \
        arg = va_arg(ap_, void *);                                                     \
        va_end(ap_);                                                                   \
    } while (0)

CT_EXPORT int fcntl(int fd, int cmd, ...)
{
    void *arg;
    THIRD_ARG(cmd, arg);
    TIMED_IF(fcntl_waits(cmd), get_fcntl()(fd, cmd, arg), fd);
}

CT_EXPORT int fcntl64(int fd, int cmd, ...)
{
    void *arg;
    THIRD_ARG(cmd, arg);
    TIMED_IF(fcntl_waits(cmd), get_fcntl64()(fd, cmd, arg), fd);
}

CT_EXPORT int lockf(int fd, int cmd, off_t len)
{
    TIMED_IF(cmd == F_LOCK, get_lockf()(fd, cmd, len), fd);
}

CT_EXPORT int lockf64(int fd, int cmd, off64_t len)
{
    TIMED_IF(cmd == F_LOCK, get_lockf64()(fd, cmd, len), fd);
}
