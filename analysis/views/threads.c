/*
 * threads.c - `ctest-trace threads`: where each thread spent its time, and
 * the threads grouped by start routine, as Go's goroutine analysis does.
 * The table is gathered by thread_walk.h (shared with the HTML report);
 * this file prints it as text or JSON.
 */
#include <inttypes.h> /* PRIx64, PRId32 */
#include <string.h>   /* strlen, strrchr */

#include "common/human.h"
#include "json.h"
#include "thread_walk.h"
#include "view_io.h"
#include "views.h"

static void json_fn(ctv_json *j, const ctv_thread_row *r)
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

/* "cpu_ns": the CPU time its samples count; null when it was not sampled. */
static void json_cpu(ctv_json *j, int sampled, uint64_t cpu_ns)
{
    if (sampled)
        ctv_json_kv_u64(j, "cpu_ns", cpu_ns);
    else
        ctv_json_kv_null(j, "cpu_ns");
}

static void print_json(FILE *out, const ctv_thread_table *t)
{
    ctv_json j;
    ctv_json_init(&j, out);
    ctv_json_object_begin(&j);
    ctv_json_key(&j, "threads");
    ctv_json_array_lines_begin(&j);
    for (uint32_t i = 0; i < t->count; i++) {
        const ctv_thread_row *r = &t->rows[i];
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
        json_waits(&j, ctv_thread_running(r), r->blocked);
        json_cpu(&j, r->cpu_sampled, r->cpu_ns);
        ctv_json_object_end(&j);
    }
    ctv_json_array_end(&j);
    ctv_json_key(&j, "groups");
    ctv_json_array_lines_begin(&j);
    for (uint32_t i = 0; i < t->ngroups; i++) {
        ctv_json_object_begin(&j);
        json_fn(&j, t->groups[i].first);
        ctv_json_kv_u64(&j, "threads", t->groups[i].threads);
        json_waits(&j, t->groups[i].running, t->groups[i].blocked);
        json_cpu(&j, t->groups[i].cpu_sampled, t->groups[i].cpu_ns);
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

static void print_text(FILE *out, const ctv_thread_table *t)
{
    uint32_t i = 0;
    for (uint32_t k = 0; k < t->ngroups; k++) {
        const ctv_thread_row *first = t->groups[k].first;
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
            fprintf(out, ", %u thread%s: ", t->groups[k].threads, t->groups[k].threads == 1 ? "" : "s");
        } else
            fprintf(out, "main (no start routine), %u thread%s: ", t->groups[k].threads,
                    t->groups[k].threads == 1 ? "" : "s");
        print_waits(out, t->groups[k].running, t->groups[k].blocked);
        for (; i < t->count && ctv_thread_same_fn(&t->rows[i], first); i++) {
            const ctv_thread_row *r = &t->rows[i];
            fprintf(out, "    tid %" PRId32 " (pid %" PRId32 ")", r->tid, r->pid);
            if (r->name) {
                fputc(' ', out);
                ctv_print_text(out, r->name, r->name_len);
            }
            fputs(": ", out);
            print_waits(out, ctv_thread_running(r), r->blocked);
        }
    }
    if (t->count == 0)
        fputs("no threads in the trace\n", out);
}

int ctv_threads(const char *trace_path, int json, FILE *out, FILE *err)
{
    ctv_thread_table t;
    int status = ctv_thread_table_read(trace_path, err, &t);
    if (status != CTV_EXIT_FAILED) {
        if (json)
            print_json(out, &t);
        else
            print_text(out, &t);
        status = ctv_finish_output(out, "output", err, status);
    }
    ctv_thread_table_free(&t);
    return status;
}
