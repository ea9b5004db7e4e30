/*
 * test_sched.c - scheduler waits (plugin/sched.h) written with ct_start()
 * and read back: both sources see a thread that shares its CPU (perf with
 * the stack where it was preempted, if asked for), perf's ring wraps and
 * overflows (SCHED_LOST), and the program is never harmed: errno
 * is kept, a closed and reused fd is left alone, a forked child does not
 * read the parent's ring, perf blocked by seccomp falls back to schedstat;
 * a short-lived thread makes no system call for its waits at its end.
 *
 * Perf-specific checks are skipped where perf_event_open is not permitted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>

#include "events.h"
#include "common/clock.h"
#include "plugin/sched.h"

static char path[512];

/* ---- helpers ------------------------------------------------------------------ */

static void start_with(const char *source)
{
    temp_trace_path(path, sizeof path, "sched");
    setenv("CTRACE_SCHED", source, 1);
    assert_int_equal(ct_start(path), 0);
}

static void stop_and_read(tevs *t)
{
    assert_int_equal(ct_stop(), 0);
    unsetenv("CTRACE_SCHED");
    assert_int_equal(tevs_read(t, path), 0);
    assert_int_equal(t->rc, 0);
    unlink(path);
}

static int gettid_(void)
{
    return (int)syscall(SYS_gettid);
}

/* The source the thread `tid` said it used, or -1. */
static int source_of(const tevs *t, int tid)
{
    int source = -1;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].ev.kind == CTR_SCHED_SOURCE && t->v[i].ev.tid == tid)
            source = (int)t->v[i].ev.object;
    return source;
}

/* The sched waits of thread `tid`: how many, and their sum in *total. */
static size_t sched_waits(const tevs *t, int tid, uint64_t *total)
{
    size_t n = 0;
    *total = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ctr_event *e = &t->v[i].ev;
        if (e->kind == CTR_BLOCK && e->block_kind == CTR_BLOCK_SCHED && e->tid == tid) {
            assert_true(e->begin_ns <= e->ts_ns);
            *total += e->ts_ns - e->begin_ns;
            n++;
        }
    }
    return n;
}

static uint64_t count_of(const tevs *t, ctr_kind kind)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].ev.kind == kind)
            n += kind == CTR_SCHED_LOST ? t->v[i].ev.count : 1;
    return n;
}

static _Thread_local volatile uint64_t sink; /* the spinning's result: kept, never read */

static void spin_cpu_ns(uint64_t ns)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 10000; i++)
            sink += (uint64_t)i * (uint64_t)i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    } while ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t.tv_nsec -
                 (uint64_t)t0.tv_nsec <
             ns);
}

/* Both the test's thread and a competitor on the CPU the test runs on. */
static cpu_set_t saved_affinity;

static void pin_to_one_cpu(cpu_set_t *one)
{
    assert_int_equal(sched_getaffinity(0, sizeof saved_affinity, &saved_affinity), 0);
    int cpu = sched_getcpu();
    CPU_ZERO(one);
    CPU_SET(cpu < 0 ? 0 : cpu, one);
    assert_int_equal(sched_setaffinity(0, sizeof *one, one), 0);
}

static void unpin(void)
{
    sched_setaffinity(0, sizeof saved_affinity, &saved_affinity);
}

struct competitor {
    cpu_set_t cpu;
    pthread_barrier_t go;
    uint64_t spin_ns;
    int yields; /* instead of spinning: switch that often */
};

static void *compete(void *arg)
{
    struct competitor *c = arg;
    pthread_setaffinity_np(pthread_self(), sizeof c->cpu, &c->cpu);
    pthread_barrier_wait(&c->go);
    if (c->yields)
        for (int i = 0; i < c->yields; i++)
            sched_yield();
    else
        spin_cpu_ns(c->spin_ns);
    return NULL;
}

/* ---- clock ---------------------------------------------------------------------- */

static void test_monotonic_ns_to_ticks(void **state)
{
    (void)state;
    assert_int_equal(ct__clock_ns_to_ticks(CT_CLOCK_MONOTONIC, 1000000000u, 5, 7, 123), 123);
    uint64_t hz = 3000000000u, t0 = 1000000, n0 = 5000000000u;
    assert_int_equal(ct__clock_ns_to_ticks(CT_CLOCK_TSC, hz, t0, n0, n0), t0);
    assert_int_equal(ct__clock_ns_to_ticks(CT_CLOCK_TSC, hz, t0, n0, n0 + 1000), t0 + 3000);
    assert_int_equal(ct__clock_ns_to_ticks(CT_CLOCK_TSC, hz, t0, n0, n0 - 100), t0 - 300);
    assert_int_equal(ct__clock_ns_to_ticks(CT_CLOCK_TSC, hz, t0, n0, 0), 0); /* before tick 0 */
    /* A day in ns at 3 GHz: ns * hz alone would overflow. */
    assert_int_equal(ct__clock_span_ticks(hz, 86400000000000ull), 259200000000000ull);
    assert_int_equal(ct__clock_span_ticks(hz, 1), 3);
    /* A wait kept for its length reads back at least as long: a reader
     * converts 25000 ticks at 2.5 GHz to within 1 ns below 10 us. */
    assert_int_equal(ct__clock_span_ticks_up(2500000000u, 10000), 25001);
    assert_int_equal(ct__clock_span_ticks_up(1000000000u, 10000), 10000); /* ns already */
}

/* ---- both sources see a thread sharing its CPU -------------------------------------- */

/* @return how many of the thread's sched waits in the task have a stack. */
static size_t sharing_a_cpu(const char *source)
{
    start_with(source);
    struct competitor c = {.spin_ns = 40000000};
    pin_to_one_cpu(&c.cpu);
    pthread_barrier_init(&c.go, NULL, 2);
    ct_task *task = ct_task_begin(NULL, "busy"); /* attaches: the source opens */
    ct_task *old = ct_task_adopt(task);
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, compete, &c), 0);
    pthread_barrier_wait(&c.go);
    spin_cpu_ns(40000000); /* 40 ms each on one CPU: each waits for the other */
    ct_task_end(task);     /* a poll point: the waits are recorded */
    ct_task_adopt(old);
    pthread_join(other, NULL);
    unpin();
    pthread_barrier_destroy(&c.go);

    tevs t;
    stop_and_read(&t);
    int want = strcmp(source, "perf") == 0 ? CTR_SCHED_PERF : CTR_SCHED_SCHEDSTAT;
    int got = source_of(&t, gettid_());
    if (want == CTR_SCHED_PERF && got == CTR_SCHED_NONE) {
        tevs_free(&t);
        skip(); /* perf_event_open is not permitted here */
    }
    assert_int_equal(got, want);
    /* Recorded in the task (current when its end polled), before that end;
     * later ones (at ct_stop) are the thread's too, outside it. */
    const tev *end = tevs_find(&t, CTR_TASK_END, "busy", 0);
    assert_non_null(end);
    uint64_t in_task = 0;
    size_t with_stack = 0;
    for (size_t i = 0; i < t.n; i++) {
        const ctr_event *e = &t.v[i].ev;
        if (e->kind == CTR_BLOCK && e->block_kind == CTR_BLOCK_SCHED && e->tid == gettid_() &&
            e->task == end->ev.task) {
            /* A preemption after the end's event and before the adopt that
             * follows it comes at the adopt's poll, still in the task then
             * current: after the end. The task's own waits come before. */
            if (e->ts_ns > end->ev.ts_ns)
                continue;
            assert_true(e->stack_len <= 16);
            in_task += e->ts_ns - e->begin_ns;
            with_stack += e->stack_len > 0;
        }
    }
    assert_true(in_task >= 5000000); /* about 40 ms; wide margin */
    tevs_free(&t);
    return with_stack;
}

/* Whether this process may sample the kernel: CAP_PERFMON (38) or
 * CAP_SYS_ADMIN (21) in effect, or perf_event_paranoid <= 1. */
static int may_sample_kernel(void)
{
    int paranoid = 2;
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    if (f) {
        if (fscanf(f, "%d", &paranoid) != 1)
            paranoid = 2;
        fclose(f);
    }
    unsigned long long caps = 0;
    char line[256];
    f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    if (f)
        fclose(f);
    return paranoid <= 1 || (caps >> 38 & 1) || (caps >> 21 & 1);
}

static void test_perf_stacks_with_frame_pointers_asked_for(void **state)
{
    (void)state;
    setenv("CTRACE_STACKS", "fp", 1);
    size_t with_stack = sharing_a_cpu("perf");
    unsetenv("CTRACE_STACKS");
    if (!may_sample_kernel())
        skip(); /* switches only: no stacks */
    assert_true(with_stack > 0);
    /* By default, none: the sample would double a context switch's cost. */
    assert_int_equal(sharing_a_cpu("perf"), 0);
}

static void test_perf_sees_a_thread_sharing_its_cpu(void **state)
{
    (void)state;
    sharing_a_cpu("perf");
}

static void test_schedstat_sees_a_thread_sharing_its_cpu(void **state)
{
    (void)state;
    assert_int_equal(sharing_a_cpu("schedstat"), 0); /* no detail, no stack */
}

/* A preemption inside a read (after the kernel took the value) shows in the
 * next read's difference: that is no reason to stop believing the file. */
static void test_schedstat_keeps_reading_while_preempted(void **state)
{
    (void)state;
    start_with("schedstat");
    struct competitor c = {.spin_ns = 30000000};
    pin_to_one_cpu(&c.cpu);
    pthread_barrier_init(&c.go, NULL, 2);
    ct_task_end(ct_task_begin(NULL, "attach"));
    ct__thread *self = ct__self;
    assert_non_null(self);
    assert_int_equal(self->sched.source, CT_SCHED_SCHEDSTAT);
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, compete, &c), 0);
    pthread_barrier_wait(&c.go);
    for (int i = 0; i < 20000 && self->sched.source == CT_SCHED_SCHEDSTAT; i++) {
        self->busy = 1; /* as inside the tracer */
        ct__sched_read_all(self);
        self->busy = 0;
    }
    int still = self->sched.source == CT_SCHED_SCHEDSTAT && self->sched.holds_fd;
    pthread_join(other, NULL);
    unpin();
    pthread_barrier_destroy(&c.go);
    tevs t;
    stop_and_read(&t);
    tevs_free(&t);
    assert_true(still);
}

static void test_off_records_none(void **state)
{
    (void)state;
    start_with("off");
    ct_task *task = ct_task_begin(NULL, "quiet");
    ct_task_end(task);
    tevs t;
    stop_and_read(&t);
    assert_int_equal(source_of(&t, gettid_()), CTR_SCHED_NONE);
    uint64_t total;
    assert_int_equal(sched_waits(&t, gettid_(), &total), 0);
    tevs_free(&t);
}

/* ---- auto defers a new thread's source ------------------------------------------------ */

/* Under ThreadSanitizer a thread attaches at its first event, not as it
 * starts (pthread_hook.c): it is never deferred. */
static void skip_under_tsan(void)
{
#if defined(__SANITIZE_THREAD__)
    skip();
#endif
}

struct grown {
    int tid;
    int source_before_due; /* at a poll point before it was due */
};

static void *live_past_the_deferral(void *arg)
{
    struct grown *g = arg;
    g->tid = gettid_();
    /* Not due yet (made so, whatever the load): a poll point leaves it deferred. */
    ct__sched *s = &ct__self->sched;
    uint64_t due = s->due_ticks;
    s->due_ticks = ct__ticks() + (1ull << 62);
    ct_task_end(ct_task_begin(NULL, "young"));
    g->source_before_due = s->source;
    s->due_ticks = due;
    struct timespec nap = {0, 3 * (long)CT_SCHED_DEFER_NS}; /* its end: a poll point */
    nanosleep(&nap, NULL);
    ct_task_end(ct_task_begin(NULL, "grown")); /* a poll point, 3 ms into its life */
    return NULL;
}

/* A thread that lives past CT_SCHED_DEFER_NS opens its source at a poll
 * point, and says so after its first, deferred, SCHED_SOURCE. */
static void test_deferred_source_opens_once_the_thread_has_lived(void **state)
{
    (void)state;
    skip_under_tsan();
    start_with("auto");
    struct grown g = {0, -1};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, live_past_the_deferral, &g), 0);
    pthread_join(th, NULL);
    tevs t;
    stop_and_read(&t);
    int tid = g.tid;
    assert_int_equal(g.source_before_due, CTR_SCHED_DEFERRED);
    assert_true(source_of(&t, gettid_()) != CTR_SCHED_DEFERRED); /* the main thread: never */
    int said = 0, last = -1;
    for (size_t i = 0; i < t.n; i++) {
        const ctr_event *e = &t.v[i].ev;
        if (e->kind != CTR_SCHED_SOURCE || e->tid != tid)
            continue;
        if (said++ == 0) {
            assert_int_equal(e->object, CTR_SCHED_DEFERRED);
            assert_int_equal(e->count, 0);
        } else {
            assert_int_equal(e->count, 1); /* replaces the deferred one */
            assert_int_equal(e->parent, CTR_SCHED_DEFERRED);
        }
        last = (int)e->object;
    }
    assert_int_equal(said, 2);
    assert_true(last == CTR_SCHED_PERF || last == CTR_SCHED_SCHEDSTAT);
    tevs_free(&t);
}

struct subject {
    int tid;
    uint64_t spin_ns;
};

static void *spin_without_poll_points(void *arg)
{
    struct subject *s = arg;
    s->tid = gettid_();
    spin_cpu_ns(s->spin_ns);
    return NULL;
}

/* A deferred thread that reaches no poll point but its end, spinning 20 ms
 * of its CPU time preempted all along by a competitor on its CPU, with CPU
 * samples at `cpu_hz`. @return its tid. */
static int preempted_spinner(const char *cpu_hz, tevs *t)
{
    skip_under_tsan();
    setenv("CTRACE_CPU_HZ", cpu_hz, 1);
    start_with("auto");
    struct competitor c = {.spin_ns = 60000000};
    pin_to_one_cpu(&c.cpu); /* threads made from here inherit the CPU */
    pthread_barrier_init(&c.go, NULL, 2);
    pthread_t other, th;
    assert_int_equal(pthread_create(&other, NULL, compete, &c), 0);
    pthread_barrier_wait(&c.go); /* the competitor spins from here */
    struct subject subject = {.spin_ns = 20000000};
    assert_int_equal(pthread_create(&th, NULL, spin_without_poll_points, &subject), 0);
    pthread_join(th, NULL);
    pthread_join(other, NULL);
    unpin();
    pthread_barrier_destroy(&c.go);
    stop_and_read(t);
    unsetenv("CTRACE_CPU_HZ");
    return subject.tid;
}

/* Without CPU samples, its waits come as one sum at its end. */
static void test_deferred_thread_preempted_records_its_waits_as_a_sum(void **state)
{
    (void)state;
    tevs t;
    int tid = preempted_spinner("0", &t);
    assert_int_equal(source_of(&t, tid), CTR_SCHED_DEFERRED);
    uint64_t total;
    assert_int_equal(sched_waits(&t, tid, &total), 1); /* one sum */
    assert_true(total >= 5000000); /* it shared its CPU for 20 ms of its own: wide margin */
    tevs_free(&t);
}

/* With CPU samples (1000 Hz: one at its first tick past 1 ms), a sample
 * opens its source: its later waits have their own times. */
static void test_deferred_thread_without_poll_points_opens_at_a_cpu_sample(void **state)
{
    (void)state;
    tevs t;
    int tid = preempted_spinner("1000", &t);
    int source = source_of(&t, tid);
    assert_true(source == CTR_SCHED_PERF || source == CTR_SCHED_SCHEDSTAT);
    uint64_t total;
    size_t waits = sched_waits(&t, tid, &total);
    assert_true(total >= 5000000);
    if (source == CTR_SCHED_PERF)
        assert_true(waits >= 2); /* preemptions of a few ms each, not one sum */
    tevs_free(&t);
}

/* ---- perf's ring: wrap and overflow ------------------------------------------------- */

/* Two threads on one CPU yielding to each other: every yield is a
 * preempted switch-out and a switch-in (48 bytes), far under the threshold. */
static void yield_race(int rounds, int yields_per_round, uint64_t *lost)
{
    struct competitor c = {.yields = rounds * yields_per_round};
    pin_to_one_cpu(&c.cpu);
    pthread_barrier_init(&c.go, NULL, 2);
    ct_task *task = ct_task_begin(NULL, "yield");
    pthread_t other;
    assert_int_equal(pthread_create(&other, NULL, compete, &c), 0);
    pthread_barrier_wait(&c.go);
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < yields_per_round; i++)
            sched_yield();
        ct_task *old = ct_task_adopt(task); /* a cheap poll point */
        ct_task_adopt(old);
    }
    /* The kernel writes its LOST record before the next record that finds
     * room: a switch (this sleep) after the ring was read, then its poll. */
    usleep(1000);
    ct_task_end(task);
    pthread_join(other, NULL);
    unpin();
    pthread_barrier_destroy(&c.go);
    tevs t;
    stop_and_read(&t);
    if (source_of(&t, gettid_()) != CTR_SCHED_PERF) {
        tevs_free(&t);
        skip();
    }
    *lost = count_of(&t, CTR_SCHED_LOST);
    tevs_free(&t);
}

static void test_perf_ring_wraps_without_loss_when_polled(void **state)
{
    (void)state;
    start_with("perf");
    uint64_t lost;
    /* 40 x 20 yields: ~38 KiB of records through an 8 KiB ring (170 KiB
     * through 32 KiB with stacks), read every 20. */
    yield_race(40, 20, &lost);
    assert_int_equal(lost, 0);
}

static void test_perf_ring_overflow_is_counted(void **state)
{
    (void)state;
    setenv("CTRACE_STACKS", "off", 1); /* the small ring */
    start_with("perf");
    uint64_t lost;
    yield_race(1, 5000, &lost); /* ~240 KiB of records, no poll point */
    unsetenv("CTRACE_STACKS");
    assert_true(lost > 0);
}

/* ---- never harm the program ------------------------------------------------------- */

static void *api_calls_keep_errno(void *arg)
{
    int *seen = arg;
    errno = 4242;
    ct_task *task = ct_task_begin(NULL, "errno"); /* attaches: opens its source */
    seen[0] = errno;
    spin_cpu_ns(2000000);
    ct_task_end(task); /* reads it */
    seen[1] = errno;
    return NULL; /* exit: reads it and closes it, after errno is gone */
}

static void test_errno_is_kept(void **state)
{
    (void)state;
    const char *sources[] = {"perf", "schedstat"};
    for (int i = 0; i < 2; i++) {
        start_with(sources[i]);
        pthread_t t;
        int seen[2] = {0, 0};
        assert_int_equal(pthread_create(&t, NULL, api_calls_keep_errno, seen), 0);
        pthread_join(t, NULL);
        assert_int_equal(seen[0], 4242);
        assert_int_equal(seen[1], 4242);
        errno = 77;
        assert_int_equal(ct_stop(), 0); /* reads and closes the caller's */
        assert_int_equal(errno, 77);
        unsetenv("CTRACE_SCHED");
        unlink(path);
    }
}

/* Our schedstat fd, found the way closefrom() would not care to: by name. */
static int find_schedstat_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int found = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[256];
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strstr(target, "/schedstat"))
            found = atoi(e->d_name);
    }
    closedir(d);
    return found;
}

struct reuse {
    int fd;      /* the number we took over, -1 if our fd was not found */
    int content; /* 0: /dev/null, 1: a file that looks like schedstat */
    int err;     /* errno after the poll point */
};

static void *close_and_reuse_our_fd(void *arg)
{
    struct reuse *r = arg;
    ct_task *task = ct_task_begin(NULL, "closefrom");
    int ours = find_schedstat_fd();
    if (ours < 0)
        return NULL;
    close(ours); /* as closefrom(3) would */
    int fd;
    if (r->content == 0) {
        fd = open("/dev/null", O_RDONLY);
    } else {
        char name[] = "/tmp/ctrace-test-fake-schedstatXXXXXX";
        fd = mkstemp(name);
        unlink(name);
        /* A run_delay far beyond the time that passed: not believed. */
        if (write(fd, "1 999999999999999 1\n", 20) != 20)
            return NULL;
    }
    if (fd != ours) { /* take the very number our fd had */
        dup2(fd, ours);
        close(fd);
    }
    r->fd = ours;
    errno = 0;
    ct_task_end(task); /* reads "its" fd: the program's file now */
    r->err = errno;
    return NULL; /* exit: must not close it */
}

static void test_closed_and_reused_fd_is_left_alone(void **state)
{
    (void)state;
    for (int content = 0; content < 2; content++) {
        start_with("schedstat");
        struct reuse r = {.fd = -1, .content = content, .err = -1};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, close_and_reuse_our_fd, &r), 0);
        pthread_join(t, NULL);
        assert_true(r.fd >= 0);
        assert_int_equal(r.err, 0);
        assert_true(fcntl(r.fd, F_GETFD) >= 0); /* still the program's, still open */
        close(r.fd);
        tevs t2;
        stop_and_read(&t2);
        uint64_t total = 0;
        for (size_t i = 0; i < t2.n; i++) /* the fake run_delay was not believed */
            if (t2.v[i].ev.kind == CTR_BLOCK && t2.v[i].ev.block_kind == CTR_BLOCK_SCHED)
                total += t2.v[i].ev.ts_ns - t2.v[i].ev.begin_ns;
        assert_true(total < 1000000000000ull);
        tevs_free(&t2);
    }
}

static void test_forked_child_does_not_read_the_parents_ring(void **state)
{
    (void)state;
    start_with("auto");
    ct_task *task = ct_task_begin(NULL, "parent"); /* this thread's ring is open */
    spin_cpu_ns(1000000);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        /* Untraced: every call a no-op, none reads the parent's ring. */
        ct_task *mine = ct_task_begin(NULL, "child");
        ct_task_adopt(mine);
        ct_task_end(mine);
        _exit(ct_is_enabled() ? 3 : 0);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    ct_task_end(task);
    tevs t;
    stop_and_read(&t);
    assert_int_equal(tevs_count(&t, CTR_TASK_BEGIN, "child"), 0);
    tevs_free(&t);
}

/* In a child: system call `nr` gets `action` (SECCOMP_RET_*) from now on. */
static int seccomp_on(long nr, uint32_t action)
{
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, action),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* In a child: perf_event_open fails with `err`, as a seccomp profile makes
 * it (Docker's default says EPERM). */
static int block_perf_event_open(int err)
{
    return seccomp_on(SYS_perf_event_open, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA));
}

static void *attach_and_leave(void *arg)
{
    (void)arg;
    ct_task_end(ct_task_begin(NULL, "worker"));
    return NULL;
}

/* The seccomp'd child ended: its trace (at `path`) into *t, once it exited
 * 0; skipped if it could not set its filter (exit status 2). */
static void read_child_trace(pid_t child, tevs *t)
{
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 2) {
        unlink(path);
        skip(); /* no seccomp here */
    }
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(tevs_read(t, path), 0);
    unlink(path);
    assert_int_equal(t->rc, 0);
}

/* ---- short threads -------------------------------------------------------------- */

#if defined(__x86_64__)
static volatile sig_atomic_t getrusage_calls;

/* getrusage, trapped by seccomp: counted, and failed with EPERM. */
static void count_getrusage(int sig, siginfo_t *si, void *context)
{
    (void)sig;
    (void)si;
    getrusage_calls++;
    ((ucontext_t *)context)->uc_mcontext.gregs[REG_RAX] = -EPERM;
}
#endif

static void *do_nothing(void *arg)
{
    return arg;
}

/* A deferred thread that ends before it could have waited the shortest
 * wait recorded asks the kernel nothing about its waits at its end: most
 * threads of a test live a few microseconds. Each one asked before (one
 * getrusage); of 50 threads made and joined, some at least now do not,
 * however loaded the machine. */
static void test_short_thread_reads_no_waits_at_its_end(void **state)
{
    (void)state;
#if !defined(__x86_64__)
    skip(); /* the trap's handler sets x86-64's result register */
#else
    skip_under_tsan(); /* threads attach at their first event: these make none */
    enum { THREADS = 50 };
    temp_trace_path(path, sizeof path, "sched-short");
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = count_getrusage;
        sa.sa_flags = SA_SIGINFO;
        if (sigaction(SIGSYS, &sa, NULL) != 0 || seccomp_on(SYS_getrusage, SECCOMP_RET_TRAP) != 0)
            _exit(2);
        setenv("CTRACE_SCHED", "auto", 1);
        if (ct_start(path) != 0)
            _exit(3);
        for (int i = 0; i < THREADS; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, do_nothing, NULL) != 0)
                _exit(4);
            pthread_join(t, NULL);
        }
        int calls = getrusage_calls;
        if (ct_stop() != 0)
            _exit(5);
        _exit(calls < THREADS ? 0 : 6);
    }
    tevs t;
    read_child_trace(child, &t);
    size_t deferred = 0;
    for (size_t i = 0; i < t.n; i++)
        deferred += t.v[i].ev.kind == CTR_SCHED_SOURCE && t.v[i].ev.object == CTR_SCHED_DEFERRED;
    assert_int_equal(deferred, THREADS); /* each was deferred, as the check assumes */
    tevs_free(&t);
#endif
}

static void test_perf_blocked_by_seccomp_falls_back(void **state)
{
    (void)state;
    const int errors[] = {EPERM, ENOSYS};
    const char *modes[] = {"auto", "perf"};
    for (int e = 0; e < 2; e++) {
        for (int m = 0; m < 2; m++) {
            temp_trace_path(path, sizeof path, "sched-seccomp");
            pid_t child = fork();
            assert_true(child >= 0);
            if (child == 0) {
                if (block_perf_event_open(errors[e]) != 0)
                    _exit(2);
                setenv("CTRACE_SCHED", modes[m], 1);
                if (ct_start(path) != 0)
                    _exit(3);
                pthread_t t;
                pthread_create(&t, NULL, attach_and_leave, NULL);
                pthread_join(t, NULL);
                ct_task_end(ct_task_begin(NULL, "main"));
                _exit(ct_stop() == 0 ? 0 : 4);
            }
            tevs t;
            read_child_trace(child, &t);
            /* auto: schedstat instead (the worker's deferred, unless it
             * lived past the deferral: then schedstat too); perf insisted
             * on: none. */
            int want = m == 0 ? CTR_SCHED_SCHEDSTAT : CTR_SCHED_NONE;
            size_t sources = 0, replaced = 0;
            for (size_t i = 0; i < t.n; i++) {
                const ctr_event *ev = &t.v[i].ev;
                if (ev->kind == CTR_SCHED_SOURCE) {
                    /* the worker may be deferred; the main thread never is */
                    assert_true((int)ev->object == want ||
                                (m == 0 && ev->object == CTR_SCHED_DEFERRED && ev->tid != child));
                    sources++;
                    replaced += ev->count;
                }
            }
            assert_int_equal(sources - replaced, 2); /* the worker and the main thread */
            tevs_free(&t);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotonic_ns_to_ticks),
        cmocka_unit_test(test_perf_sees_a_thread_sharing_its_cpu),
        cmocka_unit_test(test_schedstat_sees_a_thread_sharing_its_cpu),
        cmocka_unit_test(test_perf_stacks_with_frame_pointers_asked_for),
        cmocka_unit_test(test_schedstat_keeps_reading_while_preempted),
        cmocka_unit_test(test_off_records_none),
        cmocka_unit_test(test_deferred_source_opens_once_the_thread_has_lived),
        cmocka_unit_test(test_deferred_thread_preempted_records_its_waits_as_a_sum),
        cmocka_unit_test(test_deferred_thread_without_poll_points_opens_at_a_cpu_sample),
        cmocka_unit_test(test_perf_ring_wraps_without_loss_when_polled),
        cmocka_unit_test(test_perf_ring_overflow_is_counted),
        cmocka_unit_test(test_errno_is_kept),
        cmocka_unit_test(test_closed_and_reused_fd_is_left_alone),
        cmocka_unit_test(test_forked_child_does_not_read_the_parents_ring),
        cmocka_unit_test(test_perf_blocked_by_seccomp_falls_back),
        cmocka_unit_test(test_short_thread_reads_no_waits_at_its_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
