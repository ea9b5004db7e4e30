/*
 * export_chrome.c - `export --format=chrome`: the trace as Chrome's trace
 * event JSON ({"traceEvents":[...]}), which ui.perfetto.dev and
 * chrome://tracing open.
 *
 * A process per traced process (named for its binary), a lane per thread
 * (named as the thread named itself); regions as complete slices ("X"),
 * which nest on their thread as regions nest; blocking and scheduler waits
 * as slices by kind with their stack (addresses) as args; tasks (tests,
 * fixtures, user tasks) as async tracks ("b"/"e", one id a task); logs,
 * statuses, a thread's stack before a kill, losses and warnings as instant
 * events. Streamed in the reader's order: each event is written as it is
 * read, since a region and a task come whole at their end; nothing is held.
 * Times are microseconds with three decimals: exact nanoseconds.
 */
#include "export_chrome.h"

#include <stdio.h>  /* snprintf */
#include <string.h> /* strlen */

#include "json.h"

/* The fields every event has: phase, name, where, when. */
static void begin_event(ctv_json *j, const char *ph, const ctr_event *ev, uint64_t ts)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "ph", ph);
    ctv_json_kv_i64(j, "pid", ev->pid);
    ctv_json_kv_i64(j, "tid", ev->tid);
    ctv_json_key(j, "ts");
    ctv_json_micros(j, ts);
}

static void metadata(ctv_json *j, const ctr_event *ev, const char *what)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "ph", "M");
    ctv_json_kv_cstr(j, "name", what);
    ctv_json_kv_i64(j, "pid", ev->pid);
    ctv_json_kv_i64(j, "tid", ev->tid);
    ctv_json_key(j, "args");
    ctv_json_object_begin(j);
    ctv_json_kv_str(j, "name", ev->name, ev->name_len);
    ctv_json_object_end(j);
    ctv_json_object_end(j);
}

static void duration(ctv_json *j, const ctr_event *ev)
{
    ctv_json_key(j, "dur");
    ctv_json_micros(j, ev->ts_ns >= ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0);
}

static void task_arg(ctv_json *j, uint64_t task)
{
    if (task) {
        ctv_json_key(j, "task");
        ctv_json_hex(j, task);
    }
}

static void stack_arg(ctv_json *j, const ctr_event *ev)
{
    ctv_json_key(j, "stack"); /* innermost first */
    ctv_json_array_begin(j);
    for (uint32_t i = 0; i < ev->stack_len; i++)
        ctv_json_hex(j, ev->stack[i]);
    ctv_json_array_end(j);
}

/* A task's async track: its begin and its end, written at its end. */
static void task_span(ctv_json *j, const ctr_event *ev)
{
    for (int end = 0; end < 2; end++) {
        begin_event(j, end ? "e" : "b", ev, end ? ev->ts_ns : ev->begin_ns);
        ctv_json_kv_str(j, "name", ev->name, ev->name_len);
        ctv_json_kv_cstr(j, "cat", "task");
        ctv_json_key(j, "id");
        ctv_json_hex(j, ev->task);
        if (end && (ev->flags & CTR_F_UNENDED)) {
            ctv_json_key(j, "args");
            ctv_json_object_begin(j);
            ctv_json_kv_bool(j, "unended", 1);
            ctv_json_object_end(j);
        }
        ctv_json_object_end(j);
    }
}

static void slice(ctv_json *j, const ctr_event *ev, const char *name, const char *cat)
{
    begin_event(j, "X", ev, ev->begin_ns);
    if (name)
        ctv_json_kv_cstr(j, "name", name);
    else
        ctv_json_kv_str(j, "name", ev->name, ev->name_len);
    ctv_json_kv_cstr(j, "cat", cat);
    duration(j, ev);
    ctv_json_key(j, "args");
    ctv_json_object_begin(j);
    task_arg(j, ev->task);
    if (ev->kind == CTR_BLOCK) {
        ctv_json_key(j, "object");
        ctv_json_hex(j, ev->object);
        stack_arg(j, ev);
    }
    if (ev->flags & CTR_F_UNENDED)
        ctv_json_kv_bool(j, "unended", 1);
    if (ev->flags & CTR_F_CUT)
        ctv_json_kv_bool(j, "cut", 1);
    ctv_json_object_end(j);
    ctv_json_object_end(j);
}

/* An instant on the thread ("t") or the process ("p"); `message` in args. */
static void instant(ctv_json *j, const ctr_event *ev, const char *scope, const char *name,
                    size_t name_len, const char *cat)
{
    begin_event(j, "i", ev, ev->ts_ns);
    ctv_json_kv_str(j, "name", name, name_len);
    ctv_json_kv_cstr(j, "cat", cat);
    ctv_json_kv_cstr(j, "s", scope);
    ctv_json_key(j, "args");
    ctv_json_object_begin(j);
    task_arg(j, ev->task);
    if (ev->message_len || ev->kind == CTR_LOG || ev->kind == CTR_TASK_STATUS)
        ctv_json_kv_str(j, "message", ev->message, ev->message_len);
    if (ev->kind == CTR_LOST || ev->kind == CTR_CUT || ev->kind == CTR_SCHED_LOST ||
        ev->kind == CTR_WINDOW_LOST)
        ctv_json_kv_u64(j, "count", ev->count);
    if (ev->kind == CTR_THREAD_STACK)
        stack_arg(j, ev);
    ctv_json_object_end(j);
    ctv_json_object_end(j);
}

static const char *wait_name(ctr_block_kind kind)
{
    switch (kind) {
    case CTR_BLOCK_SYNC: return "sync blocking";
    case CTR_BLOCK_SYSCALL: return "syscall blocking";
    case CTR_BLOCK_NET: return "net blocking";
    case CTR_BLOCK_SCHED: return "sched wait";
    }
    return "blocking";
}

/* @return 1 when `ev` was written. */
static int write_event(ctv_json *j, const ctr_event *ev)
{
    char name[64];
    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
        metadata(j, ev, "process_name");
        return 1;
    case CTR_THREAD_NAME:
        metadata(j, ev, "thread_name");
        return 1;
    case CTR_TASK_END:
        task_span(j, ev);
        return 1;
    case CTR_TASK_STATUS: {
        int n = snprintf(name, sizeof name, "status: %s", ctr_status_name(ev->status));
        instant(j, ev, "t", name, (size_t)n, "status");
        return 1;
    }
    case CTR_REGION:
        slice(j, ev, NULL, "region");
        return 1;
    case CTR_BLOCK: {
        const char *cat = ctr_block_kind_name(ev->block_kind);
        slice(j, ev, wait_name(ev->block_kind), cat ? cat : "blocking");
        return 1;
    }
    case CTR_LOG:
        if (ev->name_len)
            instant(j, ev, "t", ev->name, ev->name_len, "log");
        else
            instant(j, ev, "t", "log", 3, "log");
        return 1;
    case CTR_THREAD_STACK:
        instant(j, ev, "t", "thread stack", 12, "stack");
        return 1;
    case CTR_LOST:
    case CTR_SCHED_LOST:
    case CTR_WINDOW_LOST:
    case CTR_CUT: {
        const char *what = ctr_kind_name(ev->kind);
        instant(j, ev, "p", what, strlen(what), "trace");
        return 1;
    }
    case CTR_WARNING:
        instant(j, ev, "p", "warning", 7, "trace");
        return 1;
    default: /* begins (a span is written at its end), modules, sources */
        return 0;
    }
}

int ctv_export_chrome(ctr_reader *r, FILE *out)
{
    ctv_json j;
    ctv_json_init(&j, out);
    ctv_json_object_begin(&j);
    ctv_json_key(&j, "traceEvents");
    ctv_json_array_lines_begin(&j);
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1)
        write_event(&j, &ev);
    ctv_json_array_end(&j);
    ctv_json_kv_cstr(&j, "displayTimeUnit", "ns");
    ctv_json_object_end(&j);
    fputc('\n', out);
    return rc;
}
