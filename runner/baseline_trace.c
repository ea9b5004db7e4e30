/*
 * baseline_trace.c - a baseline's samples from a trace (baseline_trace.h).
 *
 * One pass through the public reader. A test task's runs are kept until
 * their process ends (a worker thread's waits may be read after its test's
 * end: threads are drained in any order), then give their samples: the
 * duration and the blocking totals of each run that ran to its end (passed
 * or failed; a crash, a timeout or a skip says nothing of its speed).
 * A test's duration leaves out the time the thread that ran it spent
 * waiting for a CPU (when the trace captured scheduler waits): that time is
 * how busy the machine was, and on a shared CI runner it would make an
 * unchanged test look tens of percent slower (measured: 6.4 ms -> 10.6 ms,
 * 4.2 ms of it runnable but not running). A
 * region gives its sample as it is read, whatever became of its test; one
 * the trace closed (unended) has no duration and gives none. Memory grows
 * with the tests of a process and the distinct names, not with events.
 */
#include "baseline_trace.h"

#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* free */
#include <string.h> /* memcpy, strcmp */

#include <ctrace_reader.h>

#include "results.h" /* rn_dup_bytes */

/* A run of a test, until its process ends. */
typedef struct test_run {
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
    ctv_names tests;  /* raw test names -> index */
    ctv_ids task_run; /* task id -> index into runs + 1 */
    test_run *runs;
    size_t nruns, runs_cap;
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
    p->binary = g->binary ? strdup(rn_binary_name(g->binary))
                          : p->exe ? strdup(rn_binary_name(p->exe)) : NULL;
    return p->exe && p->binary ? 0 : -1;
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
    uint32_t test;
    test_run *grown = ctv_reserve(g->runs, &g->runs_cap, g->nruns, sizeof *grown);
    if (grown == NULL || ctv_names_intern(&g->tests, ev->name, ev->name_len, &test) != 0)
        return -1;
    g->runs = grown;
    g->runs[g->nruns] = (test_run){.proc = ev->process, .test = test, .tid = ev->tid};
    return ctv_ids_put(&g->task_run, ev->task, (uint32_t)g->nruns++) == 0 ? 0 : -1;
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
    const ctv_name *test = &g->tests.names[r->test];
    const char *binary = g->procs[r->proc].binary;
    rn_metric *m = rn_baseline_metric(g->b, binary, strlen(binary), test->bytes, test->len,
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

/* The runs of process `proc` give their samples; every run when proc is
 * UINT32_MAX (the trace ended). */
static int settle(gather *g, uint32_t proc)
{
    static const rn_metric_kind by_block[4] = {RN_METRIC_SYNC, RN_METRIC_SYSCALL,
                                               RN_METRIC_NET, RN_METRIC_SCHED};
    for (size_t i = 0; i < g->nruns; i++) {
        test_run *r = &g->runs[i];
        if ((proc != UINT32_MAX && r->proc != proc) || r->status == CTR_STATUS_NONE)
            continue;
        int timed = r->ended && (r->status == CTR_STATUS_PASS || r->status == CTR_STATUS_FAIL);
        r->status = CTR_STATUS_NONE; /* settled */
        if (!timed)
            continue;
        const ctv_name *test = &g->tests.names[r->test];
        const char *binary = g->procs[r->proc].binary;
        for (int k = -1; k < 4; k++) {
            rn_metric *m = rn_baseline_metric(g->b, binary, strlen(binary), test->bytes,
                                              test->len, k < 0 ? RN_METRIC_DURATION
                                                               : by_block[k], NULL, 0);
            double v = (double)(k >= 0 ? r->block_ns[k]
                                : r->duration_ns - (r->own_sched_ns < r->duration_ns
                                                        ? r->own_sched_ns : r->duration_ns));
            if (m == NULL || rn_metric_add(m, v) != 0)
                return -1;
        }
        g->b->tests++;
    }
    return 0;
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
        if ((r = run_of(g, ev->task)) != NULL && ev->task_kind != CTR_TASK_USER) {
            r->ended = !(ev->flags & CTR_F_UNENDED);
            r->duration_ns = ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0;
        }
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
        return p && p->wanted ? settle(g, ev->process) : 0;
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
    if (status >= 0 && settle(&g, UINT32_MAX) != 0) {
        snprintf(err, err_size, "out of memory");
        status = -1;
    }
    gather_free(&g);
    ctr_close(r);
    return status;
}
