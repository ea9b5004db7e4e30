/*
 * gen_trace.c - write a large, realistic trace fast, for bench/views.sh:
 *
 *     build/bench/gen_trace [-n EVENTS] [-t THREADS] [-s SEED] -o OUT
 *
 * One process: a main thread runs tests one after another (a `test` task
 * each, a setup and a teardown region, a join wait with its stack, a status,
 * a failure now and then); THREADS worker threads (8 by default) serve
 * requests in each test, in rounds: a `user` task per request (child of the
 * test) with a log, nested regions (handle > item > db.query, render), a
 * variable number of items, waits with stacks (sync, syscall, net, sched),
 * and one request in eight helped by the next worker (a region of the task on
 * another thread). EVENTS counts events as the reader delivers them (a
 * region is one), 100 M by default; the trace stops at the end of the test
 * that reaches it.
 *
 * It writes the wire format directly with the recorder's writer
 * (recorder/trace_writer.h, format/wire.h), the way the plugin encodes
 * events and the runner drains them: each thread fills 32 KiB chunks, and a
 * drain every few rounds writes what each thread added since, threads in a
 * shuffled order, so a task's events from different threads arrive out of
 * time order, as in real traces. Deterministic for a given seed (TRACE_BIAS);
 * stacks point into this program, so profiles of the trace name real
 * functions.
 */
#include <elf.h>      /* NT_GNU_BUILD_ID */
#include <inttypes.h> /* PRIu64 */
#include <link.h>     /* dl_iterate_phdr */
#include <stdio.h>
#include <stdlib.h>   /* strtoull, malloc */
#include <string.h>   /* memcpy, strcmp */
#include <time.h>     /* clock_gettime */
#include <unistd.h>   /* readlink, getopt */

#include <ctrace_reader.h> /* task kinds and statuses: the wire uses their numbers */

#include "format/wire.h"
#include "recorder/trace_writer.h"

#define CHUNK_BYTES (32u * 1024u)
#define MAX_THREADS 64
#define DRAIN_EVERY 4      /* rounds between drains (the runner's 10 ms) */
#define ROUNDS_PER_TEST 64 /* requests per worker in a test */
#define START_NS 1000000000ull
#define PID 4242
/* Where the trace says this program was loaded, whatever ASLR chose: the
 * trace is the same from one run to the next (but for the wall-clock time
 * the writer stamps in its header), and still symbolises, since the
 * symbolizer looks an address up at its offset from the load bias. */
#define TRACE_BIAS 0x555555554000ull

/* Names (interned per thread, as the plugin does). */
enum {
    S_TEST, S_REQUEST, S_HANDLE, S_ITEM, S_QUERY, S_RENDER, S_CACHE, S_SETUP, S_TEARDOWN,
    S_CAT_REQUEST, S_CAT_CACHE, S_WORKER_NAME, S_MAIN_NAME, S_COUNT
};
static const char *const strings[S_COUNT] = {
    "TestLoad", "request", "handle", "item", "db.query", "render", "cache.fill", "setup",
    "teardown", "request", "cache", "worker", "suite",
};

#define STACKS 8
#define STACK_DEPTH 6

typedef struct thread {
    uint32_t serial;
    int32_t tid;
    uint8_t chunk[CHUNK_BYTES];
    uint32_t len, drained; /* bytes written in the chunk, bytes drained */
    uint64_t seq;          /* chunk number */
    uint64_t base_ns;      /* the chunk's clock pair (ticks are ns) */
    uint64_t last_ns;      /* time of the thread's previous timed event */
    uint64_t now;          /* the thread's clock */
    uint32_t string_id[S_COUNT], next_string;
    uint32_t stack_id[STACKS], next_stack;
    uint64_t region_serial;
} thread;

typedef struct gen {
    ct_trace_writer *w;
    thread *threads;
    unsigned nthreads; /* workers + the main thread (index 0) */
    uint64_t events, target;
    uint64_t next_task;
    uint64_t rng;
    uint64_t pcs[STACKS][STACK_DEPTH];
    uint64_t module_lo, module_hi; /* as the trace says: from TRACE_BIAS */
    uint64_t real_bias;            /* where the program really is */
    char exe[4096];
    uint8_t build_id[64];
    size_t build_id_len;
    int failed;
} gen;

static uint64_t rnd(gen *g)
{
    g->rng = g->rng * 6364136223846793005ull + 1442695040888963407ull;
    return g->rng >> 33;
}

/* ---- writing: chunks and drains ------------------------------------------- */

static void write_batch(gen *g, thread *t)
{
    if (t->len == t->drained)
        return;
    uint8_t head[8 * CT_UVARINT_MAX], *p = head;
    p = ct_put_uvarint(p, 0); /* proc */
    p = ct_put_uvarint(p, t->serial);
    p = ct_put_uvarint(p, t->seq);
    p = ct_put_uvarint(p, t->drained);
    p = ct_put_uvarint(p, t->base_ns); /* tsc: the monotonic clock's ticks are ns */
    p = ct_put_uvarint(p, t->base_ns);
    if (ct_tw_batch(g->w, head, (size_t)(p - head), t->chunk + t->drained,
                    t->len - t->drained) != 0)
        g->failed = 1;
    t->drained = t->len;
}

/* Room for an event of up to `need` bytes; a full chunk is drained and the
 * next one begins at the thread's clock. */
static uint8_t *reserve(gen *g, thread *t, size_t need)
{
    if (t->len + need > CHUNK_BYTES) {
        write_batch(g, t);
        t->seq++;
        t->len = t->drained = 0;
        t->base_ns = t->last_ns;
    }
    return t->chunk + t->len;
}

/* A drain: each thread's new bytes, threads in a shuffled order. */
static void drain(gen *g)
{
    unsigned order[MAX_THREADS + 1];
    for (unsigned i = 0; i < g->nthreads; i++)
        order[i] = i;
    for (unsigned i = g->nthreads; i > 1; i--) {
        unsigned j = (unsigned)(rnd(g) % i), swap = order[i - 1];
        order[i - 1] = order[j];
        order[j] = swap;
    }
    for (unsigned i = 0; i < g->nthreads; i++)
        write_batch(g, &g->threads[order[i]]);
    if (ct_tw_flush(g->w) != 0)
        g->failed = 1;
}

/* ---- events ---------------------------------------------------------------- */

static uint8_t *timed(gen *g, thread *t, uint8_t kind, size_t need, uint64_t at)
{
    uint8_t *p = reserve(g, t, need + 1 + CT_UVARINT_MAX);
    if (at < t->last_ns)
        at = t->last_ns;
    *p++ = kind;
    p = ct_put_uvarint(p, at - t->last_ns);
    t->last_ns = at;
    return p;
}

static void commit(thread *t, uint8_t *end)
{
    t->len = (uint32_t)(end - t->chunk);
}

/* An `s` field: the length, then the bytes. */
static uint8_t *put_bytes(uint8_t *p, const void *bytes, size_t n)
{
    p = ct_put_uvarint(p, n);
    memcpy(p, bytes, n);
    return p + n;
}

static uint32_t string_of(gen *g, thread *t, unsigned s)
{
    if (t->string_id[s])
        return t->string_id[s];
    size_t n = strlen(strings[s]);
    uint8_t *p = reserve(g, t, n + 3 * CT_UVARINT_MAX);
    *p++ = CT_EV_STRING;
    p = ct_put_uvarint(p, ++t->next_string);
    commit(t, put_bytes(p, strings[s], n));
    return t->string_id[s] = t->next_string;
}

static uint32_t stack_of(gen *g, thread *t, unsigned s)
{
    if (t->stack_id[s])
        return t->stack_id[s];
    uint8_t packed[STACK_DEPTH * CT_UVARINT_MAX], *q = packed;
    for (unsigned i = 0; i < STACK_DEPTH; i++)
        q = ct_put_uvarint(q, g->pcs[s][i]);
    size_t n = (size_t)(q - packed);
    uint8_t *p = reserve(g, t, n + 3 * CT_UVARINT_MAX);
    *p++ = CT_EV_STACK;
    p = ct_put_uvarint(p, ++t->next_stack);
    commit(t, put_bytes(p, packed, n));
    return t->stack_id[s] = t->next_stack;
}

static void thread_begin(gen *g, thread *t, int32_t ptid, uint64_t task, uint64_t fn,
                         unsigned name)
{
    uint8_t *p = timed(g, t, CT_EV_THREAD_BEGIN, 5 * CT_UVARINT_MAX, t->now);
    p = ct_put_uvarint(p, (uint32_t)t->tid);
    p = ct_put_uvarint(p, (uint32_t)ptid);
    p = ct_put_uvarint(p, task);
    p = ct_put_uvarint(p, fn);
    p = ct_put_uvarint(p, 0);
    commit(t, p);
    uint32_t id = string_of(g, t, name);
    p = timed(g, t, CT_EV_THREAD_NAME, CT_UVARINT_MAX, t->now);
    commit(t, ct_put_uvarint(p, id));
    p = timed(g, t, CT_EV_SCHED_SOURCE, CT_UVARINT_MAX, t->now);
    commit(t, ct_put_uvarint(p, fn ? CT_SCHED_PERF : CT_SCHED_NONE)); /* workers' sched waits */
    g->events += 3;
}

static void task_begin(gen *g, thread *t, uint64_t task, uint64_t parent, unsigned name,
                       unsigned kind)
{
    uint32_t id = string_of(g, t, name);
    uint8_t *p = timed(g, t, CT_EV_TASK_BEGIN, 4 * CT_UVARINT_MAX, t->now);
    p = ct_put_uvarint(p, task);
    p = ct_put_uvarint(p, parent);
    p = ct_put_uvarint(p, id);
    commit(t, ct_put_uvarint(p, kind));
    g->events++;
}

static void task_end(gen *g, thread *t, uint64_t task)
{
    uint8_t *p = timed(g, t, CT_EV_TASK_END, CT_UVARINT_MAX, t->now);
    commit(t, ct_put_uvarint(p, task));
    g->events++;
}

static void task_status(gen *g, thread *t, uint64_t task, unsigned status, const char *message)
{
    size_t n = strlen(message);
    uint8_t *p = timed(g, t, CT_EV_TASK_STATUS, 3 * CT_UVARINT_MAX + n, t->now);
    p = ct_put_uvarint(p, task);
    p = ct_put_uvarint(p, status);
    commit(t, put_bytes(p, message, n));
    g->events++;
}

/* @return the region's serial, which its end names. */
static uint64_t region_begin(gen *g, thread *t, uint64_t task, unsigned name)
{
    uint32_t id = string_of(g, t, name);
    uint8_t *p = timed(g, t, CT_EV_REGION_BEGIN, 2 * CT_UVARINT_MAX, t->now);
    p = ct_put_uvarint(p, task);
    commit(t, ct_put_uvarint(p, id));
    return ++t->region_serial;
}

/* Ends region `serial` (LIFO): `back` counts from the thread's newest begin. */
static void region_end(gen *g, thread *t, uint64_t serial)
{
    uint8_t *p = timed(g, t, CT_EV_REGION_END, CT_UVARINT_MAX, t->now);
    commit(t, ct_put_uvarint(p, t->region_serial - serial));
    g->events++;
}

static void log_event(gen *g, thread *t, uint64_t task, unsigned category, const char *message)
{
    uint32_t id = string_of(g, t, category);
    size_t n = strlen(message);
    uint8_t *p = timed(g, t, CT_EV_LOG, 4 * CT_UVARINT_MAX + n, t->now);
    p = ct_put_uvarint(p, task);
    p = ct_put_uvarint(p, id);
    p = put_bytes(p, message, n);
    commit(t, ct_put_uvarint(p, 0));
    g->events++;
}

/* A wait of `ns` that ends now, with stack `s`. */
static void wait_event(gen *g, thread *t, uint64_t task, unsigned kind, uint64_t ns,
                       uint64_t object, unsigned s)
{
    uint32_t stack = stack_of(g, t, s);
    t->now += ns;
    uint8_t *p = timed(g, t, CT_EV_WAIT, 6 * CT_UVARINT_MAX, t->now);
    p = ct_put_uvarint(p, task);
    p = ct_put_uvarint(p, kind);
    p = ct_put_uvarint(p, ns);
    p = ct_put_uvarint(p, object);
    p = ct_put_uvarint(p, stack);
    commit(t, ct_put_uvarint(p, 0));
    g->events++;
}

static void module_event(gen *g, thread *t)
{
    size_t path_len = strlen(g->exe);
    uint8_t *p = timed(g, t, CT_EV_MODULE, 5 * CT_UVARINT_MAX + path_len + g->build_id_len,
                       t->now);
    p = ct_put_uvarint(p, TRACE_BIAS);
    p = ct_put_uvarint(p, g->module_lo);
    p = ct_put_uvarint(p, g->module_hi);
    p = put_bytes(p, g->exe, path_len);
    commit(t, put_bytes(p, g->build_id, g->build_id_len));
    g->events++;
}

/* ---- the workload ---------------------------------------------------------- */

/* Functions whose addresses make the stacks (a wait's frames, innermost
 * first): the profile names them. */
__attribute__((noinline)) static void wait_for_lock(void) { __asm__ volatile(""); }
__attribute__((noinline)) static void read_reply(void) { __asm__ volatile(""); }
__attribute__((noinline)) static void query_database(void) { __asm__ volatile(""); }
__attribute__((noinline)) static void serve_item(void) { __asm__ volatile(""); }
__attribute__((noinline)) static void serve_request(void) { __asm__ volatile(""); }
__attribute__((noinline)) static void worker_main(void) { __asm__ volatile(""); }
int main(int argc, char **argv);

/* A function's address as the trace tells it (see TRACE_BIAS). */
static uint64_t traced(const gen *g, uintptr_t fn)
{
    return fn - g->real_bias + TRACE_BIAS;
}

/* Return addresses: one byte into each function, so that the symbolizer,
 * which looks a return address up at pc - 1, lands on its first byte. */
static void make_stacks(gen *g)
{
    uintptr_t leaf[] = {(uintptr_t)wait_for_lock, (uintptr_t)read_reply};
    uintptr_t middle[] = {(uintptr_t)query_database, (uintptr_t)serve_item};
    for (unsigned s = 0; s < STACKS; s++) {
        g->pcs[s][0] = traced(g, leaf[s & 1]) + 1;
        g->pcs[s][1] = traced(g, middle[(s >> 1) & 1]) + 1;
        g->pcs[s][2] = traced(g, s >> 2 ? (uintptr_t)serve_item : (uintptr_t)query_database) + 1;
        g->pcs[s][3] = traced(g, (uintptr_t)serve_request) + 1;
        g->pcs[s][4] = traced(g, (uintptr_t)worker_main) + 1;
        g->pcs[s][5] = traced(g, (uintptr_t)main) + 1;
    }
}

/* One request of worker t in a round: a user task with nested regions. */
static void request(gen *g, thread *t, uint64_t task, uint64_t test)
{
    char message[64];
    task_begin(g, t, task, test, S_REQUEST, CTR_TASK_USER);
    snprintf(message, sizeof message, "id=req-%" PRIu64 " user=%" PRIu64, task, rnd(g) % 1000);
    t->now += 200 + rnd(g) % 300;
    log_event(g, t, task, S_CAT_REQUEST, message);
    t->now += 1000;
    uint64_t handle = region_begin(g, t, task, S_HANDLE);
    unsigned items = 1 + (unsigned)(rnd(g) % 8);
    for (unsigned i = 0; i < items; i++) {
        t->now += 300 + rnd(g) % 500;
        uint64_t item = region_begin(g, t, task, S_ITEM);
        t->now += 500;
        uint64_t query = region_begin(g, t, task, S_QUERY);
        t->now += 2000 + rnd(g) % 20000;
        if (rnd(g) % 8 == 0)
            wait_event(g, t, task, CT_BLOCK_SYNC, 5000 + rnd(g) % 100000, 0x7f0000001000ull,
                       (unsigned)(rnd(g) % STACKS));
        region_end(g, t, query);
        t->now += 400;
        region_end(g, t, item);
        if (rnd(g) % 16 == 0) {
            t->now += 100;
            wait_event(g, t, task, (unsigned)(CT_BLOCK_SYSCALL + rnd(g) % 3),
                       10000 + rnd(g) % 50000, 7, (unsigned)(rnd(g) % STACKS));
        }
    }
    t->now += 300;
    uint64_t render = region_begin(g, t, task, S_RENDER);
    t->now += 3000 + rnd(g) % 10000;
    if (rnd(g) % 2 == 0)
        log_event(g, t, task, S_CAT_CACHE, "render: cache hit");
    t->now += 1000;
    region_end(g, t, render);
    t->now += 200;
    region_end(g, t, handle);
}

/* One test: the main thread's task, workers' requests in rounds. */
static void test(gen *g, unsigned index, uint64_t *clock)
{
    thread *main_thread = &g->threads[0];
    unsigned workers = g->nthreads - 1;
    uint64_t test_task = ++g->next_task;
    main_thread->now = *clock;
    task_begin(g, main_thread, test_task, 0, S_TEST, CTR_TASK_TEST);
    uint64_t setup = region_begin(g, main_thread, test_task, S_SETUP);
    main_thread->now += 20000;
    region_end(g, main_thread, setup);

    uint64_t round_start = main_thread->now + 1000;
    for (unsigned round = 0; round < ROUNDS_PER_TEST; round++) {
        uint64_t tasks[MAX_THREADS];
        uint64_t round_end = round_start;
        for (unsigned w = 0; w < workers; w++) {
            thread *t = &g->threads[1 + w];
            t->now = round_start + rnd(g) % 2000;
            tasks[w] = ++g->next_task;
            request(g, t, tasks[w], test_task);
        }
        /* One request in eight is helped by the next worker: a region of its
         * task on another thread, after that thread's own request. */
        for (unsigned w = 0; w < workers; w++) {
            if (workers > 1 && rnd(g) % 8 == 0) {
                thread *helper = &g->threads[1 + (w + 1) % workers];
                helper->now += 500;
                uint64_t fill = region_begin(g, helper, tasks[w], S_CACHE);
                helper->now += 4000 + rnd(g) % 4000;
                region_end(g, helper, fill);
            }
        }
        for (unsigned w = 0; w < workers; w++)
            if (g->threads[1 + w].now > round_end)
                round_end = g->threads[1 + w].now;
        for (unsigned w = 0; w < workers; w++) {
            thread *t = &g->threads[1 + w];
            t->now = round_end + 100 + w;
            task_end(g, t, tasks[w]);
        }
        round_start = round_end + 2000;
        if (round % DRAIN_EVERY == DRAIN_EVERY - 1)
            drain(g);
    }
    main_thread->now = round_start;
    wait_event(g, main_thread, test_task, CT_BLOCK_SYNC, round_start - *clock - 30000,
               (uint64_t)g->threads[1].tid, 0);
    uint64_t teardown = region_begin(g, main_thread, test_task, S_TEARDOWN);
    main_thread->now += 10000;
    region_end(g, main_thread, teardown);
    if (index % 10 == 9)
        task_status(g, main_thread, test_task, CTR_STATUS_FAIL,
                    "load_test.c:88: error: p99 over budget\nload_test.c:90: error: Failure!");
    else
        task_status(g, main_thread, test_task, CTR_STATUS_PASS, "");
    main_thread->now += 500;
    task_end(g, main_thread, test_task);
    *clock = main_thread->now + 5000;
    drain(g);
}

/* ---- the module this program is, for the stacks ----------------------------- */

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    gen *g = arg;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uint64_t a = info->dlpi_addr + ph->p_vaddr;
            if (a < lo)
                lo = a;
            if (a + ph->p_memsz > hi)
                hi = a + ph->p_memsz;
        } else if (ph->p_type == PT_NOTE) {
            const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
            const uint8_t *end = p + ph->p_memsz;
            while (p + sizeof(ElfW(Nhdr)) <= end) {
                const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
                const uint8_t *name = p + sizeof *n;
                const uint8_t *desc = name + ((n->n_namesz + 3) & ~3u);
                if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                    memcmp(name, "GNU", 4) == 0 && n->n_descsz <= sizeof g->build_id) {
                    memcpy(g->build_id, desc, n->n_descsz);
                    g->build_id_len = n->n_descsz;
                }
                p = desc + ((n->n_descsz + 3) & ~3u);
            }
        }
    }
    g->real_bias = info->dlpi_addr;
    g->module_lo = traced(g, (uintptr_t)lo);
    g->module_hi = traced(g, (uintptr_t)hi);
    return 1; /* the first object is the program */
}

/* ---- main ---------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int write_process(gen *g, uint8_t kind, int end)
{
    uint8_t buf[256], *p = buf;
    p = ct_put_uvarint(p, 0);
    if (!end) {
        p = ct_put_uvarint(p, PID);
        p = put_bytes(p, g->exe, strlen(g->exe));
        p = ct_put_uvarint(p, CT_CLOCK_MONOTONIC);
        p = ct_put_uvarint(p, 1000000000u);
        p = ct_put_uvarint(p, START_NS);
        p = ct_put_uvarint(p, START_NS);
    } else {
        p = ct_put_uvarint(p, CT_EXIT_CODE);
        p = ct_put_uvarint(p, 0);
        p = ct_put_uvarint(p, 0);
        p = ct_put_uvarint(p, g->threads[0].now + 1000);
    }
    return ct_tw_record(g->w, kind, buf, (size_t)(p - buf));
}

int main(int argc, char **argv)
{
    gen g = {.target = 100000000, .rng = 42};
    unsigned workers = 8;
    const char *out = NULL;
    int c;
    while ((c = getopt(argc, argv, "n:t:s:o:")) != -1) {
        switch (c) {
        case 'n': g.target = strtoull(optarg, NULL, 10); break;
        case 't': workers = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': g.rng = strtoull(optarg, NULL, 10); break;
        case 'o': out = optarg; break;
        default: out = NULL; optind = argc; break;
        }
    }
    if (!out || workers < 1 || workers > MAX_THREADS) {
        fprintf(stderr, "usage: gen_trace [-n EVENTS] [-t THREADS (1-%d)] [-s SEED] -o OUT\n",
                MAX_THREADS);
        return 2;
    }
    ssize_t n = readlink("/proc/self/exe", g.exe, sizeof g.exe - 1);
    g.exe[n > 0 ? n : 0] = '\0';
    dl_iterate_phdr(find_self, &g);
    make_stacks(&g);

    double t0 = now_s();
    if (ct_tw_open(&g.w, out, START_NS) != 0) {
        perror(out);
        return 2;
    }
    g.nthreads = workers + 1;
    g.threads = calloc(g.nthreads, sizeof *g.threads);
    if (!g.threads)
        return 2;
    write_process(&g, CT_REC_PROCESS_BEGIN, 0);
    uint64_t clock = START_NS + 1000;
    for (unsigned i = 0; i < g.nthreads; i++) {
        thread *t = &g.threads[i];
        t->serial = i + 1;
        t->tid = PID + (int32_t)i;
        t->base_ns = t->last_ns = t->now = clock + i * 100;
        thread_begin(&g, t, i ? PID : 0, 0, i ? traced(&g, (uintptr_t)worker_main) : 0,
                     i ? S_WORKER_NAME : S_MAIN_NAME);
        if (i == 0)
            module_event(&g, t);
    }
    clock += 100000;
    for (unsigned index = 0; g.events < g.target && !g.failed; index++)
        test(&g, index, &clock);
    for (unsigned i = 0; i < g.nthreads; i++) {
        thread *t = &g.threads[i];
        t->now = clock + i;
        uint8_t *p = timed(&g, t, CT_EV_THREAD_END, 0, t->now);
        commit(t, p);
        g.events++;
    }
    drain(&g);
    g.events += 2; /* process begin and end */
    write_process(&g, CT_REC_PROCESS_END, 1);
    int rc = ct_tw_close(g.w);
    free(g.threads);
    if (g.failed || rc != 0) {
        fprintf(stderr, "gen_trace: %s: write error\n", out);
        return 2;
    }
    double s = now_s() - t0;
    fprintf(stderr, "gen_trace: %s: %" PRIu64 " events, %" PRIu64 " tasks, %.1f s (%.1f M events/s)\n",
            out, g.events, g.next_task, s, (double)g.events / s / 1e6);
    return 0;
}
