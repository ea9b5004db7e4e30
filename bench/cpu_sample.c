/*
 * cpu_sample.c - what a CPU sample costs (plugin/cpu_sample.h).
 *
 * 1. Per sample: SIGPROF signals sent to the calling thread as its timer
 *    would send them (si_code SI_TIMER, its thread as value), each taking
 *    a sample: the stack walk and the CPU_SAMPLE event, delivery and
 *    return included. Against the same signals caught by an empty handler
 *    (what any signal costs), in the same run.
 * 2. End to end: a fixed amount of work (a loop of multiplications) timed
 *    in the thread's CPU time, traced with CTRACE_CPU_HZ=0, 100 and 1000,
 *    and the samples the trace holds. The kernel checks CPU timers at its
 *    tick, so above its rate (often 250 Hz) a signal carries several
 *    samples: the cost follows the signals, not the rate.
 *
 * Prints figures and ratios, never pass/fail. Each figure is the best of
 * several runs, the conditions interleaved. Links the static library: it
 * reaches the thread's tracer state (ct__self) to address the signals.
 *
 *   cpu_sample            full run
 *   cpu_sample --quick    smoke run
 */
#include <signal.h>      /* sigaction, siginfo_t, SI_TIMER */
#include <stdio.h>       /* printf */
#include <stdlib.h>      /* setenv */
#include <string.h>      /* memset, strcmp */
#include <sys/syscall.h> /* SYS_rt_tgsigqueueinfo, SYS_gettid */
#include <time.h>        /* clock_gettime */
#include <unistd.h>      /* syscall, getpid, unlink */

#include <ctrace.h>
#include <ctrace_reader.h>

#include "plugin/thread.h" /* ct__self */

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void empty_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)si;
    (void)uc;
}

/* `n` SIGPROF to this thread as its CPU timer sends them. @return ns each. */
static double signals(unsigned n)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGPROF;
    si.si_code = SI_TIMER;
    si.si_value.sival_ptr = ct__self;
    pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid);
    uint64_t t0 = cpu_ns();
    for (unsigned i = 0; i < n; i++)
        syscall(SYS_rt_tgsigqueueinfo, pid, tid, SIGPROF, &si);
    return (double)(cpu_ns() - t0) / n;
}

__attribute__((noinline)) static uint64_t work(uint64_t rounds)
{
    volatile uint64_t x = 1;
    for (uint64_t i = 0; i < rounds; i++)
        x = x * 6364136223846793005u + i;
    return x;
}

/* Samples the trace at `path` holds: events, and samples they count. */
static void count_samples(const char *path, uint64_t *events, uint64_t *samples)
{
    *events = *samples = 0;
    ctr_reader *r;
    if (ctr_open(&r, path) != 0)
        return;
    ctr_event ev;
    while (ctr_next(r, &ev) == 1)
        if (ev.kind == CTR_CPU_SAMPLE) {
            (*events)++;
            *samples += ev.count;
        }
    ctr_close(r);
}

static const char *trace_path(void)
{
    static char path[256];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/cpu_sample_bench_%d.out", dir ? dir : "/tmp", (int)getpid());
    return path;
}

static int start(const char *hz)
{
    setenv("CTRACE_CPU_HZ", hz, 1);
    if (ct_start(trace_path()) != 0) {
        fprintf(stderr, "cpu_sample: ct_start failed\n");
        return -1;
    }
    ct_region r = ct_region_begin(NULL, "attach"); /* the thread attaches: its timer */
    ct_region_end(&r);
    return 0;
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    unsigned nsig = quick ? 2000 : 50000, runs = quick ? 2 : 7;
    uint64_t rounds = quick ? 20000000u : 300000000u;

    /* 1. per sample, against an empty handler */
    double best_sample = 1e18, best_empty = 1e18;
    for (unsigned run = 0; run < runs; run++) {
        if (start("100") != 0)
            return 1;
        double s = signals(nsig);
        ct_stop();
        struct sigaction ours, empty;
        memset(&empty, 0, sizeof empty);
        empty.sa_sigaction = empty_handler;
        empty.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&empty.sa_mask);
        sigaction(SIGPROF, &empty, &ours);
        double e = signals(nsig);
        sigaction(SIGPROF, &ours, NULL);
        best_sample = s < best_sample ? s : best_sample;
        best_empty = e < best_empty ? e : best_empty;
    }
    printf("a CPU sample, signal included:  %7.0f ns  (%u signals, best of %u)\n", best_sample,
           nsig, runs);
    printf("a signal to an empty handler:   %7.0f ns\n", best_empty);
    printf("  the sample itself:            %7.0f ns  (%.1fx a bare signal)\n",
           best_sample - best_empty, best_sample / best_empty);

    /* 2. end to end: the same work, sampled at 0, 100 and 1000 Hz */
    static const char *const rates[] = {"0", "100", "1000"};
    double best[3] = {1e18, 1e18, 1e18};
    uint64_t events[3] = {0}, samples[3] = {0};
    for (unsigned run = 0; run < runs; run++) {
        for (int k = 0; k < 3; k++) {
            if (start(rates[k]) != 0)
                return 1;
            uint64_t t0 = cpu_ns();
            work(rounds);
            double ns = (double)(cpu_ns() - t0);
            ct_stop();
            if (ns < best[k]) {
                best[k] = ns;
                count_samples(trace_path(), &events[k], &samples[k]);
            }
        }
    }
    unlink(trace_path());
    printf("\nthe same work (%llu rounds), the thread's CPU time, best of %u:\n",
           (unsigned long long)rounds, runs);
    for (int k = 0; k < 3; k++)
        printf("  CTRACE_CPU_HZ=%-5s %8.1f ms  %5.3fx  %5llu signals, %5llu samples\n",
               rates[k], best[k] / 1e6, best[k] / best[0], (unsigned long long)events[k],
               (unsigned long long)samples[k]);
    return 0;
}
