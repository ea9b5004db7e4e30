/*
 * children_test.c - tests that start processes: a forked child that runs
 * regions and blocks on a lock and a sleep, a spawned program linked with
 * libctrace (children_helper, named by $CHILDREN_HELPER), the same forked
 * then exec'd, a plain program (sleep: traced if the runner preloads
 * libctrace), a child that crashes, one that outlives its test (reaped by
 * the next), and with CHILDREN_LEAVE=1 one that outlives the binary, with
 * CHILDREN_MANY=N N children at once, then N in turn (CHILDREN_PAUSE_US
 * apart, default 5000); last, a forked child
 * that returns from its test: it runs on in cmocka's group.
 * For tests/harness/test_children.py.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctrace.h>
#include <ctrace_cmocka.h>

#include "suite_env.h"

extern char **environ;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int held; /* atomic: the holder has the lock */

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    __atomic_store_n(&held, 1, __ATOMIC_RELEASE);
    CT_WITH_REGION(NULL, "child.hold")
    {
        usleep(30 * 1000);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* In the forked child: a region around a lock another thread holds for 30
 * ms, then a 20 ms sleep. */
static void child_work(void)
{
    CT_WITH_REGION(NULL, "child.work")
    {
        pthread_t t;
        if (pthread_create(&t, NULL, holder, NULL) != 0)
            _exit(2);
        while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
            usleep(100);
        pthread_mutex_lock(&lock); /* waits for the holder */
        pthread_mutex_unlock(&lock);
        pthread_join(t, NULL);
        usleep(20 * 1000);
    }
}

static void t_forks_a_worker(void **state)
{
    (void)state;
    CT_WITH_REGION(NULL, "parent.before") {}
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_work();
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void t_spawns_a_program(void **state)
{
    (void)state;
    const char *helper = getenv("CHILDREN_HELPER");
    if (!helper)
        skip();
    char *argv[] = {(char *)helper, NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, helper, NULL, NULL, argv, environ), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

static void t_forks_and_execs(void **state)
{
    (void)state;
    const char *helper = getenv("CHILDREN_HELPER");
    if (!helper)
        skip();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(helper, helper, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}

static void t_runs_a_plain_program(void **state)
{
    (void)state;
    char *argv[] = {"sleep", "0.05", NULL};
    pid_t pid;
    assert_int_equal(posix_spawnp(&pid, "sleep", NULL, NULL, argv, environ), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void t_child_crashes(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        CT_WITH_REGION(NULL, "crash.before") { usleep(1000); }
        abort();
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
}

static pid_t late;

static void t_outlives(void **state)
{
    (void)state;
    late = fork();
    assert_true(late >= 0);
    if (late == 0) {
        CT_WITH_REGION(NULL, "late.work") { usleep(300 * 1000); }
        _exit(0);
    }
}

static void t_reaps_late(void **state)
{
    (void)state;
    int status = 0;
    assert_int_equal(waitpid(late, &status, 0), late);
    assert_true(WIFEXITED(status));
}

static void t_leaves_one_running(void **state)
{
    (void)state;
    const char *leave = getenv("CHILDREN_LEAVE");
    if (!leave || leave[0] != '1')
        skip();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        CT_WITH_REGION(NULL, "forever.work") { sleep(30); }
        _exit(0);
    }
}

static void t_many_at_once(void **state)
{
    (void)state;
    const char *many = getenv("CHILDREN_MANY");
    int n = many ? atoi(many) : 0;
    if (n <= 0 || n > 1000)
        skip();
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    assert_non_null(pids);
    int pipefd[2]; /* every child waits until all were forked */
    assert_int_equal(pipe(pipefd), 0);
    for (int i = 0; i < n; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(pipefd[1]);
            char c;
            CT_WITH_REGION(NULL, "many.wait") { (void)!read(pipefd[0], &c, 1); }
            _exit(0);
        }
    }
    close(pipefd[0]);
    close(pipefd[1]);
    for (int i = 0; i < n; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
    }
    long pause = env_long("CHILDREN_PAUSE_US", 5000);
    for (int i = 0; i < n; i++) { /* their slots come free again */
        usleep((useconds_t)pause);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            CT_WITH_REGION(NULL, "many.turn") {}
            _exit(i % 3);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_int_equal(WEXITSTATUS(status), i % 3);
    }
    free(pids);
}

static void t_child_runs_on(void **state)
{
    (void)state;
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        return; /* the child finishes the group as cmocka would (no test after) */
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_forks_a_worker),   cmocka_unit_test(t_spawns_a_program),
        cmocka_unit_test(t_forks_and_execs),  cmocka_unit_test(t_runs_a_plain_program),
        cmocka_unit_test(t_child_crashes),    cmocka_unit_test(t_outlives),
        cmocka_unit_test(t_reaps_late),       cmocka_unit_test(t_leaves_one_running),
        cmocka_unit_test(t_many_at_once),     cmocka_unit_test(t_child_runs_on),
    };
    return ct_run_group_tests(tests, NULL, NULL);
}
