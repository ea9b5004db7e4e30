/*
 * tasks.c - `ctest-trace tasks`: collect every task with its regions and logs.
 *
 * Events of different threads arrive close to, not exactly in, time order:
 * a region may come before the begin of its task. So a task is created the
 * first time anything names it and completed when its begin arrives; a task
 * whose begin never arrives (damage, a dropped event) is still shown, with
 * what is known.
 */
#include <stdlib.h> /* malloc, realloc, free, qsort_r */
#include <string.h> /* memcpy, memset */

#include "tasks_model.h"
#include "view_io.h"
#include "views.h"

void task_model_init(task_model *m)
{
    memset(m, 0, sizeof *m);
    ctv_names_init(&m->names);
    ctv_ids_init(&m->ids);
}

static int copy_bytes(char **copy, size_t *copy_len, const char *bytes, size_t len)
{
    char *c = malloc(len ? len : 1);
    if (!c)
        return CT_ENOMEM;
    if (len && bytes)
        memcpy(c, bytes, len);
    *copy = c;
    *copy_len = bytes ? len : 0;
    return 0;
}

/* The task with this id, created on first mention. NULL: out of memory. */
static task_info *task_for(task_model *m, uint64_t id, uint64_t ts_ns)
{
    uint32_t index;
    if (ctv_ids_find(&m->ids, id, &index))
        return &m->tasks[index];
    if (m->count == UINT32_MAX)
        return NULL;
    task_info *tasks = ctv_reserve(m->tasks, &m->cap, m->count, sizeof *m->tasks);
    if (!tasks)
        return NULL;
    m->tasks = tasks;
    uint32_t empty_name;
    if (ctv_names_intern(&m->names, "", 0, &empty_name) != 0)
        return NULL;
    if (ctv_ids_put(&m->ids, id, m->count) != 0)
        return NULL;
    task_info *t = &m->tasks[m->count];
    memset(t, 0, sizeof *t);
    t->id = id;
    t->name = empty_name;
    t->kind = CTR_TASK_USER;
    t->earliest_ns = ts_ns;
    t->first_seen = m->count++;
    return t;
}

static int add_region(task_model *m, task_info *t, const ctr_event *ev)
{
    task_region *regions = ctv_reserve(t->regions, &t->region_cap, t->region_count,
                                   sizeof *t->regions);
    if (!regions)
        return CT_ENOMEM;
    t->regions = regions;
    task_region *r = &t->regions[t->region_count];
    if (ctv_names_intern(&m->names, ev->name, ev->name_len, &r->name) != 0)
        return CT_ENOMEM;
    r->start_ns = ev->begin_ns <= ev->ts_ns ? ev->begin_ns : ev->ts_ns;
    r->duration_ns = ev->ts_ns - r->start_ns;
    r->tid = ev->tid;
    r->flags = ev->flags;
    r->seq = (uint32_t)t->region_count++;
    if (r->start_ns < t->earliest_ns)
        t->earliest_ns = r->start_ns;
    return 0;
}

static int add_log(task_model *m, task_info *t, const ctr_event *ev)
{
    task_log *logs = ctv_reserve(t->logs, &t->log_cap, t->log_count, sizeof *t->logs);
    if (!logs)
        return CT_ENOMEM;
    t->logs = logs;
    task_log *l = &t->logs[t->log_count];
    if (ctv_names_intern(&m->names, ev->name, ev->name_len, &l->category) != 0)
        return CT_ENOMEM;
    if (copy_bytes(&l->message, &l->message_len, ev->message, ev->message_len) != 0)
        return CT_ENOMEM;
    l->ts_ns = ev->ts_ns;
    l->tid = ev->tid;
    l->flags = ev->flags;
    l->seq = (uint32_t)t->log_count++;
    if (l->ts_ns < t->earliest_ns)
        t->earliest_ns = l->ts_ns;
    return 0;
}

int task_model_add(task_model *m, const ctr_event *ev)
{
    if (ev->ts_ns > m->latest_ns)
        m->latest_ns = ev->ts_ns;
    switch (ev->kind) {
    case CTR_TASK_BEGIN:
    case CTR_TASK_END:
    case CTR_TASK_STATUS:
    case CTR_REGION:
    case CTR_LOG:
        break;
    default:
        return 0;
    }
    if (ev->task == 0) /* outside any task: not part of this view */
        return 0;
    task_info *t = task_for(m, ev->task, ev->kind == CTR_REGION ? ev->begin_ns : ev->ts_ns);
    if (!t)
        return CT_ENOMEM;

    switch (ev->kind) {
    case CTR_TASK_BEGIN:
        if (t->begun) /* a second begin for one id: keep the first */
            return 0;
        t->begun = 1;
        t->parent = ev->parent;
        t->kind = ev->task_kind;
        t->pid = ev->pid;
        t->begin_tid = ev->tid;
        t->start_ns = ev->ts_ns;
        return ctv_names_intern(&m->names, ev->name, ev->name_len, &t->name);
    case CTR_TASK_END:
        t->ended = 1;
        t->end_ns = ev->ts_ns;
        t->unended = (ev->flags & CTR_F_UNENDED) != 0;
        if (!t->begun) { /* the end knows the name and when it began */
            t->start_ns = ev->begin_ns;
            if (!t->pid)
                t->pid = ev->pid;
            return ctv_names_intern(&m->names, ev->name, ev->name_len, &t->name);
        }
        return 0;
    case CTR_TASK_STATUS:
        free(t->status_message);
        t->status_message = NULL;
        t->has_status = 1;
        t->status = ev->status;
        return copy_bytes(&t->status_message, &t->status_message_len, ev->message,
                          ev->message_len);
    case CTR_REGION:
        return add_region(m, t, ev);
    case CTR_LOG:
        return add_log(m, t, ev);
    default:
        return 0;
    }
}

/* ---- finishing ------------------------------------------------------------ */

static int region_order(const void *a, const void *b)
{
    const task_region *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int log_order(const void *a, const void *b)
{
    const task_log *x = a, *y = b;
    if (x->ts_ns != y->ts_ns)
        return x->ts_ns < y->ts_ns ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int tid_order(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* threads = the distinct tids of its begin, its regions and its logs. */
static int collect_threads(task_info *t)
{
    size_t n = (t->begin_tid ? 1 : 0) + t->region_count + t->log_count;
    t->threads = malloc((n ? n : 1) * sizeof *t->threads);
    if (!t->threads)
        return CT_ENOMEM;
    size_t k = 0;
    if (t->begin_tid)
        t->threads[k++] = t->begin_tid;
    for (size_t i = 0; i < t->region_count; i++)
        t->threads[k++] = t->regions[i].tid;
    for (size_t i = 0; i < t->log_count; i++)
        t->threads[k++] = t->logs[i].tid;
    qsort(t->threads, k, sizeof *t->threads, tid_order);
    size_t distinct = 0;
    for (size_t i = 0; i < k; i++)
        if (distinct == 0 || t->threads[distinct - 1] != t->threads[i])
            t->threads[distinct++] = t->threads[i];
    t->thread_count = distinct;
    int32_t *fitted = realloc(t->threads, (distinct ? distinct : 1) * sizeof *t->threads);
    if (fitted) /* keep only what is used; failing to shrink is harmless */
        t->threads = fitted;
    return 0;
}

static int task_order(const void *a, const void *b, void *tasks)
{
    const task_info *x = &((const task_info *)tasks)[*(const uint32_t *)a];
    const task_info *y = &((const task_info *)tasks)[*(const uint32_t *)b];
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    return (x->first_seen > y->first_seen) - (x->first_seen < y->first_seen);
}

int task_model_finish(task_model *m)
{
    for (uint32_t i = 0; i < m->count; i++) {
        task_info *t = &m->tasks[i];
        if (!t->begun && !t->ended)
            t->start_ns = t->earliest_ns;
        if (!t->ended) { /* cut off by damage: open until the end of what was read */
            t->end_ns = m->latest_ns > t->start_ns ? m->latest_ns : t->start_ns;
            t->unended = 1;
            t->end_missing = 1;
        }
        if (t->end_ns < t->start_ns)
            t->end_ns = t->start_ns;
        if (t->region_count > 1) /* qsort() wants a non-NULL array */
            qsort(t->regions, t->region_count, sizeof *t->regions, region_order);
        if (t->log_count > 1)
            qsort(t->logs, t->log_count, sizeof *t->logs, log_order);
        if (collect_threads(t) != 0)
            return CT_ENOMEM;
    }
    m->order = malloc((m->count ? m->count : 1) * sizeof *m->order);
    if (!m->order)
        return CT_ENOMEM;
    for (uint32_t i = 0; i < m->count; i++)
        m->order[i] = i;
    qsort_r(m->order, m->count, sizeof *m->order, task_order, m->tasks);
    return 0;
}

void task_model_free(task_model *m)
{
    for (uint32_t i = 0; i < m->count; i++) {
        task_info *t = &m->tasks[i];
        for (size_t k = 0; k < t->log_count; k++)
            free(t->logs[k].message);
        free(t->logs);
        free(t->regions);
        free(t->threads);
        free(t->status_message);
    }
    free(m->tasks);
    free(m->order);
    ctv_ids_free(&m->ids);
    ctv_names_free(&m->names);
    memset(m, 0, sizeof *m);
}

int ctv_tasks(const char *trace_path, int json, FILE *out, FILE *err)
{
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;

    task_model m;
    task_model_init(&m);
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        int add_rc = task_model_add(&m, &ev);
        if (add_rc != 0) {
            rc = add_rc;
            break;
        }
    }
    int status = ctv_end_status(r, rc, trace_path, err);
    if (status != CTV_EXIT_FAILED) {
        int print_rc = task_model_finish(&m);
        if (print_rc == 0) {
            if (json)
                task_model_write_json(&m, out);
            else
                print_rc = task_model_write_tree(&m, out);
        }
        if (print_rc != 0)
            status = ctv_fail(trace_path, print_rc, err);
        else
            status = ctv_finish_output(out, "output", err, status);
    }
    task_model_free(&m);
    ctr_close(r);
    return status;
}
