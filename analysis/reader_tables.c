/*
 * reader_tables.c - the reader's state that lives as long as the trace:
 * processes, threads (with their string tables) and open tasks, in hash
 * tables that grow with threads and tasks, never with events.
 */
#include "analysis/reader_internal.h"

#include <stdlib.h> /* calloc, realloc, free */
#include <string.h> /* memcpy, memset */

#define MAX_PROCS 65536
#define MAX_STRING_ID (1u << 24) /* ids beyond this are damage, not names */

static const rstring unknown_name = {"?", 1};

/* ---- processes and threads ---------------------------------------------------- */

rproc *ctr__proc_get(ctr_reader *r, uint64_t proc)
{
    if (proc >= MAX_PROCS)
        return NULL;
    if (proc >= r->nprocs) {
        uint32_t n = (uint32_t)proc + 1;
        rproc *p = realloc(r->procs, n * sizeof *p);
        if (!p)
            return NULL;
        memset(p + r->nprocs, 0, (n - r->nprocs) * sizeof *p);
        r->procs = p;
        r->nprocs = n;
    }
    return &r->procs[proc];
}

static uint32_t thread_hash(uint32_t proc, uint32_t serial)
{
    uint64_t k = ((uint64_t)proc << 32 | serial) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(k >> 32);
}

rthread *ctr__thread_find(ctr_reader *r, uint32_t proc, uint32_t serial)
{
    if (!r->threads_cap)
        return NULL;
    for (uint32_t i = thread_hash(proc, serial) & (r->threads_cap - 1);;
         i = (i + 1) & (r->threads_cap - 1)) {
        rthread *t = &r->threads[i];
        if (!t->used)
            return NULL;
        if (t->proc == proc && t->serial == serial)
            return t;
    }
}

rthread *ctr__thread_get(ctr_reader *r, uint32_t proc, uint32_t serial)
{
    rthread *t = ctr__thread_find(r, proc, serial);
    if (t)
        return t;
    if ((r->threads_used + 1) * 2 > r->threads_cap) {
        uint32_t cap = r->threads_cap ? r->threads_cap * 2 : 64;
        rthread *n = calloc(cap, sizeof *n);
        if (!n)
            return NULL;
        for (uint32_t i = 0; i < r->threads_cap; i++) {
            if (!r->threads[i].used)
                continue;
            uint32_t j = thread_hash(r->threads[i].proc, r->threads[i].serial) & (cap - 1);
            while (n[j].used)
                j = (j + 1) & (cap - 1);
            n[j] = r->threads[i];
        }
        free(r->threads);
        r->threads = n;
        r->threads_cap = cap;
    }
    uint32_t i = thread_hash(proc, serial) & (r->threads_cap - 1);
    while (r->threads[i].used)
        i = (i + 1) & (r->threads_cap - 1);
    t = &r->threads[i];
    t->used = 1;
    t->proc = proc;
    t->serial = serial;
    r->threads_used++;
    return t;
}

/* ---- open tasks ------------------------------------------------------------------ */

rtask *ctr__task_slot(ctr_reader *r, uint64_t id, int for_insert)
{
    if (!r->tasks_cap)
        return NULL;
    rtask *tomb = NULL;
    for (uint32_t i = (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (r->tasks_cap - 1);;
         i = (i + 1) & (r->tasks_cap - 1)) {
        rtask *t = &r->tasks[i];
        if (t->id == 0)
            return for_insert ? (tomb ? tomb : t) : NULL;
        if (t->id == TASK_TOMB) {
            if (!tomb)
                tomb = t;
        } else if (t->id == id) {
            return t;
        }
    }
}

rtask *ctr__task_insert(ctr_reader *r, uint64_t id)
{
    if ((r->tasks_used + r->tasks_tomb + 1) * 2 > r->tasks_cap) {
        uint32_t cap = r->tasks_cap;
        if ((r->tasks_used + 1) * 4 > cap)
            cap = cap ? cap * 2 : 64;
        rtask *old = r->tasks;
        uint32_t old_cap = r->tasks_cap;
        r->tasks = calloc(cap, sizeof *r->tasks);
        if (!r->tasks) {
            r->tasks = old;
            return NULL;
        }
        r->tasks_cap = cap;
        r->tasks_tomb = 0;
        for (uint32_t i = 0; i < old_cap; i++)
            if (old[i].id && old[i].id != TASK_TOMB)
                *ctr__task_slot(r, old[i].id, 1) = old[i];
        free(old);
    }
    rtask *t = ctr__task_slot(r, id, 1);
    if (t->id == TASK_TOMB)
        r->tasks_tomb--;
    memset(t, 0, sizeof *t);
    t->id = id;
    r->tasks_used++;
    return t;
}

void ctr__task_remove(ctr_reader *r, rtask *t)
{
    t->id = TASK_TOMB;
    t->name = NULL;
    r->tasks_used--;
    r->tasks_tomb++;
}

/* ---- strings ----------------------------------------------------------------------- */

const rstring *ctr__string_of(ctr_reader *r, rthread *t, uint64_t id, uint64_t ts)
{
    if (id < t->nstrings && t->strings[id].bytes)
        return &t->strings[id];
    if (!t->warned_unknown_string) {
        t->warned_unknown_string = 1;
        ctr__warn(r, ts, t, "thread %d uses a name that was never defined (lost events?)", t->tid);
    }
    return &unknown_name;
}

int ctr__define_string(rthread *t, uint64_t id, const uint8_t *bytes, uint64_t len)
{
    if (id == 0 || id >= MAX_STRING_ID)
        return -1;
    if (id >= t->nstrings) {
        uint32_t n = t->nstrings ? t->nstrings : 16;
        while (n <= id)
            n *= 2;
        rstring *s = realloc(t->strings, n * sizeof *s);
        if (!s)
            return -1;
        memset(s + t->nstrings, 0, (n - t->nstrings) * sizeof *s);
        t->strings = s;
        t->nstrings = n;
    }
    rstring *s = &t->strings[id];
    if (s->bytes)
        return 0; /* ids are never reused by writers: keep what regions point to */
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    s->bytes = copy;
    s->len = (uint32_t)len;
    return 0;
}

void ctr__free_state(ctr_reader *r)
{
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        rthread *t = &r->threads[i];
        if (!t->used)
            continue;
        for (uint32_t j = 0; j < t->nstrings; j++)
            free(t->strings[j].bytes);
        free(t->strings);
        free(t->stack);
    }
    free(r->threads);
    for (uint32_t i = 0; i < r->tasks_cap; i++)
        if (r->tasks[i].id && r->tasks[i].id != TASK_TOMB)
            free(r->tasks[i].name);
    free(r->tasks);
    for (uint32_t i = 0; i < r->pend_count; i++)
        free(r->pending[(r->pend_head + i) & (r->pend_cap - 1)].owned);
    free(r->pending);
    free(r->procs);
}
