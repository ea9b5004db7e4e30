/*
 * io_test.c - a plain cmocka suite (no ctrace in it) whose tests wait on
 * file descriptors and children. A thread of its own answers a socketpair
 * ping 20 ms late, so a test waits in recv() and then in poll(); others
 * read(2) a pipe and a socket that another thread writes 20 ms late, write
 * 1 MiB to a file and fsync it, and wait for a child that sleeps 20 ms.
 * Traced, the waits on sockets are BLOCK events of kind net, the others of
 * kind syscall; reads that find their data waiting are not waits at all.
 * The last tests check that errno is the call's, and that a signal handler
 * that writes while its thread is inside a traced read harms nothing:
 *
 *     ctest-trace --trace=trace.out ./io_test
 *     ctest-trace threads trace.out
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>   /* sigaction, pthread_kill */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* mkstemp, calloc */
#include <sys/socket.h>
#include <sys/wait.h> /* waitpid */
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0) {
    }
}

static void *late_echo(void *arg)
{
    int fd = *(int *)arg;
    char byte;
    for (int i = 0; i < 2; i++) {
        if (recv(fd, &byte, 1, 0) != 1)
            break;
        sleep_ms(20); /* the test waits for this */
        send(fd, &byte, 1, 0);
    }
    return NULL;
}

static void TestPingPong(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t echo;
    assert_int_equal(pthread_create(&echo, NULL, late_echo, &sv[1]), 0);
    char byte = 'x';
    assert_int_equal(send(sv[0], &byte, 1, 0), 1);
    assert_int_equal(recv(sv[0], &byte, 1, 0), 1); /* waits ~20 ms */
    assert_int_equal(send(sv[0], &byte, 1, 0), 1);
    struct pollfd p = {.fd = sv[0], .events = POLLIN};
    assert_int_equal(poll(&p, 1, 5000), 1); /* waits ~20 ms */
    assert_int_equal(recv(sv[0], &byte, 1, 0), 1);
    pthread_join(echo, NULL);
    close(sv[0]);
    close(sv[1]);
}

static void *write_byte_late(void *arg)
{
    sleep_ms(20); /* the test waits for this */
    char byte = 'w';
    if (write(*(int *)arg, &byte, 1) != 1)
        abort();
    return NULL;
}

/* read(2) on `fds[0]` while another thread writes `fds[1]` 20 ms late. */
static void read_late_byte(int fds[2])
{
    pthread_t writer;
    assert_int_equal(pthread_create(&writer, NULL, write_byte_late, &fds[1]), 0);
    char byte;
    assert_int_equal(read(fds[0], &byte, 1), 1); /* waits ~20 ms */
    pthread_join(writer, NULL);
    close(fds[0]);
    close(fds[1]);
}

static void TestPipeRead(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    read_late_byte(p); /* a pipe: syscall */
}

static void TestSocketRead(void **state)
{
    (void)state;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    read_late_byte(sv); /* read(2), but on a socket: net */
}

static void TestFsync(void **state)
{
    (void)state;
    char path[] = "/tmp/ctrace-io-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t size = 1 << 20; /* copying 1 MiB into the page cache takes a while */
    char *block = calloc(1, size);
    assert_non_null(block);
    assert_int_equal(write(fd, block, size), (ssize_t)size);
    assert_int_equal(fsync(fd), 0);
    free(block);
    close(fd);
    unlink(path);
}

static void TestWaitChild(void **state)
{
    (void)state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        sleep_ms(20);
        _exit(3);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child); /* waits ~20 ms */
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
}

static void TestShortReads(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    char bytes[100] = {0};
    assert_int_equal(write(p[1], bytes, sizeof bytes), (ssize_t)sizeof bytes);
    for (size_t i = 0; i < sizeof bytes; i++)
        assert_int_equal(read(p[0], bytes, 1), 1); /* the byte is there: no wait */
    close(p[0]);
    close(p[1]);
}

static void on_signal(int sig)
{
    (void)sig;
}

static void *interrupt_late(void *arg)
{
    sleep_ms(20);
    pthread_kill(*(pthread_t *)arg, SIGUSR2);
    return NULL;
}

static void TestErrno(void **state)
{
    (void)state;
    char byte;
    errno = 0;
    assert_int_equal(read(-1, &byte, 1), -1);
    assert_int_equal(errno, EBADF);

    /* A read that waits 20 ms and is interrupted: recorded, and EINTR. */
    struct sigaction sa = {.sa_handler = on_signal}, old; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR2, &sa, &old), 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pthread_t me = pthread_self(), killer;
    assert_int_equal(pthread_create(&killer, NULL, interrupt_late, &me), 0);
    errno = 0;
    assert_int_equal(read(p[0], &byte, 1), -1);
    assert_int_equal(errno, EINTR);
    pthread_join(killer, NULL);
    sigaction(SIGUSR2, &old, NULL);
    close(p[0]);
    close(p[1]);
}

/* A SIGALRM handler writes into the pipe its thread is reading: each byte
 * ends one traced read, and some land while the thread records a wait.
 * Without SA_RESTART, and reads retried on EINTR: ThreadSanitizer runs a
 * handler only once the interrupted call returns, which a restarted read
 * never would. */
static int alarm_pipe[2];
static int reads_done; /* atomic */

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    char byte = 'a';
    (void)!write(alarm_pipe[1], &byte, 1);
    errno = saved;
}

static void *alarm_often(void *arg)
{
    while (!__atomic_load_n(&reads_done, __ATOMIC_RELAXED)) {
        pthread_kill(*(pthread_t *)arg, SIGALRM);
        struct timespec t = {0, 100000};
        nanosleep(&t, NULL);
    }
    return NULL;
}

static void TestSignalDuringRead(void **state)
{
    (void)state;
    assert_int_equal(pipe(alarm_pipe), 0);
    struct sigaction sa = {.sa_handler = on_alarm}, old;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    __atomic_store_n(&reads_done, 0, __ATOMIC_RELAXED);
    pthread_t me = pthread_self(), alarms;
    assert_int_equal(pthread_create(&alarms, NULL, alarm_often, &me), 0);
    for (int i = 0; i < 500; i++) {
        char byte;
        ssize_t n;
        while ((n = read(alarm_pipe[0], &byte, 1)) < 0 && errno == EINTR) {
        }
        assert_int_equal(n, 1);
    }
    __atomic_store_n(&reads_done, 1, __ATOMIC_RELAXED);
    pthread_join(alarms, NULL);
    sigaction(SIGALRM, &old, NULL);
    close(alarm_pipe[0]);
    close(alarm_pipe[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestPingPong),
        cmocka_unit_test(TestPipeRead),
        cmocka_unit_test(TestSocketRead),
        cmocka_unit_test(TestFsync),
        cmocka_unit_test(TestWaitChild),
        cmocka_unit_test(TestShortReads),
        cmocka_unit_test(TestErrno),
        cmocka_unit_test(TestSignalDuringRead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
