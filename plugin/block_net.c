/*
 * block_net.c - where threads wait on the network: socket calls and waits
 * for file descriptors to be ready (poll, select, epoll), recorded as BLOCK
 * events of kind net (FORMAT.md) when they take at least CT_NET_MIN_US.
 * read(2), write(2) and their kin on a socket are net blocks too: they are
 * in block_file.c, which tells sockets from files.
 */
#undef _FORTIFY_SOURCE /* its inline poll() and recv() would clash with ours */
#include <poll.h>
#include <signal.h>     /* sigset_t */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>

#include "format/wire.h" /* CT_BLOCK_NET */
#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_net_linked = 1;

/* glibc's fortified forms (_FORTIFY_SOURCE): the program calls these for
 * poll() and recv() on arrays and buffers of known size; they reach the
 * kernel from inside libc, so they are taken on their own. */
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                const sigset_t *mask, size_t fds_len);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buf_len, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buf_len, int flags,
                       struct sockaddr *from, socklen_t *from_len);

CT_REAL(int, poll, (struct pollfd *, nfds_t, int))
CT_REAL(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))
CT_REAL(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))
CT_REAL(int, pselect,
        (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))
CT_REAL(int, epoll_wait, (int, struct epoll_event *, int, int))
CT_REAL(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))
CT_REAL(int, accept, (int, struct sockaddr *, socklen_t *))
CT_REAL(int, accept4, (int, struct sockaddr *, socklen_t *, int))
CT_REAL(int, connect, (int, const struct sockaddr *, socklen_t))
CT_REAL(ssize_t, recv, (int, void *, size_t, int))
CT_REAL(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))
CT_REAL(ssize_t, recvmsg, (int, struct msghdr *, int))
CT_REAL(ssize_t, send, (int, const void *, size_t, int))
CT_REAL(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))
CT_REAL(ssize_t, sendmsg, (int, const struct msghdr *, int))
CT_REAL(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))
CT_REAL(int, __ppoll_chk,
        (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t))
CT_REAL(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))
CT_REAL(ssize_t, __recvfrom_chk,
        (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *))

/* The call, timed when tracing; `fd` names what it waited on. */
#define TIMED(call, fd) CT_TIMED(call, CT_BLOCK_NET, CT_NET_MIN_US, (fd) >= 0 ? (uint64_t)(fd) : 0)

CT_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    TIMED(get_poll()(fds, n, timeout), n ? fds[0].fd : -1);
}

CT_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                    const sigset_t *mask)
{
    TIMED(get_ppoll()(fds, n, timeout, mask), n ? fds[0].fd : -1);
}

CT_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
    TIMED(get_select()(n, r, w, e, timeout), -1);
}

CT_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *timeout,
                      const sigset_t *mask)
{
    TIMED(get_pselect()(n, r, w, e, timeout, mask), -1);
}

CT_EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    TIMED(get_epoll_wait()(epfd, events, max, timeout), epfd);
}

CT_EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout,
                          const sigset_t *mask)
{
    TIMED(get_epoll_pwait()(epfd, events, max, timeout, mask), epfd);
}

CT_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    TIMED(get_accept()(fd, addr, len), fd);
}

CT_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    TIMED(get_accept4()(fd, addr, len, flags), fd);
}

CT_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    TIMED(get_connect()(fd, addr, len), fd);
}

CT_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    TIMED(get_recv()(fd, buf, len, flags), fd);
}

CT_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                           socklen_t *from_len)
{
    TIMED(get_recvfrom()(fd, buf, len, flags, from, from_len), fd);
}

CT_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    TIMED(get_recvmsg()(fd, msg, flags), fd);
}

CT_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    TIMED(get_send()(fd, buf, len, flags), fd);
}

CT_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
                         const struct sockaddr *to, socklen_t to_len)
{
    TIMED(get_sendto()(fd, buf, len, flags, to, to_len), fd);
}

CT_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    TIMED(get_sendmsg()(fd, msg, flags), fd);
}

CT_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fds_len)
{
    TIMED(get___poll_chk()(fds, n, timeout, fds_len), n ? fds[0].fd : -1);
}

CT_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                          const sigset_t *mask, size_t fds_len)
{
    TIMED(get___ppoll_chk()(fds, n, timeout, mask, fds_len), n ? fds[0].fd : -1);
}

CT_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buf_len, int flags)
{
    TIMED(get___recv_chk()(fd, buf, len, buf_len, flags), fd);
}

CT_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buf_len, int flags,
                                 struct sockaddr *from, socklen_t *from_len)
{
    TIMED(get___recvfrom_chk()(fd, buf, len, buf_len, flags, from, from_len), fd);
}
