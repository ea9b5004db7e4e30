/*
 * reader_tables.c - the reader's state that lives as long as the trace:
 * processes, threads (with their string tables) and open tasks, in hash
 * tables that grow with threads and tasks, never with events.
 */
#include "analysis/reader_internal.h"

#include <stdlib.h> /* calloc, realloc, free */
#include <string.h> /* memcpy, memset */


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
    if (r->nforeign_ends)
        ctr__foreign_ends_count(r, t);
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

/* A table a rebuild of the same size as the one before keeps for the next:
 * tasks begin and end by the million while few are open at once, and a
 * table of a few slots, cleared of its tombstones every few dozen tasks,
 * spent most of that in calloc(). */
#define TASKS_SPARE_MAX 4096 /* slots; a larger table is rebuilt rarely */

rtask *ctr__task_insert(ctr_reader *r, uint64_t id)
{
    if ((r->tasks_used + r->tasks_tomb + 1) * 2 > r->tasks_cap) {
        uint32_t cap = r->tasks_cap;
        if ((r->tasks_used + 1) * 4 > cap)
            cap = cap ? cap * 2 : 64;
        rtask *old = r->tasks;
        uint32_t old_cap = r->tasks_cap;
        if (cap == old_cap && r->tasks_spare) {
            r->tasks = r->tasks_spare; /* empty slots are known by their id alone */
            for (uint32_t i = 0; i < cap; i++)
                r->tasks[i].id = 0;
        } else {
            free(r->tasks_spare);
            r->tasks = calloc(cap, sizeof *r->tasks);
        }
        r->tasks_spare = NULL;
        if (!r->tasks) {
            r->tasks = old;
            return NULL;
        }
        r->tasks_cap = cap;
        r->tasks_tomb = 0;
        for (uint32_t i = 0; i < old_cap; i++)
            if (old[i].id && old[i].id != TASK_TOMB)
                *ctr__task_slot(r, old[i].id, 1) = old[i];
        if (cap == old_cap && cap <= TASKS_SPARE_MAX)
            r->tasks_spare = old;
        else
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

/* k's root is `root`: one more member of that task, while it is open.
 * Every way a task gets its root comes here, so that a test's count of
 * members (what its end closes) never drifts from the table. */
static void set_root(ctr_reader *r, rtask *k, uint64_t root)
{
    k->root = root;
    rtask *t = root && root != k->id ? ctr__task_slot(r, root, 0) : NULL;
    if (t)
        t->members++;
}

void ctr__task_remove(ctr_reader *r, rtask *t)
{
    rtask *root = t->root && t->root != t->id ? ctr__task_slot(r, t->root, 0) : NULL;
    if (root && root->members)
        root->members--;
    if (t->parent_unread)
        r->tasks_unrooted--;
    t->id = TASK_TOMB;
    t->name = NULL;
    r->tasks_used--;
    r->tasks_tomb++;
}

void ctr__task_root(ctr_reader *r, rtask *k, uint64_t parent)
{
    if (!parent)
        return;
    const rtask *p = ctr__task_slot(r, parent, 0);
    if (p && !p->parent_unread) {
        set_root(r, k, p->root);
        return;
    }
    for (uint32_t i = 0; !p && i < RECENT_TASKS; i++)
        if (r->ended_tasks[i].id == parent) { /* its parent ended; its test may not have */
            set_root(r, k, r->ended_tasks[i].root);
            return;
        }
    /* Its parent began on a thread whose events are further on. */
    k->parent_unread = parent;
    r->tasks_unrooted++;
}

void ctr__task_root_waiting(ctr_reader *r)
{
    /* Passes until nothing changes: a chain of waiting tasks resolves from
     * its top. Only ever runs while some task waits, which is rare. */
    for (int changed = 1; changed && r->tasks_unrooted;) {
        changed = 0;
        for (uint32_t i = 0; i < r->tasks_cap; i++) {
            rtask *k = &r->tasks[i];
            if (!k->id || k->id == TASK_TOMB || !k->parent_unread)
                continue;
            const rtask *p = ctr__task_slot(r, k->parent_unread, 0);
            if (p && !p->parent_unread) {
                set_root(r, k, p->root);
                k->parent_unread = 0;
                r->tasks_unrooted--;
                changed = 1;
            }
        }
    }
}

/* ---- strings ----------------------------------------------------------------------- */

#define MAX_STRING_ID UINT32_MAX
/* Writers number a thread's strings 1, 2, 3...: only a drop skips some. An id
 * this far beyond the number defined goes to a hash table, so a damaged file
 * cannot make the indexed table huge. */
#define DENSE_SLACK 4096

struct rsparse {
    uint64_t id; /* 0: empty */
    rstring s;
};

static rstring *sparse_slot(struct rsparse *table, uint32_t cap, uint64_t id)
{
    for (uint32_t i = (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);;
         i = (i + 1) & (cap - 1))
        if (table[i].id == 0 || table[i].id == id) {
            table[i].id = id;
            return &table[i].s;
        }
}

static const rstring *sparse_find(const rthread *t, uint64_t id)
{
    if (!t->sparse_used)
        return NULL;
    for (uint32_t i = (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (t->sparse_cap - 1);;
         i = (i + 1) & (t->sparse_cap - 1)) {
        if (t->sparse[i].id == 0)
            return NULL;
        if (t->sparse[i].id == id)
            return t->sparse[i].s.bytes ? &t->sparse[i].s : NULL;
    }
}

/* The slot where string `id` of t goes; NULL if out of memory. */
static rstring *sparse_insert(rthread *t, uint64_t id)
{
    if ((t->sparse_used + 1) * 2 > t->sparse_cap) {
        uint32_t cap = t->sparse_cap ? t->sparse_cap * 2 : 16;
        struct rsparse *n = calloc(cap, sizeof *n);
        if (!n)
            return NULL;
        for (uint32_t i = 0; i < t->sparse_cap; i++)
            if (t->sparse[i].id)
                *sparse_slot(n, cap, t->sparse[i].id) = t->sparse[i].s;
        free(t->sparse);
        t->sparse = n;
        t->sparse_cap = cap;
    }
    t->sparse_used++;
    return sparse_slot(t->sparse, t->sparse_cap, id);
}

/* The indexed slot of string `id`, growing the table; NULL if out of memory. */
static rstring *dense_slot(rthread *t, uint64_t id)
{
    if (id >= t->nstrings) {
        uint32_t n = t->nstrings ? t->nstrings : 16;
        while (n <= id)
            n *= 2;
        rstring *s = realloc(t->strings, n * sizeof *s);
        if (!s)
            return NULL;
        memset(s + t->nstrings, 0, (n - t->nstrings) * sizeof *s);
        t->strings = s;
        t->nstrings = n;
    }
    return &t->strings[id];
}

const rstring *ctr__string_of(ctr_reader *r, rthread *t, uint64_t id, uint64_t ts)
{
    if (id < t->nstrings && t->strings[id].bytes)
        return &t->strings[id];
    const rstring *s = sparse_find(t, id);
    if (s)
        return s;
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
    /* Ids are never reused by writers: a second definition changes nothing
     * (regions point at the first). */
    if ((id < t->nstrings && t->strings[id].bytes) || sparse_find(t, id))
        return 0;
    int dense = id < t->nstrings || id < 2 * (uint64_t)t->ndefined + DENSE_SLACK;
    rstring *s = dense ? dense_slot(t, id) : sparse_insert(t, id);
    char *copy = s ? malloc(len + 1) : NULL;
    if (!copy)
        return -1;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    s->bytes = copy;
    s->len = (uint32_t)len;
    t->ndefined++;
    return 0;
}

/* ---- stacks ----------------------------------------------------------------- */

typedef struct rstack {
    uint64_t id; /* 0: empty */
    uint64_t *pcs;
    uint32_t n;
} rstack;

static rstack *stack_slot(rstack *table, uint32_t cap, uint64_t id)
{
    uint32_t i = (uint32_t)(id * 0x9E3779B97F4A7C15ull >> 32) & (cap - 1);
    while (table[i].id && table[i].id != id)
        i = (i + 1) & (cap - 1);
    return &table[i];
}

const uint64_t *ctr__stack_of(const rthread *t, uint64_t id, uint32_t *n)
{
    *n = 0;
    if (id == 0 || !t->stacks_cap)
        return NULL;
    const rstack *s = stack_slot(t->stacks, t->stacks_cap, id);
    if (!s->id)
        return NULL;
    *n = s->n;
    return s->pcs;
}

static int stacks_grow(rthread *t)
{
    uint32_t cap = t->stacks_cap ? t->stacks_cap * 2 : 32;
    rstack *table = calloc(cap, sizeof *table);
    if (!table)
        return -1;
    for (uint32_t i = 0; i < t->stacks_cap; i++)
        if (t->stacks[i].id)
            *stack_slot(table, cap, t->stacks[i].id) = t->stacks[i];
    free(t->stacks);
    t->stacks = table;
    t->stacks_cap = cap;
    return 0;
}

int ctr__define_stack(rthread *t, uint64_t id, const uint8_t *bytes, uint64_t len)
{
    uint64_t pcs[CT_MAX_STACK_DEPTH];
    uint32_t n = 0;
    const uint8_t *p = bytes, *e = bytes + len;
    while (p < e) {
        unsigned k = n < CT_MAX_STACK_DEPTH ? ct_get_uvarint(p, e, &pcs[n]) : 0;
        if (!k)
            return -1; /* malformed, or deeper than a writer makes */
        p += k;
        n++;
    }
    if (id == 0)
        return -1;
    if ((t->stacks_used + 1) * 2 > t->stacks_cap && stacks_grow(t) != 0)
        return -1;
    rstack *s = stack_slot(t->stacks, t->stacks_cap, id);
    if (s->id)
        return 0; /* ids are never reused: the first definition stands */
    s->pcs = malloc((n ? n : 1) * sizeof *pcs);
    if (!s->pcs)
        return -1;
    memcpy(s->pcs, pcs, n * sizeof *pcs);
    s->n = n;
    s->id = id;
    t->stacks_used++;
    return 0;
}

void ctr__free_state(ctr_reader *r)
{
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        rthread *t = &r->threads[i];
        if (!t->used)
            continue;
        for (uint32_t j = 0; j < t->stacks_cap; j++)
            free(t->stacks[j].pcs);
        free(t->stacks);
        for (uint32_t j = 0; j < t->nstrings; j++)
            free(t->strings[j].bytes);
        free(t->strings);
        for (uint32_t j = 0; j < t->sparse_cap; j++)
            free(t->sparse[j].s.bytes);
        free(t->sparse);
        free(t->stack);
    }
    free(r->threads);
    free(r->foreign_ends);
    free(r->orphan_ends);
    free(r->tasks);
    free(r->tasks_spare);
    for (uint32_t i = 0; i < r->pend_count; i++)
        free(r->pending[(r->pend_head + i) & (r->pend_cap - 1)].owned);
    free(r->pending);
    free(r->procs);
}

void ctr__cpu_sample(ctr_reader *r, rthread *t, uint64_t ts, uint64_t task, uint64_t stack,
                     uint64_t count)
{
    ctr_event *ev = emit(r, CTR_CPU_SAMPLE, NULL);
    fill_thread(r, ev, t);
    ev->ts_ns = ts;
    ev->count = count;
    ev->object = t->cpu_period_ns;
    ev->stack = ctr__stack_of(t, stack, &ev->stack_len);
    /* The innermost region of its task; a thread without a current task
     * (its regions name their task by hand) is in its innermost region's. */
    for (uint32_t i = t->depth; i-- > 0;) {
        if (task == 0 || t->stack[i].task == task) {
            task = t->stack[i].task;
            ev->name = t->stack[i].name;
            ev->name_len = t->stack[i].name_len;
            break;
        }
    }
    ev->task = task;
    const rtask *k = task ? ctr__task_slot(r, task, 0) : NULL;
    if (k) {
        ev->message = k->name;
        ev->message_len = k->name_len;
        ev->parent = k->root;
    }
}

void ctr__skim_keep(ctr_reader *r)
{
    const ctr_event *ev = &r->skipped;
    if (r->skipped_kept)
        return;
    r->skipped_kept = 1;
    switch ((int)ev->kind) { /* not a thread's own events, or nothing made yet */
    case 0:
    case CTR_PROCESS_BEGIN:
    case CTR_PROCESS_END:
    case CTR_MODULE:
    case CTR_WARNING:
        return;
    default:
        break;
    }
    if (ev->tid == 0) /* no thread's own, as a view takes it */
        return;
    rthread *t = ctr__thread_find(r, ev->process, ev->thread);
    if (!t) { /* not made by a thread the reader knows: no times to keep */
        r->skim_odd = 1;
        return;
    }
    uint64_t first = ev->kind == CTR_REGION || ev->kind == CTR_BLOCK ? ev->begin_ns : ev->ts_ns;
    skim_times_of(r, t, ev->tid, first, ev->ts_ns);
}
