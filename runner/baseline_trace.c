/*
 * baseline_trace.c - a baseline's samples from a trace (baseline_trace.h).
 *
 * One pass through the public reader. A test's run is kept until its
 * process ends or a thousand tests ended after it (a worker thread's waits
 * may be read after its test's end: threads are drained in any order), then
 * gives its samples, if it ran to its end (passed or failed; a crash, a
 * timeout or a skip says nothing of its speed): its duration and its
 * blocking totals. A test's duration leaves out the time the thread that
 * ran it spent waiting for a CPU (when the trace captured scheduler waits):
 * that time is how busy the machine was, and on a shared CI runner it would
 * make an unchanged test look tens of percent slower (measured: 6.4 ms ->
 * 10.6 ms, 4.2 ms of it runnable but not running). A region gives its
 * sample as it is read, whatever became of its test; one the trace closed
 * (unended) has no duration and gives none. Memory grows with the distinct
 * names and the tests running, not with events or tests run.
 */
#include "baseline_trace.h"

#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* free */
#include <string.h> /* memcpy, strcmp */

#include <ctrace_reader.h>

#include "results.h" /* rn_dup_bytes */

/* A run of a test, until it is settled (its samples taken). */
typedef struct test_run {
    uint64_t task;   /* its task's id: the key of task_run */
    uint64_t ended_at; /* gather.test_ends when it ended */
    int live;        /* the slot holds a run not settled yet */
    uint32_t proc;   /* process index in the trace */
    uint32_t test;   /* index in gather.tests */
    ctr_status status;
    int ended;       /* its end was read, and the program ended it */
    uint64_t duration_ns;
    uint64_t block_ns[4]; /* by ctr_block_kind - 1 */
    int32_t tid;          /* the thread that ran it */
    uint64_t own_sched_ns; /* that thread's waits for a CPU in it */
} test_run;

/* A traced process of the trace, as far as the gathering goes. */
typedef struct proc_info {
    int wanted;
    char *binary;     /* its binary's name (the key of its tests) */
    char *exe;        /* its executable, to find its build-id among modules */
    int build_noted;
} proc_info;

typedef struct gather {
    rn_baseline *b;
    const int *pids;
    size_t npids;
    const char *binary;
    proc_info *procs;
    size_t nprocs, procs_cap;
    ctv_names tests;  /* test_key() -> index */
    ctv_ids task_run; /* task id (a test's, a user task's in it) -> index into runs */
    test_run *runs;   /* slots, reused once settled */
    size_t nruns, runs_cap, live;
    uint32_t *free_runs;
    size_t nfree, free_cap;
    uint64_t test_ends; /* test ends read so far */
    ctv_names region_keys; /* test index + raw region name -> index into region_metric */
    size_t *region_metric; /* metric index in b */
    size_t nregion, region_cap;
} gather;

static int wanted_pid(const gather *g, int pid)
{
    if (g->npids == 0)
        return 1;
    for (size_t i = 0; i < g->npids; i++) {
        if (g->pids[i] == pid)
            return 1;
    }
    return 0;
}

static proc_info *proc_of(gather *g, uint32_t process)
{
    return process < g->nprocs ? &g->procs[process] : NULL;
}

/* A process's binary when the trace alone names it: its executable's file
 * name, as a run names it: a process of an executable met before gets its
 * name; another executable of a name taken already, NAME#2 and on. */
static char *binary_of_exe(const gather *g, const char *exe)
{
    const char *base = rn_binary_name(exe);
    size_t distinct = 0; /* earlier executables of this name */
    for (size_t i = 0; i < g->nprocs; i++) {
        const proc_info *q = &g->procs[i];
        if (q->exe == NULL || q->binary == NULL || q->exe == exe)
            continue;
        if (strcmp(q->exe, exe) == 0)
            return strdup(q->binary);
        if (strcmp(rn_binary_name(q->exe), base) != 0)
            continue;
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            first = g->procs[k].exe == NULL || strcmp(g->procs[k].exe, q->exe) != 0;
        distinct += first;
    }
    char *name = NULL;
    if (distinct == 0)
        return strdup(base);
    return asprintf(&name, "%s#%zu", base, distinct + 1) < 0 ? NULL : name;
}

static int on_process_begin(gather *g, const ctr_event *ev)
{
    while (g->nprocs <= ev->process) {
        proc_info *grown = ctv_reserve(g->procs, &g->procs_cap, g->nprocs, sizeof *grown);
        if (grown == NULL)
            return -1;
        g->procs = grown;
        g->procs[g->nprocs++] = (proc_info){0};
    }
    proc_info *p = &g->procs[ev->process];
    p->wanted = wanted_pid(g, ev->pid);
    if (!p->wanted)
        return 0;
    p->exe = rn_dup_bytes(ev->name, ev->name_len);
    if (p->exe == NULL)
        return -1;
    p->binary = g->binary ? strdup(rn_binary_name(g->binary)) : binary_of_exe(g, p->exe);
    return p->binary ? 0 : -1;
}

/* The executable's MODULE names its build-id: the baseline keeps it. The
 * process names its executable as it was started (./suite), the module by
 * its full path: the file names must agree. */
static int on_module(gather *g, const ctr_event *ev)
{
    proc_info *p = proc_of(g, ev->process);
    if (p == NULL || !p->wanted || p->build_noted)
        return 0;
    const char *exe = rn_binary_name(p->exe);
    size_t n_exe = strlen(exe), start = ev->name_len;
    while (start > 0 && ev->name[start - 1] != '/')
        start--;
    if (ev->name_len - start != n_exe || memcmp(ev->name + start, exe, n_exe) != 0)
        return 0;
    char hex[2 * 64 + 1];
    size_t n = ev->message_len < 64 ? ev->message_len : 64;
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)ev->message[i]);
    hex[2 * n] = '\0';
    p->build_noted = 1;
    return rn_baseline_note_build(g->b, p->binary, hex);
}

/* A test's key among the gathered ones: its binary's name (length first)
 * and its own name, so two binaries' tests of one name stay apart. */
static char *test_key(const char *binary, const char *name, size_t len, size_t *key_len)
{
    size_t bl = strlen(binary);
    char *key = malloc(sizeof bl + bl + len + 1);
    if (key == NULL)
        return NULL;
    memcpy(key, &bl, sizeof bl);
    memcpy(key + sizeof bl, binary, bl);
    memcpy(key + sizeof bl + bl, name, len);
    *key_len = sizeof bl + bl + len;
    return key;
}

/* The test name in a key made by test_key(). */
static const char *key_test(const ctv_name *key, size_t *len)
{
    size_t bl;
    memcpy(&bl, key->bytes, sizeof bl);
    *len = key->len - sizeof bl - bl;
    return key->bytes + sizeof bl + bl;
}

/* A free slot for a run: a settled one's, or a new one. @return 0 or -1. */
static int new_slot(gather *g, uint32_t *slot)
{
    if (g->nfree > 0) {
        *slot = g->free_runs[--g->nfree];
        return 0;
    }
    test_run *grown = ctv_reserve(g->runs, &g->runs_cap, g->nruns, sizeof *grown);
    if (grown == NULL)
        return -1;
    g->runs = grown;
    *slot = (uint32_t)g->nruns++;
    return 0;
}

static test_run *run_of(gather *g, uint64_t task)
{
    uint32_t v;
    if (task == 0 || !ctv_ids_find(&g->task_run, task, &v))
        return NULL;
    return &g->runs[v];
}

static int on_task_begin(gather *g, const ctr_event *ev)
{
    proc_info *p = proc_of(g, ev->process);
    if (p == NULL || !p->wanted)
        return 0;
    if (ev->task_kind == CTR_TASK_USER) { /* a task in a test is the test's */
        uint32_t v;
        if (ev->parent && ctv_ids_find(&g->task_run, ev->parent, &v))
            return ctv_ids_put(&g->task_run, ev->task, v) == 0 ? 0 : -1;
        return 0;
    }
    if (ev->task_kind != CTR_TASK_TEST)
        return 0;
    uint32_t test, slot;
    size_t key_len;
    char *key = test_key(p->binary, ev->name, ev->name_len, &key_len);
    int rc = key ? ctv_names_intern(&g->tests, key, key_len, &test) : -1;
    free(key);
    if (rc != 0 || new_slot(g, &slot) != 0)
        return -1;
    g->runs[slot] = (test_run){.task = ev->task, .live = 1, .proc = ev->process, .test = test,
                               .tid = ev->tid};
    g->live++;
    return ctv_ids_put(&g->task_run, ev->task, slot) == 0 ? 0 : -1;
}

/* The metric of region `name` in run r's test, looked up by raw bytes
 * first: cleaning and keying a name costs more than reading its event. */
static rn_metric *region_metric(gather *g, const test_run *r, const ctr_event *ev)
{
    size_t key_len = sizeof r->test + ev->name_len;
    char stack_key[256];
    char *key = key_len <= sizeof stack_key ? stack_key : malloc(key_len);
    if (key == NULL)
        return NULL;
    memcpy(key, &r->test, sizeof r->test);
    memcpy(key + sizeof r->test, ev->name, ev->name_len);
    uint32_t index;
    int rc = ctv_names_intern(&g->region_keys, key, key_len, &index);
    if (key != stack_key)
        free(key);
    if (rc != 0)
        return NULL;
    if (index < g->nregion)
        return &g->b->metrics[g->region_metric[index]];
    size_t test_len;
    const char *test = key_test(&g->tests.names[r->test], &test_len);
    const char *binary = g->procs[r->proc].binary;
    rn_metric *m = rn_baseline_metric(g->b, binary, strlen(binary), test, test_len,
                                      RN_METRIC_REGION, ev->name, ev->name_len);
    size_t *grown = m ? ctv_reserve(g->region_metric, &g->region_cap, g->nregion,
                                    sizeof *grown) : NULL;
    if (grown == NULL)
        return NULL;
    g->region_metric = grown;
    g->region_metric[g->nregion++] = (size_t)(m - g->b->metrics);
    return m;
}

static int on_region(gather *g, const ctr_event *ev)
{
    test_run *r = run_of(g, ev->task);
    if (r == NULL || (ev->flags & CTR_F_UNENDED))
        return 0;
    rn_metric *m = region_metric(g, r, ev);
    return m && rn_metric_add(m, (double)(ev->ts_ns - ev->begin_ns)) == 0 ? 0 : -1;
}

/* Run r gives its samples, and its slot is free again. @return 0 or -1. */
static int settle_run(gather *g, uint32_t slot)
{
    static const rn_metric_kind by_block[4] = {RN_METRIC_SYNC, RN_METRIC_SYSCALL,
                                               RN_METRIC_NET, RN_METRIC_SCHED};
    test_run *r = &g->runs[slot];
    r->live = 0;
    g->live--;
    ctv_ids_remove(&g->task_run, r->task);
    uint32_t *grown = ctv_reserve(g->free_runs, &g->free_cap, g->nfree, sizeof *grown);
    if (grown == NULL)
        return -1;
    g->free_runs = grown;
    g->free_runs[g->nfree++] = slot;
    if (!r->ended || (r->status != CTR_STATUS_PASS && r->status != CTR_STATUS_FAIL))
        return 0; /* a crash, a timeout or a skip says nothing of speed */
    size_t test_len;
    const char *test = key_test(&g->tests.names[r->test], &test_len);
    const char *binary = g->procs[r->proc].binary;
    for (int k = -1; k < 4; k++) {
        rn_metric *m = rn_baseline_metric(g->b, binary, strlen(binary), test, test_len,
                                          k < 0 ? RN_METRIC_DURATION : by_block[k], NULL, 0);
        double v = (double)(k >= 0 ? r->block_ns[k]
                            : r->duration_ns - (r->own_sched_ns < r->duration_ns
                                                    ? r->own_sched_ns : r->duration_ns));
        if (m == NULL || rn_metric_add(m, v) != 0)
            return -1;
    }
    g->b->tests++;
    return 0;
}

/* Settle the runs of process `proc` (every process: UINT32_MAX), or only
 * those that ended SETTLE_AFTER test ends ago or more (proc_ended 0). */
#define SETTLE_AFTER 1024
static int settle(gather *g, uint32_t proc, int proc_ended)
{
    for (uint32_t i = 0; i < g->nruns; i++) {
        test_run *r = &g->runs[i];
        if (!r->live || (proc != UINT32_MAX && r->proc != proc))
            continue;
        if (!proc_ended && !(r->ended_at && r->ended_at + SETTLE_AFTER <= g->test_ends))
            continue;
        if (settle_run(g, i) != 0)
            return -1;
    }
    return 0;
}

/* A test ended: its run waits to be settled until its process ends, or
 * until many tests ended after it (a worker's late waits are read by then),
 * so memory follows the tests running, not the tests run. */
static int on_test_end(gather *g, test_run *r, const ctr_event *ev)
{
    r->ended = !(ev->flags & CTR_F_UNENDED);
    r->duration_ns = ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0;
    r->ended_at = ++g->test_ends;
    return g->live > 2 * SETTLE_AFTER ? settle(g, UINT32_MAX, 0) : 0;
}

static int on_event(gather *g, const ctr_event *ev)
{
    test_run *r;
    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
        return on_process_begin(g, ev);
    case CTR_MODULE:
        return on_module(g, ev);
    case CTR_TASK_BEGIN:
        return on_task_begin(g, ev);
    case CTR_TASK_STATUS:
        if ((r = run_of(g, ev->task)) != NULL && ev->task_kind == CTR_TASK_TEST)
            r->status = ev->status;
        return 0;
    case CTR_TASK_END:
        if (ev->task_kind == CTR_TASK_USER) /* its regions and waits are read */
            ctv_ids_remove(&g->task_run, ev->task);
        else if ((r = run_of(g, ev->task)) != NULL && ev->task_kind == CTR_TASK_TEST)
            return on_test_end(g, r, ev);
        return 0;
    case CTR_REGION:
        return on_region(g, ev);
    case CTR_BLOCK:
        if ((r = run_of(g, ev->task)) != NULL && ev->block_kind >= CTR_BLOCK_SYNC &&
            ev->block_kind <= CTR_BLOCK_SCHED && ev->ts_ns > ev->begin_ns) {
            r->block_ns[ev->block_kind - 1] += ev->ts_ns - ev->begin_ns;
            if (ev->block_kind == CTR_BLOCK_SCHED && ev->tid == r->tid)
                r->own_sched_ns += ev->ts_ns - ev->begin_ns;
        }
        return 0;
    case CTR_PROCESS_END: {
        proc_info *p = proc_of(g, ev->process);
        return p && p->wanted ? settle(g, ev->process, 1) : 0;
    }
    default:
        return 0;
    }
}

static void gather_free(gather *g)
{
    for (size_t i = 0; i < g->nprocs; i++) {
        free(g->procs[i].binary);
        free(g->procs[i].exe);
    }
    free(g->procs);
    ctv_names_free(&g->tests);
    ctv_ids_free(&g->task_run);
    free(g->runs);
    free(g->free_runs);
    ctv_names_free(&g->region_keys);
    free(g->region_metric);
}

int rn_baseline_gather(rn_baseline *b, const char *trace, const int *pids, size_t npids,
                       const char *binary, int partial, char *err, size_t err_size)
{
    ctr_reader *r;
    int rc = ctr_open(&r, trace);
    if (rc != 0) {
        snprintf(err, err_size, "%s", ct_strerror(rc));
        return -1;
    }
    gather g = {.b = b, .pids = pids, .npids = npids, .binary = binary};
    ctv_names_init(&g.tests);
    ctv_ids_init(&g.task_run);
    ctv_names_init(&g.region_keys);
    ctr_event ev;
    int status = 0;
    while ((rc = ctr_next(r, &ev)) == 1) {
        if (on_event(&g, &ev) != 0) {
            rc = CT_ENOMEM;
            break;
        }
    }
    if (rc == CT_ENOMEM) {
        snprintf(err, err_size, "out of memory");
        status = -1;
    } else if (rc == CT_EDAMAGED && !partial) {
        snprintf(err, err_size, "%s", ctr_damage(r));
        status = 1;
    }
    if (status >= 0 && settle(&g, UINT32_MAX, 1) != 0) {
        snprintf(err, err_size, "out of memory");
        status = -1;
    }
    gather_free(&g);
    ctr_close(r);
    return status;
}
