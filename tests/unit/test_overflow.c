/*
 * test_overflow.c - a pool too small for what the child writes.
 *
 * Wait mode (the default): every event arrives, in order on each thread, the
 * child only slowed; also with a lock of the program held while waiting,
 * from a signal handler that must wait for room,
 * and when threads hold every chunk and hand none back. A collector that is
 * gone stops the child's tracing (said on stderr), never hangs it.
 * Drop mode: what is kept plus what is counted lost is exactly what a run
 * that lost nothing kept, and the trace says so without a misuse warning.
 *
 * The test re-executes itself as the traced child (as test_collector.c).
 * Sizes are kept small so that the sanitizer builds run it too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_collect.h>

#include "child.h"
#include "events.h"

/* Header, process table, descriptors, 4 chunks of 32 KiB: the child fills it at once. */
#define SMALL_POOL (4096u * 3 + (16u << 10) + 4u * (32u << 10))

#define FLOOD_THREADS 4
#define FLOOD_REGIONS 40000 /* a thread: a log every 4th region, a task every 1000 */

static char self_exe[4096];

/* ---- the child ---------------------------------------------------------------- */

/* Mode "locked": every region is written holding this lock of the program,
 * so threads wait for room with it held while the others wait for it. */
static pthread_mutex_t program_lock = PTHREAD_MUTEX_INITIALIZER;
static int hold_the_lock;

static void *flood(void *arg)
{
    long index = (long)(intptr_t)arg;
    static const char *const names[4] = {"f.a", "f.b", "f.c", "f.d"};
    ct_task *task = NULL;
    for (long i = 0; i < FLOOD_REGIONS; i++) {
        if (hold_the_lock)
            pthread_mutex_lock(&program_lock);
        if (i % 1000 == 0) {
            if (task)
                ct_task_end(task);
            task = ct_task_begin(NULL, "f.task");
        }
        ct_region r = ct_region_begin(task, names[i & 3]);
        if ((i & 3) == 3)
            ct_logf(task, "seq", "%ld %ld", index, i);
        ct_region_end(&r);
        if (hold_the_lock)
            pthread_mutex_unlock(&program_lock);
    }
    ct_task_end(task);
    return NULL;
}

static int child_flood(int threads)
{
    pthread_t t[FLOOD_THREADS];
    for (long i = 1; i < threads; i++)
        if (pthread_create(&t[i], NULL, flood, (void *)(intptr_t)i) != 0)
            return 5;
    flood((void *)0);
    for (long i = 1; i < threads; i++)
        pthread_join(t[i], NULL);
    return 0;
}

static volatile sig_atomic_t handled, errno_changed;

/* errno as the handler found it must be errno as it leaves: the tracer
 * keeps it, even when the log waited for room. */
static void on_alarm(int sig)
{
    (void)sig;
    int e = errno;
    errno = 4242;
    ct_log(NULL, "signal", "from a handler");
    if (errno != 4242)
        errno_changed = errno_changed + 1;
    handled = handled + 1;
    errno = e;
}

/* A handler that records, every 200 us, while the thread floods the pool:
 * some of its events must wait for room inside the handler. */
static int child_signal(void)
{
    /* The handler's category now: interning a new name allocates, which a
     * signal handler must not. */
    ct_log(NULL, "signal", "before the handler");
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &every, NULL);
    flood((void *)0);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alarm, NULL); /* one pending now stays so */
    ct_logf(NULL, "handled", "%ld %ld", (long)handled, (long)errno_changed);
    return 0;
}

/* Four threads take a chunk each, the whole pool, and keep it (they write
 * once and wait): the main thread finds none free and no drain pass frees
 * one. It must drop rather than wait forever, and say what it lost once the
 * holders exit and their chunks come back. */
#define HOLDERS 4
static pthread_barrier_t hold;

/* Take a chunk (a log) and keep it until the main thread is done: two
 * waits on the barrier `arg`. */
static void *holder(void *arg)
{
    pthread_barrier_t *barrier = arg;
    ct_log(NULL, "hold", "a chunk");
    pthread_barrier_wait(barrier); /* everyone holds a chunk */
    pthread_barrier_wait(barrier); /* the main thread is done */
    return NULL;
}

static int child_held(void)
{
    pthread_barrier_init(&hold, NULL, HOLDERS + 1);
    pthread_t t[HOLDERS];
    for (int i = 0; i < HOLDERS; i++)
        pthread_create(&t[i], NULL, holder, &hold);
    pthread_barrier_wait(&hold);
    for (int i = 0; i < 1000; i++)
        CT_WITH_REGION(NULL, "main.work") {
        }
    pthread_barrier_wait(&hold);
    for (int i = 0; i < HOLDERS; i++)
        pthread_join(t[i], NULL);
    /* The holders' chunks come back once drained: a call after that ends
     * the drop, saying what was lost. A second is plenty for a drain. */
    for (int i = 0; i < 50; i++) {
        usleep(20000);
        CT_WITH_REGION(NULL, "after") {
        }
    }
    return 0;
}

/* Three threads hold a chunk each; the main thread holds a lock of the
 * program and fills the fourth, then waits for room. A fourth thread waits
 * too, wins the chunk the collector frees, and blocks on the lock: no chunk
 * comes free again. The main thread must drop, not wait forever because one
 * came free once while it waited. */
static pthread_mutex_t sticky_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t sticky_hold;

static void *sticky_taker(void *arg)
{
    (void)arg;
    usleep(1000);
    ct_log(NULL, "taker", "needs a chunk, then the lock");
    pthread_mutex_lock(&sticky_lock);
    pthread_mutex_unlock(&sticky_lock);
    return NULL;
}

static int child_sticky(void)
{
    pthread_barrier_init(&sticky_hold, NULL, 3 + 1);
    pthread_t h[3], taker;
    for (int i = 0; i < 3; i++)
        pthread_create(&h[i], NULL, holder, &sticky_hold);
    pthread_barrier_wait(&sticky_hold);
    pthread_mutex_lock(&sticky_lock);
    pthread_create(&taker, NULL, sticky_taker, NULL);
    for (long i = 0; i < 200000; i++)
        CT_WITH_REGION(NULL, "main.work") {
        }
    pthread_mutex_unlock(&sticky_lock);
    pthread_join(taker, NULL);
    pthread_barrier_wait(&sticky_hold);
    for (int i = 0; i < 3; i++)
        pthread_join(h[i], NULL);
    return 0;
}

static int child_main(const char *mode, int done_fd)
{
    if (!ct_is_enabled())
        return 3;
    int rc = strcmp(mode, "flood") == 0    ? child_flood(FLOOD_THREADS)
             : strcmp(mode, "single") == 0 ? child_flood(1)
             : strcmp(mode, "locked") == 0 ? (hold_the_lock = 1, child_flood(FLOOD_THREADS))
             : strcmp(mode, "signal") == 0 ? child_signal()
             : strcmp(mode, "held") == 0   ? child_held()
             : strcmp(mode, "sticky") == 0 ? child_sticky()
                                           : 2;
    if (done_fd >= 0) /* the collector may be gone: say it here */
        rc = write(done_fd, "done", 4) == 4 ? rc : 6;
    return rc;
}

/* ---- the collector ------------------------------------------------------------ */

typedef struct collect_opts {
    int overflow;      /* CT_OVERFLOW_* */
    int drain_at_once; /* drain again without sleeping while threads wait */
    int sleep_ms;      /* between drains */
} collect_opts;

/* Run the child `mode` under a collector with a small pool. No scheduler
 * waits: the same events every run. */
static void run_child(const char *mode, const char *trace, collect_opts o)
{
    int status = traced_child_run(self_exe, mode, trace,
                                  (traced_child){SMALL_POOL, o.overflow, o.drain_at_once,
                                                 o.sleep_ms, "CTRACE_SCHED=off"});
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* What a trace holds, read as a stream. */
typedef struct summary {
    uint64_t wire, regions, regions_lost, logs, lost_told, lost_total, lost_events;
    uint64_t stalls, warnings, handler_logs, handled, errno_changed;
    long seq_logs[FLOOD_THREADS]; /* each thread's numbered logs */
    long last_seq[FLOOD_THREADS];
    int out_of_order;             /* a thread's logs not in the order written */
} summary;

static void summarize(const char *trace, summary *s)
{
    memset(s, 0, sizeof *s);
    ctr_reader *r;
    assert_int_equal(ctr_open(&r, trace), 0);
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        switch (ev.kind) {
        case CTR_REGION:
            s->regions++;
            s->regions_lost += (ev.flags & CTR_F_LOST) != 0;
            break;
        case CTR_LOG: {
            char text[64] = "";
            memcpy(text, ev.message, ev.message_len < 63 ? ev.message_len : 63);
            long thread, seq;
            if (ev.name_len == 3 && memcmp(ev.name, "seq", 3) == 0 &&
                sscanf(text, "%ld %ld", &thread, &seq) == 2 && thread >= 0 &&
                thread < FLOOD_THREADS) {
                s->out_of_order |= s->seq_logs[thread] > 0 && seq <= s->last_seq[thread];
                s->last_seq[thread] = seq;
                s->seq_logs[thread]++;
            }
            s->handler_logs += ev.name_len == 6 && memcmp(ev.name, "signal", 6) == 0;
            long handled = 0, changed = 0;
            if (ev.name_len == 7 && memcmp(ev.name, "handled", 7) == 0 &&
                sscanf(text, "%ld %ld", &handled, &changed) == 2) {
                s->handled = (uint64_t)handled;
                s->errno_changed = (uint64_t)changed;
            }
            s->logs++;
            break;
        }
        case CTR_LOST:
            s->lost_told += ev.count;
            s->lost_events++;
            break;
        case CTR_PROCESS_END:
            s->lost_total += ev.count;
            s->stalls += ev.stalls;
            break;
        case CTR_WARNING:
            if (!(ev.flags & CTR_F_LOST)) {
                s->warnings++;
                print_message("warning: %.*s\n", (int)ev.message_len, ev.message);
            }
            break;
        default:
            break;
        }
    }
    if (rc != 0)
        print_error("%s: %s\n", trace, ctr_damage(r) ? ctr_damage(r) : ct_strerror(rc));
    assert_int_equal(rc, 0);
    ctr_info info;
    ctr_get_info(r, &info);
    s->wire = info.wire_events;
    ctr_close(r);
}

/* Run the child `mode` under a collector as `o` says, and summarize its trace. */
static void traced_run(const char *mode, collect_opts o, summary *s)
{
    char trace[512];
    temp_trace_path(trace, sizeof trace, mode);
    run_child(mode, trace, o);
    summarize(trace, s);
    unlink(trace);
}

/* ---- tests -------------------------------------------------------------------- */

static void test_wait_keeps_every_event_in_order(void **state)
{
    (void)state;
    summary s;
    traced_run("flood", (collect_opts){CT_OVERFLOW_WAIT, 1, 2}, &s);
    assert_int_equal(s.regions, FLOOD_THREADS * FLOOD_REGIONS);
    assert_int_equal(s.logs, FLOOD_THREADS * FLOOD_REGIONS / 4);
    for (int i = 0; i < FLOOD_THREADS; i++)
        assert_int_equal(s.seq_logs[i], FLOOD_REGIONS / 4);
    assert_false(s.out_of_order);
    assert_int_equal(s.lost_total, 0);
    assert_int_equal(s.lost_told, 0);
    assert_int_equal(s.warnings, 0);
    assert_true(s.stalls > 0); /* the pool holds a fraction of it: threads waited */
}

/* Threads that wait for room holding a lock of the program, the others
 * waiting for that lock: the collector needs neither, nothing hangs. */
static void test_wait_with_the_programs_lock_held(void **state)
{
    (void)state;
    summary s;
    traced_run("locked", (collect_opts){CT_OVERFLOW_WAIT, 1, 2}, &s);
    assert_int_equal(s.regions, FLOOD_THREADS * FLOOD_REGIONS);
    assert_int_equal(s.logs, FLOOD_THREADS * FLOOD_REGIONS / 4);
    assert_false(s.out_of_order);
    assert_int_equal(s.lost_total, 0);
    assert_int_equal(s.warnings, 0);
}

/* A collector that drains only every 30 ms (threads wake on their own
 * timeout, not on a drain): still nothing lost. */
static void test_wait_with_a_slow_collector(void **state)
{
    (void)state;
    summary s;
    traced_run("single", (collect_opts){CT_OVERFLOW_WAIT, 0, 30}, &s);
    assert_int_equal(s.regions, FLOOD_REGIONS);
    assert_int_equal(s.lost_total, 0);
    assert_false(s.out_of_order);
}

/* Drop mode: kept + lost = what a run that lost nothing kept, exactly. */
static void test_drop_counts_exactly(void **state)
{
    (void)state;
    summary whole;
    traced_run("single", (collect_opts){CT_OVERFLOW_WAIT, 1, 2}, &whole);
    assert_int_equal(whole.lost_total, 0);

    summary s;
    traced_run("single", (collect_opts){CT_OVERFLOW_DROP, 0, 200}, &s); /* a slow drain: losses */
    assert_true(s.lost_total > 0);
    assert_true(s.lost_told <= s.lost_total);
    /* The LOST events themselves are written only in this run. */
    assert_int_equal(s.wire - s.lost_events + s.lost_total, whole.wire);
    assert_true(s.regions < FLOOD_REGIONS);
    assert_false(s.out_of_order); /* what is kept is in order */
    assert_int_equal(s.stalls, 0);
    assert_int_equal(s.warnings, 0); /* losses are no misuse */
}

static void test_signal_handler_waits_for_room(void **state)
{
    (void)state;
    summary s;
    traced_run("signal", (collect_opts){CT_OVERFLOW_WAIT, 1, 2}, &s);
    assert_int_equal(s.regions, FLOOD_REGIONS);
    assert_true(s.handled > 0);
    assert_int_equal(s.errno_changed, 0);
    /* A handler that found its thread inside the tracer lost its log, and
     * the trace counts it: nothing else can be lost in wait mode. */
    assert_int_equal(s.handler_logs - 1 + s.lost_total, s.handled); /* - the one before */
    assert_int_equal(s.lost_told, s.lost_total);
    assert_int_equal(s.warnings, 0);
}

static void test_held_chunks_drop_not_hang(void **state)
{
    (void)state;
    summary s;
    traced_run("held", (collect_opts){CT_OVERFLOW_WAIT, 1, 2}, &s);
    assert_true(s.lost_total > 0);
    assert_int_equal(s.lost_told, s.lost_total); /* said when chunks came back */
    assert_int_equal(s.warnings, 0);
}

static void test_held_chunks_after_one_came_free_drop_not_hang(void **state)
{
    (void)state;
    summary s;
    traced_run("sticky", (collect_opts){CT_OVERFLOW_WAIT, 1, 2}, &s);
    assert_true(s.lost_total > 0); /* it ended: the test is not hung */
    assert_int_equal(s.warnings, 0);
}

/* The collector is a process between the test and the child, and dies
 * without draining: the child must notice, stop tracing, say so, and go
 * on to the end of its work. */
static void test_collector_gone_stops_tracing(void **state)
{
    (void)state;
    int done[2], err[2];
    assert_int_equal(pipe2(done, O_CLOEXEC), 0);
    assert_int_equal(pipe2(err, O_CLOEXEC), 0);
    pid_t collector = fork();
    assert_true(collector >= 0);
    if (collector == 0) {
        ct_collector *c;
        ct_child_pool *pool;
        char env[64];
        if (ct_collector_open(&c, "/dev/null", SMALL_POOL) != 0 ||
            ct_collector_pool(c, &pool, env, sizeof env) != 0)
            _exit(1);
        if (fork() == 0) {
            putenv(env);
            ct_child_pool_inherit(pool);
            dup2(err[1], STDERR_FILENO);
            char fd_text[16];
            snprintf(fd_text, sizeof fd_text, "%d", done[1]);
            fcntl(done[1], F_SETFD, 0);
            execl(self_exe, self_exe, "--child", "single", fd_text, (char *)NULL);
            _exit(127);
        }
        _exit(0); /* gone, without a single drain */
    }
    close(done[1]);
    close(err[1]);
    int status;
    assert_int_equal(waitpid(collector, &status, 0), collector);
    struct pollfd pfd = {done[0], POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 60000), 1); /* generous: a loaded sanitizer build */
    char word[8] = "";
    assert_int_equal(read(done[0], word, sizeof word), 4);
    assert_memory_equal(word, "done", 4);
    char text[1024] = "";
    ssize_t n = read(err[0], text, sizeof text - 1);
    assert_true(n > 0);
    assert_non_null(strstr(text, "the trace collector"));
    assert_non_null(strstr(text, "is gone: tracing stopped"));
    close(done[0]);
    close(err[0]);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--child") == 0)
        return child_main(argv[2], argc > 3 ? atoi(argv[3]) : -1);
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0)
        return 1;
    self_exe[n] = '\0';
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wait_keeps_every_event_in_order),
        cmocka_unit_test(test_wait_with_the_programs_lock_held),
        cmocka_unit_test(test_wait_with_a_slow_collector),
        cmocka_unit_test(test_drop_counts_exactly),
        cmocka_unit_test(test_signal_handler_waits_for_room),
        cmocka_unit_test(test_held_chunks_drop_not_hang),
        cmocka_unit_test(test_held_chunks_after_one_came_free_drop_not_hang),
        cmocka_unit_test(test_collector_gone_stops_tracing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
