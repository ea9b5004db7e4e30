/*
 * tasks.c - `ctest-trace tasks`: every task with its regions and logs, in
 * memory that does not grow with the trace (the stages: tasks_model.h).
 *
 * Here: the gathering pass over the trace, the parts of tasks' facts, and
 * the view itself.
 *
 * Events of different threads arrive close to, not exactly in, time order:
 * a region may come before the begin of its task. So a task is known from
 * the first event that names it and completed when its begin arrives; a task
 * whose begin never arrives (damage, a dropped event) is still shown, with
 * what is known.
 */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* memset */

#include "format/wire.h" /* ct_put_uvarint, ct_get_uvarint */
#include "tasks_model.h"
#include "view_io.h"
#include "views.h"

/* ---- parts ------------------------------------------------------------------- */

size_t task_part_encode(const task_part *p, unsigned char *buf)
{
    unsigned char *q = buf;
    *q++ = (unsigned char)(p->flags &
                           (PART_BEGUN | PART_ENDED | PART_UNENDED | PART_HAS_STATUS | PART_LOST |
                            PART_CUT));
    q = ct_put_uvarint(q, p->created_ns);
    q = ct_put_uvarint(q, p->items_min_ns + 1); /* none (UINT64_MAX) is 0 */
    q = ct_put_uvarint(q, (uint32_t)p->end_pid);
    if (p->flags & PART_BEGUN) {
        q = ct_put_uvarint(q, p->parent);
        q = ct_put_uvarint(q, p->begin_ns);
        q = ct_put_uvarint(q, p->name);
        q = ct_put_uvarint(q, (uint32_t)p->pid);
        q = ct_put_uvarint(q, (uint32_t)p->begin_tid);
        q = ct_put_uvarint(q, p->kind);
    }
    if (p->flags & PART_ENDED) {
        q = ct_put_uvarint(q, p->end_ns);
        q = ct_put_uvarint(q, p->end_begin_ns);
        q = ct_put_uvarint(q, p->end_name);
    }
    if (p->flags & PART_HAS_STATUS)
        q = ct_put_uvarint(q, p->status);
    return (size_t)(q - buf);
}

typedef struct decoder {
    const unsigned char *p, *end;
    int bad;
} decoder;

static uint64_t next(decoder *d)
{
    uint64_t v = 0;
    unsigned n = d->bad ? 0 : ct_get_uvarint(d->p, d->end, &v);
    if (!n)
        d->bad = 1;
    d->p += n;
    return v;
}

int task_part_combine(task_part *acc, int first, uint64_t first_seq, const unsigned char *bytes,
                      size_t len)
{
    if (len == 0)
        return CT_EIO;
    decoder d = {bytes + 1, bytes + len, 0};
    unsigned flags = bytes[0];
    if (first) {
        memset(acc, 0, sizeof *acc);
        acc->first_seq = first_seq;
        acc->items_min_ns = UINT64_MAX;
    }
    uint64_t created = next(&d), items_min = next(&d) - 1;
    int32_t end_pid = (int32_t)(uint32_t)next(&d);
    if (first)
        acc->created_ns = created;
    if (items_min < acc->items_min_ns)
        acc->items_min_ns = items_min;
    if (!acc->end_pid)
        acc->end_pid = end_pid;
    if (flags & PART_BEGUN) {
        task_part b;
        b.parent = next(&d);
        b.begin_ns = next(&d);
        b.name = (uint32_t)next(&d);
        b.pid = (int32_t)(uint32_t)next(&d);
        b.begin_tid = (int32_t)(uint32_t)next(&d);
        b.kind = (uint8_t)next(&d);
        if (!(acc->flags & PART_BEGUN)) { /* a second begin for one id: keep the first */
            acc->parent = b.parent;
            acc->begin_ns = b.begin_ns;
            acc->name = b.name;
            acc->pid = b.pid;
            acc->begin_tid = b.begin_tid;
            acc->kind = b.kind;
            acc->flags |= PART_BEGUN;
        }
    }
    if (flags & PART_ENDED) { /* the last end counts */
        acc->end_ns = next(&d);
        acc->end_begin_ns = next(&d);
        acc->end_name = (uint32_t)next(&d);
        acc->flags = (uint8_t)((acc->flags & ~(PART_UNENDED | PART_LOST | PART_CUT)) |
                               PART_ENDED | (flags & (PART_UNENDED | PART_LOST | PART_CUT)));
    }
    if (flags & PART_HAS_STATUS) { /* the last status counts */
        acc->status = (uint8_t)next(&d);
        acc->flags |= PART_HAS_STATUS;
    }
    return d.bad || d.p != d.end ? CT_EIO : 0;
}

void task_part_row(const task_part *acc, uint64_t id, uint64_t latest_ns, uint32_t empty_name,
                   task_row *row)
{
    memset(row, 0, sizeof *row);
    row->id = id;
    row->first_seen = acc->first_seq;
    row->kind = CTR_TASK_USER;
    row->name = empty_name;
    if (acc->flags & PART_BEGUN) {
        row->flags |= ROW_BEGUN;
        row->parent = acc->parent;
        row->start_ns = acc->begin_ns;
        row->name = acc->name;
        row->pid = acc->pid;
        row->kind = acc->kind;
    } else if (acc->flags & PART_ENDED) { /* the end knows the name and when it began */
        row->start_ns = acc->end_begin_ns;
        row->name = acc->end_name;
        row->pid = acc->end_pid;
    } else { /* known only from its regions and logs: from the first of them */
        row->start_ns = acc->created_ns < acc->items_min_ns ? acc->created_ns : acc->items_min_ns;
    }
    if (acc->flags & PART_ENDED) {
        row->end_ns = acc->end_ns;
        if (acc->flags & PART_UNENDED)
            row->flags |= ROW_UNENDED;
        if (acc->flags & PART_LOST)
            row->flags |= ROW_LOST;
        if (acc->flags & PART_CUT)
            row->flags |= ROW_CUT;
    } else { /* cut off by damage: open until the end of what was read */
        row->end_ns = latest_ns > row->start_ns ? latest_ns : row->start_ns;
        row->flags |= ROW_UNENDED | ROW_END_MISSING;
    }
    if (row->end_ns < row->start_ns)
        row->end_ns = row->start_ns;
    if (acc->flags & PART_HAS_STATUS) {
        row->flags |= ROW_HAS_STATUS;
        row->status = acc->status;
    }
}

/* ---- gathering ------------------------------------------------------------------- */

typedef struct part_entry {
    uint64_t id;
    task_part part;
} part_entry;

/* A process a task started (PROCESS_BEGIN's parent), until it ends. */
struct started {
    uint64_t task;   /* 0: none */
    uint64_t begin_ns;
    uint32_t exe;    /* name index */
    int32_t pid;
};

typedef struct gather {
    task_store *st;
    ctv_sort facts;      /* encoded parts keyed (task id, first_seq) */
    ctv_sort items;      /* keyed (task id, CLASS_*, time) */
    part_entry *parts;   /* the table of parts being gathered */
    uint32_t nparts, max_parts;
    uint32_t *slots;     /* open addressing on id: index + 1, 0 empty */
    size_t slot_count;   /* a power of two, at least twice max_parts */
    uint64_t seq;        /* events read */
    uint64_t latest_ns;  /* the latest time read */
    struct started *started; /* by process index: processes tasks started */
    uint32_t nstarted;
} gather;

static int gather_init(gather *g, task_store *st)
{
    memset(g, 0, sizeof *g);
    g->st = st;
    size_t quarter = st->budget / 4;
    ctv_sort_init(&g->facts, &st->tmp, "tasks", quarter);
    ctv_sort_init(&g->items, &st->tmp, "regions and logs of tasks", st->budget);
    g->max_parts = (uint32_t)(quarter / (sizeof(part_entry) + 2 * sizeof(uint32_t)));
    if (g->max_parts < 64)
        g->max_parts = 64;
    g->slot_count = 128;
    while (g->slot_count < 2 * (size_t)g->max_parts)
        g->slot_count *= 2;
    g->parts = malloc(g->max_parts * sizeof *g->parts);
    g->slots = calloc(g->slot_count, sizeof *g->slots);
    return g->parts && g->slots ? 0 : CT_ENOMEM;
}

static void gather_free(gather *g)
{
    ctv_sort_free(&g->facts);
    ctv_sort_free(&g->items);
    free(g->parts);
    free(g->slots);
    free(g->started);
}

/* The table of parts is full, or reading is over: every part into the sort. */
static int flush_parts(gather *g)
{
    unsigned char buf[TASK_PART_MAX_BYTES];
    for (uint32_t i = 0; i < g->nparts; i++) {
        const part_entry *e = &g->parts[i];
        size_t n = task_part_encode(&e->part, buf);
        int rc = ctv_sort_add(&g->facts, e->id, e->part.first_seq, 0, buf, n);
        if (rc != 0)
            return rc;
    }
    g->nparts = 0;
    memset(g->slots, 0, g->slot_count * sizeof *g->slots);
    return 0;
}

/* The part of task `id` being gathered, begun now when there is none. */
static task_part *part_of(gather *g, uint64_t id, uint64_t created_ns, int *rc)
{
    size_t mask = g->slot_count - 1, s = (size_t)ctv_hash_id(id) & mask;
    for (; g->slots[s]; s = (s + 1) & mask) {
        part_entry *e = &g->parts[g->slots[s] - 1];
        if (e->id == id)
            return &e->part;
    }
    if (g->nparts == g->max_parts) {
        if ((*rc = flush_parts(g)) != 0)
            return NULL;
        s = (size_t)ctv_hash_id(id) & mask;
    }
    part_entry *e = &g->parts[g->nparts];
    g->slots[s] = ++g->nparts;
    memset(e, 0, sizeof *e);
    e->id = id;
    e->part.first_seq = g->seq;
    e->part.created_ns = created_ns;
    e->part.items_min_ns = UINT64_MAX;
    return &e->part;
}

static int intern(gather *g, const char *bytes, size_t len, uint32_t *index)
{
    return ctv_names_intern(&g->st->names, bytes, bytes ? len : 0, index);
}

/* The thread of a region or log, once per run of them on one thread (the
 * join drops the repeats that are left). */
static int add_thread(gather *g, task_part *p, uint64_t id, int32_t tid)
{
    if ((p->flags & PART_HAS_TID) && p->last_tid == tid)
        return 0;
    p->flags |= PART_HAS_TID;
    p->last_tid = tid;
    /* Signed order, as unsigned keys: flip the sign bit. */
    return ctv_sort_add(&g->items, id, CLASS_THREAD, (uint32_t)tid ^ 0x80000000u, NULL, 0);
}

static int add_region(gather *g, task_part *p, const ctr_event *ev)
{
    uint32_t name;
    if (intern(g, ev->name, ev->name_len, &name) != 0)
        return CT_ENOMEM;
    uint64_t start = ev->begin_ns <= ev->ts_ns ? ev->begin_ns : ev->ts_ns;
    if (start < p->items_min_ns)
        p->items_min_ns = start;
    unsigned char buf[4 * CT_UVARINT_MAX], *q = buf;
    q = ct_put_uvarint(q, name);
    q = ct_put_uvarint(q, (uint32_t)ev->tid);
    q = ct_put_uvarint(q, ev->ts_ns - start);
    q = ct_put_uvarint(q, ev->flags);
    int rc = ctv_sort_add(&g->items, ev->task, CLASS_REGION, start, buf, (size_t)(q - buf));
    return rc ? rc : add_thread(g, p, ev->task, ev->tid);
}

static int add_log(gather *g, task_part *p, const ctr_event *ev)
{
    uint32_t category;
    if (intern(g, ev->name, ev->name_len, &category) != 0)
        return CT_ENOMEM;
    if (ev->ts_ns < p->items_min_ns)
        p->items_min_ns = ev->ts_ns;
    size_t len = ev->message ? ev->message_len : 0;
    unsigned char head[3 * CT_UVARINT_MAX], *q = head;
    q = ct_put_uvarint(q, category);
    q = ct_put_uvarint(q, (uint32_t)ev->tid);
    q = ct_put_uvarint(q, ev->flags);
    /* The sort copies one payload: head and message side by side. */
    size_t head_len = (size_t)(q - head);
    unsigned char small[512], *buf = head_len + len <= sizeof small ? small
                                                                   : malloc(head_len + len);
    if (!buf)
        return CT_ENOMEM;
    memcpy(buf, head, head_len);
    if (len)
        memcpy(buf + head_len, ev->message, len);
    int rc = ctv_sort_add(&g->items, ev->task, CLASS_LOG, ev->ts_ns, buf, head_len + len);
    if (buf != small)
        free(buf);
    return rc ? rc : add_thread(g, p, ev->task, ev->tid);
}

/* A process begun under a task: kept until its end makes it an item. */
static int note_started(gather *g, const ctr_event *ev)
{
    if (ev->process >= g->nstarted) {
        uint32_t n = g->nstarted ? g->nstarted : 16;
        while (n <= ev->process)
            n *= 2;
        struct started *s = realloc(g->started, n * sizeof *s);
        if (!s)
            return CT_ENOMEM;
        memset(s + g->nstarted, 0, (n - g->nstarted) * sizeof *s);
        g->started = s;
        g->nstarted = n;
    }
    struct started *s = &g->started[ev->process];
    s->task = ev->parent;
    s->begin_ns = ev->ts_ns;
    s->pid = ev->pid;
    return intern(g, ev->name, ev->name_len, &s->exe);
}

static int add_process(gather *g, const ctr_event *ev)
{
    struct started *s = &g->started[ev->process];
    uint64_t task = s->task;
    s->task = 0;
    int rc = 0;
    task_part *p = part_of(g, task, s->begin_ns, &rc);
    if (!p)
        return rc;
    uint64_t end = ev->ts_ns > s->begin_ns ? ev->ts_ns : s->begin_ns;
    int64_t code = ev->exit_code;
    unsigned char buf[5 * CT_UVARINT_MAX], *q = buf;
    q = ct_put_uvarint(q, (uint32_t)s->pid);
    q = ct_put_uvarint(q, s->exe);
    q = ct_put_uvarint(q, end - s->begin_ns);
    q = ct_put_uvarint(q, ev->flags);
    q = ct_put_uvarint(q, ((uint64_t)code << 1) ^ (uint64_t)(code >> 63)); /* zigzag */
    return ctv_sort_add(&g->items, task, CLASS_PROCESS, s->begin_ns, buf, (size_t)(q - buf));
}

static int gather_event(gather *g, const ctr_event *ev)
{
    g->seq++;
    if (ev->ts_ns > g->latest_ns)
        g->latest_ns = ev->ts_ns;
    if (ev->kind == CTR_PROCESS_BEGIN && ev->parent)
        return note_started(g, ev);
    if (ev->kind == CTR_PROCESS_END && ev->process < g->nstarted && g->started[ev->process].task)
        return add_process(g, ev);
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
    int rc = 0;
    task_part *p = part_of(g, ev->task, ev->kind == CTR_REGION ? ev->begin_ns : ev->ts_ns, &rc);
    if (!p)
        return rc;

    switch (ev->kind) {
    case CTR_TASK_BEGIN:
        if (p->flags & PART_BEGUN) /* a second begin for one id: keep the first */
            return 0;
        p->flags |= PART_BEGUN;
        p->parent = ev->parent;
        p->kind = (uint8_t)ev->task_kind;
        p->pid = ev->pid;
        p->begin_tid = ev->tid;
        p->begin_ns = ev->ts_ns;
        return intern(g, ev->name, ev->name_len, &p->name);
    case CTR_TASK_END:
        p->flags = (uint8_t)((p->flags & ~(PART_UNENDED | PART_LOST | PART_CUT)) | PART_ENDED |
                             (ev->flags & CTR_F_UNENDED ? PART_UNENDED : 0) |
                             (ev->flags & CTR_F_LOST ? PART_LOST : 0) |
                             (ev->flags & CTR_F_CUT ? PART_CUT : 0));
        p->end_ns = ev->ts_ns;
        p->end_begin_ns = ev->begin_ns;
        if (!p->end_pid)
            p->end_pid = ev->pid;
        return intern(g, ev->name, ev->name_len, &p->end_name);
    case CTR_TASK_STATUS:
        p->flags |= PART_HAS_STATUS;
        p->status = (uint8_t)ev->status;
        return ctv_sort_add(&g->items, ev->task, CLASS_MESSAGE, 0, ev->message,
                            ev->message ? ev->message_len : 0);
    case CTR_REGION:
        return add_region(g, p, ev);
    default:
        return add_log(g, p, ev);
    }
}

/* ---- the view ---------------------------------------------------------------------- */

static int store_init(task_store *st)
{
    memset(st, 0, sizeof *st);
    ctv_tmp_init(&st->tmp);
    st->budget = st->tmp.budget;
    ctv_names_init(&st->names);
    ctv_spill_init(&st->items, &st->tmp, "regions and logs of tasks", st->budget / 4);
    ctv_sort_init(&st->order, &st->tmp, "tasks", st->budget / 4);
    return ctv_names_intern(&st->names, "", 0, &st->empty_name);
}

static void store_free(task_store *st)
{
    ctv_names_free(&st->names);
    ctv_spill_free(&st->items);
    ctv_sort_free(&st->order);
}

/* Read the trace into g. @return the view's exit status so far. */
static int gather_trace(gather *g, const char *trace_path, FILE *err)
{
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        int add_rc = gather_event(g, &ev);
        if (add_rc != 0) {
            rc = add_rc;
            break;
        }
    }
    int status = rc == CT_EIO && ctv_tmp_failed(&g->st->tmp)
                     ? ctv_fail_spill(trace_path, "tasks", &g->st->tmp, err)
                     : ctv_end_status(r, rc, trace_path, err);
    ctr_close(r); /* before the next stages: its buffers are no longer needed */
    return status;
}

int ctv_tasks(const char *trace_path, int json, FILE *out, FILE *err)
{
    task_store st;
    gather g;
    int rc = store_init(&st);
    int gather_rc = gather_init(&g, &st);
    if (rc == 0)
        rc = gather_rc;
    int status = rc == 0 ? gather_trace(&g, trace_path, err)
                         : ctv_fail(trace_path, rc, err);
    if (status != CTV_EXIT_FAILED) {
        rc = flush_parts(&g);
        if (rc == 0)
            rc = ctv_sort_finish(&g.facts);
        if (rc == 0)
            rc = ctv_sort_finish(&g.items);
        free(g.parts); /* the join needs the sorts only */
        free(g.slots);
        g.parts = NULL;
        g.slots = NULL;
        if (rc == 0)
            rc = task_join(&st, &g.facts, &g.items, g.latest_ns);
        gather_free(&g);
        if (rc == 0)
            rc = json ? task_write_json(&st, out) : task_write_tree(&st, out);
        if (rc != 0)
            status = ctv_tmp_failed(&st.tmp) ? ctv_fail_spill(trace_path, "tasks", &st.tmp, err)
                                             : ctv_fail(trace_path, rc, err);
        else
            status = ctv_finish_output(out, "output", err, status);
    } else {
        gather_free(&g);
    }
    store_free(&st);
    return status;
}
