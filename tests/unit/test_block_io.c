/*
 * test_block_io.c - waits in read, write and open, traced with ct_start()
 * and read back: kind syscall on pipes and files, net on sockets; calls
 * that do not wait are not recorded; errno is the call's; a thread
 * cancelled inside a traced read leaves the trace whole. (A signal handler
 * that writes while its thread is inside a traced read: examples/io.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>    /* dlsym, dladdr */
#include <errno.h>
#include <fcntl.h>    /* open */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* getenv */
#include <poll.h>      /* ppoll */
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>    /* readv */
#include <time.h>       /* clock_nanosleep */
#include <sys/stat.h> /* mkfifo */
#include <unistd.h>

#include "blocks.h"
#include "common/clock.h"     /* ct__ticks */
#include "plugin/interpose.h" /* ct__interpose_record_io */

static void write_byte(void *arg)
{
    char c = 'x';
    assert_int_equal(write(*(int *)arg, &c, 1), 1);
}

static void test_pipe_read_is_a_syscall_wait(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pthread_t th = blocks_after_ms(20, write_byte, &p[1]);
    char c;
    assert_int_equal(read(p[0], &c, 1), 1); /* waits about 20 ms */
    pthread_join(th, NULL);
    tevs t;
    blocks_read(&t);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYSCALL, (uint64_t)p[0], blocks_tid()) >= WAITED_20MS);
    assert_int_equal(blocks_count(&t, CTR_BLOCK_NET, ANY_OBJECT, blocks_tid()), 0);
    tevs_free(&t);
    close(p[0]);
    close(p[1]);
}

static void test_socket_read_is_a_net_wait(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t th = blocks_after_ms(20, write_byte, &sv[1]);
    char c;
    assert_int_equal(read(sv[0], &c, 1), 1); /* read(2), not recv: still the network */
    pthread_join(th, NULL);
    tevs t;
    blocks_read(&t);
    assert_true(blocks_longest(&t, CTR_BLOCK_NET, (uint64_t)sv[0], blocks_tid()) >= WAITED_20MS);
    assert_int_equal(blocks_count(&t, CTR_BLOCK_SYSCALL, (uint64_t)sv[0], blocks_tid()), 0);
    tevs_free(&t);
    close(sv[0]);
    close(sv[1]);
}

static void test_reads_that_do_not_wait_are_not_recorded(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    char buf[1000] = {0};
    assert_int_equal(write(p[1], buf, sizeof buf), (ssize_t)sizeof buf);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(read(p[0], buf, 1), 1); /* the byte is there: about 1 us */
    tevs t;
    blocks_read(&t);
    /* Not 0: a read the scheduler preempted did wait, for a CPU. */
    assert_true(blocks_count(&t, CTR_BLOCK_SYSCALL, (uint64_t)p[0], blocks_tid()) <= 20);
    tevs_free(&t);
    close(p[0]);
    close(p[1]);
}

static void open_writer(void *arg)
{
    int fd = open((const char *)arg, O_WRONLY);
    assert_true(fd >= 0);
    close(fd);
}

static void test_fifo_open_is_a_syscall_wait(void **state)
{
    (void)state;
    char fifo[512];
    const char *dir = getenv("TMPDIR");
    snprintf(fifo, sizeof fifo, "%s/ctrace-fifo-%d", dir ? dir : "/tmp", (int)getpid());
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pthread_t th = blocks_after_ms(20, open_writer, fifo);
    int fd = open(fifo, O_RDONLY); /* until the writer opens it */
    assert_true(fd >= 0);
    pthread_join(th, NULL);
    tevs t;
    blocks_read(&t);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYSCALL, (uint64_t)fd, blocks_tid()) >= WAITED_20MS);
    tevs_free(&t);
    close(fd);
    unlink(fifo);
}

/* Recording a wait on an fd that is no longer open: fstat fails, and errno
 * is still what the call left. (examples/io checks EBADF and EINTR as a
 * program sees them.) */
static void test_recording_keeps_errno(void **state)
{
    (void)state;
    int gone = 1000000;
    errno = ENOTTY;
    ct__interpose_record_io(ct__ticks(), gone, -1, 0);
    assert_int_equal(errno, ENOTTY);
    tevs t;
    blocks_read(&t);
    assert_int_equal(blocks_count(&t, CTR_BLOCK_SYSCALL, (uint64_t)gone, blocks_tid()), 1);
    tevs_free(&t);
}

/* A thread cancelled inside a traced read unwinds through the interposer;
 * its cleanup handler's sleep is still recorded. */
static pid_t cancelled_tid;

static void after_cancel(void *arg)
{
    (void)arg;
    cancelled_tid = blocks_tid();
    sleep_ms(2);
}

static void *read_until_cancelled(void *arg)
{
    char c;
    pthread_cleanup_push(after_cancel, NULL);
    (void)!read(*(int *)arg, &c, 1);
    pthread_cleanup_pop(0);
    return NULL;
}

static void test_cancel_inside_a_traced_read(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, read_until_cancelled, &p[0]), 0);
    sleep_ms(20);
    assert_int_equal(pthread_cancel(th), 0);
    void *result;
    assert_int_equal(pthread_join(th, &result), 0);
    assert_ptr_equal(result, PTHREAD_CANCELED);
    tevs t;
    blocks_read(&t);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYSCALL, 0, cancelled_tid) >= 1000000);
    assert_int_equal(blocks_count(&t, CTR_BLOCK_SYSCALL, (uint64_t)p[0], cancelled_tid), 0);
    tevs_free(&t);
    close(p[0]);
    close(p[1]);
}

/* Each way of waiting for a socket: a net wait of about 20 ms each. */
static void test_each_socket_wait_is_a_net_wait(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int ep = epoll_create1(0);
    struct epoll_event want = {.events = EPOLLIN};
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &want), 0);
    struct timespec long_ts = {5, 0};
    struct pollfd pfd = {.fd = sv[0], .events = POLLIN};
    char c;
    struct iovec iov = {&c, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    enum { CALLS = 7 };
    for (int call = 0; call < CALLS; call++) {
        pthread_t th = blocks_after_ms(20, write_byte, &sv[1]);
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(sv[0], &rd);
        struct epoll_event got;
        switch (call) {
        case 0: assert_int_equal(recvfrom(sv[0], &c, 1, 0, NULL, NULL), 1); break;
        case 1: assert_int_equal(recvmsg(sv[0], &msg, 0), 1); break;
        case 2: assert_int_equal(ppoll(&pfd, 1, &long_ts, NULL), 1); break;
        case 3: assert_int_equal(select(sv[0] + 1, &rd, NULL, NULL, NULL), 1); break;
        case 4: assert_int_equal(pselect(sv[0] + 1, &rd, NULL, NULL, &long_ts, NULL), 1); break;
        case 5: assert_int_equal(epoll_wait(ep, &got, 1, 5000), 1); break;
        case 6: assert_int_equal(epoll_pwait(ep, &got, 1, 5000, NULL), 1); break;
        }
        pthread_join(th, NULL);
        if (call >= 2) /* only told it is readable: take the byte */
            assert_int_equal(read(sv[0], &c, 1), 1);
    }
    tevs t;
    blocks_read(&t);
    assert_int_equal(blocks_count_longer(&t, CTR_BLOCK_NET, blocks_tid(), WAITED_20MS), CALLS);
    tevs_free(&t);
    close(ep);
    close(sv[0]);
    close(sv[1]);
}

/* readv on a pipe and the sleeps libc does not route through nanosleep. */
static void test_readv_and_sleeps_are_syscall_waits(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pthread_t th = blocks_after_ms(20, write_byte, &p[1]);
    char c;
    struct iovec iov = {&c, 1};
    assert_int_equal(readv(p[0], &iov, 1), 1);
    pthread_join(th, NULL);
    struct timespec ms20 = {0, 20000000};
    assert_int_equal(clock_nanosleep(CLOCK_MONOTONIC, 0, &ms20, NULL), 0);
    assert_int_equal(usleep(20000), 0);
    tevs t;
    blocks_read(&t);
    assert_true(blocks_longest(&t, CTR_BLOCK_SYSCALL, (uint64_t)p[0], blocks_tid()) >= WAITED_20MS);
    assert_int_equal(blocks_count_longer(&t, CTR_BLOCK_SYSCALL, blocks_tid(), WAITED_20MS), 3);
    tevs_free(&t);
    close(p[0]);
    close(p[1]);
}

/* A wait whose caller is ThreadSanitizer's own runtime (its symbolizer
 * reading files during a report) is not recorded; the program's is. In a
 * build without TSan, or with its runtime linked into the program (clang),
 * there is no such range: every wait is the program's. */
static void test_waits_of_the_sanitizers_runtime_are_not_recorded(void **state)
{
    (void)state;
    void *tsan = dlsym(RTLD_DEFAULT, "__tsan_init");
    Dl_info in_tsan, in_test;
    int separate = tsan && dladdr(tsan, &in_tsan) && dladdr((void *)&write_byte, &in_test) &&
                   in_tsan.dli_fbase != in_test.dli_fbase;
    uint64_t t0 = ct__ticks();
    sleep_ms(1);
    ct__interpose_record(CT_BLOCK_SYSCALL, t0, 777, tsan ? (uint64_t)(uintptr_t)tsan : 1);
    ct__interpose_record(CT_BLOCK_SYSCALL, t0, 778, (uint64_t)(uintptr_t)&write_byte);
    tevs t;
    blocks_read(&t);
    assert_int_equal(blocks_count(&t, CTR_BLOCK_SYSCALL, 777, blocks_tid()), separate ? 0 : 1);
    assert_int_equal(blocks_count(&t, CTR_BLOCK_SYSCALL, 778, blocks_tid()), 1);
    assert_int_equal(ct__interpose_in_sanitizer((uint64_t)(uintptr_t)&write_byte), 0);
    tevs_free(&t);
}

#define TRACED(test) cmocka_unit_test_setup_teardown(test, blocks_start, blocks_stop)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TRACED(test_pipe_read_is_a_syscall_wait),
        TRACED(test_socket_read_is_a_net_wait),
        TRACED(test_reads_that_do_not_wait_are_not_recorded),
        TRACED(test_fifo_open_is_a_syscall_wait),
        TRACED(test_recording_keeps_errno),
        TRACED(test_cancel_inside_a_traced_read),
        TRACED(test_each_socket_wait_is_a_net_wait),
        TRACED(test_readv_and_sleeps_are_syscall_waits),
        TRACED(test_waits_of_the_sanitizers_runtime_are_not_recorded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
