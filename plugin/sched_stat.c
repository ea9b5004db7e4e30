/*
 * sched_stat.c - scheduler waits from /proc/thread-self/schedstat (see
 * sched.h), where perf is not permitted (perf_event_paranoid 3, seccomp,
 * containers) or its rings are all taken.
 *
 * The file's second field, run_delay, is the nanoseconds the thread has
 * spent runnable but not running, ever: the wait since the last read is the
 * difference, with no detail of when it happened or how many waits it holds.
 * A read costs a syscall (bench/sched), so it is only done at the rarer
 * poll points.
 *
 * The file stays open per thread (pread at offset 0 needs no reopen), up to
 * a budget of fds; past it, or after losing the fd, each read opens it. The
 * program may close our fd (closefrom) and reuse its number: we never close
 * a file that is not the one we opened, and a read that does not look like
 * schedstat, or a delay growing faster than time, drops the fd without
 * closing it.
 */
#include <errno.h>       /* errno */
#include <fcntl.h>       /* AT_FDCWD, O_CLOEXEC, F_DUPFD_CLOEXEC */
#include <sys/stat.h>    /* fstat */
#include <sys/syscall.h> /* SYS_openat, SYS_pread64, SYS_fcntl, SYS_close */
#include <unistd.h>      /* syscall */

#include "common/clock.h" /* ct__mono_ns */
#include "plugin/sched_source.h"

/* run_delay runs on the scheduler's clock, which NTP does not slew as it
 * does CLOCK_MONOTONIC (500 ppm at most): allow for that, and a little. */
#define SLACK_NS 1000000u
#define SLACK_SHIFT 9 /* 1/512 of the time that passed: 0.2% */

/* The file's operations are bare system calls: they are ours, not the
 * program's (no interposer must see them), and a deferred source opens from
 * a CPU sample's signal handler (sched.h), where looking up libc's
 * functions (dlsym) would not be safe. */
static void close_fd(int fd)
{
    syscall(SYS_close, fd);
}

/* The calling thread's file (/proc/thread-self: Linux 3.17 and later). */
static int open_schedstat(void)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/thread-self/schedstat",
                          O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && fd <= 2) {
        /* stdin, stdout or stderr was closed: keep the number for the
         * program, which may open something there expecting it. */
        int high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
        close_fd(fd);
        fd = high;
    }
    return fd;
}

/* "sum_exec_runtime run_delay pcount\n": the second number, or -1. */
static int parse(const char *text, size_t len, uint64_t *run_delay)
{
    uint64_t v[3] = {0, 0, 0};
    size_t i = 0;
    for (int field = 0; field < 3; field++) {
        size_t start = i;
        while (i < len && text[i] >= '0' && text[i] <= '9' && i - start < 20)
            v[field] = v[field] * 10 + (uint64_t)(text[i++] - '0');
        if (i == start || i >= len || text[i] != (field < 2 ? ' ' : '\n'))
            return -1;
        i++;
    }
    if (i != len)
        return -1;
    *run_delay = v[1];
    return 0;
}

static int read_fd(int fd, uint64_t *run_delay)
{
    char buf[96];
    ssize_t n = (ssize_t)syscall(SYS_pread64, fd, buf, sizeof buf, (off_t)0);
    return n > 0 ? parse(buf, (size_t)n, run_delay) : -1;
}

int ct__sched_stat_open(ct__sched *s, int keep_fd)
{
    s->fd = -1;
    int fd = open_schedstat();
    if (fd < 0)
        return -errno;
    uint64_t rd;
    struct stat st;
    uint64_t before = ct__mono_ns();
    if (read_fd(fd, &rd) != 0 || fstat(fd, &st) != 0) {
        close_fd(fd);
        return -ENOENT;
    }
    s->run_delay = s->read_delay = rd;
    s->read_ns = before;
    if (keep_fd) {
        s->fd = fd;
        s->fd_dev = (uint64_t)st.st_dev;
        s->fd_ino = (uint64_t)st.st_ino;
    } else {
        close_fd(fd);
    }
    return 0;
}

int ct__sched_stat_read(ct__sched *s, uint64_t *run_delay, uint64_t *now_ns)
{
    uint64_t rd;
    int ok;
    /* Before the read: the value is taken somewhere inside it, and a
     * preemption after that is counted in the next read's difference. */
    uint64_t before = ct__mono_ns();
    if (s->fd >= 0) {
        ok = read_fd(s->fd, &rd) == 0;
    } else {
        int fd = open_schedstat();
        ok = fd >= 0 && read_fd(fd, &rd) == 0;
        if (fd >= 0)
            close_fd(fd);
    }
    uint64_t now = ct__mono_ns();
    /* Not schedstat any more (our fd closed, its number reused), or a delay
     * that grew faster than time passed since before the last read: not
     * ours. */
    uint64_t passed = now - s->read_ns;
    if (!ok || rd < s->read_delay ||
        rd - s->read_delay > passed + (passed >> SLACK_SHIFT) + SLACK_NS) {
        s->fd = -1; /* never closed: it may be the program's now */
        return -1;
    }
    s->read_delay = rd;
    s->read_ns = before;
    *run_delay = rd;
    *now_ns = now;
    return 0;
}

void ct__sched_stat_close(ct__sched *s)
{
    struct stat st;
    if (s->fd >= 0 && fstat(s->fd, &st) == 0 && (uint64_t)st.st_dev == s->fd_dev &&
        (uint64_t)st.st_ino == s->fd_ino)
        close_fd(s->fd);
    s->fd = -1;
}
