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
    .small_events = 500000,
    .big_events = 5000000,
};

/* ---- timing and the summary table ------------------------------------------ */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
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

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
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
    uint64_t t0 = now_ns();
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
    s.seconds = (double)(now_ns() - t0) / 1e9;
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
    uint64_t acc = 0, t0 = now_ns();
    for (uint64_t i = 0; i < n; i++)
        acc += __rdtsc();
    uint64_t t1 = now_ns();
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
    uint64_t acc = 0, t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        acc += (uint64_t)ts.tv_nsec;
    }
    uint64_t t1 = now_ns();
    KEEP(acc);
    return (double)(t1 - t0) / (double)n;
}

/* ---- 2./3. region pairs ----------------------------------------------------- */

/* Inline fast path, as C callers get it from ctrace.h. */
__attribute__((noinline)) static double region_pairs(uint64_t n, const char *name)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        ct_region r = ct_region_begin(NULL, name);
        ct_region_end(&r);
        BARRIER();
    }
    return (double)(now_ns() - t0) / (double)n;
}

/* The exported functions (FFI, function pointers): a call each. */
__attribute__((noinline)) static double region_pairs_exported(uint64_t n, const char *name)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        ct_region r = (ct_region_begin)(NULL, name);
        (ct_region_end)(&r);
        BARRIER();
    }
    return (double)(now_ns() - t0) / (double)n;
}

__attribute__((noinline)) static double empty_loop(uint64_t n)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++)
        BARRIER();
    return (double)(now_ns() - t0) / (double)n;
}

__attribute__((noinline)) static double short_logs(uint64_t n)
{
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        ct_log(NULL, "c", "short message");
        BARRIER();
    }
    return (double)(now_ns() - t0) / (double)n;
}

/* Median ns/pair of `reps` traced runs of `pairs`, in one session writing
 * `path`. Between runs the drain thread gets time to empty the pool, so each
 * run measures the writer, not a full pool. */
static double traced_pairs(const char *path, int reps, uint64_t pairs, const char *name)
{
    double v[64];
    start_or_die(path);
    region_pairs(pairs / 4 + 1000, name); /* warm: chunks faulted in, name interned */
    sleep_ms(30);
    for (int i = 0; i < reps; i++) {
        v[i] = region_pairs(pairs, name);
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
    if ((x >> 20 & 15) == 0)
        n += (unsigned)(x >> 32 & 1023) * (m->spin_mask ? 4 : 0);
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
    region_pairs(10000, "mt"); /* attach to the session, fault in a chunk */
    pthread_barrier_wait(a->go);
    a->ns = region_pairs(a->pairs, "mt");
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

/* Read `path` in a fork+exec'd copy of this program. The parent's memory is
 * small when this runs (the pools were given back at ct_stop), so the child's
 * ru_maxrss is the reader's, plus the floor of a fresh process. */
static child_read read_in_child(const char *path)
{
    child_read c;
    memset(&c, 0, sizeof c);
    int fd[2];
    if (pipe(fd) != 0)
        return c;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return c;
    }
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        char *argv[] = {"hotpath", "--read-child", (char *)path, NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(fd[1]);
    char buf[256];
    ssize_t n = read(fd[0], buf, sizeof buf - 1);
    close(fd[0]);
    int status;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    if (wait4(pid, &status, 0, &ru) != pid)
        return c;
    c.maxrss_kib = ru.ru_maxrss;
    if (n <= 0)
        return c;
    buf[n] = '\0';
    int rc;
    unsigned long long ev, wire, hwm;
    if (sscanf(buf, "%d %llu %llu %lf %llu", &rc, &ev, &wire, &c.seconds, &hwm) == 5 &&
        rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        c.ok = 1;
        c.events = ev;
        c.wire_events = wire;
        c.hwm_kib = hwm;
    }
    return c;
}

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

/* ---- main ------------------------------------------------------------------- */

static double mev_per_s(uint64_t events, double seconds)
{
    return seconds > 0 ? (double)events / seconds / 1e6 : 0;
}

static void remove_traces(void)
{
    static const char *const names[] = {"tight", "tight-mono", "log", "sustained", "mix",
                                        "long-name", "mt", "small", "big"};
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
    const sizes *z = quick ? &quick_sizes : &full_sizes;
    const int R = z->reps;
    double v[64];

    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/ctrace-bench-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "hotpath: mkdtemp(%s): %s\n", tmpdir, strerror(errno));
        return 2;
    }
    const char *clock_env = getenv("CTRACE_CLOCK");
    printf("ctest-trace hot path (%s run; each figure the median of %d runs; shared libctrace)\n",
           quick ? "quick" : "full", R);

    /* 1. clocks */
    printf("\n== 1. clocks ==\n");
    for (int i = 0; i < R; i++)
        v[i] = ns_per_rdtsc(z->clock_reads);
    double rdtsc_ns = median(v, R);
    for (int i = 0; i < R; i++)
        v[i] = ns_per_clock_gettime(z->clock_reads);
    double mono_ns = median(v, R);
    printf("  rdtsc                                %7.2f ns/read    (design note: 7.6 ns)\n",
           rdtsc_ns);
    printf("  clock_gettime(CLOCK_MONOTONIC), vDSO %7.2f ns/read    (design note: 16.5 ns)\n",
           mono_ns);
    table_add("rdtsc", rdtsc_ns, "ns", GOAL_NONE, 0, "-", 0);
    table_add("clock_gettime(MONOTONIC)", mono_ns, "ns", GOAL_NONE, 0, "-", 0);

    /* 2. untraced */
    printf("\n== 2. region begin+end, no tracer ==\n");
    for (int i = 0; i < R; i++)
        v[i] = empty_loop(z->untraced_pairs);
    double loop_ns = median(v, R);
    for (int i = 0; i < R; i++)
        v[i] = region_pairs(z->untraced_pairs, "untraced");
    double untraced_ns = median(v, R);
    for (int i = 0; i < R; i++)
        v[i] = region_pairs_exported(z->untraced_pairs / 4, "untraced");
    double untraced_call_ns = median(v, R);
    printf("  inline (ctrace.h macros)             %7.2f ns/pair    goal <= 1 ns; LTTng-UST "
           "dormant 0.43 ns\n", untraced_ns);
    printf("    of which empty loop                %7.2f ns\n", loop_ns);
    printf("  exported functions (FFI form)        %7.2f ns/pair    (two calls through the PLT)\n",
           untraced_call_ns);
    table_add("untraced pair (inline)", untraced_ns, "ns", GOAL_AT_MOST, 1.0, "<= 1 ns", 0);
    table_add("untraced pair (exported calls)", untraced_call_ns, "ns", GOAL_NONE, 0, "-", 0);

    /* 3. traced */
    printf("\n== 3. region begin+end, traced (ct_start to a file) ==\n");
    const char *tight = trace_path("tight");
    double traced_ns = traced_pairs(tight, R, z->traced_pairs, "tight");
    scan tight_scan = scan_trace(tight);
    printf("  tracer clock: %s (CTRACE_CLOCK=%s)\n", tight_scan.clock,
           clock_env ? clock_env : "unset: TSC when invariant");
    printf("  traced pair, %-22s  %7.2f ns/pair    goal <= 20 ns; Tracy 2-30, LTTng-UST 155, "
           "Go 1.19 ~1200\n", tight_scan.clock, traced_ns);
    table_add("traced pair", traced_ns, "ns", GOAL_AT_MOST, 20.0, "<= 20 ns", 0);

    const char *long_name = trace_path("long-name");
    double long_ns = traced_pairs(long_name, R, z->traced_pairs,
                                  "integration.database.connection.pool.acquire");
    printf("  traced pair, 44-byte name            %7.2f ns/pair    (name checked per event)\n",
           long_ns);
    table_add("traced pair, 44-byte name", long_ns, "ns", GOAL_AT_MOST, 20.0, "<= 20 ns", 0);

    const char *tight_mono = trace_path("tight-mono");
    setenv("CTRACE_CLOCK", "monotonic", 1);
    double traced_mono_ns = traced_pairs(tight_mono, R, z->traced_pairs, "tight");
    if (clock_env)
        setenv("CTRACE_CLOCK", clock_env, 1);
    else
        unsetenv("CTRACE_CLOCK");
    scan mono_scan = scan_trace(tight_mono);
    printf("  traced pair, CTRACE_CLOCK=monotonic  %7.2f ns/pair    (trace says clock: %s)\n",
           traced_mono_ns, mono_scan.clock);
    table_add("traced pair, CTRACE_CLOCK=monotonic", traced_mono_ns, "ns", GOAL_AT_MOST, 20.0,
              "<= 20 ns", 0);

    if (z->sustained_pairs) {
        const char *sus = trace_path("sustained");
        start_or_die(sus);
        double ns = region_pairs(z->sustained_pairs, "sustained");
        stop_or_die();
        scan s = scan_trace(sus);
        printf("  sustained %" PRIu64 " M pairs in one go   %7.2f ns/pair    %.2f%% of events "
               "dropped (pool full: drain slower than writer)\n",
               z->sustained_pairs / 1000000, ns,
               s.wire_events ? 100.0 * (double)s.lost / (double)(s.lost + s.wire_events) : 0);
        table_add("sustained pair (1 run, no pauses)", ns, "ns", GOAL_NONE, 0, "-", 0);
        table_add("  events dropped in it", s.wire_events ? 100.0 * (double)s.lost /
                  (double)(s.lost + s.wire_events) : 0, "%", GOAL_AT_MOST, 0, "0 %", 0);
        unlink(sus);
    }

    /* 4. logs */
    printf("\n== 4. ct_log(NULL, \"c\", \"short message\"), traced ==\n");
    const char *logp = trace_path("log");
    start_or_die(logp);
    short_logs(z->logs / 4 + 1000);
    sleep_ms(30);
    for (int i = 0; i < R; i++) {
        v[i] = short_logs(z->logs);
        sleep_ms(30);
    }
    stop_or_die();
    double log_ns = median(v, R);
    printf("  short log                            %7.2f ns/log\n", log_ns);
    table_add("short ct_log traced", log_ns, "ns", GOAL_NONE, 0, "-", 0);

    /* 5. bytes per event */
    printf("\n== 5. compressed bytes per event (file size / events the reader counts) ==\n");
    const char *mixp = trace_path("mix");
    uint64_t mix_written = write_mix(mixp, z->mix_events, 3, 63);
    scan mix_scan = scan_trace(mixp);
    scan log_scan = scan_trace(logp);
    scan_report("tight region loop:", &tight_scan);
    scan_report("realistic mix:", &mix_scan);
    scan_report("short logs:", &log_scan);
    printf("  (mix: 3 threads, a task each, 11 region names nested 2-4 deep, 1 in 8 regions a "
           "formatted log, work of 10 ns-10 us between events; %" PRIu64 " reader events "
           "written)\n", mix_written);
    double tight_bpe = (double)tight_scan.file_bytes / (double)tight_scan.wire_events;
    double mix_bpe = (double)mix_scan.file_bytes / (double)mix_scan.wire_events;
    double log_bpe = (double)log_scan.file_bytes / (double)log_scan.wire_events;
    printf("  tight loop   %6.3f B/event  (%6.3f B per reader event)   goal <= 2; LTTng-UST 8, "
           "Go 1.19 ~7 (uncompressed)\n", tight_bpe,
           (double)tight_scan.file_bytes / (double)tight_scan.events);
    printf("  mix          %6.3f B/event  (%6.3f B per reader event)   goal <= 2\n", mix_bpe,
           (double)mix_scan.file_bytes / (double)mix_scan.events);
    printf("  short logs   %6.3f B/event\n", log_bpe);
    table_add("bytes/event, tight loop", tight_bpe, "B", GOAL_AT_MOST, 2.0, "<= 2 B", 0);
    table_add("bytes/event, realistic mix", mix_bpe, "B", GOAL_AT_MOST, 2.0, "<= 2 B", 0);

    /* 7. two threads (before 6: 6 wants the parent small) */
    printf("\n== 7. two threads, each doing traced region pairs ==\n");
    const char *mtp = trace_path("mt");
    start_or_die(mtp);
    double slowest;
    double mt_ns = two_threads(R, z->mt_pairs, &slowest);
    stop_or_die();
    scan mt_scan = scan_trace(mtp);
    printf("  per pair per thread                  %7.2f ns/pair    (slower thread %.2f; 1 "
           "thread %.2f; ratio %.2fx; %" PRIu64 " dropped)   goal <= 20 ns\n",
           mt_ns, slowest, traced_ns, mt_ns / traced_ns, mt_scan.lost);
    table_add("2 threads: pair per thread", mt_ns, "ns", GOAL_AT_MOST, 20.0, "<= 20 ns", 0);

    /* 6. reader */
    printf("\n== 6. reader (ctr_next) throughput and peak memory ==\n");
    struct {
        const char *label;
        const char *path;
        scan s;
    } small_traces[] = {{"tight loop", tight, tight_scan}, {"realistic mix", mixp, mix_scan},
                        {"2 threads", mtp, mt_scan}};
    double worst_rate = 1e300;
    for (size_t k = 0; k < sizeof small_traces / sizeof small_traces[0]; k++) {
        for (int i = 0; i < 3; i++) {
            scan s = scan_trace(small_traces[k].path);
            v[i] = mev_per_s(s.events, s.seconds);
        }
        double rate = median(v, 3);
        const scan *s = &small_traces[k].s;
        printf("  %-14s %11" PRIu64 " events  %7.1f M events/s  (%.1f M wire events/s)\n",
               small_traces[k].label, s->events, rate,
               rate * (double)s->wire_events / (double)s->events);
        if (rate < worst_rate)
            worst_rate = rate;
    }

    const char *smallp = trace_path("small"), *bigp = trace_path("big");
    uint64_t t0 = now_ns();
    write_mix(smallp, z->small_events, 2, 3);
    write_mix(bigp, z->big_events, 2, 3);
    double gen_s = (double)(now_ns() - t0) / 1e9;
    uint64_t parent_rss = rss_kib();
    child_read small = read_in_child(smallp), big = read_in_child(bigp);
    if (!small.ok || !big.ok) {
        fprintf(stderr, "hotpath: reading in a child failed\n");
        return 2;
    }
    double small_rate = mev_per_s(small.events, small.seconds);
    double big_rate = mev_per_s(big.events, big.seconds);
    printf("  (mixed traces, 2 threads, little work between events; written in %.1f s; each "
           "read once in a fresh process)\n", gen_s);
    printf("  %-14s %11" PRIu64 " events  %7.1f M events/s  %7.2f MB file  peak RSS %6.1f MiB "
           "(ru_maxrss %6.1f MiB)\n", "smaller", small.events, small_rate,
           (double)file_size(smallp) / 1e6, (double)small.hwm_kib / 1024,
           (double)small.maxrss_kib / 1024);
    printf("  %-14s %11" PRIu64 " events  %7.1f M events/s  %7.2f MB file  peak RSS %6.1f MiB "
           "(ru_maxrss %6.1f MiB)\n", "big", big.events, big_rate, (double)file_size(bigp) / 1e6,
           (double)big.hwm_kib / 1024, (double)big.maxrss_kib / 1024);
    double growth_mib = ((double)big.hwm_kib - (double)small.hwm_kib) / 1024;
    int flat = growth_mib <= 1.0 + 0.1 * (double)small.hwm_kib / 1024;
    printf("  memory: %.1fx the events, %+.1f MiB peak (%s); parent RSS at fork %.1f MiB "
           "(floor of ru_maxrss)\n", (double)big.events / (double)small.events, growth_mib,
           flat ? "flat" : "grows", (double)parent_rss / 1024);
    printf("  goal >= 30 M events/s, flat memory; babeltrace2 ~4.7 M/s in 13.5 MB, go tool "
           "trace 1.19 ~0.6 M/s in 1.5 GB\n");
    if (big_rate < worst_rate)
        worst_rate = big_rate;
    table_add("reader, big trace", big_rate * 1e6, "ev/s", GOAL_AT_LEAST, 30e6, ">= 30 M events/s", 0);
    table_add("reader, slowest trace", worst_rate * 1e6, "ev/s", GOAL_AT_LEAST, 30e6,
              ">= 30 M events/s", 0);
    char fig[64];
    snprintf(fig, sizeof fig, "reader peak RSS, %" PRIu64 " M events",
             big.events / 1000000);
    table_add(fig, (double)big.hwm_kib / 1024, "MiB", GOAL_FLAG, 0, "flat vs 10x fewer", flat);

    table_print();
    if (keep)
        printf("\ntraces kept in %s\n", tmpdir);
    else
        remove_traces();
    return 0;
}
