/*
 * io_test.c - a plain cmocka suite (no ctrace in it) whose test waits on the
 * network: a thread of its own answers a socketpair ping 20 ms late, so the
 * test waits in recv() and then in poll(); it also writes and fsyncs a file.
 * Traced, the waits are BLOCK events of kind net, and the fsync one of kind
 * syscall if the file system makes it wait:
 *
 *     ctest-trace --trace=trace.out ./io_test
 *     ctest-trace threads trace.out
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* mkstemp */
#include <sys/socket.h>
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

static void TestFsync(void **state)
{
    (void)state;
    char path[] = "/tmp/ctrace-io-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char line[] = "a line that must reach the disk\n";
    assert_int_equal(write(fd, line, sizeof line - 1), (ssize_t)(sizeof line - 1));
    assert_int_equal(fsync(fd), 0);
    close(fd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TestPingPong),
        cmocka_unit_test(TestFsync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
