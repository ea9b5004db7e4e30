/*
 * test_cpu_sample.c - CPU samples (plugin/cpu_sample.h) written with
 * ct_start() and read back: a thread burning CPU in a region is sampled
 * there, with its task and region; samples that find the thread inside the
 * tracer are parked and written, never lost; a rate of 0 samples nothing;
 * a program that handles SIGPROF keeps it, from the start or taken later;
 * a thread the program starts is sampled too.
 *
 * Counts are checked with wide margins (a loaded machine, a sanitizer):
 * only that samples are there in the right places, never how many exactly.
 * Under ThreadSanitizer, which delivers a signal at the next call it
 * intercepts rather than where it arrived, stacks and counts are not
 * looked at, and a burn that must be sampled lasts longer (SAMPLED).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace.h>

#include "events.h"
#include "plugin/api_internal.h" /* ct__enter, ct__leave */
#include "plugin/cpu_sample.h"   /* ct__cpu_check */

#if defined(__SANITIZE_THREAD__)
#define TSAN 1
#else
#define TSAN 0
#endif

/* How many times longer a burn that must be sampled lasts: ThreadSanitizer
 * runs a held-back SIGPROF seldom on a loaded machine (2 to 22 handler
 * calls in 150 ms of CPU time, the kernel's overruns counting the rest;
 * none at all in 1 run of 60 with two spinners, which failed `n >= 1`). */
#define SAMPLED (TSAN ? 6 : 1)

static char path[512];

static void start_at(const char *hz)
{
    temp_trace_path(path, sizeof path, "cpu");
    setenv("CTRACE_CPU_HZ", hz, 1);
    assert_int_equal(ct_start(path), 0);
}

static void stop_and_read(tevs *t)
{
    assert_int_equal(ct_stop(), 0);
    unsetenv("CTRACE_CPU_HZ");
    assert_int_equal(tevs_read(t, path), 0);
    assert_int_equal(t->rc, 0);
    unlink(path);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Burn `ns` of this thread's CPU time, in this function's own loop. */
__attribute__((noinline)) static uint64_t burn_cpu(uint64_t ns)
{
    volatile uint64_t x = 1;
    uint64_t end = thread_cpu_ns() + ns;
    while (thread_cpu_ns() < end)
        for (int i = 0; i < 20000; i++)
            x = x * 6364136223846793005u + (uint64_t)i;
    return x;
}

/* Whether a sample's stack has burn_cpu among its first frames: pc - 1 in
 * its first 512 bytes (the loop is at its start). */
static int in_burn_cpu(const ctr_event *e)
{
    uintptr_t lo = (uintptr_t)burn_cpu;
    for (uint32_t i = 0; i < e->stack_len && i < 3; i++)
        if (e->stack[i] - 1 >= lo && e->stack[i] - 1 < lo + 512)
            return 1;
    return 0;
}

static uint64_t samples_of(const tevs *t, int tid, const char *region, uint64_t *in_burn)
{
    uint64_t n = 0;
    *in_burn = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ctr_event *e = &t->v[i].ev;
        if (e->kind != CTR_CPU_SAMPLE || (tid && e->tid != tid) ||
            (region && strcmp(t->v[i].name, region) != 0))
            continue;
        n += e->count;
        *in_burn += in_burn_cpu(e) ? e->count : 0;
    }
    return n;
}

static int state_of(const tevs *t, int tid)
{
    int state = -1;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].ev.kind == CTR_CPU_SOURCE && t->v[i].ev.tid == tid)
            state = (int)t->v[i].ev.object;
    return state;
}

static int gettid_(void)
{
    return (int)syscall(SYS_gettid);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_burning_in_a_region_is_sampled_there(void **state)
{
    (void)state;
    start_at("1000");
    ct_task *task = ct_task_begin(NULL, "crunch");
    ct_region r = ct_region_begin(task, "burning");
    burn_cpu(SAMPLED * 200000000); /* 0.2 s: 200 samples at 1000 Hz */
    ct_region_end(&r);
    ct_task_end(task);
    tevs t;
    stop_and_read(&t);

    assert_int_equal(state_of(&t, gettid_()), CTR_CPU_ON);
    const tev *src = tevs_find(&t, CTR_CPU_SOURCE, NULL, 0);
    assert_non_null(src);
    assert_int_equal(src->ev.count, 1000);
    uint64_t in_burn, n = samples_of(&t, gettid_(), "burning", &in_burn);
    assert_true(n >= (TSAN ? 1 : 50));
    if (!TSAN)
        assert_true(in_burn * 2 >= n); /* the loop is where most samples are */
    const tev *one = NULL;
    for (size_t i = 0; i < t.n && !one; i++)
        if (t.v[i].ev.kind == CTR_CPU_SAMPLE && strcmp(t.v[i].name, "burning") == 0)
            one = &t.v[i];
    assert_non_null(one);
    assert_string_equal(one->message, "crunch"); /* its task */
    assert_int_equal(one->ev.object, 1000000);    /* the period, ns */
    assert_int_equal(one->ev.parent, 0);          /* no test around it */
    assert_int_equal(tevs_count(&t, CTR_LOST, NULL), 0);
    tevs_free(&t);
}

/* Every sample of a thread that spends its time inside the tracer (busy,
 * as mid-event) is parked and written when it leaves: counted, not lost. */
static void test_samples_inside_the_tracer_are_parked_not_lost(void **state)
{
    (void)state;
    start_at("1000");
    ct_task *task = ct_task_begin(NULL, "inside");
    ct_region r = ct_region_begin(task, "busy");
    struct ct__thread *self = ct__enter();
    assert_non_null(self);
    burn_cpu(SAMPLED * 150000000); /* 150 samples, all while busy */
    ct__leave(self);
    ct_region_end(&r); /* its entry writes what was parked, inside the region still */
    ct_task_end(task);
    tevs t;
    stop_and_read(&t);

    uint64_t in_burn, n = samples_of(&t, gettid_(), NULL, &in_burn);
    assert_true(n >= (TSAN ? 1 : 40));
    /* parked ones come as one event counting them all, at the first's stack:
     * the largest count (a sample after the loop counts a few more periods
     * too when the kernel's tick comes late, on a loaded machine) */
    const tev *parked = NULL;
    for (size_t i = 0; i < t.n; i++)
        if (t.v[i].ev.kind == CTR_CPU_SAMPLE && t.v[i].ev.count > 1 &&
            (!parked || t.v[i].ev.count > parked->ev.count))
            parked = &t.v[i];
    if (!TSAN) {
        assert_non_null(parked);
        assert_string_equal(parked->message, "inside");
        assert_true(in_burn_cpu(&parked->ev));
    }
    assert_int_equal(tevs_count(&t, CTR_LOST, NULL), 0);
    const tev *end = tevs_find(&t, CTR_PROCESS_END, NULL, 0);
    assert_non_null(end);
    assert_int_equal(end->ev.count, 0); /* no event lost */
    tevs_free(&t);
}

static void test_rate_zero_samples_nothing(void **state)
{
    (void)state;
    start_at("0");
    ct_task *task = ct_task_begin(NULL, "idle");
    burn_cpu(50000000);
    ct_task_end(task);
    tevs t;
    stop_and_read(&t);
    assert_int_equal(state_of(&t, gettid_()), CTR_CPU_OFF);
    assert_int_equal(tevs_count(&t, CTR_CPU_SAMPLE, NULL), 0);
    tevs_free(&t);
}

static volatile sig_atomic_t own_ticks;

static void own_handler(int sig)
{
    (void)sig;
    own_ticks++;
}

/* gprof, gperftools: a program that handles SIGPROF keeps its handler, and
 * gets no signal of ours. */
static void test_a_program_handling_sigprof_is_left_alone(void **state)
{
    (void)state;
    struct sigaction sa, before, after;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = own_handler;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGPROF, &sa, &before), 0);
    own_ticks = 0;
    start_at("1000");
    ct_task *task = ct_task_begin(NULL, "profiled");
    burn_cpu(50000000);
    ct_task_end(task);
    tevs t;
    stop_and_read(&t);
    assert_int_equal(sigaction(SIGPROF, &before, &after), 0);
    assert_ptr_equal(after.sa_handler, own_handler);
    assert_int_equal(own_ticks, 0); /* no timer of ours reached it */
    assert_int_equal(state_of(&t, gettid_()), CTR_CPU_TAKEN);
    assert_int_equal(tevs_count(&t, CTR_CPU_SAMPLE, NULL), 0);
    tevs_free(&t);
}

/* SI_TIMER signals the program's handler got, on any thread: atomic (a
 * plain count is a race TSan reports, and its report then hangs). */
static int timer_ticks;
static atomic_int spinning, stop_spinning;
static atomic_int checked, spun_after_check; /* the test's check, the spinner's round after it */

static void own_timer_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_code == SI_TIMER)
        __atomic_add_fetch(&timer_ticks, 1, __ATOMIC_RELAXED);
}

static void *spinner(void *arg)
{
    (void)arg;
    ct_region r = ct_region_begin(NULL, "spin"); /* attached: its timer is armed */
    spinning = 1;
    while (!stop_spinning) {
        int after_check = checked;
        burn_cpu(1000000); /* its calls TSan intercepts run a tick it held back */
        if (after_check)
            spun_after_check = 1;
    }
    ct_region_end(&r);
    return NULL;
}

/* A program that takes SIGPROF after sampling began (gperftools'
 * ProfilerStart in main): at the next check (a test's begin) every thread's
 * timer is deleted, a busy thread's too, and no tick of ours reaches it. */
static void test_a_program_taking_sigprof_later_gets_no_tick(void **state)
{
    (void)state;
    start_at("1000");
    spinning = stop_spinning = checked = spun_after_check = 0;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, spinner, NULL), 0);
    while (!spinning)
        burn_cpu(1000000);
    struct sigaction sa, before;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = own_timer_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGPROF, &sa, &before), 0);
    ct__cpu_check(UINT64_MAX / 2); /* what a test's begin does */
    /* A tick sent before the timers went may still be on its way: held
     * back by TSan until its thread's next call it intercepts (the
     * spinner's could come after the count was reset: 1 tick, a loaded TSan
     * run). Each thread makes such a call before the count starts. */
    checked = 1;
    struct timespec ms = {0, 1000000};
    while (!spun_after_check)
        nanosleep(&ms, NULL);
    __atomic_store_n(&timer_ticks, 0, __ATOMIC_RELAXED);
    struct timespec pause = {0, 100000000};
    nanosleep(&pause, NULL); /* the spinner burns 0.1 s: 100 ticks if its timer lived */
    stop_spinning = 1;
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(__atomic_load_n(&timer_ticks, __ATOMIC_RELAXED), 0);
    tevs t;
    stop_and_read(&t);
    assert_int_equal(sigaction(SIGPROF, &before, NULL), 0);
    tevs_free(&t);
}

static void *burner(void *arg)
{
    (void)arg;
    ct_region r = ct_region_begin(NULL, "worker burn");
    burn_cpu(SAMPLED * 100000000);
    ct_region_end(&r);
    return (void *)(intptr_t)gettid_();
}

static void test_threads_the_program_starts_are_sampled(void **state)
{
    (void)state;
    start_at("1000");
    pthread_t th;
    void *tid;
    assert_int_equal(pthread_create(&th, NULL, burner, NULL), 0);
    assert_int_equal(pthread_join(th, &tid), 0);
    tevs t;
    stop_and_read(&t);
    assert_int_equal(state_of(&t, (int)(intptr_t)tid), CTR_CPU_ON);
    uint64_t in_burn, n = samples_of(&t, (int)(intptr_t)tid, "worker burn", &in_burn);
    assert_true(n >= (TSAN ? 1 : 25));
    tevs_free(&t);
}

/* After ct_stop() the timers of the session stop with it: the program
 * goes on without signals of ours, and a second session samples again. */
static void test_a_second_session_samples_again(void **state)
{
    (void)state;
    start_at("1000");
    burn_cpu(20000000);
    tevs t;
    stop_and_read(&t);
    tevs_free(&t);
    burn_cpu(20000000); /* the handler disarms the old timer, writes nothing */
    start_at("1000");
    ct_region r = ct_region_begin(NULL, "again");
    burn_cpu(SAMPLED * 100000000);
    ct_region_end(&r);
    stop_and_read(&t);
    uint64_t in_burn, n = samples_of(&t, gettid_(), "again", &in_burn);
    assert_true(n >= (TSAN ? 1 : 25));
    tevs_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burning_in_a_region_is_sampled_there),
        cmocka_unit_test(test_samples_inside_the_tracer_are_parked_not_lost),
        cmocka_unit_test(test_rate_zero_samples_nothing),
        cmocka_unit_test(test_threads_the_program_starts_are_sampled),
        cmocka_unit_test(test_a_second_session_samples_again),
        cmocka_unit_test(test_a_program_handling_sigprof_is_left_alone),
        cmocka_unit_test(test_a_program_taking_sigprof_later_gets_no_tick),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
