/* window_state.c - folding the events that leave a window (window_state.h). */
#include "recorder/window_state.h"

#include <stdlib.h> /* calloc, realloc, free */
#include <string.h> /* memcpy, memmove */

#include <ctrace.h> /* CT_ENOMEM */

#include "format/schema.h" /* ct_event_parse */

/* ---- bytes and tables ------------------------------------------------------------ */

static int bytes_set(ct_wbytes *b, const uint8_t *p, uint64_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    if (len)
        memcpy(copy, p, len);
    free(b->bytes);
    b->bytes = copy;
    b->len = (uint32_t)len;
    return 0;
}

static int bytes_copy(ct_wbytes *dst, const ct_wbytes *src)
{
    dst->bytes = NULL;
    dst->len = 0;
    return src->bytes ? bytes_set(dst, src->bytes, src->len) : 0;
}

/* Room for one more of `size` bytes in *v (n used, *cap allocated). */
static int grow(void *v, uint32_t n, uint32_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    uint32_t want = *cap ? *cap * 2 : 8;
    void *bigger = realloc(*(void **)v, (size_t)want * size);
    if (!bigger)
        return -1;
    *(void **)v = bigger;
    *cap = want;
    return 0;
}

static void thread_clear(ct_wthread *t)
{
    for (uint32_t i = 0; i < t->nstrings; i++)
        free(t->strings[i].bytes);
    for (uint32_t i = 0; i < t->nstacks; i++)
        free(t->stacks[i].pcs.bytes);
    free(t->strings);
    free(t->stacks);
    free(t->regions);
    memset(t, 0, sizeof *t);
}

static void module_free(ct_wmodule *m)
{
    free(m->path.bytes);
    free(m->build_id.bytes);
}

void ct_ws_free(ct_wstate *s)
{
    for (uint32_t i = 0; i < s->threads_cap; i++)
        if (s->threads[i].serial)
            thread_clear(&s->threads[i]);
    for (uint32_t i = 0; i < s->nmodules; i++)
        module_free(&s->modules[i]);
    free(s->threads);
    free(s->tasks);
    free(s->modules);
    memset(s, 0, sizeof *s);
}

/* ---- threads ------------------------------------------------------------------- */

static uint32_t slot_of(uint32_t serial, uint32_t cap)
{
    return (serial * 2654435761u) & (cap - 1);
}

/* Where thread `serial` is, or the free slot it would take. */
static ct_wthread *probe(ct_wstate *s, uint32_t serial)
{
    for (uint32_t i = slot_of(serial, s->threads_cap);; i = (i + 1) & (s->threads_cap - 1))
        if (s->threads[i].serial == serial || s->threads[i].serial == 0)
            return &s->threads[i];
}

static int rehash(ct_wstate *s, uint32_t cap)
{
    ct_wthread *old = s->threads;
    uint32_t old_cap = s->threads_cap;
    s->threads = calloc(cap, sizeof *s->threads);
    if (!s->threads) {
        s->threads = old;
        return -1;
    }
    s->threads_cap = cap;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].serial)
            *probe(s, old[i].serial) = old[i];
    free(old);
    return 0;
}

ct_wthread *ct_ws_thread(ct_wstate *s, uint32_t serial, int create)
{
    if (serial == 0 || (!s->threads_cap && !create))
        return NULL;
    if (s->threads_cap) {
        ct_wthread *t = probe(s, serial);
        if (t->serial || !create)
            return t->serial ? t : NULL;
    }
    if ((s->threads_used + 1) * 2 > s->threads_cap &&
        rehash(s, s->threads_cap ? s->threads_cap * 2 : 16) != 0)
        return NULL;
    ct_wthread *t = probe(s, serial);
    memset(t, 0, sizeof *t);
    t->serial = serial;
    s->threads_used++;
    return t;
}

/* The thread ended: what it cut stays counted, the rest goes. Open
 * addressing: the slots after it that probed past it move back. */
static void thread_gone(ct_wstate *s, ct_wthread *t)
{
    s->cut_gone += t->cut;
    thread_clear(t);
    s->threads_used--;
    uint32_t cap = s->threads_cap, hole = (uint32_t)(t - s->threads);
    for (uint32_t i = (hole + 1) & (cap - 1); s->threads[i].serial; i = (i + 1) & (cap - 1)) {
        uint32_t home = slot_of(s->threads[i].serial, cap);
        /* It may fill the hole if its home is not between the hole and it. */
        if ((i > hole && (home <= hole || home > i)) || (i < hole && home <= hole && home > i)) {
            s->threads[hole] = s->threads[i];
            memset(&s->threads[i], 0, sizeof s->threads[i]);
            hole = i;
        }
    }
}

static int thread_copy(ct_wthread *dst, const ct_wthread *src)
{
    *dst = *src;
    dst->strings = NULL;
    dst->stacks = NULL;
    dst->regions = NULL;
    dst->nstrings = dst->nstacks = dst->stacks_cap = dst->depth = dst->regions_cap = 0;
    if (src->nstrings && !(dst->strings = calloc(src->nstrings, sizeof *dst->strings)))
        return -1;
    dst->nstrings = src->nstrings;
    for (uint32_t i = 0; i < src->nstrings; i++)
        if (bytes_copy(&dst->strings[i], &src->strings[i]) != 0)
            return -1;
    if (src->nstacks && !(dst->stacks = calloc(src->nstacks, sizeof *dst->stacks)))
        return -1;
    dst->stacks_cap = src->nstacks;
    for (; dst->nstacks < src->nstacks; dst->nstacks++) {
        dst->stacks[dst->nstacks].id = src->stacks[dst->nstacks].id;
        if (bytes_copy(&dst->stacks[dst->nstacks].pcs, &src->stacks[dst->nstacks].pcs) != 0)
            return -1;
    }
    if (src->depth && !(dst->regions = malloc(src->depth * sizeof *dst->regions)))
        return -1;
    if (src->depth)
        memcpy(dst->regions, src->regions, src->depth * sizeof *dst->regions);
    dst->depth = dst->regions_cap = src->depth;
    return 0;
}

int ct_ws_copy(ct_wstate *dst, const ct_wstate *src)
{
    memset(dst, 0, sizeof *dst);
    dst->cut_gone = src->cut_gone;
    dst->lost_told = src->lost_told;
    dst->malformed = src->malformed;
    if (src->threads_cap) {
        if (!(dst->threads = calloc(src->threads_cap, sizeof *dst->threads)))
            goto fail;
        dst->threads_cap = src->threads_cap;
        for (uint32_t i = 0; i < src->threads_cap; i++) {
            if (!src->threads[i].serial)
                continue;
            int rc = thread_copy(&dst->threads[i], &src->threads[i]);
            dst->threads_used++;
            if (rc != 0)
                goto fail;
        }
    }
    if (src->ntasks) {
        if (!(dst->tasks = malloc(src->ntasks * sizeof *dst->tasks)))
            goto fail;
        memcpy(dst->tasks, src->tasks, src->ntasks * sizeof *dst->tasks);
        dst->ntasks = dst->tasks_cap = src->ntasks;
    }
    if (src->nmodules) {
        if (!(dst->modules = calloc(src->nmodules, sizeof *dst->modules)))
            goto fail;
        dst->modules_cap = src->nmodules;
        for (; dst->nmodules < src->nmodules; dst->nmodules++) {
            const ct_wmodule *m = &src->modules[dst->nmodules];
            ct_wmodule *d = &dst->modules[dst->nmodules];
            *d = (ct_wmodule){m->bias, m->lo, m->hi, {0}, {0}};
            if (bytes_copy(&d->path, &m->path) != 0 || bytes_copy(&d->build_id, &m->build_id) != 0) {
                dst->nmodules++;
                goto fail;
            }
        }
    }
    return 0;
fail:
    ct_ws_free(dst);
    return CT_ENOMEM;
}

uint64_t ct_ws_cut_total(const ct_wstate *s)
{
    uint64_t n = s->cut_gone;
    for (uint32_t i = 0; i < s->threads_cap; i++)
        n += s->threads[i].serial ? s->threads[i].cut : 0;
    return n;
}

/* ---- what each event does to the state --------------------------------------------- */

static ct_wopen *find_task(ct_wstate *s, uint64_t id)
{
    for (uint32_t i = s->ntasks; i-- > 0;)
        if (s->tasks[i].task == id)
            return &s->tasks[i];
    return NULL;
}

/* Whether task `task` is test or fixture `root` or was begun in it. */
static int task_in(ct_wstate *s, uint64_t task, uint64_t root)
{
    const ct_wopen *k = task && task != root ? find_task(s, task) : NULL;
    return task == root || (k && k->root == root);
}

static void remove_region(ct_wthread *t, uint64_t serial)
{
    for (uint32_t i = t->depth; i-- > 0;) {
        if (t->regions[i].serial != serial)
            continue;
        memmove(&t->regions[i], &t->regions[i + 1], (t->depth - i - 1) * sizeof *t->regions);
        t->depth--;
        return;
    }
}

/* A test or fixture ended: a reader closes what was begun in it and is
 * still open (regions on every thread, tasks), so nothing of it is said
 * again ahead of the window. */
static void end_of_test(ct_wstate *s, uint64_t root)
{
    for (uint32_t i = 0; i < s->threads_cap; i++) {
        ct_wthread *t = &s->threads[i];
        uint32_t keep = 0;
        for (uint32_t j = 0; t->serial && j < t->depth; j++)
            if (!task_in(s, t->regions[j].task, root))
                t->regions[keep++] = t->regions[j];
        t->depth = t->serial ? keep : t->depth;
    }
    uint32_t keep = 0;
    for (uint32_t i = 0; i < s->ntasks; i++)
        if (s->tasks[i].root != root)
            s->tasks[keep++] = s->tasks[i];
    s->ntasks = keep;
}

static int define_string(ct_wthread *t, uint64_t id, const uint8_t *bytes, uint64_t len)
{
    if (id == 0 || id >= CT_WS_MAX_STRINGS)
        return 0; /* a reader would not keep it either */
    if (id >= t->nstrings) {
        uint32_t n = (uint32_t)id + 1;
        if (n < 2 * t->nstrings)
            n = 2 * t->nstrings < CT_WS_MAX_STRINGS ? 2 * t->nstrings : CT_WS_MAX_STRINGS;
        ct_wbytes *v = realloc(t->strings, n * sizeof *v);
        if (!v)
            return -1;
        memset(v + t->nstrings, 0, (n - t->nstrings) * sizeof *v);
        t->strings = v;
        t->nstrings = n;
    }
    /* After a drop a writer defines an id again: the first definition holds. */
    return t->strings[id].bytes ? 0 : bytes_set(&t->strings[id], bytes, len);
}

static int define_stack(ct_wthread *t, uint64_t id, const uint8_t *pcs, uint64_t len)
{
    if (t->nstacks >= CT_WS_MAX_STACKS || grow(&t->stacks, t->nstacks, &t->stacks_cap,
                                               sizeof *t->stacks) != 0)
        return t->nstacks >= CT_WS_MAX_STACKS ? 0 : -1;
    ct_wstack *k = &t->stacks[t->nstacks];
    *k = (ct_wstack){id, {NULL, 0}};
    if (bytes_set(&k->pcs, pcs, len) != 0)
        return -1;
    t->nstacks++;
    return 0;
}

/* A thread's table of stacks starts over after its LOST: ids before are
 * never used again. */
static void forget_stacks(ct_wthread *t)
{
    for (uint32_t i = 0; i < t->nstacks; i++)
        free(t->stacks[i].pcs.bytes);
    t->nstacks = 0;
}

static int add_module(ct_wstate *s, const ct_event_fields *f)
{
    ct_wmodule *m = NULL;
    for (uint32_t i = 0; i < s->nmodules && !m; i++) /* one over the same range replaces it */
        if (s->modules[i].lo == f->v[1] && s->modules[i].hi == f->v[2])
            m = &s->modules[i];
    if (!m) {
        if (s->nmodules >= CT_WS_MAX_MODULES)
            return 0;
        if (grow(&s->modules, s->nmodules, &s->modules_cap, sizeof *s->modules) != 0)
            return -1;
        m = &s->modules[s->nmodules++];
        memset(m, 0, sizeof *m);
    }
    m->bias = f->v[0];
    m->lo = f->v[1];
    m->hi = f->v[2];
    return bytes_set(&m->path, f->s[3], f->v[3]) || bytes_set(&m->build_id, f->s[4], f->v[4])
               ? -1 : 0;
}

static int push_region(ct_wthread *t, const ct_event_fields *f)
{
    t->region_serial++;
    if (t->depth >= CT_WS_MAX_DEPTH) /* a reader stops tracking deeper ones too */
        return 0;
    if (grow(&t->regions, t->depth, &t->regions_cap, sizeof *t->regions) != 0)
        return -1;
    t->regions[t->depth++] = (ct_wopen){.tick = t->tick, .clock = t->clock,
                                        .serial = t->region_serial, .task = f->v[0],
                                        .name = f->v[1], .thread = t->serial};
    return 0;
}

static int begin_task(ct_wstate *s, ct_wthread *t, const ct_event_fields *f)
{
    if (s->ntasks >= CT_WS_MAX_TASKS)
        return 0;
    if (grow(&s->tasks, s->ntasks, &s->tasks_cap, sizeof *s->tasks) != 0)
        return -1;
    const ct_wopen *parent = f->v[1] ? find_task(s, f->v[1]) : NULL;
    s->tasks[s->ntasks++] = (ct_wopen){
        .tick = t->tick, .clock = t->clock, .task = f->v[0], .parent = f->v[1],
        .name = f->v[2], .kind = f->v[3], .thread = t->serial,
        .root = f->v[3] != 0 ? f->v[0] : parent ? parent->root : 0};
    return 0;
}

static void end_task(ct_wstate *s, uint64_t id)
{
    ct_wopen *k = find_task(s, id);
    if (!k)
        return;
    int test = k->kind != 0;
    memmove(k, k + 1, (size_t)(s->tasks + s->ntasks - k - 1) * sizeof *k);
    s->ntasks--;
    if (test)
        end_of_test(s, id);
}

int ct_ws_counts_as_cut(uint8_t code)
{
    switch (code) {
    case CT_EV_STRING:
    case CT_EV_STACK:
    case CT_EV_THREAD_BEGIN:
    case CT_EV_THREAD_NAME:
    case CT_EV_SCHED_SOURCE:
    case CT_EV_CPU_SOURCE:
    case CT_EV_MODULE:
    case CT_EV_LOST:
    case CT_EV_WINDOW_LOST:
    case CT_EV_CUT:
        return 0;
    default:
        return 1;
    }
}

/* Fold one event of thread t. @return 0, or -1 out of memory. *gone: the
 * thread ended (its state is freed). */
static int apply(ct_wstate *s, ct_wthread *t, const ct_event_fields *f, int *gone)
{
    switch (f->code) {
    case CT_EV_STRING:
        return define_string(t, f->v[0], f->s[1], f->v[1]);
    case CT_EV_STACK:
        return define_stack(t, f->v[0], f->s[1], f->v[1]);
    /* Said again ahead of the window: not counted as cut. */
    case CT_EV_THREAD_BEGIN:
        t->begun = 1;
        memcpy(t->begin, f->v, sizeof t->begin);
        t->begin_tick = t->tick;
        t->begin_clock = t->clock;
        t->region_serial = f->v[4];
        return 0;
    case CT_EV_THREAD_NAME:
        t->named = 1;
        t->name = f->v[0];
        return 0;
    case CT_EV_SCHED_SOURCE:
        t->has_sched = 1;
        t->sched = f->v[0];
        return 0;
    case CT_EV_CPU_SOURCE:
        t->has_cpu = 1;
        t->cpu[0] = f->v[0];
        t->cpu[1] = f->v[1];
        return 0;
    case CT_EV_MODULE:
        return add_module(s, f);
    case CT_EV_LOST:
        t->lost += f->v[0];
        s->lost_told += f->v[0];
        t->region_serial = f->v[1];
        forget_stacks(t);
        return 0;
    case CT_EV_WINDOW_LOST:
    case CT_EV_CUT: /* no tracer writes it: nothing to keep */
        return 0;
    default:
        break;
    }
    t->cut++; /* what the program did (ct_ws_counts_as_cut()): left out unless said again */
    switch (f->code) {
    case CT_EV_THREAD_END:
        thread_gone(s, t);
        *gone = 1;
        return 0;
    case CT_EV_TASK_BEGIN:
        return begin_task(s, t, f);
    case CT_EV_TASK_END:
        end_task(s, f->v[0]);
        return 0;
    case CT_EV_REGION_BEGIN:
        return push_region(t, f);
    case CT_EV_REGION_END:
        if (f->v[0] <= t->region_serial)
            remove_region(t, t->region_serial - f->v[0]);
        return 0;
    case CT_EV_REGION_END_FOREIGN: {
        ct_wthread *owner = f->v[0] <= UINT32_MAX ? ct_ws_thread(s, (uint32_t)f->v[0], 0) : NULL;
        if (owner)
            remove_region(owner, f->v[1]);
        return 0;
    }
    default: /* status, logs, waits, adoptions: nothing to keep */
        return 0;
    }
}

long ct_ws_fold(ct_wstate *s, uint32_t serial, uint64_t seq, uint64_t offset, ct_wclock clock,
                const uint8_t *events, size_t len, uint64_t stop_tick)
{
    if (serial == 0)
        return (long)len; /* no thread (a pool scribbled on): the drainer skips those */
    ct_wthread *t = ct_ws_thread(s, serial, 0);
    ct_event_fields first;
    if (!t && ct_event_parse(events, events + len, &first) && first.spec->timed &&
        clock.tsc + first.delta >= stop_tick)
        return 0; /* nothing of it to fold: no state for it */
    if (!t && !(t = ct_ws_thread(s, serial, 1)))
        return -1;
    if (!t->have_chunk || t->seq != seq || t->next_offset != offset) {
        /* A chunk's first event counts from its clock pair. */
        t->have_chunk = 1;
        t->seq = seq;
        t->clock = clock;
        t->tick = clock.tsc;
    }
    size_t at = 0;
    while (at < len) {
        ct_event_fields f;
        size_t n = ct_event_parse(events + at, events + len, &f);
        if (n == 0) { /* scribbled on: the rest of the batch cannot be read */
            s->malformed = 1;
            at = len;
            break;
        }
        if (f.spec->timed && t->tick + f.delta >= stop_tick)
            break;
        t->tick += f.delta;
        int gone = 0;
        if (apply(s, t, &f, &gone) != 0)
            return -1;
        at += n;
        if (gone)
            return (long)len; /* nothing comes after a thread's end */
    }
    t->next_offset = offset + at;
    return (long)at;
}
