/*
 * block_file.c - where threads wait reading and writing file descriptors:
 * read/write and their positioned, vectored and fortified forms, and the
 * kernel-side copies (splice, tee, vmsplice, sendfile, copy_file_range).
 * A call that took at least CT_SYSCALL_MIN_US is a BLOCK event on its fd,
 * of kind net if the fd is a socket, else syscall (a regular file, a pipe
 * or FIFO, a terminal, a device: fd_kind.c), so that a read on a socket
 * counts as the recv it is.
 *
 * These are the program's hottest calls: not tracing, one load and a
 * branch before libc's; tracing, two clock reads more; fstat only for a
 * wait that is recorded. glibc's stdio (fread, fwrite, printf) calls the
 * kernel from inside libc and is not seen here.
 *
 * glibc has both NAME and NAME64 for the calls that take an offset (the
 * same code on 64-bit machines, not on 32-bit ones): both are taken, each
 * with its own types, hence no _FILE_OFFSET_BITS here. And no
 * _FORTIFY_SOURCE: its inline read() would clash with ours.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <fcntl.h>       /* splice, tee, vmsplice */
#include <stdint.h>
#include <sys/sendfile.h> /* sendfile, sendfile64 */
#include <sys/syscall.h> /* SYS_read, SYS_write */
#include <sys/uio.h>     /* readv, writev, preadv, pwritev, preadv2, pwritev2 */
#include <unistd.h>      /* read, write, pread, pwrite, copy_file_range, syscall */

#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_file_linked = 1;

/* glibc's fortified forms (_FORTIFY_SOURCE): the program calls these for
 * read() and pread() into a buffer of known size; they reach the kernel
 * from inside libc, so they are taken on their own. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buf_len);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t at, size_t buf_len);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t at, size_t buf_len);

CT_REAL(ssize_t, read, (int, void *, size_t))
CT_REAL(ssize_t, write, (int, const void *, size_t))
CT_REAL(ssize_t, pread, (int, void *, size_t, off_t))
CT_REAL(ssize_t, pread64, (int, void *, size_t, off64_t))
CT_REAL(ssize_t, pwrite, (int, const void *, size_t, off_t))
CT_REAL(ssize_t, pwrite64, (int, const void *, size_t, off64_t))
CT_REAL(ssize_t, readv, (int, const struct iovec *, int))
CT_REAL(ssize_t, writev, (int, const struct iovec *, int))
CT_REAL(ssize_t, preadv, (int, const struct iovec *, int, off_t))
CT_REAL(ssize_t, preadv64, (int, const struct iovec *, int, off64_t))
CT_REAL(ssize_t, pwritev, (int, const struct iovec *, int, off_t))
CT_REAL(ssize_t, pwritev64, (int, const struct iovec *, int, off64_t))
CT_REAL(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int))
CT_REAL(ssize_t, preadv64v2, (int, const struct iovec *, int, off64_t, int))
CT_REAL(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int))
CT_REAL(ssize_t, pwritev64v2, (int, const struct iovec *, int, off64_t, int))
CT_REAL(ssize_t, __read_chk, (int, void *, size_t, size_t))
CT_REAL(ssize_t, __pread_chk, (int, void *, size_t, off_t, size_t))
CT_REAL(ssize_t, __pread64_chk, (int, void *, size_t, off64_t, size_t))
CT_REAL(ssize_t, splice, (int, off64_t *, int, off64_t *, size_t, unsigned))
CT_REAL(ssize_t, tee, (int, int, size_t, unsigned))
CT_REAL(ssize_t, vmsplice, (int, const struct iovec *, size_t, unsigned))
CT_REAL(ssize_t, sendfile, (int, int, off_t *, size_t))
CT_REAL(ssize_t, sendfile64, (int, int, off64_t *, size_t))
CT_REAL(ssize_t, copy_file_range, (int, off64_t *, int, off64_t *, size_t, unsigned))

/* read and write without the real function: dlsym() is looking that very
 * function up on this thread (interpose.h), so make the system call. */

CT_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    ssize_t (*fn)(int, void *, size_t) = get_read();
    if (__builtin_expect(fn == NULL, 0))
        return syscall(SYS_read, fd, buf, n);
    CT_TIMED_IO(fn(fd, buf, n), fd, -1);
}

CT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t (*fn)(int, const void *, size_t) = get_write();
    if (__builtin_expect(fn == NULL, 0))
        return syscall(SYS_write, fd, buf, n);
    CT_TIMED_IO(fn(fd, buf, n), fd, -1);
}

CT_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t at)
{
    CT_TIMED_IO(get_pread()(fd, buf, n, at), fd, -1);
}

CT_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t at)
{
    CT_TIMED_IO(get_pread64()(fd, buf, n, at), fd, -1);
}

CT_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t at)
{
    CT_TIMED_IO(get_pwrite()(fd, buf, n, at), fd, -1);
}

CT_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t at)
{
    CT_TIMED_IO(get_pwrite64()(fd, buf, n, at), fd, -1);
}

CT_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    CT_TIMED_IO(get_readv()(fd, iov, n), fd, -1);
}

CT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    CT_TIMED_IO(get_writev()(fd, iov, n), fd, -1);
}

CT_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int n, off_t at)
{
    CT_TIMED_IO(get_preadv()(fd, iov, n, at), fd, -1);
}

CT_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int n, off64_t at)
{
    CT_TIMED_IO(get_preadv64()(fd, iov, n, at), fd, -1);
}

CT_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t at)
{
    CT_TIMED_IO(get_pwritev()(fd, iov, n, at), fd, -1);
}

CT_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int n, off64_t at)
{
    CT_TIMED_IO(get_pwritev64()(fd, iov, n, at), fd, -1);
}

CT_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int n, off_t at, int flags)
{
    CT_TIMED_IO(get_preadv2()(fd, iov, n, at, flags), fd, -1);
}

CT_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int n, off64_t at, int flags)
{
    CT_TIMED_IO(get_preadv64v2()(fd, iov, n, at, flags), fd, -1);
}

CT_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t at, int flags)
{
    CT_TIMED_IO(get_pwritev2()(fd, iov, n, at, flags), fd, -1);
}

CT_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int n, off64_t at, int flags)
{
    CT_TIMED_IO(get_pwritev64v2()(fd, iov, n, at, flags), fd, -1);
}

CT_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buf_len)
{
    CT_TIMED_IO(get___read_chk()(fd, buf, n, buf_len), fd, -1);
}

CT_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t at, size_t buf_len)
{
    CT_TIMED_IO(get___pread_chk()(fd, buf, n, at, buf_len), fd, -1);
}

CT_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t at, size_t buf_len)
{
    CT_TIMED_IO(get___pread64_chk()(fd, buf, n, at, buf_len), fd, -1);
}

/* Copies between two descriptors are net if either end is a socket (a
 * sendfile to a client waits for the network); the object is the socket
 * end, else the source. */

CT_EXPORT ssize_t splice(int in, off64_t *in_at, int out, off64_t *out_at, size_t n,
                         unsigned flags)
{
    CT_TIMED_IO(get_splice()(in, in_at, out, out_at, n, flags), in, out);
}

CT_EXPORT ssize_t tee(int in, int out, size_t n, unsigned flags)
{
    CT_TIMED_IO(get_tee()(in, out, n, flags), in, out);
}

CT_EXPORT ssize_t vmsplice(int fd, const struct iovec *iov, size_t n, unsigned flags)
{
    CT_TIMED_IO(get_vmsplice()(fd, iov, n, flags), fd, -1);
}

CT_EXPORT ssize_t sendfile(int out, int in, off_t *in_at, size_t n)
{
    CT_TIMED_IO(get_sendfile()(out, in, in_at, n), in, out);
}

CT_EXPORT ssize_t sendfile64(int out, int in, off64_t *in_at, size_t n)
{
    CT_TIMED_IO(get_sendfile64()(out, in, in_at, n), in, out);
}

CT_EXPORT ssize_t copy_file_range(int in, off64_t *in_at, int out, off64_t *out_at, size_t n,
                                  unsigned flags)
{
    CT_TIMED_IO(get_copy_file_range()(in, in_at, out, out_at, n, flags), in, out);
}
