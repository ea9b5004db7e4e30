/*
 * block_syscall.c - where threads wait on the kernel: sleeps and file
 * syncs, recorded as BLOCK events of kind syscall (FORMAT.md) when they
 * take at least CT_SYSCALL_MIN_US. Reads and writes on files and sockets,
 * poll/select/epoll (kind net) come next.
 *
 * glibc's usleep() and sleep() do not go through nanosleep()'s PLT entry:
 * each is taken on its own. Not tracing, each is one load and a branch.
 */
#include <stdint.h>
#include <time.h>   /* nanosleep, clock_nanosleep */
#include <unistd.h> /* usleep, sleep, fsync, fdatasync */

#include "format/wire.h" /* CT_BLOCK_SYSCALL */
#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_syscall_linked = 1;

CT_REAL(int, nanosleep, (const struct timespec *, struct timespec *))
CT_REAL(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *))
CT_REAL(int, usleep, (useconds_t))
CT_REAL(unsigned, sleep, (unsigned))
CT_REAL(int, fsync, (int))
CT_REAL(int, fdatasync, (int))

static void waited(uint64_t t0, uint64_t object)
{
    ct__interpose_waited(CT_BLOCK_SYSCALL, t0, CT_SYSCALL_MIN_US, object);
}

CT_EXPORT int nanosleep(const struct timespec *want, struct timespec *left)
{
    if (!ct__interpose_tracing())
        return get_nanosleep()(want, left);
    uint64_t t0 = ct__ticks();
    int rc = get_nanosleep()(want, left);
    waited(t0, 0);
    return rc;
}

CT_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *want,
                              struct timespec *left)
{
    if (!ct__interpose_tracing())
        return get_clock_nanosleep()(clock, flags, want, left);
    uint64_t t0 = ct__ticks();
    int rc = get_clock_nanosleep()(clock, flags, want, left);
    waited(t0, 0);
    return rc;
}

CT_EXPORT int usleep(useconds_t us)
{
    if (!ct__interpose_tracing())
        return get_usleep()(us);
    uint64_t t0 = ct__ticks();
    int rc = get_usleep()(us);
    waited(t0, 0);
    return rc;
}

CT_EXPORT unsigned sleep(unsigned s)
{
    if (!ct__interpose_tracing())
        return get_sleep()(s);
    uint64_t t0 = ct__ticks();
    unsigned left = get_sleep()(s);
    waited(t0, 0);
    return left;
}

CT_EXPORT int fsync(int fd)
{
    if (!ct__interpose_tracing())
        return get_fsync()(fd);
    uint64_t t0 = ct__ticks();
    int rc = get_fsync()(fd);
    waited(t0, (uint64_t)(unsigned)fd);
    return rc;
}

CT_EXPORT int fdatasync(int fd)
{
    if (!ct__interpose_tracing())
        return get_fdatasync()(fd);
    uint64_t t0 = ct__ticks();
    int rc = get_fdatasync()(fd);
    waited(t0, (uint64_t)(unsigned)fd);
    return rc;
}
