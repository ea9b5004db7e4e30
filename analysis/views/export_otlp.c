/*
 * export_otlp.c - the trace as OTLP/JSON spans (export_otlp.h).
 *
 * OTLP/JSON is proto3's JSON mapping of ExportTraceServiceRequest with
 * OTLP's own rules: lowerCamelCase keys, trace and span ids as lowercase
 * hex (not base64), enums as integers, 64-bit integers (times, intValue)
 * as decimal strings.
 *
 * Ids without holding spans back. The reader hands a region over whole at
 * its end, and a region ends before the region or task around it does: when
 * a child is written its parent has not arrived yet, so a parent's id must
 * be computable from what the child knows. Every id is a hash of the
 * identity of what it names, never a counter of what was written:
 *   process key  hash(pid, when it began, unix ns): the same in a trace
 *                and in a merge of it (which renumbers processes, but keeps
 *                wall-clock times);
 *   task         hash(process key, 1, its id in its process);
 *   region       hash(process key, 2, its thread's number in its process,
 *                its serial on that thread);
 * and the reader tells each region the serial of the region it nests in
 * (ctr_event.parent_serial: the innermost region of its task open around
 * it on its thread), so a region names its parent, and a user task its
 * parent task (from its TASK_BEGIN, held while it is open), before either
 * is written. 64-bit hashes: distinct in practice (2^-64 a pair).
 */
#include "export_otlp.h"

#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcpy, strrchr */

#include "common/traceparent.h" /* ct_traceparent_parse */

#include "json.h"
#include "maps.h"

#define NO_PROC UINT32_MAX
#define TASK_LOCAL_MASK ((1ull << 40) - 1) /* FORMAT.md: trace task id = proc << 40 | id */
#define MESSAGE_KEPT 8192                  /* bytes of a test's status message */
#define NAME_KEPT 65536                    /* bytes of a name, an executable's path */

/* Upper bounds of the JSON a span adds to a request, so that a request is
 * closed before a span would take it past its size: every byte of text
 * escapes to at most 6 (\u00XX), and the rest is less than these. */
#define SPAN_FIXED_JSON 2048  /* ids, times, kind, flags, attributes, status */
#define RESOURCE_FIXED_JSON 1024
#define LOG_FIXED_JSON 256    /* an event's time, keys, thread.id, flag */
#define ESCAPED(n) ((size_t)6 * (n))

/* OTLP's enums, as integers. */
#define SPAN_KIND_INTERNAL 1
#define STATUS_CODE_OK 1
#define STATUS_CODE_ERROR 2
/* Span.flags: bits 0-7 the W3C trace flags, then whether the parent is remote. */
#define FLAGS_HAS_IS_REMOTE 0x100u
#define FLAGS_IS_REMOTE 0x200u

typedef struct held_log { /* a log waiting for its task's span */
    uint64_t ts_ns;
    int32_t tid;
    uint32_t flags;
    char *text; /* the category, then the message */
    size_t category_len, message_len;
} held_log;

typedef struct open_task { /* what a task's span needs that its end does not bring */
    uint64_t parent;       /* its parent task (trace id), 0: none */
    ctr_status status;
    char *message;
    size_t message_len;
    int message_cut;       /* the status message was cut (MESSAGE_KEPT, the held bytes) */
    held_log *logs;
    uint32_t nlogs, logs_cap;
    uint32_t dropped;   /* logs past the limits */
    size_t held;        /* bytes of text it holds: its logs and its message */
    size_t events_json; /* at most, the JSON of its logs as span events */
} open_task;

typedef struct proc_info {
    int known;
    int32_t pid;
    char *exe;
    size_t exe_len;
    uint64_t key;
} proc_info;

typedef struct otlp {
    const ctv_otlp_sink *sink;
    ctv_otlp_result *res;
    ctr_reader *r;
    uint64_t start_unix_ns;
    /* The trace context, settled at the first span. */
    int context_read, has_parent;
    uint8_t parent_id[8];
    uint8_t trace_flags;
    const char *tracestate; /* the reader's: lives as long as it does */
    /* What is held. */
    ctv_ids open;         /* task id -> index in tasks */
    open_task *tasks;
    uint32_t ntasks, tasks_cap;
    uint32_t *free_slots; /* indexes in tasks not in use */
    uint32_t nfree;
    size_t held;          /* text held (logs, status messages), all tasks */
    proc_info *procs;
    size_t nprocs;
    /* The request being written. */
    FILE *out;
    char *body;
    size_t body_len;
    int in_request;
    uint32_t resource; /* the process whose resource is open, or NO_PROC */
    uint64_t request_spans;
    ctv_json j;
} otlp;

/* ---- ids ---------------------------------------------------------------------------- */

static uint64_t mix(uint64_t a, uint64_t b)
{
    return ctv_hash_id(a ^ ctv_hash_id(b + 0x9e3779b97f4a7c15ull));
}

static uint64_t process_key(const otlp *o, uint32_t proc)
{
    if (proc < o->nprocs && o->procs[proc].known)
        return o->procs[proc].key;
    return mix(o->start_unix_ns, proc); /* its begin was not read: still stable */
}

static uint64_t nonzero(uint64_t id)
{
    return id ? id : 1;
}

/* A task's span, named by the process that numbered it (the id says which:
 * a region of a process a test started may be in its parent's task). */
static uint64_t task_span_id(const otlp *o, uint64_t task)
{
    uint32_t proc = (uint32_t)(task >> 40);
    return nonzero(mix(mix(process_key(o, proc), 1), task & TASK_LOCAL_MASK));
}

static uint64_t region_span_id(const otlp *o, uint32_t proc, uint32_t thread, uint64_t serial)
{
    return nonzero(mix(mix(mix(process_key(o, proc), 2), thread), serial));
}

void ctv_otlp_trace_id(const ctr_info *info, uint8_t id[16])
{
    uint64_t w = 0xcbf29ce484222325ull; /* FNV-1a of the writer */
    for (const char *s = info->writer ? info->writer : ""; *s; s++)
        w = (w ^ (uint8_t)*s) * 0x100000001b3ull;
    uint64_t hi = nonzero(mix(info->start_realtime_ns, w)), lo = mix(hi, w);
    for (int i = 0; i < 8; i++) {
        id[i] = (uint8_t)(hi >> (56 - 8 * i));
        id[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
}

/* The trace context: the recorded TRACEPARENT (checked again: the file is
 * untrusted), else the sink's trace id, else one from the header. */
static void read_context(otlp *o)
{
    ctr_info info;
    ctr_get_info(o->r, &info);
    o->context_read = 1;
    o->trace_flags = 1; /* sampled: every span is here */
    const char *why = NULL;
    ct_traceparent tp;
    if (info.traceparent && ct_traceparent_parse(info.traceparent, &tp, &why) == 0) {
        memcpy(o->res->trace_id, tp.trace_id, 16);
        memcpy(o->parent_id, tp.parent_id, 8);
        o->trace_flags = tp.flags;
        o->has_parent = 1;
        if (info.tracestate && *info.tracestate && ct_tracestate_check(info.tracestate, &why) == 0)
            o->tracestate = info.tracestate;
        return;
    }
    if (info.traceparent && o->sink->err)
        fprintf(o->sink->err, "ctest-trace: %s: the TRACEPARENT it recorded is not valid (%s): "
                "its spans are not hung under it\n", o->sink->trace_path, why);
    if (o->sink->trace_id)
        memcpy(o->res->trace_id, o->sink->trace_id, 16);
    else
        ctv_otlp_trace_id(&info, o->res->trace_id);
}

static void hex_id(ctv_json *j, const char *key, const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char buf[32];
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = digits[bytes[i] >> 4];
        buf[2 * i + 1] = digits[bytes[i] & 15];
    }
    ctv_json_kv_str(j, key, buf, 2 * n);
}

static void span_id(ctv_json *j, const char *key, uint64_t id)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(id >> (56 - 8 * i));
    hex_id(j, key, b, 8);
}

/* ---- values ------------------------------------------------------------------------- */

/* A fixed64 / int64 as proto3's JSON has it: a decimal string. */
static void u64_string(ctv_json *j, const char *key, uint64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    ctv_json_kv_str(j, key, buf, (size_t)n);
}

static void attr_begin(ctv_json *j, const char *key)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "key", key);
    ctv_json_key(j, "value");
    ctv_json_object_begin(j);
}

static void attr_end(ctv_json *j)
{
    ctv_json_object_end(j);
    ctv_json_object_end(j);
}

static void attr_str(ctv_json *j, const char *key, const char *bytes, size_t len)
{
    attr_begin(j, key);
    ctv_json_kv_str(j, "stringValue", bytes, len);
    attr_end(j);
}

static void attr_cstr(ctv_json *j, const char *key, const char *s)
{
    attr_str(j, key, s, strlen(s));
}

static void attr_int(ctv_json *j, const char *key, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    attr_begin(j, key);
    ctv_json_kv_str(j, "intValue", buf, (size_t)n);
    attr_end(j);
}

static void attr_true(ctv_json *j, const char *key)
{
    attr_begin(j, key);
    ctv_json_kv_bool(j, "boolValue", 1);
    attr_end(j);
}

/* ---- requests ------------------------------------------------------------------------ */

static size_t request_bytes(const otlp *o)
{
    long at = ftell(o->out);
    return (at > 0 ? (size_t)at : 0) + o->j.len;
}

/* @return 0, or -1: no stream for it (out of memory). */
static int request_begin(otlp *o)
{
    o->out = o->sink->out;
    if (!o->out && !(o->out = open_memstream(&o->body, &o->body_len)))
        return -1;
    ctv_json_init(&o->j, o->out);
    ctv_json_object_begin(&o->j);
    ctv_json_key(&o->j, "resourceSpans");
    ctv_json_array_lines_begin(&o->j);
    o->in_request = 1;
    o->resource = NO_PROC;
    o->request_spans = 0;
    return 0;
}

static void resource_end(otlp *o)
{
    if (o->resource == NO_PROC)
        return;
    ctv_json_array_end(&o->j);  /* spans */
    ctv_json_object_end(&o->j); /* the ScopeSpans */
    ctv_json_array_end(&o->j);  /* scopeSpans */
    ctv_json_object_end(&o->j); /* the ResourceSpans */
    o->resource = NO_PROC;
}

/* The process's resource and our scope, to hold its spans. A process whose
 * spans come between another's gets a ResourceSpans again: spans are
 * written as they end, never held to be grouped. */
static void resource_begin(otlp *o, uint32_t proc)
{
    resource_end(o);
    ctv_json *j = &o->j;
    const proc_info *p = proc < o->nprocs && o->procs[proc].known ? &o->procs[proc] : NULL;
    ctv_json_object_begin(j);
    ctv_json_key(j, "resource");
    ctv_json_object_begin(j);
    ctv_json_key(j, "attributes");
    ctv_json_array_begin(j);
    if (p) {
        const char *base = memrchr(p->exe, '/', p->exe_len);
        base = base ? base + 1 : p->exe;
        size_t base_len = p->exe_len - (size_t)(base - p->exe);
        attr_str(j, "service.name", base, base_len);
        attr_int(j, "process.pid", p->pid);
        attr_str(j, "process.executable.name", base, base_len);
        attr_str(j, "process.executable.path", p->exe, p->exe_len);
    } else {
        attr_cstr(j, "service.name", "unknown_service");
    }
    ctv_json_array_end(j);
    ctv_json_object_end(j);
    ctv_json_key(j, "scopeSpans");
    ctv_json_array_begin(j);
    ctv_json_object_begin(j);
    ctv_json_key(j, "scope");
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "name", "ctest-trace");
    ctv_json_kv_cstr(j, "version", CT_VERSION);
    ctv_json_object_end(j);
    ctv_json_key(j, "spans");
    ctv_json_array_lines_begin(j);
    o->resource = proc;
}

/* End the request and hand it over. @return 0, or -1: stop. */
static int request_end(otlp *o)
{
    if (!o->in_request)
        return 0;
    resource_end(o);
    ctv_json_array_end(&o->j);
    ctv_json_object_end(&o->j);
    fputc('\n', o->out);
    o->in_request = 0;
    if (o->sink->out)
        return 0;
    int failed = fclose(o->out) != 0;
    o->out = NULL;
    if (!failed)
        failed = o->sink->send(o->sink->ctx, o->body, o->body_len, o->request_spans) != 0;
    free(o->body);
    o->body = NULL;
    return failed ? -1 : 0;
}

/* ---- spans -------------------------------------------------------------------------- */

typedef struct span {
    uint32_t proc;
    uint64_t id, parent; /* parent 0: the run's TRACEPARENT, or none */
    const char *name;
    size_t name_len;     /* (cut at NAME_KEPT: see name_cut) */
    int name_cut;
    uint64_t begin_ns, end_ns;
    size_t more_json;    /* at most, the JSON of its events and status message */
} span;

static size_t kept(size_t len, size_t limit)
{
    return len < limit ? len : limit;
}

/* At most, the JSON span `s` adds to the request (its resource's, if new). */
static size_t span_json(const otlp *o, const span *s)
{
    size_t n = SPAN_FIXED_JSON + ESCAPED(2 * s->name_len) + s->more_json; /* name twice */
    if (o->tracestate)
        n += ESCAPED(strlen(o->tracestate));
    if (o->resource != s->proc) {
        const proc_info *p = s->proc < o->nprocs ? &o->procs[s->proc] : NULL;
        n += RESOURCE_FIXED_JSON + (p && p->known ? ESCAPED(3 * p->exe_len) : 0);
    }
    return n;
}

/* The fields every span has, up to its attributes (left open). A request
 * that this span would take past its size goes first: requests hold whole
 * spans and stay under batch_bytes (one span alone is far smaller). */
static void span_begin(otlp *o, const span *s)
{
    if (!o->context_read)
        read_context(o);
    if (o->in_request && o->sink->batch_bytes && o->request_spans &&
        request_bytes(o) + span_json(o, s) > o->sink->batch_bytes && request_end(o) != 0) {
        o->res->stopped = 1;
        return;
    }
    if (!o->in_request && request_begin(o) != 0) {
        o->res->stopped = 1;
        return;
    }
    if (o->resource != s->proc)
        resource_begin(o, s->proc);
    ctv_json *j = &o->j;
    ctv_json_object_begin(j);
    hex_id(j, "traceId", o->res->trace_id, 16);
    span_id(j, "spanId", s->id);
    int remote = !s->parent && o->has_parent;
    if (s->parent)
        span_id(j, "parentSpanId", s->parent);
    else if (remote)
        hex_id(j, "parentSpanId", o->parent_id, 8);
    if (o->tracestate)
        ctv_json_kv_cstr(j, "traceState", o->tracestate);
    ctv_json_kv_u64(j, "flags", o->trace_flags | FLAGS_HAS_IS_REMOTE |
                                    (remote ? FLAGS_IS_REMOTE : 0));
    ctv_json_kv_str(j, "name", s->name, s->name_len);
    ctv_json_kv_u64(j, "kind", SPAN_KIND_INTERNAL);
    u64_string(j, "startTimeUnixNano", o->start_unix_ns + s->begin_ns);
    u64_string(j, "endTimeUnixNano", o->start_unix_ns + (s->end_ns > s->begin_ns ? s->end_ns
                                                                               : s->begin_ns));
    ctv_json_key(j, "attributes");
    ctv_json_array_begin(j);
}

static void flag_attrs(ctv_json *j, uint32_t flags)
{
    if (flags & CTR_F_UNENDED)
        attr_true(j, "ctest_trace.unended");
    if (flags & CTR_F_LOST)
        attr_true(j, "ctest_trace.events_lost");
    if (flags & CTR_F_CUT)
        attr_true(j, "ctest_trace.cut");
    if (flags & CTR_F_OUT_OF_ORDER)
        attr_true(j, "ctest_trace.out_of_order");
    if (flags & CTR_F_OTHER_THREAD)
        attr_true(j, "ctest_trace.ended_on_other_thread");
}

static void span_done(otlp *o)
{
    ctv_json_object_end(&o->j);
    o->res->spans++;
    o->request_spans++;
}

static void write_region(otlp *o, const ctr_event *ev)
{
    span s = {
        .proc = ev->process,
        .id = region_span_id(o, ev->process, ev->thread, ev->serial),
        .parent = ev->parent_serial ? region_span_id(o, ev->process, ev->thread,
                                                     ev->parent_serial)
                  : ev->task        ? task_span_id(o, ev->task)
                                    : 0,
        .name = ev->name, .name_len = kept(ev->name_len, NAME_KEPT),
        .name_cut = ev->name_len > NAME_KEPT,
        .begin_ns = ev->begin_ns, .end_ns = ev->ts_ns,
    };
    span_begin(o, &s);
    if (o->res->stopped)
        return;
    attr_int(&o->j, "thread.id", ev->tid);
    attr_cstr(&o->j, "ctest_trace.kind", "region");
    flag_attrs(&o->j, ev->flags);
    if (s.name_cut)
        attr_true(&o->j, "ctest_trace.name_truncated");
    ctv_json_array_end(&o->j);
    span_done(o);
}

static int failed_status(ctr_status status)
{
    return status == CTR_STATUS_FAIL || status == CTR_STATUS_ERROR ||
           status == CTR_STATUS_CRASH || status == CTR_STATUS_TIMEOUT;
}

static void write_logs(otlp *o, const open_task *t)
{
    ctv_json *j = &o->j;
    if (t->nlogs) {
        ctv_json_key(j, "events");
        ctv_json_array_begin(j);
        for (uint32_t i = 0; i < t->nlogs; i++) {
            const held_log *l = &t->logs[i];
            ctv_json_object_begin(j);
            u64_string(j, "timeUnixNano", o->start_unix_ns + l->ts_ns);
            if (l->category_len)
                ctv_json_kv_str(j, "name", l->text, l->category_len);
            else
                ctv_json_kv_cstr(j, "name", "log");
            ctv_json_key(j, "attributes");
            ctv_json_array_begin(j);
            attr_str(j, "message", l->text + l->category_len, l->message_len);
            attr_int(j, "thread.id", l->tid);
            if (l->flags & CTR_F_TRUNCATED)
                attr_true(j, "ctest_trace.truncated");
            ctv_json_array_end(j);
            ctv_json_object_end(j);
        }
        ctv_json_array_end(j);
    }
    if (t->dropped)
        ctv_json_kv_u64(j, "droppedEventsCount", t->dropped);
}

static void write_task(otlp *o, const ctr_event *ev, const open_task *t)
{
    int judged = ev->task_kind != CTR_TASK_USER;
    uint64_t parent = !judged && t && t->parent ? t->parent : 0;
    span s = {
        .proc = ev->process,
        .id = task_span_id(o, ev->task),
        .parent = parent ? task_span_id(o, parent) : 0,
        .name = ev->name, .name_len = kept(ev->name_len, NAME_KEPT),
        .name_cut = ev->name_len > NAME_KEPT,
        .begin_ns = ev->begin_ns, .end_ns = ev->ts_ns,
        .more_json = t ? t->events_json + ESCAPED(t->message_len) : 0,
    };
    span_begin(o, &s);
    if (o->res->stopped)
        return;
    ctv_json *j = &o->j;
    ctr_status status = t ? t->status : CTR_STATUS_NONE;
    attr_cstr(j, "ctest_trace.kind", ctr_task_kind_name(ev->task_kind));
    if (ev->task_kind == CTR_TASK_TEST)
        attr_str(j, "test.case.name", s.name, s.name_len);
    if (s.name_cut)
        attr_true(j, "ctest_trace.name_truncated");
    if (judged && status != CTR_STATUS_NONE) {
        attr_cstr(j, "ctest_trace.status", ctr_status_name(status));
        if (status != CTR_STATUS_SKIP) /* semantic conventions: pass or fail */
            attr_cstr(j, "test.case.result.status", failed_status(status) ? "fail" : "pass");
    }
    flag_attrs(j, ev->flags);
    if (t && t->message_cut && failed_status(status))
        attr_true(j, "ctest_trace.status_message_truncated");
    ctv_json_array_end(j);
    if (t)
        write_logs(o, t);
    if (judged && (status == CTR_STATUS_PASS || failed_status(status))) {
        ctv_json_key(j, "status");
        ctv_json_object_begin(j);
        if (failed_status(status) && t->message_len)
            ctv_json_kv_str(j, "message", t->message, t->message_len);
        ctv_json_kv_u64(j, "code", failed_status(status) ? STATUS_CODE_ERROR : STATUS_CODE_OK);
        ctv_json_object_end(j);
    }
    span_done(o);
}

/* ---- what is held -------------------------------------------------------------------- */

static open_task *task_of(otlp *o, uint64_t task)
{
    uint32_t slot;
    return task && ctv_ids_find(&o->open, task, &slot) ? &o->tasks[slot] : NULL;
}

static void clear_task(open_task *t)
{
    for (uint32_t i = 0; i < t->nlogs; i++)
        free(t->logs[i].text);
    free(t->logs);
    free(t->message);
    *t = (open_task){0};
}

static void task_free(otlp *o, uint64_t task)
{
    uint32_t slot;
    if (!task || !ctv_ids_find(&o->open, task, &slot))
        return;
    open_task *t = &o->tasks[slot];
    o->held -= t->held;
    clear_task(t);
    ctv_ids_remove(&o->open, task);
    o->free_slots[o->nfree++] = slot; /* room: one per slot made */
}

/* A task begun: hold its parent. Out of memory: its span has no parent and
 * no logs, nothing else is lost. */
static void task_begin(otlp *o, const ctr_event *ev)
{
    if (!ev->task || task_of(o, ev->task))
        return;
    uint32_t slot;
    if (o->nfree) {
        slot = o->free_slots[--o->nfree];
    } else {
        size_t cap = o->tasks_cap;
        open_task *grown = ctv_reserve(o->tasks, &cap, o->ntasks, sizeof *grown);
        uint32_t *slots = grown ? realloc(o->free_slots, cap * sizeof *slots) : NULL;
        if (grown)
            o->tasks = grown, o->tasks_cap = (uint32_t)cap;
        if (!slots)
            return;
        o->free_slots = slots;
        slot = o->ntasks++;
    }
    if (ctv_ids_put(&o->open, ev->task, slot) != 0) {
        o->free_slots[o->nfree++] = slot;
        return;
    }
    o->tasks[slot] = (open_task){.parent = ev->parent};
}

/* A task's status, with what of its message fits: MESSAGE_KEPT bytes, and
 * within what all tasks hold (CTV_OTLP_HELD_BYTES, shared with logs). */
static void task_status(otlp *o, const ctr_event *ev)
{
    open_task *t = task_of(o, ev->task);
    if (!t)
        return;
    t->status = ev->status;
    t->held -= t->message_len; /* a status again replaces the one before */
    o->held -= t->message_len;
    free(t->message);
    t->message = NULL;
    t->message_len = 0;
    size_t room = o->held < CTV_OTLP_HELD_BYTES ? CTV_OTLP_HELD_BYTES - o->held : 0;
    size_t n = kept(kept(ev->message_len, MESSAGE_KEPT), room);
    char *copy = n ? malloc(n) : NULL;
    if (copy) {
        memcpy(copy, ev->message, n);
        t->message = copy;
        t->message_len = n;
        t->held += n;
        o->held += n;
    }
    t->message_cut = t->message_len < ev->message_len;
}

/* A log: an event of its task's span, within the limits. A log outside any
 * task has no span to go in: OTLP's events belong to spans. */
static void task_log(otlp *o, const ctr_event *ev)
{
    open_task *t = task_of(o, ev->task);
    if (!t)
        return;
    size_t bytes = ev->name_len + ev->message_len;
    size_t json = LOG_FIXED_JSON + ESCAPED(bytes);
    if (t->nlogs >= CTV_OTLP_EVENTS_KEPT || o->held + bytes > CTV_OTLP_HELD_BYTES ||
        t->events_json + json > CTV_OTLP_SPAN_EVENTS_JSON) {
        t->dropped++;
        return;
    }
    if (t->nlogs == t->logs_cap) {
        uint32_t cap = t->logs_cap ? 2 * t->logs_cap : 4;
        held_log *grown = realloc(t->logs, cap * sizeof *grown);
        if (!grown) {
            t->dropped++;
            return;
        }
        t->logs = grown;
        t->logs_cap = cap;
    }
    char *text = malloc(bytes ? bytes : 1);
    if (!text) {
        t->dropped++;
        return;
    }
    memcpy(text, ev->name, ev->name_len);
    memcpy(text + ev->name_len, ev->message, ev->message_len);
    t->logs[t->nlogs++] = (held_log){ev->ts_ns, ev->tid, ev->flags, text, ev->name_len,
                                     ev->message_len};
    t->held += bytes;
    t->events_json += json;
    o->held += bytes;
}

static void process_begin(otlp *o, const ctr_event *ev)
{
    if (ev->process >= o->nprocs) {
        size_t n = (size_t)ev->process + 1;
        proc_info *grown = realloc(o->procs, n * sizeof *grown);
        if (!grown)
            return; /* its resource names no binary */
        memset(grown + o->nprocs, 0, (n - o->nprocs) * sizeof *grown);
        o->procs = grown;
        o->nprocs = n;
    }
    proc_info *p = &o->procs[ev->process];
    if (p->known)
        return;
    size_t exe_len = kept(ev->name_len, NAME_KEPT);
    char *exe = malloc(exe_len + 1);
    if (!exe)
        return;
    memcpy(exe, ev->name, exe_len);
    *p = (proc_info){.known = 1, .pid = ev->pid, .exe = exe, .exe_len = exe_len,
                     .key = mix((uint64_t)(uint32_t)ev->pid, o->start_unix_ns + ev->ts_ns)};
}

static void handle(otlp *o, const ctr_event *ev)
{
    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
        process_begin(o, ev);
        break;
    case CTR_TASK_BEGIN:
        task_begin(o, ev);
        break;
    case CTR_TASK_STATUS:
        task_status(o, ev);
        break;
    case CTR_LOG:
        task_log(o, ev);
        break;
    case CTR_TASK_END:
        write_task(o, ev, task_of(o, ev->task));
        task_free(o, ev->task);
        break;
    case CTR_REGION:
        write_region(o, ev);
        break;
    default:
        break;
    }
}

int ctv_export_otlp(ctr_reader *r, const ctv_otlp_sink *sink, ctv_otlp_result *res)
{
    *res = (ctv_otlp_result){0};
    otlp o = {.sink = sink, .res = res, .r = r, .resource = NO_PROC};
    ctr_info info;
    ctr_get_info(r, &info);
    o.start_unix_ns = info.start_realtime_ns;
    ctv_ids_init(&o.open);
    if (sink->out && request_begin(&o) != 0)
        res->stopped = 1;
    ctr_event ev;
    int rc = 0;
    while (!res->stopped && (rc = ctr_next(r, &ev)) == 1)
        handle(&o, &ev);
    if (res->stopped)
        rc = 0;
    if (!res->stopped && request_end(&o) != 0)
        res->stopped = 1;
    if (o.out && !sink->out) { /* stopped mid-request */
        fclose(o.out);
        free(o.body);
    }
    for (uint32_t i = 0; i < o.ntasks; i++) /* open at a damage: never written */
        clear_task(&o.tasks[i]);
    for (size_t i = 0; i < o.nprocs; i++)
        free(o.procs[i].exe);
    free(o.tasks);
    free(o.free_slots);
    free(o.procs);
    ctv_ids_free(&o.open);
    return rc;
}
