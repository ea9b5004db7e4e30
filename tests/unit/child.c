/* child.c - a test binary run again as a traced child (child.h). */
#include "child.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <poll.h>     /* poll */
#include <stdlib.h>   /* putenv */
#include <sys/wait.h> /* waitpid */
#include <unistd.h>   /* fork, execl */
#include <cmocka.h>

#include <ctrace_collect.h>

int traced_child_run(const char *exe, const char *mode, const char *trace, traced_child how)
{
    ct_collector *c;
    assert_int_equal(ct_collector_open(&c, trace, how.pool_bytes), 0);
    assert_int_equal(ct_collector_set_overflow(c, how.overflow), 0);
    ct_child_pool *pool;
    char env[64];
    assert_int_equal(ct_collector_pool(c, &pool, env, sizeof env), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        putenv(env);
        if (how.env)
            putenv((char *)how.env);
        ct_child_pool_inherit(pool);
        execl(exe, exe, "--child", mode, (char *)NULL);
        _exit(127);
    }
    ct_collector_child_started(c, pool, pid, exe);
    int status;
    for (;;) {
        if (!(how.drain_at_once && ct_collector_child_waiting(c, pool)))
            poll(NULL, 0, how.sleep_ms);
        assert_int_equal(ct_collector_drain(c, pool), 0);
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
    }
    assert_int_equal(ct_collector_child_exited(c, pool, status), 0);
    assert_int_equal(ct_collector_close(c), 0);
    return status;
}
