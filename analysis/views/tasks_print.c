/*
 * tasks_print.c - the `tasks` view written out: JSON (DESIGN.md §4) or a
 * tree for people, tasks indented under their parents.
 */
#include <inttypes.h> /* PRIu64, PRId32 */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memchr */

#include "human.h"
#include "json.h"
#include "tasks_model.h"

#define NO_TASK UINT32_MAX
#define MAX_INDENT_LEVELS 32 /* deeper tasks are printed at this depth */

static const ctv_name *name_of(const task_model *m, uint32_t index)
{
    return &m->names.names[index];
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_name(ctv_json *j, const task_model *m, const char *key, uint32_t index)
{
    const ctv_name *n = name_of(m, index);
    ctv_json_kv_str(j, key, n->bytes, n->len);
}

static void json_regions(ctv_json *j, const task_model *m, const task_info *t)
{
    ctv_json_key(j, "regions");
    ctv_json_array_begin(j);
    for (size_t i = 0; i < t->region_count; i++) {
        const task_region *r = &t->regions[i];
        ctv_json_object_begin(j);
        json_name(j, m, "name", r->name);
        ctv_json_kv_i64(j, "tid", r->tid);
        ctv_json_kv_u64(j, "start_ns", r->start_ns);
        ctv_json_kv_u64(j, "duration_ns", r->duration_ns);
        ctv_json_kv_bool(j, "unended", (r->flags & CTR_F_UNENDED) != 0);
        if (r->flags & CTR_F_OUT_OF_ORDER)
            ctv_json_kv_bool(j, "out_of_order", 1);
        if (r->flags & CTR_F_OTHER_THREAD)
            ctv_json_kv_bool(j, "other_thread", 1);
        ctv_json_object_end(j);
    }
    ctv_json_array_end(j);
}

static void json_logs(ctv_json *j, const task_model *m, const task_info *t)
{
    ctv_json_key(j, "logs");
    ctv_json_array_begin(j);
    for (size_t i = 0; i < t->log_count; i++) {
        const task_log *l = &t->logs[i];
        ctv_json_object_begin(j);
        json_name(j, m, "category", l->category);
        ctv_json_kv_str(j, "message", l->message, l->message_len);
        ctv_json_kv_i64(j, "tid", l->tid);
        ctv_json_kv_u64(j, "ts_ns", l->ts_ns);
        if (l->flags & CTR_F_TRUNCATED)
            ctv_json_kv_bool(j, "truncated", 1);
        ctv_json_object_end(j);
    }
    ctv_json_array_end(j);
}

static void json_task(ctv_json *j, const task_model *m, const task_info *t)
{
    ctv_json_object_begin(j);
    ctv_json_kv_u64(j, "id", t->id);
    json_name(j, m, "name", t->name);
    ctv_json_kv_cstr(j, "kind", ctr_task_kind_name(t->kind));
    if (t->parent)
        ctv_json_kv_u64(j, "parent", t->parent);
    else
        ctv_json_kv_null(j, "parent");
    ctv_json_kv_cstr(j, "status", t->has_status ? ctr_status_name(t->status) : NULL);
    if (t->has_status)
        ctv_json_kv_str(j, "message", t->status_message, t->status_message_len);
    else
        ctv_json_kv_null(j, "message");
    ctv_json_kv_u64(j, "start_ns", t->start_ns);
    ctv_json_kv_u64(j, "end_ns", t->end_ns);
    ctv_json_kv_u64(j, "duration_ns", t->end_ns - t->start_ns);
    ctv_json_kv_bool(j, "unended", t->unended);
    if (!t->begun) /* known only from later events: kind and parent unknown */
        ctv_json_kv_bool(j, "begin_missing", 1);
    if (t->end_missing) /* the trace stopped before the task's end */
        ctv_json_kv_bool(j, "end_missing", 1);
    if (t->pid)
        ctv_json_kv_i64(j, "pid", t->pid);
    else
        ctv_json_kv_null(j, "pid");
    ctv_json_key(j, "threads");
    ctv_json_array_begin(j);
    for (size_t i = 0; i < t->thread_count; i++)
        ctv_json_i64(j, t->threads[i]);
    ctv_json_array_end(j);
    json_regions(j, m, t);
    json_logs(j, m, t);
    ctv_json_object_end(j);
}

void task_model_write_json(const task_model *m, FILE *out)
{
    ctv_json j;
    ctv_json_init(&j, out);
    ctv_json_object_begin(&j);
    ctv_json_key(&j, "tasks");
    ctv_json_array_lines_begin(&j);
    for (uint32_t k = 0; k < m->count; k++)
        json_task(&j, m, &m->tasks[m->order[k]]);
    ctv_json_array_end(&j);
    ctv_json_object_end(&j);
    fputc('\n', out);
}

/* ---- tree ----------------------------------------------------------------- */

static void indent(FILE *out, unsigned depth, unsigned extra)
{
    unsigned spaces = 2 * (depth < MAX_INDENT_LEVELS ? depth : MAX_INDENT_LEVELS) + extra;
    fprintf(out, "%*s", (int)spaces, "");
}

/* "+1.2 ms" or "-850 ns": when, from the start of the task. */
static void print_offset(FILE *out, uint64_t ts, uint64_t start)
{
    char buf[CTV_HUMAN_BUF];
    if (ts >= start)
        fprintf(out, "+%s", ctv_format_duration(buf, ts - start));
    else
        fprintf(out, "-%s", ctv_format_duration(buf, start - ts));
}

static void tree_task(FILE *out, const task_model *m, const task_info *t, unsigned depth)
{
    char buf[CTV_HUMAN_BUF];
    const ctv_name *name = name_of(m, t->name);
    const char *kind = ctr_task_kind_name(t->kind);
    indent(out, depth, 0);
    fprintf(out, "[%s] ", t->begun && kind ? kind : "unknown");
    if (name->len)
        ctv_print_text(out, name->bytes, name->len);
    else
        fputs("(no name)", out);
    fputc(':', out);
    if (t->has_status) {
        const char *status = ctr_status_name(t->status);
        fprintf(out, " %s,", status ? status : "unknown");
    }
    fprintf(out, " %s", ctv_format_duration(buf, t->end_ns - t->start_ns));
    if (!t->begun)
        fputs(" (begin not in the trace)", out);
    if (t->end_missing)
        fputs(" (end not in the trace)", out);
    else if (t->unended)
        fputs(" (unended)", out);
    /* The id as the process numbered it: with the pid beside it, it is
     * unique; the trace-wide id (process << 40 | id) is in --json. */
    fprintf(out, " [task %" PRIu64, t->id & (((uint64_t)1 << 40) - 1));
    if (t->pid)
        fprintf(out, ", pid %" PRId32, t->pid);
    if (t->thread_count)
        fputs(t->thread_count == 1 ? ", thread" : ", threads", out);
    for (size_t i = 0; i < t->thread_count; i++)
        fprintf(out, " %" PRId32, t->threads[i]);
    fputs("]\n", out);

    if (t->has_status && t->status_message_len) {
        /* cmocka's messages come a line each: keep them so. */
        const char *s = t->status_message, *end = s + t->status_message_len;
        for (int first = 1; s < end; first = 0) {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            const char *stop = nl ? nl : end;
            indent(out, depth, 4);
            fputs(first ? "message: " : "         ", out);
            ctv_print_text(out, s, (size_t)(stop - s));
            fputc('\n', out);
            s = nl ? nl + 1 : end;
        }
    }
    for (size_t i = 0; i < t->region_count; i++) {
        const task_region *r = &t->regions[i];
        const ctv_name *rn = name_of(m, r->name);
        indent(out, depth, 4);
        fputs("region ", out);
        ctv_print_text(out, rn->bytes, rn->len);
        fprintf(out, ": %s at ", ctv_format_duration(buf, r->duration_ns));
        print_offset(out, r->start_ns, t->start_ns);
        fprintf(out, ", tid %" PRId32 "%s%s%s\n", r->tid,
                r->flags & CTR_F_UNENDED ? ", unended" : "",
                r->flags & CTR_F_OUT_OF_ORDER ? ", ended out of order" : "",
                r->flags & CTR_F_OTHER_THREAD ? ", ended on another thread" : "");
    }
    for (size_t i = 0; i < t->log_count; i++) {
        const task_log *l = &t->logs[i];
        const ctv_name *cat = name_of(m, l->category);
        indent(out, depth, 4);
        fputs("log ", out);
        print_offset(out, l->ts_ns, t->start_ns);
        fprintf(out, " tid %" PRId32 " [", l->tid);
        ctv_print_text(out, cat->bytes, cat->len);
        fputs("] ", out);
        ctv_print_text(out, l->message, l->message_len);
        fputs(l->flags & CTR_F_TRUNCATED ? " (truncated)\n" : "\n", out);
    }
}

typedef struct tree_links {
    uint32_t *first_child, *next_sibling; /* by task index; NO_TASK = none */
    unsigned char *printed;
    struct { uint32_t task; unsigned depth; } *stack;
} tree_links;

/* Depth-first from `root` with an explicit stack: a long chain of nested
 * tasks in a hostile trace must not overflow the C stack. */
static void tree_from(FILE *out, const task_model *m, tree_links *l, uint32_t root)
{
    size_t top = 0;
    l->stack[top].task = root;
    l->stack[top++].depth = 0;
    while (top > 0) {
        top--;
        uint32_t task = l->stack[top].task;
        unsigned depth = l->stack[top].depth;
        if (l->printed[task])
            continue;
        l->printed[task] = 1;
        tree_task(out, m, &m->tasks[task], depth);

        /* Push children last-first so they pop in order of their begin. */
        size_t first = top;
        for (uint32_t c = l->first_child[task]; c != NO_TASK; c = l->next_sibling[c]) {
            if (l->printed[c])
                continue;
            l->stack[top].task = c;
            l->stack[top++].depth = depth + 1;
        }
        for (size_t a = first, b = top; b > a + 1; a++, b--) {
            uint32_t swap = l->stack[a].task;
            l->stack[a].task = l->stack[b - 1].task;
            l->stack[b - 1].task = swap;
        }
    }
}

int task_model_write_tree(const task_model *m, FILE *out)
{
    if (m->count == 0) {
        fprintf(out, "no tasks in this trace\n");
        return 0;
    }
    tree_links l;
    l.first_child = malloc(m->count * sizeof *l.first_child);
    l.next_sibling = malloc(m->count * sizeof *l.next_sibling);
    l.printed = calloc(m->count, 1);
    l.stack = malloc(m->count * sizeof *l.stack);
    int rc = 0;
    if (!l.first_child || !l.next_sibling || !l.printed || !l.stack) {
        rc = CT_ENOMEM;
        goto done;
    }
    for (uint32_t i = 0; i < m->count; i++)
        l.first_child[i] = l.next_sibling[i] = NO_TASK;

    /* Link each task under its parent, walking backwards so that prepending
     * leaves every child list in order of begin. */
    for (uint32_t k = m->count; k-- > 0;) {
        uint32_t task = m->order[k], parent;
        if (m->tasks[task].parent &&
            ctv_ids_find(&m->ids, m->tasks[task].parent, &parent) && parent != task) {
            l.next_sibling[task] = l.first_child[parent];
            l.first_child[parent] = task;
        }
    }
    /* Roots first (no parent, or a parent not in the trace); then whatever a
     * parent cycle left unreached. */
    for (uint32_t k = 0; k < m->count; k++) {
        uint32_t task = m->order[k], parent;
        const task_info *t = &m->tasks[task];
        int is_root = !t->parent || !ctv_ids_find(&m->ids, t->parent, &parent) ||
                      parent == task;
        if (is_root)
            tree_from(out, m, &l, task);
    }
    for (uint32_t k = 0; k < m->count; k++)
        if (!l.printed[m->order[k]])
            tree_from(out, m, &l, m->order[k]);

done:
    free(l.first_child);
    free(l.next_sibling);
    free(l.printed);
    free(l.stack);
    return rc;
}
