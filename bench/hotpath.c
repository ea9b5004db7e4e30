/*
 * hotpath.c - what ctest-trace costs: clocks, regions and logs untraced and
 * traced, bytes per event, reader speed and memory, two threads.
 *
 * Prints figures and ratios, never pass/fail. Every figure is the median of
 * several repetitions and is printed beside its goal; a table at the end says
 * which goals are met. Linked against the shared libctrace, as users link it.
 *
 *   hotpath            full run (under a minute on 2 cores)
 *   hotpath --quick    smoke run (a few seconds)
 *   hotpath --keep     keep the trace files and print where they are
 *
 * Internal: `hotpath --read-child TRACE` reads TRACE and prints what it saw;
 * the parent runs it as a fresh process to measure the reader's peak memory.
 */
#include <errno.h>        /* errno */
#include <inttypes.h>     /* PRIu64 */
#include <pthread.h>      /* pthread_create, pthread_barrier_t */
#include <stdio.h>        /* printf, snprintf */
#include <stdlib.h>       /* setenv, mkdtemp, qsort */
#include <string.h>       /* strcmp, strerror */
#include <sys/resource.h> /* struct rusage */
#include <sys/stat.h>     /* stat */
#include <sys/wait.h>     /* wait4 */
#include <time.h>         /* clock_gettime, nanosleep */
#include <unistd.h>       /* fork, execv, pipe, unlink */

#if defined(__x86_64__) || defined(__i386__)
#  include <x86intrin.h> /* __rdtsc */
#  define HAVE_TSC 1
#else
#  define HAVE_TSC 0
#endif

#include <ctrace.h>
#include <ctrace_reader.h>

#include "floor_tracer.h"

/* Keeps a value or memory live without emitting an instruction. */
#define KEEP(x) __asm__ volatile("" : : "g"(x) : "memory")
#define BARRIER() __asm__ volatile("" : : : "memory")

/* ---- sizes ---------------------------------------------------------------- */

typedef struct sizes {
    int reps;               /* repetitions of each timed figure */
    uint64_t clock_reads;   /* per repetition */
    uint64_t untraced_pairs;
    uint64_t traced_pairs;  /* per repetition: must stay well inside the pool */
    uint64_t logs;
    uint64_t sustained_pairs; /* one run, several times the pool */
    uint64_t mix_events;    /* reader events in the realistic mix */
    uint64_t mt_pairs;      /* per thread per repetition */
    uint64_t small_events;  /* reader memory: smaller trace */
    uint64_t big_events;    /* reader memory: big trace */
} sizes;

static const sizes full_sizes = {
    .reps = 7,
    .clock_reads = 4000000,
    .untraced_pairs = 100000000,
    .traced_pairs = 2000000,
    .logs = 1000000,
    .sustained_pairs = 30000000,
    .mix_events = 3000000,
    .mt_pairs = 2000000,
    .small_events = 5000000,
    .big_events = 50000000,
};

static const sizes quick_sizes = {
    .reps = 3,
    .clock_reads = 300000,
    .untraced_pairs = 10000000,
    .traced_pairs = 300000,
    .logs = 100000,
    .sustained_pairs = 0,
    .mix_events = 300000,
    .mt_pairs = 300000,
    .small_events = 200000,
    .big_events = 2000000,
};

/* ---- timing and the summary table ------------------------------------------ */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU time of the calling thread: what a loop costs, without the time other
 * processes on this small machine held the core. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double last_min; /* smallest value of the last median() */

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    last_min = v[0];
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum goal_kind { GOAL_NONE, GOAL_AT_MOST, GOAL_AT_LEAST, GOAL_FLAG };

typedef struct row {
    char figure[64];
    char value[32];
    char goal[40];
    const char *verdict;
} row;

static row rows[32];
static int nrows;

/* Add a line to the summary table; `ok` is used by GOAL_FLAG only. */
static void table_add(const char *figure, double value, const char *unit, enum goal_kind kind,
                      double goal, const char *goal_text, int ok)
{
    if (nrows == (int)(sizeof rows / sizeof rows[0]))
        return;
    row *r = &rows[nrows++];
    snprintf(r->figure, sizeof r->figure, "%s", figure);
    if (value >= 1e6)
        snprintf(r->value, sizeof r->value, "%.1f M%s", value / 1e6, unit);
    else
        snprintf(r->value, sizeof r->value, "%.2f %s", value, unit);
    snprintf(r->goal, sizeof r->goal, "%s", goal_text);
    switch (kind) {
    case GOAL_AT_MOST:
        r->verdict = value <= goal ? "meets" : "misses";
        break;
    case GOAL_AT_LEAST:
        r->verdict = value >= goal ? "meets" : "misses";
        break;
    case GOAL_FLAG:
        r->verdict = ok ? "meets" : "misses";
        break;
    default:
        r->verdict = "info";
    }
}

static void table_print(void)
{
    printf("\n== summary ==\n%-40s %16s  %-26s %s\n", "figure", "value", "goal", "verdict");
    for (int i = 0; i < nrows; i++)
        printf("%-40s %16s  %-26s %s\n", rows[i].figure, rows[i].value, rows[i].goal,
               rows[i].verdict);
}

/* ---- trace files ------------------------------------------------------------ */

static char tmpdir[256];

static const char *trace_path(const char *name)
{
    static char paths[16][320];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, sizeof paths[0], "%s/%s.ctrace", tmpdir, name);
    return p;
}

static int start_or_die(const char *path)
{
    int rc = ct_start(path);
    if (rc != 0) {
        fprintf(stderr, "hotpath: ct_start(%s): %s\n", path, ct_strerror(rc));
        exit(2);
    }
    return rc;
}

static void stop_or_die(void)
{
    int rc = ct_stop();
    if (rc != 0) {
        fprintf(stderr, "hotpath: ct_stop: %s\n", ct_strerror(rc));
        exit(2);
    }
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* What reading a trace found. "Wire events" count a region twice (its begin
 * and its end are two events in the file, as LTTng and Go count them). */
typedef struct scan {
    int rc;              /* 0 clean, else a CT_E* */
    uint64_t events;     /* ctr_next() events */
    uint64_t regions, logs;
    uint64_t wire_events;
    uint64_t lost;       /* CTR_LOST counts + PROCESS_END dropped */
    uint64_t file_bytes;
    double seconds;
    char clock[16];
} scan;

static scan scan_trace(const char *path)
{
    scan s;
    memset(&s, 0, sizeof s);
    s.file_bytes = file_size(path);
    ctr_reader *r;
    uint64_t t0 = cpu_ns();
    s.rc = ctr_open(&r, path);
    if (s.rc != 0)
        return s;
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        s.events++;
        switch (ev.kind) {
        case CTR_REGION:
            s.regions++;
            break;
        case CTR_LOG:
            s.logs++;
            break;
        case CTR_LOST:
        case CTR_PROCESS_END:
            s.lost += ev.count;
            break;
        default:
            break;
        }
    }
    s.seconds = (double)(cpu_ns() - t0) / 1e9;
    s.rc = rc < 0 ? rc : 0;
    s.wire_events = s.events + s.regions;
    ctr_info info;
    ctr_get_info(r, &info);
    snprintf(s.clock, sizeof s.clock, "%s", info.clock ? info.clock : "?");
    ctr_close(r);
    return s;
}

static void scan_report(const char *label, const scan *s)
{
    printf("  %-22s %9.2f MB, %11" PRIu64 " reader events (%" PRIu64 " regions, %" PRIu64
           " logs), %" PRIu64 " wire events, %" PRIu64 " dropped%s%s\n",
           label, (double)s->file_bytes / 1e6, s->events, s->regions, s->logs, s->wire_events,
           s->lost, s->rc ? ", READ ERROR: " : "", s->rc ? ct_strerror(s->rc) : "");
}

/* ---- 1. clocks -------------------------------------------------------------- */

static double ns_per_rdtsc(uint64_t n)
{
#if HAVE_TSC
    uint64_t acc = 0, t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++)
        acc += __rdtsc();
    uint64_t t1 = cpu_ns();
    KEEP(acc);
    return (double)(t1 - t0) / (double)n;
#else
    (void)n;
    return 0;
#endif
}

static double ns_per_clock_gettime(uint64_t n)
{
    struct timespec ts;
    uint64_t acc = 0, t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        acc += (uint64_t)ts.tv_nsec;
    }
    uint64_t t1 = cpu_ns();
    KEEP(acc);
    return (double)(t1 - t0) / (double)n;
}

/* ---- 2./3. region pairs ----------------------------------------------------- */

/* Inline fast path, as C callers get it from ctrace.h. NAME is what the
 * loop passes: a string literal, as in real code (the tracer then knows the
 * name by its address), or the `name` argument (a name built at run time:
 * its bytes are checked at each begin). */
#define PAIRS_FN(fn, NAME)                                                      \
    __attribute__((noinline)) static double fn(uint64_t n, const char *name)   \
    {                                                                           \
        (void)name;                                                             \
        uint64_t t0 = cpu_ns();                                                 \
        for (uint64_t i = 0; i < n; i++) {                                      \
            ct_region r = ct_region_begin(NULL, NAME);                          \
            ct_region_end(&r);                                                  \
            BARRIER();                                                          \
        }                                                                       \
        return (double)(cpu_ns() - t0) / (double)n;                             \
    }

/* The reference: bench/floor_tracer.c's pair, through the PLT. */
__attribute__((noinline)) static double floor_pairs(uint64_t n)
{
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        floor_region_end(floor_region_begin("tight"));
        BARRIER();
    }
    return (double)(cpu_ns() - t0) / (double)n;
}

typedef double (*pairs_fn)(uint64_t n, const char *name);
#define LONG_NAME "integration.database.connection.pool.acquire"
PAIRS_FN(pairs_literal, "tight")
PAIRS_FN(pairs_long_literal, LONG_NAME)
PAIRS_FN(pairs_runtime_name, name)

/* The exported functions (FFI, function pointers): a call each. */
__attribute__((noinline)) static double region_pairs_exported(uint64_t n, const char *name)
{
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        ct_region r = (ct_region_begin)(NULL, name);
        (ct_region_end)(&r);
        BARRIER();
    }
    return (double)(cpu_ns() - t0) / (double)n;
}

__attribute__((noinline)) static double empty_loop(uint64_t n)
{
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++)
        BARRIER();
    return (double)(cpu_ns() - t0) / (double)n;
}

__attribute__((noinline)) static double short_logs(uint64_t n)
{
    uint64_t t0 = cpu_ns();
    for (uint64_t i = 0; i < n; i++) {
        ct_log(NULL, "c", "short message");
        BARRIER();
    }
    return (double)(cpu_ns() - t0) / (double)n;
}

/* Pairs that fill the default pool (64 MiB) once: a pair is ~8 bytes. */
#define POOL_PASS_PAIRS ((64u << 20) / 8)
static double last_first_pass; /* ns/pair of the last warm-up: the pool's first pass */

/* Median ns/pair of `reps` traced runs of `pairs`, in one session writing
 * `path`. First a pass over the whole pool: a chunk's first use faults its
 * pages in (more so in a VM), which a run pays once, not at
 * every event; it is reported apart (last_first_pass). Between runs the
 * drain thread gets time to empty the pool, so each run measures the
 * writer, not a full pool. */
static double traced_pairs(const char *path, int reps, uint64_t pairs, pairs_fn loop,
                           const char *name)
{
    double v[64];
    start_or_die(path);
    last_first_pass = loop(POOL_PASS_PAIRS, name); /* warm: pool faulted in, name interned */
    sleep_ms(30);
    for (int i = 0; i < reps; i++) {
        v[i] = loop(pairs, name);
        sleep_ms(30);
    }
    stop_or_die();
    return median(v, reps);
}

/* ---- realistic mix ---------------------------------------------------------- */

static const char *const region_names[] = {
    "db.query", "db.connect", "http.get", "parse.json", "render",
    "cache.lookup", "cache.fill", "step", "fixture.load", "compress",
};
static const char *const log_cats[] = {"db", "http", "cache", "test"};

typedef struct mix_thread {
    uint64_t rng;
    uint64_t budget;   /* reader events left to write */
    uint64_t written;  /* reader events written */
    unsigned spin_mask;
    int index;
    ct_task *task;
} mix_thread;

static uint64_t rnd(mix_thread *m)
{
    uint64_t x = m->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return m->rng = x;
}

/* Some work between events: mostly tens of ns, sometimes a few us. */
static void spin(mix_thread *m)
{
    uint64_t x = rnd(m);
    unsigned n = (unsigned)(x & m->spin_mask);
    if (m->spin_mask >= 63 && (x >> 20 & 15) == 0)
        n += (unsigned)(x >> 32 & 1023) * 4; /* now and then a few us */
    for (unsigned j = 0; j < n; j++)
        __asm__ volatile("");
}

static void mix_step(mix_thread *m, int depth)
{
    uint64_t x = rnd(m);
    const char *name = region_names[(depth * 3 + (x & 3)) % 10];
    ct_region r = ct_region_begin(m->task, name);
    spin(m);
    if (depth < 3 && (x >> 8 & 3) != 0)
        mix_step(m, depth + 1);
    if ((x >> 12 & 7) == 0) {
        ct_logf(m->task, log_cats[x >> 16 & 3], "request %u: %u rows in %u us", (unsigned)(x >> 24 & 0xffff),
                (unsigned)(x >> 40 & 255), (unsigned)(x >> 48 & 4095));
        m->written++;
    } else if ((x >> 12 & 31) == 9) {
        ct_log(m->task, "cache", "miss");
        m->written++;
    }
    spin(m);
    ct_region_end(&r);
    m->written++;
}

static void *mix_thread_main(void *arg)
{
    mix_thread *m = arg;
    char name[32];
    snprintf(name, sizeof name, "worker-%d", m->index);
    m->task = ct_task_begin(NULL, name);
    m->written++;
    while (m->written + 2 < m->budget) {
        ct_region top = ct_region_begin(m->task, "request");
        for (int k = 0; k < 8 && m->written + 2 < m->budget; k++)
            mix_step(m, 1);
        ct_region_end(&top);
        m->written++;
    }
    ct_task_end(m->task);
    m->written++; /* the reader reports a task's end; its begin too */
    return NULL;
}

/* Write a mixed trace of about `events` reader events from `nthreads`
 * threads. @return reader events written by the annotations. */
static uint64_t write_mix(const char *path, uint64_t events, int nthreads, unsigned spin_mask)
{
    mix_thread m[8];
    pthread_t th[8];
    start_or_die(path);
    for (int i = 0; i < nthreads; i++) {
        m[i] = (mix_thread){.rng = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1),
                            .budget = events / (uint64_t)nthreads,
                            .spin_mask = spin_mask,
                            .index = i};
        if (pthread_create(&th[i], NULL, mix_thread_main, &m[i]) != 0) {
            fprintf(stderr, "hotpath: pthread_create failed\n");
            exit(2);
        }
    }
    uint64_t total = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        total += m[i].written;
    }
    stop_or_die();
    return total;
}

/* ---- 7. two threads --------------------------------------------------------- */

typedef struct mt_arg {
    pthread_barrier_t *go;
    uint64_t pairs;
    double ns;
} mt_arg;

static void *mt_main(void *arg)
{
    mt_arg *a = arg;
    pairs_literal(10000, NULL); /* attach to the session, fault in a chunk */
    pthread_barrier_wait(a->go);
    a->ns = pairs_literal(a->pairs, NULL);
    return NULL;
}

static double two_threads(int reps, uint64_t pairs, double *slowest)
{
    double v[64], w[64];
    for (int i = 0; i < reps; i++) {
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        mt_arg a[2] = {{&go, pairs, 0}, {&go, pairs, 0}};
        pthread_t th[2];
        for (int k = 0; k < 2; k++)
            pthread_create(&th[k], NULL, mt_main, &a[k]);
        for (int k = 0; k < 2; k++)
            pthread_join(th[k], NULL);
        pthread_barrier_destroy(&go);
        v[i] = (a[0].ns + a[1].ns) / 2;
        w[i] = a[0].ns > a[1].ns ? a[0].ns : a[1].ns;
        sleep_ms(30);
    }
    *slowest = median(w, reps);
    return median(v, reps);
}

/* ---- 6. reading in a fresh process ------------------------------------------ */

static uint64_t vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static int read_child_main(const char *path)
{
    scan s = scan_trace(path);
    printf("%d %" PRIu64 " %" PRIu64 " %.6f %" PRIu64 "\n", s.rc, s.events, s.wire_events,
           s.seconds, vm_hwm_kib());
    return s.rc ? 1 : 0;
}

typedef struct child_read {
    int ok;
    uint64_t events, wire_events;
    double seconds;
    uint64_t hwm_kib;    /* the child's own VmHWM */
    long maxrss_kib;     /* ru_maxrss from wait4 */
} child_read;

/* Run a copy of this program with `argv` (and `assign`, NAME=VALUE, in its
 * environment, if not NULL): what it printed into buf, NUL-terminated, its
 * usage. @return 0 when it exited 0 having printed something, else -1. */
static int run_copy(char *const argv[], const char *assign, char *buf, size_t cap,
                    struct rusage *ru)
{
    memset(ru, 0, sizeof *ru);
    buf[0] = '\0';
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        if (assign)
            putenv((char *)assign);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(fd[1]);
    size_t n = 0;
    for (ssize_t k; n < cap - 1 && (k = read(fd[0], buf + n, cap - 1 - n)) > 0;)
        n += (size_t)k;
    close(fd[0]);
    buf[n] = '\0';
    int status;
    if (wait4(pid, &status, 0, ru) != pid)
        return -1;
    return n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Read `path` in a fork+exec'd copy of this program. The parent's memory is
 * small when this runs (the pools were given back at ct_stop), so the child's
 * ru_maxrss is the reader's, plus the floor of a fresh process. */
static child_read read_in_child(const char *path)
{
    child_read c;
    memset(&c, 0, sizeof c);
    char *argv[] = {"hotpath", "--read-child", (char *)path, NULL};
    char buf[256];
    struct rusage ru;
    int ran = run_copy(argv, NULL, buf, sizeof buf, &ru);
    c.maxrss_kib = ru.ru_maxrss;
    if (ran != 0)
        return c;
    int rc;
    unsigned long long ev, wire, hwm;
    if (sscanf(buf, "%d %llu %llu %lf %llu", &rc, &ev, &wire, &c.seconds, &hwm) == 5 &&
        rc == 0) {
        c.ok = 1;
        c.events = ev;
        c.wire_events = wire;
        c.hwm_kib = hwm;
    }
    return c;
}

/* Pairs traced in a copy of this program with `assign` (NAME=VALUE) in
 * its environment: the tracer reads its settings once a process
 * (common/env_once.h), so a setting is measured in a process of its own.
 * The copy runs pairs_child_main(), which prints the median and the best
 * ns/pair. @return 0, or -1 if the copy failed. */
static int pairs_child_main(const char *path, const char *pairs, const char *reps)
{
    double median_ns = traced_pairs(path, atoi(reps), strtoull(pairs, NULL, 10), pairs_literal,
                                    NULL);
    printf("%.4f %.4f\n", median_ns, last_min);
    return 0;
}

static int pairs_in_copy(const char *assign, const char *path, int reps, uint64_t pairs,
                         double *median_ns, double *best_ns)
{
    char pairs_text[24], reps_text[16], buf[128];
    snprintf(pairs_text, sizeof pairs_text, "%" PRIu64, pairs);
    snprintf(reps_text, sizeof reps_text, "%d", reps);
    char *argv[] = {"hotpath", "--pairs-child", (char *)path, pairs_text, reps_text, NULL};
    struct rusage ru;
    if (run_copy(argv, assign, buf, sizeof buf, &ru) != 0 ||
        sscanf(buf, "%lf %lf", median_ns, best_ns) != 2)
        return -1;
    return 0;
}

/* A process keeps each test's numbers for trace assertions only when
 * something can read them (assertions/live.h): a rule does. */
#define ARMING_RULE "CTRACE_ASSERT=region(hotpath.armed).max < 1s"

static uint64_t rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%llu %llu", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

/* ---- the sections ----------------------------------------------------------- */

static double mev_per_s(uint64_t events, double seconds)
{
    return seconds > 0 ? (double)events / seconds / 1e6 : 0;
}

/* One figure line: median, the best run, and the goal or a note. */
static void line(const char *label, double med, double min, const char *unit, const char *note)
{
    printf("  %-38s %8.2f %-8s (best %7.2f)  %s\n", label, med, unit, min, note);
}

static void print_load(const char *when)
{
    double l1 = 0, l5 = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf", &l1, &l5) != 2)
            l1 = l5 = 0;
        fclose(f);
    }
    printf("load average %s: %.2f (1 min), %.2f (5 min) on %ld CPUs\n", when, l1, l5,
           sysconf(_SC_NPROCESSORS_ONLN));
}

typedef struct bench {
    const sizes *z;
    double v[64];
    double traced_ns;
    double rdtsc_ns, mono_ns; /* what one clock read costs */
    const char *tight, *logp, *mixp, *mtp;
    scan tight_scan, log_scan, mix_scan, mt_scan;
} bench;

static void section_clocks(bench *b)
{
    const int R = b->z->reps;
    printf("\n== 1. clocks ==\n");
    for (int i = 0; i < R; i++)
        b->v[i] = ns_per_rdtsc(b->z->clock_reads);
    double rdtsc_ns = median(b->v, R);
    line("rdtsc", rdtsc_ns, last_min, "ns/read", "(design note: 7.6 ns)");
    for (int i = 0; i < R; i++)
        b->v[i] = ns_per_clock_gettime(b->z->clock_reads);
    double mono_ns = median(b->v, R);
    line("clock_gettime(CLOCK_MONOTONIC), vDSO", mono_ns, last_min, "ns/read",
         "(design note: 16.5 ns)");
    b->rdtsc_ns = rdtsc_ns;
    b->mono_ns = mono_ns;
    table_add("rdtsc", rdtsc_ns, "ns", GOAL_NONE, 0, "-", 0);
    table_add("clock_gettime(MONOTONIC)", mono_ns, "ns", GOAL_NONE, 0, "-", 0);
}

static void section_untraced(bench *b)
{
    const int R = b->z->reps;
    const uint64_t n = b->z->untraced_pairs;
    printf("\n== 2. region begin+end, no tracer ==\n");
    for (int i = 0; i < R; i++)
        b->v[i] = pairs_literal(n, NULL);
    double inl = median(b->v, R);
    line("inline (ctrace.h macros)", inl, last_min, "ns/pair",
         "goal <= 1 ns; LTTng-UST dormant 0.43 ns");
    for (int i = 0; i < R; i++)
        b->v[i] = empty_loop(n);
    double loop = median(b->v, R);
    char note[64];
    snprintf(note, sizeof note, "so %.2f ns over the loop", inl - loop);
    line("  the empty loop alone", loop, last_min, "ns", note);
    for (int i = 0; i < R; i++)
        b->v[i] = region_pairs_exported(n / 4, "untraced");
    double call = median(b->v, R);
    line("exported functions (FFI form)", call, last_min, "ns/pair", "(two calls via the PLT)");
    /* What the annotation adds is the figure over the bare loop. */
    table_add("untraced pair (inline), over the loop", inl - loop, "ns", GOAL_AT_MOST, 1.0,
              "<= 1 ns", 0);
    table_add("untraced pair (exported calls)", call, "ns", GOAL_NONE, 0, "-", 0);

    /* A live-capture server listening, no capture running: the tracer is
     * off, so the same figure (it serves on for the sections after). */
    if (ct_serve("127.0.0.1:0") != 0)
        return;
    for (int i = 0; i < R; i++)
        b->v[i] = pairs_literal(n, NULL);
    double served = median(b->v, R);
    snprintf(note, sizeof note, "%.2fx the figure without (goal: the same)", served / inl);
    line("inline, ct_serve listening, no capture", served, last_min, "ns/pair", note);
    table_add("untraced pair, ct_serve listening / without", served / inl, "x", GOAL_NONE, 0,
              "-", 0);
}

static void section_traced(bench *b)
{
    const int R = b->z->reps;
    const char *clock_env = getenv("CTRACE_CLOCK");
    printf("\n== 3. region begin+end, traced (ct_start to a file) ==\n");
    b->tight = trace_path("tight");
    b->traced_ns = traced_pairs(b->tight, R, b->z->traced_pairs, pairs_literal, NULL);
    double best = last_min;
    b->tight_scan = scan_trace(b->tight);
    printf("  tracer clock: %s (CTRACE_CLOCK %s%s)\n", b->tight_scan.clock,
           clock_env ? "=" : "unset: TSC when invariant", clock_env ? clock_env : "");
    char note[128];
    snprintf(note, sizeof note, "goal <= 20 ns; Tracy 2-30, LTTng-UST 155, Go 1.19 ~1200");
    line("traced pair", b->traced_ns, best, "ns/pair", note);
    snprintf(note, sizeof note, "a pair reads the clock twice: %.2f ns is the floor here",
             2 * b->rdtsc_ns);
    line("  ratio to two rdtsc reads", b->traced_ns / (2 * b->rdtsc_ns), best / (2 * b->rdtsc_ns),
         "x", note);
    /* What is left for the rest once the least any tracer called out of
     * line does is paid (bench/floor_tracer.c). */
    floor_tracer_start();
    floor_pairs(b->z->traced_pairs / 10); /* its ring faulted in */
    for (int i = 0; i < R; i++)
        b->v[i] = floor_pairs(b->z->traced_pairs);
    double floor_ns = median(b->v, R);
    snprintf(note, sizeof note, "%.2fx two rdtsc reads: clock, room, 3-byte event, commit only",
             floor_ns / (2 * b->rdtsc_ns));
    line("  a minimal tracer through the PLT", floor_ns, last_min, "ns/pair", note);
    table_add("  minimal tracer / two rdtsc reads", floor_ns / (2 * b->rdtsc_ns), "x", GOAL_NONE,
              0, "-", 0);
    double first = last_first_pass;
    line("  the pool's first pass", first, first, "ns/pair",
         "its pages faulted in: once a run, before the figures above");
    table_add("traced pair", b->traced_ns, "ns", GOAL_AT_MOST, 20.0, "<= 20 ns", 0);
    table_add("  traced pair / two rdtsc reads", b->traced_ns / (2 * b->rdtsc_ns), "x",
              GOAL_AT_MOST, 1.5, "<= 1.5x (issue 15)", 0);
    table_add("  traced pair, pool's first pass", first, "ns", GOAL_NONE, 0, "-", 0);

    const char *lp = trace_path("long-name");
    double ln = traced_pairs(lp, R, b->z->traced_pairs, pairs_long_literal, NULL);
    snprintf(note, sizeof note, "%+.1f ns: a literal is known by its address", ln - b->traced_ns);
    line("traced pair, 44-byte literal name", ln, last_min, "ns/pair", note);
    table_add("traced pair, 44-byte literal name", ln, "ns", GOAL_AT_MOST, 20.0, "<= 20 ns", 0);
    double rn = traced_pairs(lp, R, b->z->traced_pairs, pairs_runtime_name, "tight");
    snprintf(note, sizeof note, "%+.1f ns: its bytes are checked at each begin",
             rn - b->traced_ns);
    line("traced pair, name not a literal", rn, last_min, "ns/pair", note);
    double rl = traced_pairs(lp, R, b->z->traced_pairs, pairs_runtime_name, LONG_NAME);
    snprintf(note, sizeof note, "%+.1f ns", rl - b->traced_ns);
    line("traced pair, 44-byte name not a literal", rl, last_min, "ns/pair", note);
    table_add("traced pair, 44-byte name not a literal", rl, "ns", GOAL_NONE, 0, "-", 0);
    unlink(lp);

    const char *mp = trace_path("tight-mono");
    double mono = 0;
    if (pairs_in_copy("CTRACE_CLOCK=monotonic", mp, R, b->z->traced_pairs, &mono, &best) != 0)
        printf("  traced pair, CTRACE_CLOCK=monotonic: its copy of this program failed\n");
    scan ms = scan_trace(mp);
    snprintf(note, sizeof note, "%.1f clock_gettime; the trace says clock: %s",
             mono / b->mono_ns, ms.clock);
    line("traced pair, CTRACE_CLOCK=monotonic", mono, best, "ns/pair", note);
    table_add("traced pair, CTRACE_CLOCK=monotonic", mono, "ns", GOAL_AT_MOST, 20.0, "<= 20 ns", 0);
    unlink(mp);

    const char *ap = trace_path("armed");
    double armed;
    if (pairs_in_copy(ARMING_RULE, ap, R, b->z->traced_pairs, &armed, &best) == 0) {
        snprintf(note, sizeof note, "%+.1f ns: each test's numbers kept for trace assertions",
                 armed - b->traced_ns);
        line("traced pair, in a suite that asserts", armed, best, "ns/pair", note);
        table_add("traced pair, in a suite that asserts", armed, "ns", GOAL_NONE, 0, "-", 0);
        table_add("  that / two rdtsc reads", armed / (2 * b->rdtsc_ns), "x", GOAL_NONE, 0, "-",
                  0);
    } else {
        printf("  traced pair, in a suite that asserts: its copy of this program failed\n");
    }
    unlink(ap);

    if (b->z->sustained_pairs) {
        const char *sp = trace_path("sustained");
        start_or_die(sp);
        double ns = pairs_literal(b->z->sustained_pairs, NULL);
        stop_or_die();
        scan s = scan_trace(sp);
        double pct = 100.0 * (double)s.lost / (double)(s.lost + s.wire_events + 1);
        snprintf(note, sizeof note, "%.1f%% of events dropped (pool full)", pct);
        char label[64];
        snprintf(label, sizeof label, "sustained: %" PRIu64 " M pairs, no pause",
                 b->z->sustained_pairs / 1000000);
        line(label, ns, ns, "ns/pair", note);
        table_add("sustained pair, no pauses (1 run)", ns, "ns", GOAL_NONE, 0, "-", 0);
        table_add("  events dropped in it", pct, "%", GOAL_AT_MOST, 0, "0 %", 0);
        unlink(sp);
    }
}

static void section_logs(bench *b)
{
    const int R = b->z->reps;
    printf("\n== 4. ct_log(NULL, \"c\", \"short message\"), traced ==\n");
    b->logp = trace_path("log");
    start_or_die(b->logp);
    short_logs(b->z->logs / 4 + 1000);
    sleep_ms(30);
    for (int i = 0; i < R; i++) {
        b->v[i] = short_logs(b->z->logs);
        sleep_ms(30);
    }
    stop_or_die();
    double ns = median(b->v, R);
    line("short log", ns, last_min, "ns/log", "(no goal set; a region pair is two events)");
    table_add("short ct_log traced", ns, "ns", GOAL_NONE, 0, "-", 0);
}

static void section_bytes(bench *b)
{
    printf("\n== 5. compressed bytes per event (file size / events the reader counts) ==\n");
    b->mixp = trace_path("mix");
    uint64_t written = write_mix(b->mixp, b->z->mix_events, 3, 63);
    b->mix_scan = scan_trace(b->mixp);
    b->log_scan = scan_trace(b->logp);
    scan_report("tight region loop:", &b->tight_scan);
    scan_report("realistic mix:", &b->mix_scan);
    scan_report("short logs:", &b->log_scan);
    printf("  mix: 3 threads with a task each, 11 region names nested 2-4 deep, a formatted log\n"
           "  in 1 of 8 regions, 10 ns to a few us of work between events; %" PRIu64
           " reader events written.\n  A wire event is a region begin, a region end, a log...: "
           "a reader region is two.\n", written);
    const scan *t = &b->tight_scan, *m = &b->mix_scan, *l = &b->log_scan;
    double tb = (double)t->file_bytes / (double)t->wire_events;
    double mb = (double)m->file_bytes / (double)m->wire_events;
    double lb = (double)l->file_bytes / (double)l->wire_events;
    printf("  tight loop  %6.3f B/wire event (%6.3f B/reader event)  goal <= 2; LTTng-UST 8, "
           "Go 1.19 ~7 (uncompressed)\n", tb, (double)t->file_bytes / (double)t->events);
    printf("  mix         %6.3f B/wire event (%6.3f B/reader event)  goal <= 2\n", mb,
           (double)m->file_bytes / (double)m->events);
    printf("  short logs  %6.3f B/wire event\n", lb);
    table_add("bytes/event, tight loop", tb, "B", GOAL_AT_MOST, 2.0, "<= 2 B", 0);
    table_add("bytes/event, realistic mix", mb, "B", GOAL_AT_MOST, 2.0, "<= 2 B", 0);
}

static void section_threads(bench *b)
{
    printf("\n== 7. two threads, each doing traced region pairs ==\n");
    b->mtp = trace_path("mt");
    start_or_die(b->mtp);
    double slowest;
    double ns = two_threads(b->z->reps, b->z->mt_pairs, &slowest);
    double best = last_min;
    stop_or_die();
    b->mt_scan = scan_trace(b->mtp);
    char note[128];
    snprintf(note, sizeof note, "goal <= 20 ns; slower thread %.2f; %.2fx one thread; %" PRIu64
             " dropped", slowest, ns / b->traced_ns, b->mt_scan.lost);
    line("per pair per thread", ns, best, "ns/pair", note);
    table_add("2 threads: pair per thread", ns, "ns", GOAL_AT_MOST, 20.0, "<= 20 ns", 0);
}

static void section_reader(bench *b)
{
    printf("\n== 6. reader (ctr_next) throughput and peak memory ==\n");
    struct {
        const char *label, *path;
        const scan *s;
    } traces[] = {{"tight loop", b->tight, &b->tight_scan},
                  {"realistic mix", b->mixp, &b->mix_scan},
                  {"2 threads", b->mtp, &b->mt_scan}};
    double worst = 1e300;
    for (size_t k = 0; k < sizeof traces / sizeof traces[0]; k++) {
        for (int i = 0; i < 3; i++) {
            scan s = scan_trace(traces[k].path);
            b->v[i] = mev_per_s(s.events, s.seconds);
        }
        double rate = median(b->v, 3);
        const scan *s = traces[k].s;
        printf("  %-14s %11" PRIu64 " events  %7.1f M events/s  (%5.1f M wire events/s)\n",
               traces[k].label, s->events, rate,
               rate * (double)s->wire_events / (double)s->events);
        if (rate < worst)
            worst = rate;
    }

    const char *smallp = trace_path("small"), *bigp = trace_path("big");
    uint64_t t0 = now_ns();
    write_mix(smallp, b->z->small_events, 2, 3);
    write_mix(bigp, b->z->big_events, 2, 3);
    double gen_s = (double)(now_ns() - t0) / 1e9;
    uint64_t parent_rss = rss_kib();
    child_read small = read_in_child(smallp), big = read_in_child(bigp);
    if (!small.ok || !big.ok) {
        fprintf(stderr, "hotpath: reading a trace in a child process failed\n");
        exit(2);
    }
    double srate = mev_per_s(small.events, small.seconds);
    double brate = mev_per_s(big.events, big.seconds);
    printf("  mixed traces from 2 threads, little work between events (written in %.1f s),\n"
           "  each read once by a fresh process (peak RSS = its VmHWM; ru_maxrss from wait4):\n",
           gen_s);
    const struct {
        const char *label, *path;
        const child_read *c;
        double rate;
    } kids[] = {{"smaller", smallp, &small, srate}, {"big", bigp, &big, brate}};
    for (int k = 0; k < 2; k++)
        printf("  %-14s %11" PRIu64 " events  %7.1f M events/s  %8.2f MB  peak RSS %5.1f MiB "
               "(ru_maxrss %5.1f MiB)\n", kids[k].label, kids[k].c->events, kids[k].rate,
               (double)file_size(kids[k].path) / 1e6, (double)kids[k].c->hwm_kib / 1024,
               (double)kids[k].c->maxrss_kib / 1024);
    double growth = ((double)big.hwm_kib - (double)small.hwm_kib) / 1024;
    int flat = growth <= 1.0 + 0.1 * (double)small.hwm_kib / 1024;
    printf("  memory: %.1fx the events, %+.1f MiB peak: %s (this process's RSS at fork, the "
           "floor of ru_maxrss: %.1f MiB)\n", (double)big.events / (double)small.events, growth,
           flat ? "flat" : "GROWS", (double)parent_rss / 1024);
    printf("  goal >= 30 M events/s in flat memory; babeltrace2 ~4.7 M/s in 13.5 MB, "
           "go tool trace 1.19 ~0.6 M/s in 1.5 GB\n");
    if (brate < worst)
        worst = brate;
    table_add("reader, big trace", brate * 1e6, "ev/s", GOAL_AT_LEAST, 30e6, ">= 30 M events/s",
              0);
    table_add("reader, slowest trace", worst * 1e6, "ev/s", GOAL_AT_LEAST, 30e6,
              ">= 30 M events/s", 0);
    char fig[64];
    snprintf(fig, sizeof fig, "reader peak RSS, %.0f M events", (double)big.events / 1e6);
    table_add(fig, (double)big.hwm_kib / 1024, "MiB", GOAL_FLAG, 0, "flat (vs 10x fewer)", flat);
    unlink(smallp);
    unlink(bigp);
}

/* ---- main ------------------------------------------------------------------- */

static void remove_traces(void)
{
    static const char *const names[] = {"tight", "tight-mono", "armed", "log", "sustained",
                                        "mix", "long-name", "mt", "small", "big"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        unlink(trace_path(names[i]));
    rmdir(tmpdir);
}

int main(int argc, char **argv)
{
    int quick = 0, keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--read-child") == 0 && i + 1 < argc)
            return read_child_main(argv[i + 1]);
        if (strcmp(argv[i], "--pairs-child") == 0 && i + 3 < argc)
            return pairs_child_main(argv[i + 1], argv[i + 2], argv[i + 3]);
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else {
            fprintf(stderr, "usage: hotpath [--quick] [--keep]\n"
                            "  prints the tracer's hot-path figures beside their goals\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    bench b;
    memset(&b, 0, sizeof b);
    b.z = quick ? &quick_sizes : &full_sizes;

    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ctrace-bench-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "hotpath: mkdtemp(%s): %s\n", tmpdir, strerror(errno));
        return 2;
    }
    uint64_t t0 = now_ns();
    printf("ctest-trace hot path, %s run, shared libctrace. Each figure is the median of %d runs\n"
           "(best run beside it), timed in thread CPU time so other load is mostly left out.\n",
           quick ? "quick" : "full", b.z->reps);
    print_load("at start");

    section_clocks(&b);
    section_untraced(&b);
    section_traced(&b);
    section_logs(&b);
    section_bytes(&b);
    section_threads(&b); /* before the reader: its children want this process small */
    section_reader(&b);

    table_print();
    printf("\n");
    print_load("at end");
    printf("total %.1f s\n", (double)(now_ns() - t0) / 1e9);
    if (keep)
        printf("traces kept in %s\n", tmpdir);
    else
        remove_traces();
    return 0;
}
