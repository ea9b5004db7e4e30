/*
 * thread_walk.c - the thread table of a trace (thread_walk.h): one pass
 * (two for the rare trace whose skimmed times cannot stand in), start
 * routines named with the modules the trace recorded, rows sorted and
 * grouped by start routine.
 */
#include "thread_walk.h"

#include <inttypes.h> /* PRIx64 */
#include <stdlib.h>   /* calloc, realloc, free, qsort */
#include <string.h>   /* memcpy, strcmp, strdup */
#include <sys/stat.h> /* stat */

#include "analysis/reader_skim.h" /* ctr__keep_skim_times */
#include "view_io.h"

static uint64_t key_of(uint32_t process, int32_t tid)
{
    return ((uint64_t)process << 32 | (uint32_t)tid) + 1; /* never 0 */
}

/* row_of() of a thread other than the latest event's. */
static __attribute__((noinline)) ctv_thread_row *row_found(ctv_thread_table *t,
                                                          const ctr_event *ev, uint64_t key)
{
    uint32_t index;
    if (ctv_ids_find(&t->ids, key, &index)) {
        t->last_key = key;
        t->last_index = index;
        t->two_threads |= t->rows[index].thread != ev->thread;
        return &t->rows[index];
    }
    if (t->count == t->capacity) {
        uint32_t capacity = t->capacity ? t->capacity * 2 : 32;
        ctv_thread_row *rows = realloc(t->rows, capacity * sizeof *rows);
        if (!rows)
            return NULL;
        t->rows = rows;
        t->capacity = capacity;
    }
    if (ctv_ids_put(&t->ids, key, t->count) != 0)
        return NULL;
    ctv_thread_row *r = &t->rows[t->count++];
    *r = (ctv_thread_row){.process = ev->process, .thread = ev->thread, .pid = ev->pid,
                          .tid = ev->tid,
                          .start_ns = ev->ts_ns, .end_ns = ev->ts_ns};
    return r;
}

/* The row of the event's thread, made when first seen; NULL out of memory. */
static inline ctv_thread_row *row_of(ctv_thread_table *t, const ctr_event *ev)
{
    uint64_t key = key_of(ev->process, ev->tid);
    if (__builtin_expect(key == t->last_key, 1))
        return &t->rows[t->last_index];
    return row_found(t, ev, key);
}

/* Row r's thread had event ev: its life and waits. */
static inline void take_times(ctv_thread_row *r, const ctr_event *ev)
{
    uint64_t from = ev->kind == CTR_REGION || ev->kind == CTR_BLOCK ? ev->begin_ns : ev->ts_ns;
    if (from < r->start_ns)
        r->start_ns = from;
    if (ev->ts_ns > r->end_ns && !r->ended)
        r->end_ns = ev->ts_ns;
    if (ev->kind == CTR_BLOCK)
        r->blocked[(unsigned)ev->block_kind < CTV_WAIT_KINDS ? ev->block_kind : 0] +=
            ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0;
}

/* Take in any event. */
static __attribute__((noinline)) int add_any_event(ctv_thread_table *t, const ctr_event *ev)
{
    if (ev->kind == CTR_PROCESS_END) { /* its threads that did not say end there */
        for (uint32_t i = 0; i < t->count; i++) {
            ctv_thread_row *r = &t->rows[i];
            if (r->process == ev->process && !r->ended) {
                if (ev->ts_ns > r->end_ns)
                    r->end_ns = ev->ts_ns;
                r->ended = 1;
            }
        }
        return 0;
    }
    if (ev->kind == CTR_MODULE)
        return ctv_symbols_add(&t->syms, ev);
    if (ev->tid == 0 || ev->kind == CTR_PROCESS_BEGIN || ev->kind == CTR_WARNING)
        return 0; /* not a thread's own event */
    ctv_thread_row *r = row_of(t, ev);
    if (!r)
        return CT_ENOMEM;
    t->two_threads |= r->thread != ev->thread; /* a tid used again */
    take_times(r, ev);
    switch (ev->kind) {
    case CTR_THREAD_BEGIN:
        r->start_fn = ev->object;
        r->creator_tid = ev->parent_tid;
        break;
    case CTR_THREAD_NAME: {
        char *name = malloc(ev->name_len + 1);
        if (!name)
            return CT_ENOMEM;
        memcpy(name, ev->name, ev->name_len);
        name[ev->name_len] = '\0';
        free(r->name);
        r->name = name;
        r->name_len = ev->name_len;
        break;
    }
    case CTR_THREAD_END:
        r->ended = 1;
        break;
    case CTR_CPU_SOURCE:
        r->cpu_sampled |= ev->object == CTR_CPU_ON;
        break;
    case CTR_CPU_SAMPLE:
        r->cpu_ns += ev->count * ev->object;
        break;
    default:
        break;
    }
    return 0;
}

/* The kinds add_any_event() does more with than its thread's times and waits. */
#define OTHER_KINDS                                                                         \
    (CTR_KIND_BIT(CTR_PROCESS_BEGIN) | CTR_KIND_BIT(CTR_PROCESS_END) |                      \
     CTR_KIND_BIT(CTR_MODULE) | CTR_KIND_BIT(CTR_WARNING) | CTR_KIND_BIT(CTR_THREAD_BEGIN) | \
     CTR_KIND_BIT(CTR_THREAD_NAME) | CTR_KIND_BIT(CTR_THREAD_END) |                         \
     CTR_KIND_BIT(CTR_CPU_SOURCE) | CTR_KIND_BIT(CTR_CPU_SAMPLE))

/* Take in an event: those that make most of a trace (regions, logs, tasks,
 * waits) inline, as add_any_event() would. */
static inline int add_event(void *table, const ctr_event *ev)
{
    ctv_thread_table *t = table;
    if ((unsigned)ev->kind >= 64 || (OTHER_KINDS >> ev->kind & 1))
        return add_any_event(t, ev);
    if (ev->tid == 0)
        return 0; /* not a thread's own event */
    ctv_thread_row *r = row_of(t, ev);
    if (!r)
        return CT_ENOMEM;
    take_times(r, ev);
    return 0;
}

uint64_t ctv_thread_running(const ctv_thread_row *r)
{
    uint64_t life = r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0;
    uint64_t waited = 0;
    for (int k = 0; k < CTV_WAIT_KINDS; k++)
        waited += r->blocked[k];
    return life > waited ? life - waited : 0;
}

/* Name each thread's start routine: threads of one routine group together
 * whatever process (address layout) they ran in. */
static int name_start_routines(ctv_thread_table *t)
{
    for (uint32_t i = 0; i < t->count; i++) {
        ctv_thread_row *r = &t->rows[i];
        if (!r->start_fn)
            continue;
        ct_symbol found;
        char hex[24];
        const char *name = hex;
        snprintf(hex, sizeof hex, "0x%" PRIx64, r->start_fn);
        if (ctv_symbols_lookup(&t->syms, r->process, r->start_fn, 0, &found) &&
            found.function) {
            name = found.function;
            r->fn_file = found.file;
            r->fn_line = found.line;
        }
        if (!(r->fn_name = strdup(name)))
            return CT_ENOMEM;
    }
    return 0;
}

int ctv_thread_same_fn(const ctv_thread_row *x, const ctv_thread_row *y)
{
    if (!x->fn_name || !y->fn_name)
        return x->fn_name == y->fn_name;
    return strcmp(x->fn_name, y->fn_name) == 0;
}

static int by_fn(const void *a, const void *b)
{
    const ctv_thread_row *x = a, *y = b;
    if (!ctv_thread_same_fn(x, y)) {
        if (!x->fn_name || !y->fn_name)
            return x->fn_name ? 1 : -1; /* main threads first */
        return strcmp(x->fn_name, y->fn_name);
    }
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Sort the rows by start routine and sum each routine's. */
static int group(ctv_thread_table *t)
{
    if (t->count > 1) /* qsort() wants a non-NULL array */
        qsort(t->rows, t->count, sizeof *t->rows, by_fn);
    t->groups = calloc(t->count ? t->count : 1, sizeof *t->groups);
    if (!t->groups)
        return CT_ENOMEM;
    for (uint32_t i = 0; i < t->count; i++) {
        if (t->ngroups == 0 || !ctv_thread_same_fn(t->groups[t->ngroups - 1].first, &t->rows[i]))
            t->groups[t->ngroups++].first = &t->rows[i];
        ctv_thread_group *s = &t->groups[t->ngroups - 1];
        s->threads++;
        s->running += ctv_thread_running(&t->rows[i]);
        s->cpu_ns += t->rows[i].cpu_ns;
        s->cpu_sampled |= t->rows[i].cpu_sampled;
        for (int k = 0; k < CTV_WAIT_KINDS; k++)
            s->blocked[k] += t->rows[i].blocked[k];
    }
    return 0;
}

/* The kinds that make most of a trace and tell a thread's table only their
 * times: skimmed, their times taken per thread at the end. */
#define SKIMMED_KINDS                                                                     \
    (CTR_KIND_BIT(CTR_REGION) | CTR_KIND_BIT(CTR_LOG) | CTR_KIND_BIT(CTR_TASK_BEGIN) |     \
     CTR_KIND_BIT(CTR_TASK_END) | CTR_KIND_BIT(CTR_TASK_STATUS))

/* The skimmed times of r's threads into their rows, as add_event() would
 * have taken the events. @return 0, or -1 if they cannot stand in for the
 * events (the trace is to be read again, every event taken). */
static int take_skim_times(ctr_reader *r, ctv_thread_table *t)
{
    size_t cursor = 0;
    ctr__skimmed_thread s;
    int got;
    while ((got = ctr__skim_times(r, &cursor, &s)) == 1) {
        uint32_t index;
        /* Its tid came with a THREAD_BEGIN taken: its row is there. */
        if (!ctv_ids_find(&t->ids, key_of(s.process, s.tid), &index) ||
            t->rows[index].thread != s.thread)
            return -1;
        /* Each was read before its thread's end (else -1 above): as
         * take_times(), whose order does not matter then. */
        ctv_thread_row *row = &t->rows[index];
        if (s.first_ns < row->start_ns)
            row->start_ns = s.first_ns;
        if (s.last_ns > row->end_ns)
            row->end_ns = s.last_ns;
    }
    return got < 0 || t->two_threads ? -1 : 0;
}

/* Read the trace into t (fresh); with `skim`, SKIMMED_KINDS skimmed.
 * @return 0 and *r (open: how reading ended is *rc), *again if the
 * skimmed times could not stand in; or the view's failure status. */
static int walk(const char *path, FILE *err, ctv_thread_table *t, int skim, ctr_reader **r,
                int *rc, int *again)
{
    *t = (ctv_thread_table){0};
    ctv_ids_init(&t->ids);
    ctv_symbols_init(&t->syms);
    int status = ctv_open_trace(path, err, r);
    if (status != 0)
        return status;
    if (skim) {
        ctr_set_kinds(*r, CTR_ALL_KINDS & ~(uint64_t)SKIMMED_KINDS);
        ctr__keep_skim_times(*r);
    }
    int fn_failed;
    *rc = ctv_each_event(*r, add_event, t, &fn_failed);
    *again = skim && !fn_failed && (*rc == 0 || *rc == CT_EDAMAGED) &&
             take_skim_times(*r, t) != 0;
    return 0;
}

/* Whether the trace at `path` can be read a second time: a file, not a
 * pipe (`threads <(...)`), whose bytes are gone once read. */
static int readable_again(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int ctv_thread_table_read(const char *path, FILE *err, ctv_thread_table *t)
{
    ctr_reader *r;
    int rc, again;
    /* Skimming may need a second reading (walk()): from a pipe, every event
     * is taken at once. */
    int status = walk(path, err, t, readable_again(path), &r, &rc, &again);
    if (status == 0 && again) { /* rare: a tid used again, events after an end */
        ctr_close(r);
        ctv_thread_table_free(t);
        status = walk(path, err, t, 0, &r, &rc, &again);
    }
    if (status != 0)
        return status;
    status = ctv_end_status(r, rc, path, err);
    ctr_close(r);
    if (status != CTV_EXIT_FAILED && (name_start_routines(t) != 0 || group(t) != 0))
        status = ctv_fail(path, CT_ENOMEM, err);
    ctv_symbols_warn(&t->syms, err);
    return status;
}

void ctv_thread_table_free(ctv_thread_table *t)
{
    for (uint32_t i = 0; i < t->count; i++) {
        free(t->rows[i].name);
        free(t->rows[i].fn_name);
    }
    free(t->rows);
    free(t->groups);
    ctv_ids_free(&t->ids);
    ctv_symbols_free(&t->syms);
    *t = (ctv_thread_table){0};
}
