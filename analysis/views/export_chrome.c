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
 * events; a flow arrow from the thread a task began on to its first region
 * on each other thread. Streamed in the reader's order: each event is
 * written as it is read, since a region and a task come whole at their
 * end. What is held: each task's thread, and which (task, thread) pairs
 * have their arrow (export_common.h: bounded).
 * Times are microseconds with three decimals: exact nanoseconds.
 */
#include "export_chrome.h"

#include <stdio.h>  /* snprintf */
#include <string.h> /* strlen */

#include "export_common.h"
#include "json.h"

typedef struct chrome {
    ctv_json j;
    ctv_flows flows;
} chrome;

/* The fields every event has: phase, name, where, when. What no thread
 * wrote (tid 0: the runner, such as a crashed test's status and end) is
 * given the process's own thread id, never a thread 0: Perfetto takes
 * that for the kernel's idle thread. */
static void begin_event(ctv_json *j, const char *ph, const ctr_event *ev, uint64_t ts)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "ph", ph);
    ctv_json_kv_i64(j, "pid", ev->pid);
    ctv_json_kv_i64(j, "tid", ev->tid > 0 ? ev->tid : ev->pid);
    ctv_json_key(j, "ts");
    ctv_json_micros(j, ts);
}

static void metadata(ctv_json *j, const ctr_event *ev, const char *what)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "ph", "M");
    ctv_json_kv_cstr(j, "name", what);
    ctv_json_kv_i64(j, "pid", ev->pid);
    ctv_json_kv_i64(j, "tid", ev->tid > 0 ? ev->tid : ev->pid);
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

/* An instant on the thread ("t") or the process ("p": also what no thread
 * wrote); `message` in args. */
static void instant(ctv_json *j, const ctr_event *ev, const char *scope, const char *name,
                    size_t name_len, const char *cat)
{
    if (ev->tid <= 0)
        scope = "p";
    begin_event(j, "i", ev, ev->ts_ns);
    ctv_json_kv_str(j, "name", name, name_len);
    ctv_json_kv_cstr(j, "cat", cat);
    ctv_json_kv_cstr(j, "s", scope);
    ctv_json_key(j, "args");
    ctv_json_object_begin(j);
    task_arg(j, ev->task);
    if (ctv_instant_message(ev))
        ctv_json_kv_str(j, "message", ev->message, ev->message_len);
    if (ctv_instant_count(ev))
        ctv_json_kv_u64(j, "count", ev->count);
    if (ev->kind == CTR_THREAD_STACK)
        stack_arg(j, ev);
    ctv_json_object_end(j);
    ctv_json_object_end(j);
}

/* Work of a task on a thread other than the one it began on: an arrow
 * from there (the slice open on that thread then, if any) to the region's
 * begin, once per (task, thread). */
static void flow(chrome *c, const ctr_event *ev)
{
    int32_t home;
    uint64_t id = ctv_flows_region(&c->flows, ev, &home);
    if (!id)
        return;
    for (int end = 0; end < 2; end++) {
        ctr_event at = *ev;
        if (!end)
            at.tid = home;
        begin_event(&c->j, end ? "f" : "s", &at, ev->begin_ns);
        ctv_json_kv_cstr(&c->j, "name", "task");
        ctv_json_kv_cstr(&c->j, "cat", "flow");
        ctv_json_kv_u64(&c->j, "id", id);
        if (end)
            ctv_json_kv_cstr(&c->j, "bp", "e"); /* to the slice around it: the region */
        ctv_json_object_end(&c->j);
    }
}

/* @return 1 when `ev` was written. */
static int write_event(chrome *c, const ctr_event *ev)
{
    ctv_json *j = &c->j;
    char name[64];
    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
        metadata(j, ev, "process_name");
        return 1;
    case CTR_THREAD_NAME:
        metadata(j, ev, "thread_name");
        return 1;
    case CTR_TASK_BEGIN:
        ctv_flows_task_begin(&c->flows, ev);
        return 0;
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
        flow(c, ev);
        return 1;
    case CTR_BLOCK: {
        const char *cat = ctr_block_kind_name(ev->block_kind);
        slice(j, ev, ctv_wait_name(ev->block_kind), cat ? cat : "blocking");
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
    chrome c;
    ctv_flows_init(&c.flows);
    ctv_json *j = &c.j;
    ctv_json_init(j, out);
    ctv_json_object_begin(j);
    ctv_json_key(j, "traceEvents");
    ctv_json_array_lines_begin(j);
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1)
        write_event(&c, &ev);
    ctv_json_array_end(j);
    ctv_json_kv_cstr(j, "displayTimeUnit", "ns");
    ctv_json_object_end(j);
    fputc('\n', out);
    ctv_flows_free(&c.flows);
    return rc;
}
