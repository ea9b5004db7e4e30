/*
 * thread_start.c - what tracing costs a thread's start: 2000 threads made
 * and joined one after another, each doing nothing or one traced region,
 * bare (no session) and traced with scheduler-wait capture off and on
 * (CTRACE_SCHED=off, =auto: perf where permitted, else schedstat).
 *
 * Prints figures and ratios against bare, never pass/fail (goal: traced
 * with capture on within 1.2x of bare): wall time, and the CPU time of the
 * whole process (its threads, the tracer's drain thread among them), which
 * other load on this small machine disturbs less. Each figure is the best
 * of several runs, the runs of every condition interleaved so that load
 * falls on them alike. Every condition is run twice: with the process free
 * to run on any CPU, and pinned to one. On this 2-core VM where a new
 * thread lands decides its cost more than anything (a wake-up across CPUs
 * costs a bare thread start twice over, 30 us against 12), and the
 * scheduler's choice moves with what else runs; on one CPU no wake-up
 * crosses CPUs and wall time is the sum of all the work, the tracer's drain
 * thread's included, so that figure shows the tracer's own cost. Under the
 * runner, where the drain runs in another process, see
 * bench/thread_start_runner.sh. Linked against the shared libctrace, as
 * users link it. A traced run is a session of its own (ct_start, ct_stop
 * outside the timing); its trace is read back to say which source each
 * thread's scheduler waits came from.
 *
 *   thread_start            full run (7 runs of 2000 threads)
 *   thread_start --quick    smoke run (3 runs of 300)
 */
#include <errno.h>   /* errno */
#include <sched.h>   /* sched_setaffinity */
#include <pthread.h> /* pthread_create, pthread_join */
#include <stdio.h>   /* printf */
#include <stdlib.h>  /* setenv, mkdtemp */
#include <string.h>  /* strcmp, strerror */
#include <unistd.h>  /* unlink, rmdir */

#include <ctrace.h>
#include <ctrace_reader.h>

#include "bench_clock.h"

enum { BARE, SCHED_OFF, SCHED_AUTO, CONDITIONS };
static const char *const condition_name[CONDITIONS] = {"bare (no session)", "CTRACE_SCHED=off",
                                                       "CTRACE_SCHED=auto"};
static const char *const sched_env[CONDITIONS] = {NULL, "off", "auto"};

enum { ANY_CPU, ONE_CPU, PLACEMENTS };
static const char *const placement_name[PLACEMENTS] = {"free to run on any CPU",
                                                       "pinned to one CPU"};

enum { EMPTY, ONE_REGION, WORKLOADS };
static const char *const workload_name[WORKLOADS] = {"doing nothing", "one region"};

static void *empty_thread(void *arg)
{
    return arg;
}

static void *region_thread(void *arg)
{
    ct_region r = ct_region_begin(NULL, "work");
    ct_region_end(&r);
    return arg;
}

struct cost {
    double wall, cpu; /* ns per thread */
};

/* What a thread made and joined costs; wall -1 if one could not be made. */
static struct cost make_threads(int workload, int n)
{
    void *(*fn)(void *) = workload == EMPTY ? empty_thread : region_thread;
    struct cost c = {-1, -1};
    uint64_t t0 = ct__mono_ns(), c0 = bench_process_cpu_ns();
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, fn, NULL) != 0)
            return c;
        pthread_join(t, NULL);
    }
    c.wall = (double)(ct__mono_ns() - t0) / n;
    c.cpu = (double)(bench_process_cpu_ns() - c0) / n;
    return c;
}

/* Threads of the trace at path by their scheduler-wait source: a thread's
 * last SCHED_SOURCE counts (a thread may change source). */
struct sources {
    uint64_t threads, by_source[CTR_SCHED_DEFERRED + 1];
};

#define TIDS 8192 /* open addressing, tid -> its last source; more threads than runs make */

static void count_sources(const char *path, struct sources *s)
{
    static struct {
        uint32_t tid;
        uint8_t source;
    } seen[TIDS];
    memset(seen, 0, sizeof seen);
    memset(s, 0, sizeof *s);
    ctr_reader *r;
    if (ctr_open(&r, path) != 0)
        return;
    ctr_event ev;
    while (ctr_next(r, &ev) == 1) {
        if (ev.kind == CTR_THREAD_BEGIN)
            s->threads++;
        if (ev.kind != CTR_SCHED_SOURCE || ev.object > CTR_SCHED_DEFERRED || ev.tid == 0)
            continue;
        uint32_t i = (uint32_t)ev.tid % TIDS;
        while (seen[i].tid && seen[i].tid != (uint32_t)ev.tid)
            i = (i + 1) % TIDS;
        if (seen[i].tid)
            s->by_source[seen[i].source]--; /* changed its source: counted once */
        seen[i].tid = (uint32_t)ev.tid;
        seen[i].source = (uint8_t)ev.object;
        s->by_source[ev.object]++;
    }
    ctr_close(r);
}

static struct cost run(int condition, int workload, int n, const char *path,
                       struct sources *src)
{
    if (condition != BARE) {
        setenv("CTRACE_SCHED", sched_env[condition], 1);
        int rc = ct_start(path);
        if (rc != 0) {
            fprintf(stderr, "thread_start: ct_start(%s): %s\n", path, ct_strerror(rc));
            exit(2);
        }
    }
    struct cost c = make_threads(workload, n);
    if (condition != BARE) {
        ct_stop();
        count_sources(path, src);
        unlink(path);
    }
    return c;
}

/* Pin the process (threads made from now on too) to the CPU it runs on, or
 * give back the CPUs it had. */
static void place(int placement, const cpu_set_t *all)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    int cpu = sched_getcpu();
    CPU_SET(cpu < 0 ? 0 : cpu, &one);
    if (sched_setaffinity(0, sizeof one, placement == ONE_CPU ? &one : all) != 0) {
        fprintf(stderr, "thread_start: sched_setaffinity: %s\n", strerror(errno));
        exit(2);
    }
}

static void print_paranoid(void)
{
    FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
    int level = 99;
    if (f) {
        if (fscanf(f, "%d", &level) != 1)
            level = 99;
        fclose(f);
    }
    printf("perf_event_paranoid %d, euid %d\n", level, (int)geteuid());
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    if (argc > 1 && !quick) {
        fprintf(stderr, "usage: thread_start [--quick]\n");
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    int runs = quick ? 3 : 7, n = quick ? 300 : 2000;
    char dir[256], path[320];
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/ctrace-thread-start-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "thread_start: mkdtemp(%s): %s\n", dir, strerror(errno));
        return 2;
    }
    snprintf(path, sizeof path, "%s/t.ctrace", dir);

    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all) != 0) {
        fprintf(stderr, "thread_start: sched_getaffinity: %s\n", strerror(errno));
        return 2;
    }
    struct cost best[PLACEMENTS][WORKLOADS][CONDITIONS];
    struct sources src[WORKLOADS][CONDITIONS];
    memset(src, 0, sizeof src);
    for (int p = 0; p < PLACEMENTS; p++)
        for (int w = 0; w < WORKLOADS; w++)
            for (int c = 0; c < CONDITIONS; c++)
                best[p][w][c].wall = best[p][w][c].cpu = 1e30;
    for (int r = 0; r < runs; r++)
        for (int p = 0; p < PLACEMENTS; p++) {
            place(p, &all);
            for (int w = 0; w < WORKLOADS; w++)
                for (int c = 0; c < CONDITIONS; c++) {
                    struct cost k = run(c, w, n, path, &src[w][c]);
                    if (k.wall < 0) {
                        fprintf(stderr, "thread_start: pthread_create failed\n");
                        return 2;
                    }
                    if (k.wall < best[p][w][c].wall)
                        best[p][w][c].wall = k.wall;
                    if (k.cpu < best[p][w][c].cpu)
                        best[p][w][c].cpu = k.cpu;
                }
        }
    place(ANY_CPU, &all);
    rmdir(dir);

    printf("thread start: %d threads made and joined one after another, best of %d "
           "interleaved runs;\nper thread: wall time, and CPU time of the whole process\n", n,
           runs);
    print_paranoid();
    for (int p = 0; p < PLACEMENTS; p++) {
        printf("the process %s:\n", placement_name[p]);
        for (int w = 0; w < WORKLOADS; w++) {
            printf(" each thread %s:\n", workload_name[w]);
            for (int c = 0; c < CONDITIONS; c++) {
                const struct cost *k = &best[p][w][c], *bare = &best[p][w][BARE];
                printf("  %-18s wall %7.2f us", condition_name[c], k->wall / 1000);
                if (c != BARE)
                    printf(" %5.2fx", k->wall / bare->wall);
                else
                    printf("       ");
                printf("  cpu %7.2f us", k->cpu / 1000);
                if (c != BARE)
                    printf(" %5.2fx  +%.2f us", k->cpu / bare->cpu, (k->cpu - bare->cpu) / 1000);
                if (c == SCHED_AUTO)
                    printf("  (goal <= 1.20x)");
                putchar('\n');
            }
        }
    }
    for (int w = 0; w < WORKLOADS; w++)
        printf("threads (%s), CTRACE_SCHED=auto, the last run: %llu, their sched source: "
               "perf %llu, schedstat %llu, none %llu, deferred to the end %llu\n",
               workload_name[w],
               (unsigned long long)src[w][SCHED_AUTO].threads,
               (unsigned long long)src[w][SCHED_AUTO].by_source[CTR_SCHED_PERF],
               (unsigned long long)src[w][SCHED_AUTO].by_source[CTR_SCHED_SCHEDSTAT],
               (unsigned long long)src[w][SCHED_AUTO].by_source[CTR_SCHED_NONE],
               (unsigned long long)src[w][SCHED_AUTO].by_source[CTR_SCHED_DEFERRED]);
    return 0;
}
