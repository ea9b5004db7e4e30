/*
 * sched.c - what capturing scheduler waits costs (plugin/sched.h):
 *
 *   1. a poll point with an empty perf ring (task begin/adopt pay it);
 *   2. a poll point that reads schedstat (task end, waits, refills pay it),
 *      and the bare pread of the file it is made of;
 *   3. a context switch without a perf event, with the switch-record event
 *      every traced thread holds, and with the callchain-sampled one used
 *      where the kernel may be sampled: two threads on one CPU yield to each
 *      other, so every yield is a switch.
 *
 * Prints figures, never pass/fail; each is the best of several runs, the
 * runs of a comparison interleaved. Linked with the static library: it
 * calls the plugin's internals.
 *
 *     build/bench/sched
 */
#include <fcntl.h>   /* open */
#include <linux/perf_event.h> /* struct perf_event_mmap_page */
#include <pthread.h> /* pthread_create, pthread_barrier_t */
#include <sched.h>   /* sched_yield, sched_setaffinity */
#include <stdio.h>   /* printf */
#include <stdlib.h>  /* setenv */
#include <string.h>  /* memset */
#include <time.h>    /* clock_gettime */
#include <unistd.h>  /* pread, unlink */

#include <ctrace.h>

#include "plugin/sched.h"
#include "plugin/sched_source.h"

#define RUNS 7
#define POLLS 20000000
#define READS 20000
#define SWITCHES 100000 /* per thread per run */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void keep_best(double *best, double ns)
{
    if (ns < *best)
        *best = ns;
}

/* The calling thread, attached to a session with CTRACE_SCHED=source. */
static ct__thread *traced_self(const char *source, const char *trace)
{
    setenv("CTRACE_SCHED", source, 1);
    if (ct_start(trace) != 0)
        return NULL;
    ct_task_end(ct_task_begin(NULL, "attach"));
    return ct__self;
}

/* ---- 1, 2: poll points ---------------------------------------------------------- */

static double empty_perf_polls(ct__thread *t)
{
    double t0 = now_ns();
    for (int i = 0; i < POLLS; i++)
        ct__sched_poll(t);
    return (now_ns() - t0) / POLLS;
}

static double schedstat_reads(ct__thread *t)
{
    double t0 = now_ns();
    for (int i = 0; i < READS; i++)
        ct__sched_read_all(t);
    return (now_ns() - t0) / READS;
}

static double bare_preads(int fd)
{
    char buf[96];
    double t0 = now_ns();
    for (int i = 0; i < READS; i++)
        if (pread(fd, buf, sizeof buf, 0) <= 0)
            return -1;
    return (now_ns() - t0) / READS;
}

/* ---- 3: context switches -------------------------------------------------------- */

enum { NO_EVENT, SWITCHES_ONLY, WITH_STACKS, CONDITIONS };
static const char *const condition_name[CONDITIONS] = {
    "no perf event", "switch records (every traced thread)",
    "switch records + user callchain sample"};

struct yielder {
    cpu_set_t cpu;
    pthread_barrier_t *go;
    int condition;
    int failed;
};

/* Yield SWITCHES times on one CPU with the other yielder; the ring, if
 * any, is emptied every 32 yields (what a poll point does, without parsing). */
static void *yield_loop(void *arg)
{
    struct yielder *y = arg;
    pthread_setaffinity_np(pthread_self(), sizeof y->cpu, &y->cpu);
    ct__sched s;
    memset(&s, 0, sizeof s);
    if (y->condition != NO_EVENT &&
        ct__sched_perf_open(&s, (int32_t)gettid(), y->condition == WITH_STACKS) != 0)
        y->failed = 1;
    pthread_barrier_wait(y->go);
    for (int i = 0; i < SWITCHES; i++) {
        sched_yield();
        if (s.ring && (i & 31) == 0) {
            struct perf_event_mmap_page *h = s.ring;
            __atomic_store_n(&h->data_tail, __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE),
                             __ATOMIC_RELEASE);
        }
    }
    ct__sched_perf_close(&s);
    return NULL;
}

/* ns per context switch, or -1 if the event could not be opened. */
static double switches(int condition)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 3);
    struct yielder y[2] = {{one, &go, condition, 0}, {one, &go, condition, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, yield_loop, &y[i]);
    pthread_barrier_wait(&go);
    double t0 = now_ns();
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    double ns = (now_ns() - t0) / (2.0 * SWITCHES);
    pthread_barrier_destroy(&go);
    return y[0].failed || y[1].failed ? -1 : ns;
}

int main(void)
{
    const char *trace = "/tmp/ctrace-bench-sched.trace";
    double poll = 1e30, stat = 1e30, pread_ns = 1e30;
    int perf = 0, schedstat = 0;
    for (int r = 0; r < RUNS; r++) {
        ct__thread *t = traced_self("perf", trace);
        if (t && t->sched.source == CT_SCHED_PERF) {
            perf = 1;
            keep_best(&poll, empty_perf_polls(t));
        }
        ct_stop();
        t = traced_self("schedstat", trace);
        if (t && t->sched.source == CT_SCHED_SCHEDSTAT) {
            schedstat = 1;
            keep_best(&stat, schedstat_reads(t));
        }
        ct_stop();
        int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            double ns = bare_preads(fd);
            if (ns > 0)
                keep_best(&pread_ns, ns);
            close(fd);
        }
    }
    unsetenv("CTRACE_SCHED");
    unlink(trace);

    printf("scheduler waits: poll points, best of %d runs\n", RUNS);
    if (perf)
        printf("  poll point, empty perf ring          %8.2f ns\n", poll);
    else
        printf("  poll point, empty perf ring          (perf_event_open not permitted)\n");
    if (schedstat)
        printf("  poll point reading schedstat         %8.2f us\n", stat / 1000);
    printf("  of which pread of schedstat          %8.2f us\n", pread_ns / 1000);

    double best[CONDITIONS] = {1e30, 1e30, 1e30};
    int ok[CONDITIONS] = {1, 1, 1};
    for (int r = 0; r < RUNS; r++) {
        for (int c = 0; c < CONDITIONS; c++) {
            if (!ok[c])
                continue;
            double ns = switches(c);
            if (ns < 0)
                ok[c] = 0;
            else
                keep_best(&best[c], ns);
        }
    }
    printf("context switch (two threads yielding on one CPU), best of %d runs of %d\n", RUNS,
           2 * SWITCHES);
    for (int c = 0; c < CONDITIONS; c++) {
        if (!ok[c]) {
            printf("  %-40s (not permitted here)\n", condition_name[c]);
            continue;
        }
        printf("  %-40s %8.0f ns", condition_name[c], best[c]);
        if (c != NO_EVENT)
            printf("  (+%.0f ns)", best[c] - best[NO_EVENT]);
        putchar('\n');
    }
    return 0;
}
