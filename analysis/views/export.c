/*
 * export.c - `ctest-trace export`: the trace in other formats.
 *
 * "jsonl" writes one JSON object per event per line, in the reader's order:
 * the kind, when and where (ts_ns, pid, tid, task), then the fields that
 * kind uses. A streaming format for jq, pandas and ad-hoc scripts; it holds
 * nothing in memory. "chrome" is Chrome's trace event JSON, for
 * ui.perfetto.dev and chrome://tracing (export_chrome.c). "perfetto" is
 * Perfetto's native TrackEvent protobuf, the compact form of the same
 * (export_perfetto.c). "otlp" is OpenTelemetry's OTLP/JSON, one
 * ExportTraceServiceRequest (export_otlp.c).
 */
#include <errno.h>  /* errno */
#include <string.h> /* strcmp */

#include "common/human.h" /* ctv_print_text */

#include "export_chrome.h"
#include "export_perfetto.h"
#include "export_otlp.h"
#include "json.h"
#include "view_io.h"
#include "views.h"

static void write_task_id(ctv_json *j, const char *key, uint64_t task)
{
    if (task)
        ctv_json_kv_u64(j, key, task);
    else
        ctv_json_kv_null(j, key);
}

static void write_flags(ctv_json *j, uint32_t flags)
{
    static const struct { uint32_t bit; const char *name; } known[] = {
        {CTR_F_UNENDED, "unended"},
        {CTR_F_OUT_OF_ORDER, "out_of_order"},
        {CTR_F_OTHER_THREAD, "other_thread"},
        {CTR_F_TRUNCATED, "truncated"},
        {CTR_F_SIGNALED, "signaled"},
        {CTR_F_UNKNOWN_EXIT, "unknown_exit"},
        {CTR_F_TIMED_OUT, "timed_out"},
        {CTR_F_LOST, "lost"},
        {CTR_F_CUT, "cut"},
    };
    if (flags == 0)
        return;
    ctv_json_key(j, "flags");
    ctv_json_array_begin(j);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (flags & known[i].bit) {
            ctv_json_cstr(j, known[i].name);
            flags &= ~known[i].bit;
        }
    }
    for (unsigned bit = 0; bit < 32; bit++) { /* from a newer reader */
        if (flags & (1u << bit)) {
            char name[16];
            snprintf(name, sizeof name, "0x%x", 1u << bit);
            ctv_json_cstr(j, name);
        }
    }
    ctv_json_array_end(j);
}

/* "stack": innermost first, addresses as "0x...". */
static void write_stack(ctv_json *j, const ctr_event *ev)
{
    ctv_json_key(j, "stack");
    ctv_json_array_begin(j);
    for (uint32_t i = 0; i < ev->stack_len; i++)
        ctv_json_hex(j, ev->stack[i]);
    ctv_json_array_end(j);
}

static void write_span(ctv_json *j, const ctr_event *ev)
{
    ctv_json_kv_u64(j, "begin_ns", ev->begin_ns);
    ctv_json_kv_u64(j, "duration_ns",
                    ev->ts_ns >= ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0);
}

static void write_hex_bytes(ctv_json *j, const uint8_t *bytes, size_t len)
{
    char buf[2 * 64 + 1];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 2 < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%02x", bytes[i]);
    ctv_json_str(j, buf, n);
}

static void write_event(ctv_json *j, const ctr_event *ev)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "kind", ctr_kind_name(ev->kind));
    ctv_json_kv_u64(j, "ts_ns", ev->ts_ns);
    ctv_json_kv_u64(j, "process", ev->process);
    ctv_json_kv_i64(j, "pid", ev->pid);
    ctv_json_kv_i64(j, "tid", ev->tid);
    write_task_id(j, "task", ev->task);

    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
    case CTR_THREAD_NAME:
        ctv_json_kv_str(j, "name", ev->name, ev->name_len);
        break;
    case CTR_PROCESS_END:
        ctv_json_kv_i64(j, "exit_code", ev->exit_code);
        ctv_json_kv_u64(j, "dropped", ev->count);
        if (ev->cut)
            ctv_json_kv_u64(j, "cut", ev->cut);
        if (ev->stalls) {
            ctv_json_kv_u64(j, "stalls", ev->stalls);
            ctv_json_kv_u64(j, "stall_ns", ev->stall_ns);
        }
        break;
    case CTR_THREAD_BEGIN:
        ctv_json_kv_i64(j, "parent_tid", ev->parent_tid);
        break;
    case CTR_THREAD_END:
        break;
    case CTR_TASK_BEGIN:
        write_task_id(j, "parent", ev->parent);
        ctv_json_kv_str(j, "name", ev->name, ev->name_len);
        ctv_json_kv_cstr(j, "task_kind", ctr_task_kind_name(ev->task_kind));
        break;
    case CTR_TASK_END:
        ctv_json_kv_str(j, "name", ev->name, ev->name_len);
        write_span(j, ev);
        break;
    case CTR_TASK_STATUS:
        ctv_json_kv_cstr(j, "status", ctr_status_name(ev->status));
        ctv_json_kv_str(j, "message", ev->message, ev->message_len);
        break;
    case CTR_REGION:
        ctv_json_kv_str(j, "name", ev->name, ev->name_len);
        write_span(j, ev);
        break;
    case CTR_LOG:
        ctv_json_kv_str(j, "category", ev->name, ev->name_len);
        ctv_json_kv_str(j, "message", ev->message, ev->message_len);
        break;
    case CTR_LOST:
        ctv_json_kv_u64(j, "count", ev->count);
        break;
    case CTR_WARNING:
        ctv_json_kv_str(j, "message", ev->message, ev->message_len);
        break;
    case CTR_BLOCK: {
        const char *what = ctr_block_kind_name(ev->block_kind);
        ctv_json_kv_cstr(j, "block_kind", what ? what : "unknown");
        ctv_json_kv_u64(j, "object", ev->object);
        write_span(j, ev);
        write_stack(j, ev);
        break;
    }
    case CTR_CPU_SAMPLE:
        if (ev->parent)
            ctv_json_kv_u64(j, "test", ev->parent);
        if (ev->message_len)
            ctv_json_kv_str(j, "task_name", ev->message, ev->message_len);
        if (ev->name_len)
            ctv_json_kv_str(j, "region", ev->name, ev->name_len);
        ctv_json_kv_u64(j, "count", ev->count);
        ctv_json_kv_u64(j, "period_ns", ev->object);
        write_stack(j, ev);
        break;
    case CTR_CPU_SOURCE: {
        const char *state = ctr_cpu_source_name((ctr_cpu_source)ev->object);
        ctv_json_kv_cstr(j, "state", state ? state : "unknown");
        ctv_json_kv_u64(j, "hz", ev->count);
        break;
    }
    case CTR_MODULE:
        ctv_json_kv_str(j, "path", ev->name, ev->name_len);
        ctv_json_key(j, "build_id");
        write_hex_bytes(j, (const uint8_t *)ev->message, ev->message_len);
        ctv_json_key(j, "bias");
        ctv_json_hex(j, ev->object);
        ctv_json_key(j, "lo");
        ctv_json_hex(j, ev->module_lo);
        ctv_json_key(j, "hi");
        ctv_json_hex(j, ev->module_hi);
        break;
    case CTR_SCHED_SOURCE: {
        const char *how = ctr_sched_source_name((ctr_sched_source)ev->object);
        ctv_json_kv_cstr(j, "source", how ? how : "unknown");
        break;
    }
    case CTR_SCHED_LOST:
    case CTR_WINDOW_LOST:
    case CTR_CUT:
        ctv_json_kv_u64(j, "count", ev->count);
        break;
    default: /* a kind this build does not know: keep what it carries */
        ctv_json_kv_i64(j, "kind_id", (int64_t)ev->kind);
        if (ev->name_len)
            ctv_json_kv_str(j, "name", ev->name, ev->name_len);
        if (ev->message_len)
            ctv_json_kv_str(j, "message", ev->message, ev->message_len);
        break;
    }
    write_flags(j, ev->flags);
    ctv_json_object_end(j);
    fputc('\n', j->out);
}

static int export_otlp(ctr_reader *r, FILE *out, const char *trace_path, FILE *err)
{
    ctv_otlp_sink sink = {.out = out, .err = err, .trace_path = trace_path};
    ctv_otlp_result res;
    return ctv_export_otlp(r, &sink, &res);
}

static int export_jsonl(ctr_reader *r, FILE *out)
{
    ctv_json j;
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        ctv_json_init(&j, out); /* each line is a document of its own */
        write_event(&j, &ev);
    }
    return rc;
}

int ctv_export(const char *trace_path, const char *format, const char *out_path,
               FILE *err)
{
    /* Arguments first: a typo must not create or truncate the output. */
    if (!format || !*format) {
        fprintf(err, "ctest-trace: export: missing --format (known: chrome, jsonl, otlp, perfetto)\n");
        return CTV_EXIT_FAILED;
    }
    int chrome = strcmp(format, "chrome") == 0, otlp = strcmp(format, "otlp") == 0;
    int perfetto = strcmp(format, "perfetto") == 0;
    if (!chrome && !otlp && !perfetto && strcmp(format, "jsonl") != 0) {
        fprintf(err, "ctest-trace: export: unknown --format=");
        ctv_print_text(err, format, strlen(format)); /* untrusted: escaped */
        fprintf(err, " (known: chrome, jsonl, otlp, perfetto)\n");
        return CTV_EXIT_FAILED;
    }
    if (!out_path || !*out_path) {
        fprintf(err, "ctest-trace: export: missing -o OUT (-o - for stdout)\n");
        return CTV_EXIT_FAILED;
    }
    if (ctv_output_not_input(out_path, trace_path, err) != 0)
        return CTV_EXIT_FAILED;

    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;
    ctv_output o;
    FILE *out = ctv_output_open(&o, out_path, err);
    if (!out) {
        ctr_close(r);
        return CTV_EXIT_FAILED;
    }

    int status;
    if (perfetto) {
        status = ctv_export_perfetto(r, out, trace_path, err);
    } else if (chrome) {
        status = ctv_export_chrome(r, out, trace_path, err);
    } else {
        int rc = otlp ? export_otlp(r, out, trace_path, err) : export_jsonl(r, out);
        status = ctv_end_status(r, rc, trace_path, err);
    }
    status = ctv_output_close(&o, err, status);
    ctr_close(r);
    return status;
}
