/*
 * serve.c - live capture, as Go's net/http/pprof: ct_serve(ADDR), or
 * CTRACE_HTTP=ADDR read before main, serves GET /debug/pprof/trace?seconds=N
 * with a trace of the next N seconds.
 *
 * One listener thread, never traced, with every signal blocked: a poll()
 * loop over the listening socket and up to MAX_CONNS connections, each with
 * a deadline, so that a slow or silent client holds one slot and nothing
 * else. A capture is selftrace.c's session writing into a memfd; the trace
 * goes to the client once the N seconds end, never while the program runs
 * (a slow reader would make its threads wait for room). Between captures
 * the tracer is off: annotations cost what they cost untraced.
 */
#include <errno.h>       /* errno */
#include <netinet/in.h>  /* IPPROTO_IPV6, IPV6_V6ONLY */
#include <fcntl.h>       /* fcntl */
#include <pthread.h>     /* pthread_mutex_lock, pthread_timedjoin_np */
#include <stdio.h>       /* fprintf */
#include <stdlib.h>      /* atexit, calloc, getenv */
#include <string.h>      /* memcpy, strlen */
#include <sys/resource.h> /* getrlimit */
#include <sys/mman.h>    /* memfd_create */
#include <sys/socket.h>  /* socket, accept4 */
#include <sys/stat.h>    /* lstat, chmod */
#include <sys/un.h>      /* sockaddr_un */
#include <poll.h>        /* poll */
#include <time.h>        /* clock_gettime */
#include <unistd.h>      /* close, pread, pipe2 */

#include <ctrace.h>
#include <ctrace_collect.h> /* CT_ENV_HTTP */

#include "common/clock.h"
#include "common/env_once.h"
#include "plugin/own_thread.h"
#include "plugin/selftrace.h"
#include "plugin/serve.h"
#include "plugin/serve_addr.h"
#include "plugin/serve_http.h"
#include "plugin/thread.h"

#define MAX_CONNS 16
#define HEAD_TIMEOUT_NS 5000000000ull  /* the whole request head within 5 s */
#define SEND_STALL_NS 10000000000ull   /* a response that does not move for 10 s */
#define SEND_WHOLE_NS 120000000000ull  /* nor take more than 2 min in all */
#define LINGER_NS 2000000000ull        /* reading what the client still sends */
#define ACCEPT_PAUSE_NS 100000000ull   /* after accept() fails (EMFILE) */
#define POLL_ERROR_PAUSE_MS 100        /* after poll() fails other than EINTR */
#define CAPTURE_LOOK_NS 100000000ull   /* a capture's size is looked at this often */
#define EXIT_JOIN_S 5                  /* exit waits this long for the listener */
#define SEND_CHUNK 65536
/* A capture ends early once its trace is this big (the memfd is memory,
 * charged to the program): the client gets what is whole, and a header
 * saying so (CT_HTTP_CUT_HEADER). */
#define CAPTURE_MAX_BYTES (256ull << 20)
#define HIGH_FD_FLOOR 512 /* our descriptors from here up, where RLIMIT_NOFILE allows */

static void *listener_main(void *arg);

enum conn_state { C_FREE, C_READ, C_CAPTURE, C_SEND, C_LINGER };

/* A descriptor we opened, known by what it holds: the program may close its
 * number (a daemon closing every fd) and open something else there. Before
 * each use the number is checked to still hold our file (fstat's device and
 * inode); when it does not, it is never used, written nor closed again. */
typedef struct owned {
    int fd; /* -1: none */
    dev_t dev;
    ino_t ino;
} owned;

struct conn {
    owned sock;
    int state;
    uint64_t deadline; /* CLOCK_MONOTONIC ns: the state's end (the capture's, in C_CAPTURE) */
    uint64_t send_until; /* C_SEND: the response's last moment */
    size_t in_len;
    char in[CT_HTTP_HEAD_MAX];
    char out[1024]; /* the response head, and an error's text */
    size_t out_len, out_off;
    owned body; /* the capture's trace (a memfd) */
    uint64_t body_len, body_off;
    int cut; /* the capture reached CAPTURE_MAX_BYTES */
};

static pthread_mutex_t serve_lock = PTHREAD_MUTEX_INITIALIZER; /* ct_serve, exit */
static struct {
    int serving; /* atomic */
    int quit;    /* atomic: the listener ends */
    int is_unix; /* no Host check on a Unix socket: no browser reaches it */
    owned listen, wake_rd, wake_wr; /* wake: a pipe (an eventfd's inode is shared by all) */
    ct__own_thread listener; /* listener_main, signals blocked (own_thread.h) */
    char address[160];
    int unix_bound; /* the socket file to remove at exit, if still ours */
    dev_t unix_dev;
    ino_t unix_ino;
    char unix_path[sizeof ((struct sockaddr_un *)0)->sun_path];
    struct conn *conns; /* MAX_CONNS; the listener's alone while it runs */
    int capturing;      /* the connection a capture runs for, or -1 */
    uint64_t accept_paused_until;
} srv = {.listen = {.fd = -1}, .wake_rd = {.fd = -1}, .wake_wr = {.fd = -1}, .capturing = -1,
         .listener = {.main = listener_main}};

/* ---- descriptors we own ------------------------------------------------------ */

/* Take fd (close-on-exec) as ours: moved up to HIGH_FD_FLOOR or above, away
 * from the low numbers a program opens and reuses first, and its identity
 * noted. @return 0, or -1 with fd closed. */
static int own(owned *o, int fd)
{
    struct rlimit lim;
    int floor = HIGH_FD_FLOOR;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < 2u * HIGH_FD_FLOOR)
        floor = (int)(lim.rlim_cur / 2);
    if (fd >= 0 && fd < floor) {
        int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
        if (high >= 0) {
            close(fd);
            fd = high;
        }
    }
    struct stat st;
    o->fd = -1;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *o = (owned){.fd = fd, .dev = st.st_dev, .ino = st.st_ino};
    return 0;
}

/* The number still holds our file; its size in *size if asked. */
static int ours(const owned *o, off_t *size)
{
    struct stat st;
    if (o->fd < 0 || fstat(o->fd, &st) != 0 || st.st_dev != o->dev || st.st_ino != o->ino)
        return 0;
    if (size)
        *size = st.st_size;
    return 1;
}

/* Close it if it is still ours; never touch the number again. */
static void release(owned *o)
{
    if (ours(o, NULL))
        close(o->fd);
    o->fd = -1;
}

/* ---- connections ----------------------------------------------------------- */

/* Shut down before closing: a forked child holding a copy of the descriptor
 * must not keep the client waiting. */
static void conn_close(struct conn *c)
{
    if (ours(&c->sock, NULL)) {
        shutdown(c->sock.fd, SHUT_RDWR);
        close(c->sock.fd);
    }
    c->sock.fd = -1;
    release(&c->body);
    c->state = C_FREE;
}

static void conn_send_state(struct conn *c, uint64_t now)
{
    c->out_off = 0;
    c->body_off = 0;
    c->state = C_SEND;
    c->send_until = now + SEND_WHOLE_NS;
    c->deadline = now + SEND_STALL_NS;
}

/* An error response: `status` with `text` and a newline as its body. */
static void respond_text(struct conn *c, int status, const char *text, uint64_t now)
{
    size_t n = strlen(text);
    size_t room = sizeof c->out - 1;
    size_t head = ct__http_response_head(c->out, room, status, n + 1, 0);
    if (head == 0 || head + n + 1 > room) { /* cannot happen with our texts */
        conn_close(c);
        return;
    }
    memcpy(c->out + head, text, n);
    c->out[head + n] = '\n';
    c->out_len = head + n + 1;
    release(&c->body);
    c->body_len = 0;
    conn_send_state(c, now);
}

static const char *busy_text(int owner)
{
    switch (owner) {
    case CT_SELF_RUNNER:
        return "ctrace: the tracer is owned by ctest-trace (the runner) in this process: "
               "no live capture under it";
    case CT_SELF_START:
        return "ctrace: the tracer is owned by ct_start() in this process: a live capture "
               "can run once ct_stop() ends it";
    default:
        return "ctrace: a capture is already running: one at a time; try again when it ends";
    }
}

static void start_capture(struct conn *c, int index, uint64_t ns, uint64_t now)
{
    if (srv.capturing >= 0) {
        respond_text(c, 409, busy_text(CT_SELF_CAPTURE), now);
        return;
    }
    char text[200];
    int fd = memfd_create("ctrace-capture", MFD_CLOEXEC);
    /* The writer's own descriptor on it, high too; it checks it (ct_tw_guard_fd). */
    int dup_fd = fd >= 0 && own(&c->body, fd) == 0
                     ? fcntl(c->body.fd, F_DUPFD_CLOEXEC, c->body.fd)
                     : -1;
    if (dup_fd < 0) {
        snprintf(text, sizeof text, "ctrace: no file to capture into: %s", strerror(errno));
        respond_text(c, 500, text, now);
        return;
    }
    int owner;
    int rc = ct__self_start_fd(dup_fd, CT_SELF_CAPTURE, &owner);
    if (rc != 0) {
        if (rc == CT_EALREADY) {
            respond_text(c, 409, busy_text(owner), now);
        } else {
            snprintf(text, sizeof text, "ctrace: could not start tracing: %s",
                     ct_strerror(rc));
            respond_text(c, 500, text, now);
        }
        return;
    }
    c->cut = 0;
    c->state = C_CAPTURE;
    c->deadline = now + ns;
    srv.capturing = index;
}

/* The capture's N seconds are over (or its client left: `keep` 0). */
static void finish_capture(struct conn *c, int keep, uint64_t now)
{
    int rc = ct__self_stop(CT_SELF_CAPTURE);
    srv.capturing = -1;
    if (!keep) {
        conn_close(c);
        return;
    }
    off_t size = 0;
    if (rc == 0 && !ours(&c->body, &size))
        rc = CT_EIO; /* the program closed the capture's file */
    if (rc != 0) {
        char text[200];
        snprintf(text, sizeof text, "ctrace: the capture failed: %s", ct_strerror(rc));
        respond_text(c, 500, text, now);
        return;
    }
    c->body_len = (uint64_t)size;
    c->out_len = ct__http_response_head(c->out, sizeof c->out, 200, c->body_len,
                                        c->cut ? CT_HTTP_TRACE_CUT : 1);
    conn_send_state(c, now);
}

/* A whole request head has come: judge it, then answer or capture. */
static void on_request(struct conn *c, int index, size_t head_len, uint64_t now)
{
    uint64_t ns = 0;
    const char *why = "";
    int status = ct__http_judge(c->in, head_len, &ns, &why);
    if (status == 200 && !srv.is_unix && !ct__http_host_ok(c->in, head_len)) {
        status = 403;
        why = "the Host header names neither localhost nor an IP address: refused, as a web "
              "page's request by a name rebound to this machine would be";
    }
    if (status != 200) {
        char text[240];
        snprintf(text, sizeof text, "ctrace: %s", why);
        respond_text(c, status, text, now);
        return;
    }
    start_capture(c, index, ns, now);
}

static void on_readable(struct conn *c, int index, uint64_t now)
{
    ssize_t n = recv(c->sock.fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) { /* the client left before asking anything whole */
        conn_close(c);
        return;
    }
    c->in_len += (size_t)n;
    size_t head = ct__http_head_end(c->in, c->in_len);
    if (head > 0)
        on_request(c, index, head, now);
    else if (c->in_len == sizeof c->in)
        respond_text(c, 431, "ctrace: the request head is longer than 8 KiB", now);
}

/* Send what the socket takes: the head, then the trace from its file. */
static void on_writable(struct conn *c, uint64_t now)
{
    char chunk[SEND_CHUNK];
    for (;;) {
        const char *p;
        size_t n;
        if (c->out_off < c->out_len) {
            p = c->out + c->out_off;
            n = c->out_len - c->out_off;
        } else if (c->body_off < c->body_len) {
            uint64_t left = c->body_len - c->body_off;
            ssize_t r = pread(c->body.fd, chunk,
                              left < sizeof chunk ? (size_t)left : sizeof chunk,
                              (off_t)c->body_off);
            if (r <= 0) {
                conn_close(c);
                return;
            }
            p = chunk;
            n = (size_t)r;
        } else {
            /* All sent: read what the client still sends before closing, so
             * that unread bytes do not reset the connection under the reply. */
            shutdown(c->sock.fd, SHUT_WR);
            release(&c->body);
            c->state = C_LINGER;
            c->deadline = now + LINGER_NS;
            return;
        }
        ssize_t w = send(c->sock.fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (w <= 0) {
            conn_close(c);
            return;
        }
        if (c->out_off < c->out_len)
            c->out_off += (size_t)w;
        else
            c->body_off += (uint64_t)w;
        c->deadline = now + SEND_STALL_NS < c->send_until ? now + SEND_STALL_NS : c->send_until;
    }
}

static void on_linger(struct conn *c)
{
    char sink[4096];
    ssize_t n = recv(c->sock.fd, sink, sizeof sink, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    conn_close(c); /* end of stream, or an error */
}

static void on_deadline(struct conn *c, uint64_t now)
{
    switch (c->state) {
    case C_READ:
        respond_text(c, 408, "ctrace: the request head did not come within 5 seconds", now);
        break;
    case C_CAPTURE:
        finish_capture(c, 1, now);
        break;
    default:
        conn_close(c);
    }
}

/* Take one pending connection (the listening socket was just checked ours,
 * so it is non-blocking); with no slot free, refuse it at once. */
static void accept_one(uint64_t now)
{
    int fd = accept4(srv.listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            srv.accept_paused_until = now + ACCEPT_PAUSE_NS; /* EMFILE: try later */
        return;
    }
    struct conn *c = NULL;
    for (int i = 0; i < MAX_CONNS && !c; i++)
        if (srv.conns[i].state == C_FREE)
            c = &srv.conns[i];
    if (!c) {
        static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                                   "Content-Length: 0\r\nConnection: close\r\n\r\n";
        (void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(fd, SHUT_RDWR);
        close(fd);
        return;
    }
    if (own(&c->sock, fd) != 0)
        return;
    c->body.fd = -1;
    c->in_len = 0;
    c->state = C_READ;
    c->deadline = now + HEAD_TIMEOUT_NS;
}

/* ---- the listener ---------------------------------------------------------- */

static short events_of(const struct conn *c)
{
    switch (c->state) {
    case C_READ:
    case C_LINGER:
        return POLLIN;
    case C_SEND:
        return POLLOUT;
    case C_CAPTURE:
        return POLLRDHUP; /* the client leaving ends the capture early */
    default:
        return 0;
    }
}

/* After poll, before any use: a connection whose socket or capture file the
 * program closed is gone (its numbers are left alone); a capture reaching
 * its size cap ends early, and says so. */
static void check_conns(uint64_t now)
{
    for (int i = 0; i < MAX_CONNS; i++) {
        struct conn *c = &srv.conns[i];
        off_t size = 0;
        if (c->state == C_FREE)
            continue;
        if (!ours(&c->sock, NULL) || (c->body.fd >= 0 && !ours(&c->body, &size))) {
            if (srv.capturing == i)
                finish_capture(c, 0, now); /* closes only what is still ours */
            else
                conn_close(c);
        } else if (srv.capturing == i && (uint64_t)size >= CAPTURE_MAX_BYTES) {
            c->cut = 1;
            finish_capture(c, 1, now);
        }
    }
}

/* The listener ends: a capture still running ends (its client gets a closed
 * connection), and every descriptor still ours closes. */
static void serve_end(void)
{
    if (srv.capturing >= 0)
        finish_capture(&srv.conns[srv.capturing], 0, 0);
    for (int i = 0; i < MAX_CONNS; i++)
        if (srv.conns[i].state != C_FREE)
            conn_close(&srv.conns[i]);
    release(&srv.listen);
    release(&srv.wake_rd);
}

static void serve_loop(void)
{
    struct pollfd pfd[2 + MAX_CONNS];
    int slot[2 + MAX_CONNS];
    while (!__atomic_load_n(&srv.quit, __ATOMIC_ACQUIRE)) {
        /* At least once a second: a closed descriptor is seen by the next
         * poll, not by the one waiting on it. */
        uint64_t now = ct__mono_ns(), next = now + 1000000000ull;
        nfds_t n = 0;
        pfd[n++] = (struct pollfd){.fd = srv.wake_rd.fd, .events = POLLIN};
        if (now >= srv.accept_paused_until)
            pfd[n++] = (struct pollfd){.fd = srv.listen.fd, .events = POLLIN};
        else if (srv.accept_paused_until < next)
            next = srv.accept_paused_until;
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &srv.conns[i];
            if (c->state == C_FREE)
                continue;
            slot[n] = i;
            pfd[n++] = (struct pollfd){.fd = c->sock.fd, .events = events_of(c)};
            if (c->deadline < next)
                next = c->deadline;
            if (c->state == C_CAPTURE && now + CAPTURE_LOOK_NS < next)
                next = now + CAPTURE_LOOK_NS; /* its size */
        }
        int timeout_ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
        if (poll(pfd, n, timeout_ms) < 0) {
            if (errno != EINTR)
                poll(NULL, 0, POLL_ERROR_PAUSE_MS); /* ENOMEM: not a busy loop */
            continue;
        }
        if (__atomic_load_n(&srv.quit, __ATOMIC_ACQUIRE))
            break;
        /* The program may have closed our descriptors (a daemon closing
         * every fd) and opened its own on their numbers while we waited. */
        if (!ours(&srv.wake_rd, NULL) || !ours(&srv.listen, NULL))
            break; /* serve no more */
        now = ct__mono_ns();
        check_conns(now);
        int accept_ready = 0;
        for (nfds_t k = 0; k < n; k++) {
            short re = pfd[k].revents;
            if (k == 0) {
                char sink[64];
                if (re & POLLIN)
                    (void)!read(srv.wake_rd.fd, sink, sizeof sink);
                continue;
            }
            if (pfd[k].fd == srv.listen.fd) {
                accept_ready = (re & POLLIN) != 0;
                continue;
            }
            struct conn *c = &srv.conns[slot[k]];
            if (c->state == C_FREE || c->sock.fd != pfd[k].fd)
                continue; /* closed by check_conns, or the slot taken again */
            if (c->state == C_CAPTURE && (re & (POLLHUP | POLLERR | POLLNVAL)))
                finish_capture(c, 0, now); /* gone: nobody to send to */
            else if (c->state == C_CAPTURE && (re & POLLRDHUP))
                finish_capture(c, 1, now); /* done asking: send what there is, as Go does */
            else if (re & (POLLHUP | POLLERR | POLLNVAL) && c->state != C_READ &&
                     c->state != C_LINGER)
                conn_close(c);
            else if (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
                c->state == C_LINGER ? on_linger(c) : on_readable(c, slot[k], now);
            else if (re & POLLOUT)
                on_writable(c, now);
        }
        for (int i = 0; i < MAX_CONNS; i++)
            if (srv.conns[i].state != C_FREE && srv.conns[i].deadline <= now)
                on_deadline(&srv.conns[i], now);
        if (accept_ready) /* last: the slots freed above take new clients */
            accept_one(now);
    }
    serve_end();
}

static void *listener_main(void *arg)
{
    (void)arg;
    ct__thread_never_trace();
    serve_loop();
    return NULL;
}

/* ---- start, exit, fork ----------------------------------------------------- */

/* Exit: wake the listener and wait for it, a bounded time (a listener that
 * does not end is left to the exit, and its descriptors with it). */
static void stop_at_exit(void)
{
    pthread_mutex_lock(&serve_lock);
    if (__atomic_load_n(&srv.serving, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&srv.quit, 1, __ATOMIC_RELEASE);
        if (ours(&srv.wake_wr, NULL))
            (void)!write(srv.wake_wr.fd, "q", 1);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += EXIT_JOIN_S;
        if (pthread_timedjoin_np(srv.listener.id, NULL, &until) == 0) {
            release(&srv.wake_wr);
            struct stat st;
            if (srv.unix_bound && lstat(srv.unix_path, &st) == 0 &&
                st.st_dev == srv.unix_dev && st.st_ino == srv.unix_ino)
                unlink(srv.unix_path);
            free(srv.conns);
            srv.conns = NULL;
            __atomic_store_n(&srv.serving, 0, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&serve_lock);
}

/* A forked child has no listener thread: it serves nothing, and must not
 * hold the listening socket (connections would queue there unanswered), the
 * connections (a client would wait for the child's end) nor the captures'
 * files, nor remove the parent's socket file. Closing is all it does: a
 * shutdown would cut the parent's connections too. */
static void forget_in_child(void)
{
    pthread_mutex_init(&serve_lock, NULL);
    if (!srv.serving)
        return;
    release(&srv.listen);
    release(&srv.wake_rd);
    release(&srv.wake_wr);
    for (int i = 0; srv.conns && i < MAX_CONNS; i++) {
        release(&srv.conns[i].sock);
        release(&srv.conns[i].body);
        srv.conns[i].state = C_FREE;
    }
    srv.unix_bound = 0;
    srv.capturing = -1;
    srv.serving = 0;
}

/* A Unix socket's path: a socket left by an earlier run is replaced; a live
 * one, or a file that is not a socket, is not. */
static int clear_unix_path(const struct sockaddr_un *un, socklen_t len)
{
    struct stat st;
    if (lstat(un->sun_path, &st) != 0)
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        errno = EEXIST;
        return CT_EINVAL;
    }
    /* Non-blocking: a live server with a full backlog (EAGAIN) must not
     * hold ct_serve, nor the program's start. */
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int live = probe >= 0 && (connect(probe, (const struct sockaddr *)un, len) == 0 ||
                              errno == EAGAIN || errno == EINPROGRESS);
    if (probe >= 0)
        close(probe);
    if (live) {
        errno = EADDRINUSE;
        return CT_ESYSTEM;
    }
    return unlink(un->sun_path) == 0 || errno == ENOENT ? 0 : CT_ESYSTEM;
}

/* A listening socket on `a`, or a CT_E* code (errno tells). */
static int listen_on(const ct_serve_addr *a, int *out)
{
    int family = a->sa.ss_family;
    const struct sockaddr_un *un = (const struct sockaddr_un *)&a->sa;
    if (family == AF_UNIX) {
        int rc = clear_unix_path(un, a->len);
        if (rc != 0)
            return rc;
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return CT_ESYSTEM;
    int one = 1;
    if (family != AF_UNIX)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct stat st;
    /* A Unix socket is 0600 before it listens: nobody else connects, ever. */
    if (bind(fd, (const struct sockaddr *)&a->sa, a->len) != 0 ||
        (family == AF_UNIX && (chmod(un->sun_path, 0600) != 0 || lstat(un->sun_path, &st) != 0)) ||
        listen(fd, 64) != 0) {
        int e = errno;
        if (family == AF_UNIX)
            unlink(un->sun_path);
        close(fd);
        errno = e;
        return CT_ESYSTEM;
    }
    if (family == AF_UNIX) {
        srv.unix_bound = 1;
        srv.unix_dev = st.st_dev;
        srv.unix_ino = st.st_ino;
        memcpy(srv.unix_path, un->sun_path, sizeof srv.unix_path);
    }
    *out = fd;
    return 0;
}

/* Under serve_lock: listen on `text` and start the listener. */
static int serve_locked(const char *text, const char **why)
{
    ct_serve_addr a;
    if (__atomic_load_n(&srv.serving, __ATOMIC_ACQUIRE)) {
        *why = "already serving";
        return CT_EALREADY;
    }
    int rc = ct__serve_addr_parse(text, &a, why);
    if (rc != 0)
        return rc;
    *why = NULL; /* errno tells */
    if (!srv.conns && !(srv.conns = calloc(MAX_CONNS, sizeof *srv.conns)))
        return CT_ENOMEM;
    for (int i = 0; i < MAX_CONNS; i++) {
        srv.conns[i].state = C_FREE;
        srv.conns[i].sock.fd = srv.conns[i].body.fd = -1;
    }
    ct_env_freeze(); /* the listener starts captures: no getenv there */
    srv.unix_bound = 0;
    int fd;
    rc = listen_on(&a, &fd);
    if (rc != 0)
        return rc;
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (getsockname(fd, (struct sockaddr *)&bound, &len) != 0) {
        bound = a.sa;
        len = a.len;
    }
    ct__serve_addr_format((struct sockaddr *)&bound, len, srv.address, sizeof srv.address);
    srv.is_unix = a.sa.ss_family == AF_UNIX;
    int wake[2];
    rc = own(&srv.listen, fd);
    if (rc == 0 && pipe2(wake, O_CLOEXEC | O_NONBLOCK) == 0) {
        if (own(&srv.wake_rd, wake[0]) != 0 || own(&srv.wake_wr, wake[1]) != 0)
            rc = -1;
    } else {
        rc = -1;
    }
    static int hooks_done;
    if (!hooks_done)
        hooks_done = atexit(stop_at_exit) == 0 && pthread_atfork(NULL, NULL, forget_in_child) == 0;
    __atomic_store_n(&srv.quit, 0, __ATOMIC_RELEASE);
    srv.capturing = -1;
    srv.accept_paused_until = 0;
    rc = rc != 0 || !hooks_done ? CT_ESYSTEM : ct__own_thread_start(&srv.listener);
    if (rc != 0) {
        int e = rc > 0 ? rc : errno;
        release(&srv.listen);
        release(&srv.wake_rd);
        release(&srv.wake_wr);
        if (srv.unix_bound)
            unlink(srv.unix_path);
        srv.unix_bound = 0;
        errno = e;
        return CT_ESYSTEM;
    }
    __atomic_store_n(&srv.serving, 1, __ATOMIC_RELEASE);
    return 0;
}

int ct_serve(const char *addr)
{
    const char *why;
    pthread_mutex_lock(&serve_lock);
    int rc = serve_locked(addr, &why);
    pthread_mutex_unlock(&serve_lock);
    return rc;
}

const char *ct_serve_address(void)
{
    return __atomic_load_n(&srv.serving, __ATOMIC_ACQUIRE) ? srv.address : NULL;
}

void ct__serve_from_env(void)
{
    const char *text = getenv(CT_ENV_HTTP);
    if (!text)
        return;
    char *copy = strdup(text);
    unsetenv(CT_ENV_HTTP); /* programs this one starts do not serve on it too */
    if (!copy)
        return;
    const char *why;
    pthread_mutex_lock(&serve_lock);
    int rc = serve_locked(copy, &why);
    pthread_mutex_unlock(&serve_lock);
    if (rc != 0)
        fprintf(stderr, "ctrace: %s=\"%.100s\": %s: not serving live captures\n", CT_ENV_HTTP,
                copy, why ? why : strerror(errno));
    else if (strlen(copy) >= 2 && strcmp(copy + strlen(copy) - 2, ":0") == 0)
        /* the kernel picked the port: say which */
        fprintf(stderr, "ctrace: %s: serving live captures at http://%s%s?seconds=N\n",
                CT_ENV_HTTP, srv.address, CT_HTTP_PATH);
    free(copy);
}
