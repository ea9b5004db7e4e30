/*
 * export_perfetto.c - `export --format=perfetto`: the trace as Perfetto's
 * native protobuf (a Trace of TracePackets with TrackEvents), the compact
 * form of the Chrome export's content for ui.perfetto.dev and
 * trace_processor.
 *
 * Tracks: a process track per traced process (named for its binary, with
 * its pid), a thread track per thread (named as it named itself), a track
 * per task (tests, fixtures, user tasks) under its parent task's track or
 * its process's. Regions and waits are slices on their thread's track
 * (waits named and categorised as in the Chrome export, with their stack
 * and object as annotations); logs, statuses, losses and warnings are
 * instants (on the process's track when no thread wrote them); an arrow (flow) goes from the thread a task began on to its
 * first region on each other thread. Times are nanoseconds from the start
 * of the trace, as in the Chrome export and `tasks --json`; a clock
 * snapshot ties them to the wall clock.
 *
 * Order. TrackEvent has no complete slice: a slice is a BEGIN and an END
 * packet, which trace_processor sorts by timestamp, keeping the file's
 * order for equal ones (its sorter compares (ts, position)), then nests on
 * each track as a stack. The reader gives a region whole at its end, after
 * the regions inside it, so a parent that begins at the same nanosecond as
 * its first child would be written after the child and nest inside it. So
 * slices of threads are written in order of their begin, each on the lane
 * of its thread where it nests (slice_order.h): a lane past the thread's
 * own is an extra track of the thread ("overlapping N"), and each END is
 * written before the next BEGIN that comes after it on its track.
 * Everything else is written as it is read, on a sequence of its own.
 */
#include "export_perfetto.h"

#include <stdio.h>  /* snprintf */
#include <string.h> /* strlen */

#include "export_common.h"
#include "maps.h"
#include "perfetto_seq.h"
#include "slice_order.h"
#include "spill.h"
#include "view_io.h"

enum { DIRECT_SEQ = 1, SLICES_SEQ = 2 };

typedef struct perfetto {
    ptf_seq direct; /* descriptors, tasks, instants, the starts of arrows */
    ptf_seq sliced; /* slices of threads, in order of their begin */
    ctv_slices slices; /* of threads, for the second stage */
    ctv_flows flows;
    ctv_ids procs, threads; /* described: process index + 1, thread key -> uuid */
    ctv_ids tasks;          /* open task -> 1: its track is described (bounded) */
    uint32_t tracks;        /* of processes, threads and lanes: uuids 2, 4, ... */
    int rc;                 /* the first failure: CT_ENOMEM or CT_EIO */
} perfetto;

static uint64_t thread_key(uint32_t proc, int32_t tid)
{
    return ((uint64_t)proc + 1) << 32 | (uint32_t)tid;
}

/* Track uuids are small, to be short varints in every event: processes,
 * threads and lanes are numbered (even), a task's is its id (odd). Never 0,
 * the trace-global track. */
static uint64_t next_uuid(perfetto *p)
{
    return (uint64_t)++p->tracks << 1;
}

static uint64_t task_uuid(uint64_t task)
{
    return task << 1 | 1;
}

static void fail(perfetto *p, int rc)
{
    if (p->rc == 0)
        p->rc = rc;
}

/* ---- first stage: tracks, tasks, instants, as read ----------------------- */

static uint64_t process_track(perfetto *p, const ctr_event *ev)
{
    uint32_t uuid;
    int known = ctv_ids_find(&p->procs, ev->process + 1ull, &uuid);
    if (known && ev->kind != CTR_PROCESS_BEGIN)
        return uuid;
    if (!known) {
        uuid = (uint32_t)next_uuid(p);
        if (ctv_ids_put(&p->procs, ev->process + 1ull, uuid) != 0)
            fail(p, CT_ENOMEM);
    }
    int named = ev->kind == CTR_PROCESS_BEGIN;
    ptf_process_track(&p->direct, uuid, ev->pid, named ? ev->name : NULL,
                      named ? ev->name_len : 0);
    return uuid;
}

/* The track of thread `tid` of ev's process, described when first seen.
 * What has no thread (tid 0: what the runner wrote, such as a crashed
 * test's status) goes on the process's track: Perfetto takes a thread 0
 * for the kernel's idle thread. */
static uint64_t thread_track(perfetto *p, const ctr_event *ev, int32_t tid)
{
    if (tid <= 0)
        return process_track(p, ev);
    uint64_t key = thread_key(ev->process, tid);
    uint32_t uuid;
    int known = ctv_ids_find(&p->threads, key, &uuid);
    int named = ev->kind == CTR_THREAD_NAME && tid == ev->tid;
    if (known && !named)
        return uuid;
    if (!known) {
        uuid = (uint32_t)next_uuid(p);
        if (ctv_ids_put(&p->threads, key, uuid) != 0)
            fail(p, CT_ENOMEM);
    }
    ptf_thread_track(&p->direct, uuid, process_track(p, ev), ev->pid, tid,
                     named ? ev->name : NULL, named ? ev->name_len : 0);
    return uuid;
}

/* A task's track, described once: under its parent task's when that one
 * is open and remembered, else under its process's. Open tasks are
 * remembered up to CTV_FLOWS_KEPT; one past that (or whose begin the trace
 * lacks) is described under its process at its begin and again, alike, at
 * its end: a track is never described two ways (trace_processor keeps the
 * first description). */
static uint64_t task_track(perfetto *p, const ctr_event *ev)
{
    uint64_t uuid = task_uuid(ev->task);
    uint32_t seen;
    if (ctv_ids_find(&p->tasks, ev->task, &seen))
        return uuid;
    uint64_t parent = process_track(p, ev);
    int remember = ev->kind == CTR_TASK_BEGIN && p->tasks.count < CTV_FLOWS_KEPT;
    if (remember && ev->parent && ctv_ids_find(&p->tasks, ev->parent, &seen))
        parent = task_uuid(ev->parent);
    ptf_track(&p->direct, uuid, parent, ev->name, ev->name_len);
    if (remember && ctv_ids_put(&p->tasks, ev->task, 1) != 0)
        fail(p, CT_ENOMEM);
    return uuid;
}

/* A task's slice: both its packets now, alone on its track. */
static void task_span(perfetto *p, const ctr_event *ev)
{
    uint64_t track = task_track(p, ev);
    ptf_seq *s = &p->direct;
    ptf_event_begin(s, ev->begin_ns, track, PTF_SLICE_BEGIN);
    ptf_event_name(s, ev->name, ev->name_len);
    ptf_event_category(s, "task");
    ptf_annot_ptr(s, "task", ev->task);
    if (ev->flags & CTR_F_UNENDED)
        ptf_annot_bool(s, "unended", 1);
    if (ev->flags & CTR_F_CUT)
        ptf_annot_bool(s, "cut", 1);
    ptf_event_end(s);
    ptf_event_begin(s, ev->ts_ns >= ev->begin_ns ? ev->ts_ns : ev->begin_ns, track,
                    PTF_SLICE_END);
    ptf_event_end(s);
    ctv_ids_remove(&p->tasks, ev->task); /* its track has all it will hold */
}

static void instant(perfetto *p, const ctr_event *ev, uint64_t track, const char *name,
                    size_t name_len, const char *category)
{
    ptf_seq *s = &p->direct;
    ptf_event_begin(s, ev->ts_ns, track, PTF_INSTANT);
    ptf_event_name(s, name, name_len);
    ptf_event_category(s, category);
    if (ev->task)
        ptf_annot_ptr(s, "task", ev->task);
    if (ctv_instant_message(ev))
        ptf_annot_text(s, "message", ev->message, ev->message_len);
    if (ctv_instant_count(ev))
        ptf_annot_uint(s, "count", ev->count);
    if (ev->kind == CTR_THREAD_STACK)
        ptf_annot_stack(s, "stack", ev->stack, ev->stack_len);
    ptf_event_end(s);
}

/* The start of an arrow to region `ev`: an instant on the thread its task
 * began on, inside what that thread was doing then. */
static uint64_t arrow_from_task(perfetto *p, const ctr_event *ev)
{
    int32_t home;
    uint64_t flow = ctv_flows_region(&p->flows, ev, &home);
    if (!flow)
        return 0;
    ptf_seq *s = &p->direct;
    ptf_event_begin(s, ev->begin_ns, thread_track(p, ev, home), PTF_INSTANT);
    ptf_event_name(s, "task", 4);
    ptf_event_category(s, "flow");
    ptf_annot_ptr(s, "task", ev->task);
    ptf_event_flow(s, flow, 0);
    ptf_event_end(s);
    return flow;
}

/* A region or wait, into the sort for the second stage. */
static void sort_slice(perfetto *p, const ctr_event *ev, const char *name, size_t name_len,
                       uint32_t kind, uint64_t flow)
{
    uint64_t track = thread_track(p, ev, ev->tid); /* described before any slice on it */
    int rc = ctv_slices_add(&p->slices, ev, track, name, name_len, kind, flow);
    if (rc != 0)
        fail(p, rc);
}

static void read_event(perfetto *p, const ctr_event *ev)
{
    char name[64];
    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
        process_track(p, ev);
        return;
    case CTR_THREAD_BEGIN:
    case CTR_THREAD_NAME:
        thread_track(p, ev, ev->tid);
        return;
    case CTR_TASK_BEGIN:
        ctv_flows_task_begin(&p->flows, ev);
        task_track(p, ev);
        return;
    case CTR_TASK_END:
        task_span(p, ev);
        return;
    case CTR_TASK_STATUS: {
        int n = snprintf(name, sizeof name, "status: %s", ctr_status_name(ev->status));
        instant(p, ev, thread_track(p, ev, ev->tid), name, (size_t)n, "status");
        return;
    }
    case CTR_REGION:
        sort_slice(p, ev, ev->name, ev->name_len, 0, arrow_from_task(p, ev));
        return;
    case CTR_BLOCK: {
        const char *what = ctv_wait_name(ev->block_kind);
        sort_slice(p, ev, what, strlen(what), ev->block_kind ? (uint32_t)ev->block_kind : 1u,
                   0);
        return;
    }
    case CTR_LOG:
        instant(p, ev, thread_track(p, ev, ev->tid), ev->name_len ? ev->name : "log",
                ev->name_len ? ev->name_len : 3, "log");
        return;
    case CTR_THREAD_STACK:
        instant(p, ev, thread_track(p, ev, ev->tid), "thread stack", 12, "stack");
        return;
    case CTR_LOST:
    case CTR_SCHED_LOST:
    case CTR_WINDOW_LOST:
    case CTR_CUT: {
        const char *what = ctr_kind_name(ev->kind);
        instant(p, ev, process_track(p, ev), what, strlen(what), "trace");
        return;
    }
    case CTR_WARNING:
        instant(p, ev, process_track(p, ev), "warning", 7, "trace");
        return;
    default: /* ends of processes and threads, modules, sources */
        return;
    }
}

/* ---- second stage: slices of threads, in order of their begin ------------ */

/* Lane `number` of a thread: an extra track under the thread's. */
static uint64_t lane_track(void *ctx, uint64_t thread_track, uint32_t number)
{
    perfetto *p = ctx;
    uint64_t uuid = next_uuid(p);
    char name[32];
    int n = snprintf(name, sizeof name, "overlapping %u", number);
    ptf_track(&p->sliced, uuid, thread_track, name, (size_t)n);
    return uuid;
}

static void slice_end(void *ctx, uint64_t track, uint64_t ts)
{
    perfetto *p = ctx;
    ptf_event_begin(&p->sliced, ts, track, PTF_SLICE_END);
    ptf_event_end(&p->sliced);
}

static void write_slice(void *ctx, const ctv_slice *sl, uint64_t track)
{
    perfetto *p = ctx;
    ptf_seq *s = &p->sliced;
    ptf_event_begin(s, sl->begin_ns, track, PTF_SLICE_BEGIN);
    ptf_event_name(s, sl->name, sl->name_len);
    const char *category = sl->kind ? ctr_block_kind_name((ctr_block_kind)sl->kind) : "region";
    ptf_event_category(s, category ? category : "blocking");
    if (sl->task)
        ptf_annot_ptr(s, "task", sl->task);
    if (sl->kind) {
        ptf_annot_ptr(s, "object", sl->object);
        ptf_annot_stack(s, "stack", sl->stack, sl->stack_len < 256 ? sl->stack_len : 256);
    }
    if (sl->flags & CTR_F_UNENDED)
        ptf_annot_bool(s, "unended", 1);
    if (sl->flags & CTR_F_CUT)
        ptf_annot_bool(s, "cut", 1);
    if (sl->flow)
        ptf_event_flow(s, sl->flow, 1);
    ptf_event_end(s);
}

static void write_slices(perfetto *p)
{
    ctv_lanes_out out = {.new_lane = lane_track, .slice_end = slice_end, .ctx = p};
    int rc = ctv_slices_write(&p->slices, &out, write_slice, p);
    if (rc != 0)
        fail(p, rc);
}

int ctv_export_perfetto(ctr_reader *r, FILE *out, const char *trace_path, FILE *err)
{
    perfetto p = {.rc = 0};
    ptf_seq_init(&p.direct, out, DIRECT_SEQ);
    ptf_seq_init(&p.sliced, out, SLICES_SEQ);
    ctv_slices_init(&p.slices);
    ctv_flows_init(&p.flows);
    ctv_ids_init(&p.procs);
    ctv_ids_init(&p.threads);
    ctv_ids_init(&p.tasks);

    ctr_info info;
    ctr_get_info(r, &info);
    if (info.start_realtime_ns)
        ptf_clock_snapshot(&p.direct, info.start_realtime_ns);
    ctr_event ev;
    int rc = 0;
    while (p.rc == 0 && (rc = ctr_next(r, &ev)) == 1)
        read_event(&p, &ev);
    if (p.rc == 0) /* what was read before any damage is written */
        write_slices(&p);
    if (p.direct.failed || p.sliced.failed)
        fail(&p, CT_ENOMEM);

    int status;
    if (p.rc == CT_EIO && ctv_tmp_failed(&p.slices.tmp))
        status = ctv_fail_spill(trace_path, "export", &p.slices.tmp, err);
    else if (p.rc != 0)
        status = ctv_fail(trace_path, p.rc, err);
    else
        status = ctv_end_status(r, rc, trace_path, err);

    ctv_ids_free(&p.tasks);
    ctv_ids_free(&p.threads);
    ctv_ids_free(&p.procs);
    ctv_flows_free(&p.flows);
    ctv_slices_free(&p.slices);
    ptf_seq_free(&p.sliced);
    ptf_seq_free(&p.direct);
    return status;
}
