/*
 * test_fork_window.c - code that runs in a forked child before the tracer's
 * fork handler made the tracer's state the child's own: a signal handler
 * (a SIGPROF that ThreadSanitizer held back in the parent is delivered in
 * the child, inside fork), or a fork handler registered before ours. Under
 * a runner the pool is shared memory: what it recorded through the state it
 * inherited would land in the chunk its parent still writes, two writers in
 * one chunk (a damaged trace: "unknown event kind ... on thread <the
 * parent's>"). It records nothing, and counts nothing in its parent's
 * losses.
 *
 * The child's early code: a fork handler registered before libctrace's (a
 * constructor of higher priority in this static link) that raises a signal
 * whose handler logs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>     /* pthread_atfork */
#include <signal.h>      /* sigaction, raise */
#include <stdio.h>       /* remove */
#include <string.h>      /* strcmp, memset */
#include <sys/mman.h>    /* mmap */
#include <sys/syscall.h> /* SYS_nanosleep */
#include <sys/wait.h>    /* waitpid */
#include <time.h>        /* struct timespec */
#include <unistd.h>      /* fork, readlink, _exit, syscall */
#include <cmocka.h>

#include <ctrace.h>

#include "child.h"
#include "events.h"
#include "plugin/thread.h" /* ct__pool: the drain passes */

#define CHILD_MESSAGE "logged by the forked child before the tracer's fork handler ran"
#define AFTER_MESSAGE "logged by the parent once the collector read what the pool held"

static char self_exe[4096];
static volatile sig_atomic_t armed; /* set around the fork of the child mode only */
static int *child_done;             /* shared with the forked child: it is about to exit */

static void on_usr1(int sig)
{
    (void)sig;
    ct_log(NULL, "fork", CHILD_MESSAGE);
}

static void early_in_child(void)
{
    if (armed)
        raise(SIGUSR1);
}

/* Before libctrace's constructor (default priority) registers its handler:
 * child handlers run in the order registered, so this one runs first. */
__attribute__((constructor(101))) static void register_early_handler(void)
{
    pthread_atfork(NULL, NULL, early_in_child);
}

/* A millisecond's sleep that records nothing (nanosleep would: a wait
 * written where the child's log may be). */
static void quiet_sleep(void)
{
    struct timespec ms = {0, 1000000};
    syscall(SYS_nanosleep, &ms, NULL);
}

/* Until the forked child is done, then until the collector passed over the
 * pool twice (a pass under way may have read the chunk before the child
 * wrote), recording nothing meanwhile: whatever the child committed in this
 * thread's chunk is in the trace by then. */
static int wait_quietly(void)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (!pool)
        return -1;
    int waited = 0;
    for (; waited < 30000 && !__atomic_load_n(child_done, __ATOMIC_ACQUIRE); waited++)
        quiet_sleep();
    uint32_t from = __atomic_load_n(&pool->passes, __ATOMIC_ACQUIRE);
    for (; waited < 30000; waited++) {
        if (__atomic_load_n(&pool->passes, __ATOMIC_ACQUIRE) - from >= 2)
            return 0;
        quiet_sleep();
    }
    return -1;
}

static int child_main(void)
{
    if (!ct_is_enabled())
        return 3;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        return 4;
    child_done = mmap(NULL, sizeof *child_done, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (child_done == MAP_FAILED)
        return 4;
    ct_log(NULL, "fork", "before the fork"); /* this thread writes in a chunk of its own */
    armed = 1;
    pid_t pid = fork();
    if (pid == 0) {
        __atomic_store_n(child_done, 1, __ATOMIC_RELEASE);
        _exit(0);
    }
    armed = 0;
    if (pid < 0 || wait_quietly() != 0)
        return 5;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 6;
    ct_log(NULL, "fork", AFTER_MESSAGE); /* where the child's log went, if it went there */
    return 0;
}

static void test_child_records_nothing_before_its_fork_handler(void **state)
{
    (void)state;
    char trace[512];
    temp_trace_path(trace, sizeof trace, "fork_window");
    int status = traced_child_run(self_exe, "early", trace,
                                  (traced_child){0, 0, 0, 1, "CTRACE_SCHED=off"});
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    tevs t;
    assert_int_equal(tevs_read(&t, trace), 0);
    if (t.rc != 0)
        fail_msg("the trace is damaged: %s", t.damage);
    size_t logs = tevs_count(&t, CTR_LOG, "fork");
    for (size_t i = 0; i < logs; i++) {
        const tev *log = tevs_find(&t, CTR_LOG, "fork", i);
        if (strcmp(log->message, CHILD_MESSAGE) == 0)
            fail_msg("the child's log is in the trace, in process %u", log->ev.process);
    }
    assert_int_equal(logs, 2); /* before the fork, and after */
    assert_int_equal(tevs_count(&t, CTR_LOST, NULL), 0);
    assert_int_equal(tevs_count(&t, CTR_WARNING, NULL), 0);
    for (size_t i = 0; i < tevs_count(&t, CTR_PROCESS_END, NULL); i++)
        assert_int_equal(tevs_find(&t, CTR_PROCESS_END, NULL, i)->ev.count, 0);
    tevs_free(&t);
    remove(trace);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--child") == 0)
        return strcmp(argv[2], "early") == 0 ? child_main() : 2;
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_records_nothing_before_its_fork_handler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
