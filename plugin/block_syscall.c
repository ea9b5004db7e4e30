/*
 * block_syscall.c - where threads wait on the kernel: sleeps and writing
 * files back to the disk, recorded as BLOCK events of kind syscall
 * (FORMAT.md) when they take at least CT_SYSCALL_MIN_US. Reads, writes and
 * opens are in block_file.c and block_open.c, children and signals in
 * block_wait.c.
 *
 * glibc's usleep() and sleep() do not go through nanosleep()'s PLT entry:
 * each is taken on its own. Not tracing, each is one load and a branch.
 */
#include <fcntl.h>  /* sync_file_range */
#include <stdint.h>
#include <time.h>   /* nanosleep, clock_nanosleep */
#include <unistd.h> /* usleep, sleep, fsync, fdatasync, sync, syncfs */

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
CT_REAL(int, sync_file_range, (int, off64_t, off64_t, unsigned))
CT_REAL(void, sync, (void))
CT_REAL(int, syncfs, (int))

/* The call, timed when tracing; `object` names the file (0: none). */
#define TIMED(call, object) CT_TIMED(call, CT_BLOCK_SYSCALL, CT_SYSCALL_MIN_US, object)

static uint64_t fd_object(int fd)
{
    return fd >= 0 ? (uint64_t)fd : 0;
}

CT_EXPORT int nanosleep(const struct timespec *want, struct timespec *left)
{
    TIMED(get_nanosleep()(want, left), 0);
}

CT_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *want,
                              struct timespec *left)
{
    TIMED(get_clock_nanosleep()(clock, flags, want, left), 0);
}

CT_EXPORT int usleep(useconds_t us)
{
    TIMED(get_usleep()(us), 0);
}

CT_EXPORT unsigned sleep(unsigned s)
{
    TIMED(get_sleep()(s), 0);
}

CT_EXPORT int fsync(int fd)
{
    TIMED(get_fsync()(fd), fd_object(fd));
}

CT_EXPORT int fdatasync(int fd)
{
    TIMED(get_fdatasync()(fd), fd_object(fd));
}

CT_EXPORT int sync_file_range(int fd, off64_t from, off64_t len, unsigned flags)
{
    TIMED(get_sync_file_range()(fd, from, len, flags), fd_object(fd));
}

CT_EXPORT int syncfs(int fd)
{
    TIMED(get_syncfs()(fd), fd_object(fd));
}

CT_EXPORT void sync(void)
{
    if (!ct__interpose_tracing()) {
        get_sync()();
        return;
    }
    uint64_t t0 = ct__ticks();
    get_sync()();
    ct__interpose_waited(CT_BLOCK_SYSCALL, t0, CT_SYSCALL_MIN_US, 0);
}
