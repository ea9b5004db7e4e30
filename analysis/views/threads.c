/*
 * threads.c - `ctest-trace threads`: where each thread spent its time, and
 * the threads grouped by start routine, as Go's goroutine analysis does.
 *
 * A thread's life runs from its first event to its end (or its process's);
 * what it spent waiting is the sum of its BLOCK events by kind, and the rest
 * of its life counts as running. One pass; memory follows the number of
 * threads.
 */
#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* calloc, realloc, free, qsort */
#include <string.h>   /* memcpy */

#include "common/human.h"
#include "json.h"
#include "maps.h"
#include "symbols.h"
#include "view_io.h"
#include "views.h"

#define KINDS 5 /* ctr_block_kind 1..4, and 0 for kinds of later versions */

typedef struct thread_row {
    uint32_t process;
    int32_t pid, tid;
    int32_t creator_tid; /* 0: not known (a main thread, or begun before tracing) */
    uint64_t start_fn;
    /* Its start routine by name ("0x..." when it cannot be named, NULL for a
     * main thread), and where: filled once the trace is read. */
    char *fn_name;
    const char *fn_file; /* the symbolizer's: valid until it is freed */
    unsigned fn_line;
    char *name;
    size_t name_len;
    uint64_t start_ns, end_ns;
    int ended;
    uint64_t blocked[KINDS]; /* by ctr_block_kind; [0]: other kinds */
} thread_row;

typedef struct thread_table {
    ctv_symbols syms;
    ctv_ids ids; /* (process, tid) -> row */
    thread_row *rows;
    uint32_t count, capacity;
} thread_table;

static uint64_t key_of(uint32_t process, int32_t tid)
{
    return ((uint64_t)process << 32 | (uint32_t)tid) + 1; /* never 0 */
}

/* The row of the event's thread, made when first seen; NULL out of memory. */
static thread_row *row_of(thread_table *t, const ctr_event *ev)
{
    uint32_t index;
    uint64_t key = key_of(ev->process, ev->tid);
    if (ctv_ids_find(&t->ids, key, &index))
        return &t->rows[index];
    if (t->count == t->capacity) {
        uint32_t capacity = t->capacity ? t->capacity * 2 : 32;
        thread_row *rows = realloc(t->rows, capacity * sizeof *rows);
        if (!rows)
            return NULL;
        t->rows = rows;
        t->capacity = capacity;
    }
    if (ctv_ids_put(&t->ids, key, t->count) != 0)
        return NULL;
    thread_row *r = &t->rows[t->count++];
    *r = (thread_row){.process = ev->process, .pid = ev->pid, .tid = ev->tid,
                      .start_ns = ev->ts_ns, .end_ns = ev->ts_ns};
    return r;
}

static int add_event(thread_table *t, const ctr_event *ev)
{
    if (ev->kind == CTR_PROCESS_END) { /* its threads that did not say end there */
        for (uint32_t i = 0; i < t->count; i++) {
            thread_row *r = &t->rows[i];
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
    thread_row *r = row_of(t, ev);
    if (!r)
        return CT_ENOMEM;
    uint64_t from = ev->kind == CTR_REGION || ev->kind == CTR_BLOCK ? ev->begin_ns : ev->ts_ns;
    if (from < r->start_ns)
        r->start_ns = from;
    if (ev->ts_ns > r->end_ns && !r->ended)
        r->end_ns = ev->ts_ns;
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
    case CTR_BLOCK:
        r->blocked[(unsigned)ev->block_kind < KINDS ? ev->block_kind : 0] +=
            ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0;
        break;
    default:
        break;
    }
    return 0;
}

static uint64_t life(const thread_row *r)
{
    return r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0;
}

static uint64_t running(const thread_row *r)
{
    uint64_t waited = 0;
    for (int k = 0; k < KINDS; k++)
        waited += r->blocked[k];
    return life(r) > waited ? life(r) - waited : 0;
}

/* Name each thread's start routine: threads of one routine group together
 * whatever process (address layout) they ran in. */
static int name_start_routines(thread_table *t)
{
    for (uint32_t i = 0; i < t->count; i++) {
        thread_row *r = &t->rows[i];
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

/* Sums over the threads of one start routine. */
typedef struct group_sum {
    const thread_row *first; /* names the group */
    uint32_t threads;
    uint64_t running, blocked[KINDS];
} group_sum;

static int same_fn(const thread_row *x, const thread_row *y)
{
    if (!x->fn_name || !y->fn_name)
        return x->fn_name == y->fn_name;
    return strcmp(x->fn_name, y->fn_name) == 0;
}

static int by_fn(const void *a, const void *b)
{
    const thread_row *x = a, *y = b;
    if (!same_fn(x, y)) {
        if (!x->fn_name || !y->fn_name)
            return x->fn_name ? 1 : -1; /* main threads first */
        return strcmp(x->fn_name, y->fn_name);
    }
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static void json_fn(ctv_json *j, const thread_row *r)
{
    if (!r->fn_name) { /* the main thread, or not known */
        ctv_json_kv_null(j, "start_fn");
        ctv_json_kv_null(j, "start_addr");
        return;
    }
    char hex[24];
    int n = snprintf(hex, sizeof hex, "0x%" PRIx64, r->start_fn);
    ctv_json_kv_str(j, "start_fn", r->fn_name, strlen(r->fn_name));
    ctv_json_kv_str(j, "start_addr", hex, (size_t)n);
    if (r->fn_file) {
        ctv_json_kv_str(j, "start_file", r->fn_file, strlen(r->fn_file));
        ctv_json_kv_u64(j, "start_line", r->fn_line);
    }
}

static void json_waits(ctv_json *j, uint64_t running_ns, const uint64_t *blocked)
{
    ctv_json_kv_u64(j, "running_ns", running_ns);
    ctv_json_kv_u64(j, "sync_block_ns", blocked[CTR_BLOCK_SYNC]);
    ctv_json_kv_u64(j, "syscall_block_ns", blocked[CTR_BLOCK_SYSCALL]);
    ctv_json_kv_u64(j, "net_block_ns", blocked[CTR_BLOCK_NET]);
    ctv_json_kv_u64(j, "sched_wait_ns", blocked[CTR_BLOCK_SCHED]);
}

static void print_json(FILE *out, const thread_table *t, const group_sum *g, uint32_t ngroups)
{
    ctv_json j;
    ctv_json_init(&j, out);
    ctv_json_object_begin(&j);
    ctv_json_key(&j, "threads");
    ctv_json_array_lines_begin(&j);
    for (uint32_t i = 0; i < t->count; i++) {
        const thread_row *r = &t->rows[i];
        ctv_json_object_begin(&j);
        ctv_json_kv_i64(&j, "tid", r->tid);
        ctv_json_kv_i64(&j, "pid", r->pid);
        if (r->name)
            ctv_json_kv_str(&j, "name", r->name, r->name_len);
        else
            ctv_json_kv_null(&j, "name");
        json_fn(&j, r);
        if (r->creator_tid)
            ctv_json_kv_i64(&j, "creator_tid", r->creator_tid);
        else
            ctv_json_kv_null(&j, "creator_tid");
        ctv_json_kv_u64(&j, "start_ns", r->start_ns);
        ctv_json_kv_u64(&j, "end_ns", r->end_ns);
        json_waits(&j, running(r), r->blocked);
        ctv_json_object_end(&j);
    }
    ctv_json_array_end(&j);
    ctv_json_key(&j, "groups");
    ctv_json_array_lines_begin(&j);
    for (uint32_t i = 0; i < ngroups; i++) {
        ctv_json_object_begin(&j);
        json_fn(&j, g[i].first);
        ctv_json_kv_u64(&j, "threads", g[i].threads);
        json_waits(&j, g[i].running, g[i].blocked);
        ctv_json_object_end(&j);
    }
    ctv_json_array_end(&j);
    ctv_json_object_end(&j);
    fputc('\n', out);
}

static void print_waits(FILE *out, uint64_t running_ns, const uint64_t *blocked)
{
    char a[CTV_HUMAN_BUF], b[CTV_HUMAN_BUF], c[CTV_HUMAN_BUF], d[CTV_HUMAN_BUF],
        e[CTV_HUMAN_BUF];
    fprintf(out, "running %s, sync %s, syscall %s, net %s, sched wait %s\n",
            ctv_format_duration(a, running_ns), ctv_format_duration(b, blocked[CTR_BLOCK_SYNC]),
            ctv_format_duration(c, blocked[CTR_BLOCK_SYSCALL]),
            ctv_format_duration(d, blocked[CTR_BLOCK_NET]),
            ctv_format_duration(e, blocked[CTR_BLOCK_SCHED]));
}

static void print_text(FILE *out, const thread_table *t, const group_sum *g, uint32_t ngroups)
{
    uint32_t i = 0;
    for (uint32_t k = 0; k < ngroups; k++) {
        const thread_row *first = g[k].first;
        if (first->fn_name) {
            fputs("start routine ", out);
            ctv_print_text(out, first->fn_name, strlen(first->fn_name));
            if (first->fn_file) {
                const char *base = strrchr(first->fn_file, '/');
                base = base ? base + 1 : first->fn_file;
                fputs(" (", out);
                ctv_print_text(out, base, strlen(base));
                fprintf(out, ":%u)", first->fn_line);
            }
            fprintf(out, ", %u thread%s: ", g[k].threads, g[k].threads == 1 ? "" : "s");
        } else
            fprintf(out, "main (no start routine), %u thread%s: ", g[k].threads,
                    g[k].threads == 1 ? "" : "s");
        print_waits(out, g[k].running, g[k].blocked);
        for (; i < t->count && same_fn(&t->rows[i], first); i++) {
            const thread_row *r = &t->rows[i];
            fprintf(out, "    tid %" PRId32 " (pid %" PRId32 ")", r->tid, r->pid);
            if (r->name) {
                fputc(' ', out);
                ctv_print_text(out, r->name, r->name_len);
            }
            fputs(": ", out);
            print_waits(out, running(r), r->blocked);
        }
    }
    if (t->count == 0)
        fputs("no threads in the trace\n", out);
}

int ctv_threads(const char *trace_path, int json, FILE *out, FILE *err)
{
    ctr_reader *r;
    int status = ctv_open_trace(trace_path, err, &r);
    if (status != 0)
        return status;
    thread_table t = {0};
    ctv_ids_init(&t.ids);
    ctv_symbols_init(&t.syms);
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        if (add_event(&t, &ev) != 0) {
            rc = CT_ENOMEM;
            break;
        }
    }
    status = ctv_end_status(r, rc, trace_path, err);
    ctr_close(r);
    if (status != CTV_EXIT_FAILED && name_start_routines(&t) != 0)
        status = ctv_fail(trace_path, CT_ENOMEM, err);
    if (status != CTV_EXIT_FAILED) {
        if (t.count > 1) /* qsort() wants a non-NULL array */
            qsort(t.rows, t.count, sizeof *t.rows, by_fn);
        group_sum *g = calloc(t.count ? t.count : 1, sizeof *g);
        uint32_t ngroups = 0;
        for (uint32_t i = 0; g && i < t.count; i++) {
            if (ngroups == 0 || !same_fn(g[ngroups - 1].first, &t.rows[i]))
                g[ngroups++].first = &t.rows[i];
            group_sum *s = &g[ngroups - 1];
            s->threads++;
            s->running += running(&t.rows[i]);
            for (int k = 0; k < KINDS; k++)
                s->blocked[k] += t.rows[i].blocked[k];
        }
        if (!g) {
            status = ctv_fail(trace_path, CT_ENOMEM, err);
        } else {
            if (json)
                print_json(out, &t, g, ngroups);
            else
                print_text(out, &t, g, ngroups);
            status = ctv_finish_output(out, "output", err, status);
        }
        free(g);
    }
    ctv_symbols_warn(&t.syms, err);
    for (uint32_t i = 0; i < t.count; i++) {
        free(t.rows[i].name);
        free(t.rows[i].fn_name);
    }
    free(t.rows);
    ctv_ids_free(&t.ids);
    ctv_symbols_free(&t.syms);
    return status;
}
