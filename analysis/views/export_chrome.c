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
 * on each other thread.
 * Everything but slices of threads is written as it is read (a task comes
 * whole at its end). Slices go through slice_order.h: by begin, each on the
 * lane of its thread where it nests, so every lane nests as consumers
 * require; a slice that nests nowhere there (a scheduler wait summed over a
 * stretch, a region ended out of order) goes on an extra lane of its
 * thread, "overlapping N", with a tid no thread can have (N * 2^22 above
 * its thread's: Linux tids stay under 2^22). What is held: each task's
 * thread, which (task, thread) pairs have their arrow (export_common.h:
 * bounded), and the slices' sort (bounded, spilled).
 * Times are microseconds with three decimals: exact nanoseconds.
 */
#include "export_chrome.h"

#include <stdio.h>  /* snprintf */
#include <string.h> /* strlen */

#include "export_common.h"
#include "json.h"
#include "slice_order.h"
#include "view_io.h"

/* Extra lanes of a thread: tids N * 2^22 above its own, up to this N. */
#define LANE_TID_SHIFT 22
#define LANES_MAX 511 /* the tid stays a positive 32-bit number */

typedef struct chrome {
    ctv_json j;
    ctv_flows flows;
    ctv_slices slices; /* of threads, for the second stage */
    int rc;            /* the first failure: CT_ENOMEM or CT_EIO */
} chrome;

/* A lane's id in the second stage: its pid and tid. */
static uint64_t lane_id(int32_t pid, int64_t tid)
{
    return (uint64_t)(uint32_t)pid << 32 | (uint32_t)tid;
}

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

static void task_arg(ctv_json *j, uint64_t task)
{
    if (task) {
        ctv_json_key(j, "task");
        ctv_json_hex(j, task);
    }
}

static void stack_arg(ctv_json *j, const uint64_t *stack, uint32_t len)
{
    ctv_json_key(j, "stack"); /* innermost first */
    ctv_json_array_begin(j);
    for (uint32_t i = 0; i < len; i++)
        ctv_json_hex(j, stack[i]);
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

/* The fields every event has, on lane `lane` (lane_id()). */
static void begin_on_lane(ctv_json *j, const char *ph, uint64_t lane, uint64_t ts)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "ph", ph);
    ctv_json_kv_i64(j, "pid", (int32_t)(lane >> 32));
    ctv_json_kv_i64(j, "tid", (int32_t)(uint32_t)lane);
    ctv_json_key(j, "ts");
    ctv_json_micros(j, ts);
}

/* Extra lane `number` of a thread: named for what it holds. */
static uint64_t new_lane(void *ctx, uint64_t thread, uint32_t number)
{
    chrome *c = ctx;
    int32_t pid = (int32_t)(thread >> 32), tid = (int32_t)(uint32_t)thread;
    if (number > LANES_MAX)
        number = LANES_MAX; /* hundreds of slices overlapping on one thread */
    uint64_t lane = lane_id(pid, (int64_t)tid + ((int64_t)number << LANE_TID_SHIFT));
    char name[64];
    int n = snprintf(name, sizeof name, "overlapping %u (thread %d)", number, tid);
    ctv_json *j = &c->j;
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "ph", "M");
    ctv_json_kv_cstr(j, "name", "thread_name");
    ctv_json_kv_i64(j, "pid", pid);
    ctv_json_kv_i64(j, "tid", (int32_t)(uint32_t)lane);
    ctv_json_key(j, "args");
    ctv_json_object_begin(j);
    ctv_json_kv_str(j, "name", name, (size_t)n);
    ctv_json_object_end(j);
    ctv_json_object_end(j);
    return lane;
}

/* A region or wait on its lane, and the end of the arrow to it (to the
 * slice around that point: the region). */
static void write_slice(void *ctx, const ctv_slice *sl, uint64_t lane)
{
    chrome *c = ctx;
    ctv_json *j = &c->j;
    begin_on_lane(j, "X", lane, sl->begin_ns);
    ctv_json_kv_str(j, "name", sl->name, sl->name_len);
    const char *cat = sl->kind ? ctr_block_kind_name((ctr_block_kind)sl->kind) : "region";
    ctv_json_kv_cstr(j, "cat", cat ? cat : "blocking");
    ctv_json_key(j, "dur");
    ctv_json_micros(j, sl->end_ns - sl->begin_ns);
    ctv_json_key(j, "args");
    ctv_json_object_begin(j);
    task_arg(j, sl->task);
    if (sl->kind) {
        ctv_json_key(j, "object");
        ctv_json_hex(j, sl->object);
        stack_arg(j, sl->stack, sl->stack_len);
    }
    if (sl->flags & CTR_F_UNENDED)
        ctv_json_kv_bool(j, "unended", 1);
    if (sl->flags & CTR_F_CUT)
        ctv_json_kv_bool(j, "cut", 1);
    ctv_json_object_end(j);
    ctv_json_object_end(j);
    if (sl->flow) {
        begin_on_lane(j, "f", lane, sl->begin_ns);
        ctv_json_kv_cstr(j, "name", "task");
        ctv_json_kv_cstr(j, "cat", "flow");
        ctv_json_kv_u64(j, "id", sl->flow);
        ctv_json_kv_cstr(j, "bp", "e");
        ctv_json_object_end(j);
    }
}

/* A region or wait, into the sort for the second stage. */
static void sort_slice(chrome *c, const ctr_event *ev, const char *name, size_t name_len,
                       uint32_t kind, uint64_t flow)
{
    uint64_t thread = lane_id(ev->pid, ev->tid > 0 ? ev->tid : ev->pid);
    int rc = ctv_slices_add(&c->slices, ev, thread, name, name_len, kind, flow);
    if (rc != 0 && c->rc == 0)
        c->rc = rc;
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
        stack_arg(j, ev->stack, ev->stack_len);
    ctv_json_object_end(j);
    ctv_json_object_end(j);
}

/* Work of a task on a thread other than the one it began on: an arrow
 * from there (the slice open on that thread then, if any) to the region's
 * begin, once per (task, thread). Its start now; its end with the region.
 * @return its id, or 0: none. */
static uint64_t flow_start(chrome *c, const ctr_event *ev)
{
    int32_t home;
    uint64_t id = ctv_flows_region(&c->flows, ev, &home);
    if (!id)
        return 0;
    ctr_event at = *ev;
    at.tid = home;
    begin_event(&c->j, "s", &at, ev->begin_ns);
    ctv_json_kv_cstr(&c->j, "name", "task");
    ctv_json_kv_cstr(&c->j, "cat", "flow");
    ctv_json_kv_u64(&c->j, "id", id);
    ctv_json_object_end(&c->j);
    return id;
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
        sort_slice(c, ev, ev->name, ev->name_len, 0, flow_start(c, ev));
        return 1;
    case CTR_BLOCK: {
        const char *what = ctv_wait_name(ev->block_kind);
        sort_slice(c, ev, what, strlen(what), ev->block_kind ? (uint32_t)ev->block_kind : 1u, 0);
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

int ctv_export_chrome(ctr_reader *r, FILE *out, const char *trace_path, FILE *err)
{
    chrome c = {.rc = 0};
    ctv_flows_init(&c.flows);
    ctv_slices_init(&c.slices);
    ctv_json *j = &c.j;
    ctv_json_init(j, out);
    ctv_json_object_begin(j);
    ctv_json_key(j, "traceEvents");
    ctv_json_array_lines_begin(j);
    ctr_event ev;
    int rc = 0;
    while (c.rc == 0 && (rc = ctr_next(r, &ev)) == 1)
        write_event(&c, &ev);
    if (c.rc == 0) { /* what was read before any damage is written */
        ctv_lanes_out lanes = {.new_lane = new_lane, .ctx = &c};
        c.rc = ctv_slices_write(&c.slices, &lanes, write_slice, &c);
    }
    ctv_json_array_end(j);
    ctv_json_kv_cstr(j, "displayTimeUnit", "ns");
    ctv_json_object_end(j);
    fputc('\n', out);

    int status;
    if (c.rc == CT_EIO && ctv_tmp_failed(&c.slices.tmp))
        status = ctv_fail_spill(trace_path, "export", &c.slices.tmp, err);
    else if (c.rc != 0)
        status = ctv_fail(trace_path, c.rc, err);
    else
        status = ctv_end_status(r, rc, trace_path, err);
    ctv_slices_free(&c.slices);
    ctv_flows_free(&c.flows);
    return status;
}
