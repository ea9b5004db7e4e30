/*
 * report_timeline.c - the report's timeline: the data report/timeline.js
 * draws on a canvas, a lane per thread, grouped by process.
 *
 * Streamed: each span is written as the reader delivers it (a region, a
 * task and a wait come whole at their end, with their begin), into a
 * <script type="application/json" id="timeline-spans"> holding one flat
 * array of numbers, a record after another:
 *     lane, type, name, begin - previous record's begin, duration, task
 * (times in ns from the trace's start; the delta keeps numbers short, the
 * reader's order being close to time order). `type` is a TL_* below, plus
 * TL_UNENDED when the trace closed it; `name` indexes the names table (a
 * wait's: 1 + its stack's index in the stacks table, 0 for none). A log is
 *     lane, TL_LOG, category, ts - previous begin, task, "message"
 * (its message cut at LOG_TEXT_MAX bytes). After the pass, a second element
 * (id "timeline-meta") holds the tables: names, processes, lanes (process,
 * tid, name), stacks (frames as text, symbolised with the modules the trace
 * recorded), and the trace's duration.
 *
 * What is held: the names, lanes, processes and stacks (distinct ones,
 * stacks up to STACKS_KEPT), the open tasks' lanes, the symbolizer. The
 * section also lists the task and region names as text, with their counts
 * (the NAMES_LISTED most used, most first): the canvas is not text, and a
 * name there is searchable here.
 *
 * A browser parses and holds what the page holds: the timeline keeps the
 * first RECORDS_MAX spans and logs (about 24 bytes each: 100 MB of page),
 * or $CTRACE_REPORT_SPANS (digits only, up to SPANS_LIMIT), and says how
 * many more it left out and from when; the counts and names below it are
 * of the whole trace.
 */
#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* free, getenv */
#include <string.h>   /* memcpy, strlen */

#include "common/human.h" /* ctv_format_duration, ctv_print_text */

#include "html.h"
#include "json.h"
#include "maps.h"
#include "report.h"
#include "symbols.h"
#include "view_io.h"

#define LOG_TEXT_MAX 300     /* bytes of a log's message in the timeline */
#define STACKS_KEPT 65536    /* distinct stacks; later new ones are not shown */
#define STACK_FRAMES_MAX 64  /* frames of a stack kept */
#define RECORDS_MAX 4000000u /* spans and logs in the timeline */
#define NAMES_LISTED 500     /* task and region names listed below it */
#define SPANS_LIMIT 100000000u /* the most $CTRACE_REPORT_SPANS may ask: 2.4 GB of page */

/* Record types: timeline.js has the same list. */
enum {
    TL_TEST = 0, TL_FIXTURE, TL_USER, TL_REGION,
    TL_SYNC, TL_SYSCALL, TL_NET, TL_SCHED, TL_LOG,
    TL_UNENDED = 16
};

typedef struct lane {
    uint32_t process;
    int32_t tid;
    uint32_t name; /* in names; UINT32_MAX: unnamed */
} lane;

typedef struct process_row {
    int32_t pid;
    uint32_t name; /* in names */
} process_row;

typedef struct timeline {
    ctv_json j;
    ctv_names names;       /* tasks, regions, log categories, threads, binaries */
    uint64_t *uses;        /* by name: spans named so (tasks and regions) */
    uint8_t *is_task;      /* by name: 1 task, 2 region, 3 both */
    size_t uses_cap;
    ctv_ids lane_of;       /* (process, tid) + 1 -> lane */
    lane *lanes;
    size_t nlanes, lanes_cap;
    process_row *procs;
    size_t nprocs, procs_cap;
    ctv_ids task_lane;     /* open task -> the lane it began on */
    ctv_names stacks;      /* process index then addresses, as bytes */
    uint64_t stacks_dropped;
    ctv_symbols symbols;
    uint64_t prev_begin, spans, logs, latest_ns;
    uint64_t records_max, left_out, left_out_from_ns; /* past records_max */
} timeline;

static int intern(timeline *t, const char *bytes, size_t len, uint32_t *index)
{
    int rc = ctv_names_intern(&t->names, bytes, len, index);
    if (rc != 0)
        return rc;
    if (*index >= t->uses_cap) {
        size_t cap = t->uses_cap ? t->uses_cap * 2 : 64;
        uint64_t *uses = realloc(t->uses, cap * sizeof *uses);
        if (uses)
            t->uses = uses;
        uint8_t *is_task = realloc(t->is_task, cap);
        if (is_task)
            t->is_task = is_task;
        if (!uses || !is_task)
            return CT_ENOMEM;
        memset(t->uses + t->uses_cap, 0, (cap - t->uses_cap) * sizeof *uses);
        memset(t->is_task + t->uses_cap, 0, cap - t->uses_cap);
        t->uses_cap = cap;
    }
    return 0;
}

static int lane_for(timeline *t, uint32_t process, int32_t tid, uint32_t *index)
{
    uint64_t key = ((uint64_t)process << 32 | (uint32_t)tid) + 1;
    if (ctv_ids_find(&t->lane_of, key, index))
        return 0;
    lane *grown = ctv_reserve(t->lanes, &t->lanes_cap, t->nlanes, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    t->lanes = grown;
    *index = (uint32_t)t->nlanes;
    t->lanes[t->nlanes++] = (lane){.process = process, .tid = tid, .name = UINT32_MAX};
    return ctv_ids_put(&t->lane_of, key, *index);
}

static int note_process(timeline *t, const ctr_event *ev)
{
    while (t->nprocs <= ev->process) {
        process_row *grown = ctv_reserve(t->procs, &t->procs_cap, t->nprocs, sizeof *grown);
        if (!grown)
            return CT_ENOMEM;
        t->procs = grown;
        t->procs[t->nprocs++] = (process_row){.name = UINT32_MAX};
    }
    t->procs[ev->process].pid = ev->pid;
    return intern(t, ev->name, ev->name_len, &t->procs[ev->process].name);
}

/* 1 + the index of the wait's stack, 0 when it has none or too many were
 * kept already. */
static uint32_t stack_ref(timeline *t, const ctr_event *ev)
{
    if (!ev->stack_len)
        return 0;
    uint64_t key[1 + STACK_FRAMES_MAX];
    uint32_t n = ev->stack_len < STACK_FRAMES_MAX ? ev->stack_len : STACK_FRAMES_MAX;
    key[0] = ev->process;
    memcpy(key + 1, ev->stack, n * sizeof key[0]);
    size_t len = (1 + n) * sizeof key[0];
    uint32_t index;
    if (ctv_names_find(&t->stacks, (const char *)key, len, &index))
        return index + 1;
    if (t->stacks.count >= STACKS_KEPT ||
        ctv_names_intern(&t->stacks, (const char *)key, len, &index) != 0) {
        t->stacks_dropped++;
        return 0;
    }
    return index + 1;
}

/* Whether one more record fits in the page; counts it out if not. */
static int room(timeline *t, uint64_t ts_ns)
{
    if (t->spans + t->logs < t->records_max)
        return 1;
    if (!t->left_out++ || ts_ns < t->left_out_from_ns)
        t->left_out_from_ns = ts_ns;
    return 0;
}

static void record_head(timeline *t, uint32_t lane, unsigned type, uint64_t name,
                        uint64_t begin)
{
    ctv_json_u64(&t->j, lane);
    ctv_json_u64(&t->j, type);
    ctv_json_u64(&t->j, name);
    ctv_json_i64(&t->j, (int64_t)(begin - t->prev_begin));
    t->prev_begin = begin;
}

static void span(timeline *t, uint32_t lane, unsigned type, uint64_t name, const ctr_event *ev)
{
    if (!room(t, ev->begin_ns))
        return;
    if (ev->flags & CTR_F_UNENDED)
        type |= TL_UNENDED;
    record_head(t, lane, type, name, ev->begin_ns);
    ctv_json_u64(&t->j, ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0);
    ctv_json_u64(&t->j, ev->task);
    t->spans++;
}

static int named_span(timeline *t, uint32_t lane, unsigned type, const ctr_event *ev,
                      uint8_t what)
{
    uint32_t name;
    int rc = intern(t, ev->name, ev->name_len, &name);
    if (rc != 0)
        return rc;
    t->uses[name]++; /* of the whole trace, whether drawn or not */
    t->is_task[name] |= what;
    span(t, lane, type, name, ev);
    return 0;
}

static int task_end(timeline *t, const ctr_event *ev)
{
    uint32_t packed, lane;
    /* Its lane and kind as its begin said: the end of a crashed test is
     * written by the runner, on no thread (tid 0). */
    if (ctv_ids_find(&t->task_lane, ev->task, &packed)) {
        ctv_ids_remove(&t->task_lane, ev->task);
        return named_span(t, packed >> 2, packed & 3u, ev, 1);
    }
    int rc = lane_for(t, ev->process, ev->tid, &lane); /* its begin is not in the trace */
    return rc ? rc : named_span(t, lane, TL_USER, ev, 1);
}

static int take(timeline *t, const ctr_event *ev)
{
    uint32_t lane = 0, name;
    int rc;
    if (ev->ts_ns > t->latest_ns)
        t->latest_ns = ev->ts_ns;
    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
        return note_process(t, ev);
    case CTR_MODULE:
        return ctv_symbols_add(&t->symbols, ev);
    case CTR_THREAD_BEGIN:
        return lane_for(t, ev->process, ev->tid, &lane);
    case CTR_THREAD_NAME:
        if ((rc = lane_for(t, ev->process, ev->tid, &lane)) != 0 ||
            (rc = intern(t, ev->name, ev->name_len, &name)) != 0)
            return rc;
        t->lanes[lane].name = name;
        return 0;
    case CTR_TASK_BEGIN: {
        if ((rc = lane_for(t, ev->process, ev->tid, &lane)) != 0)
            return rc;
        unsigned type = ev->task_kind == CTR_TASK_TEST      ? TL_TEST
                        : ev->task_kind == CTR_TASK_FIXTURE ? TL_FIXTURE
                                                            : TL_USER;
        if (lane >= (1u << 30))
            return 0; /* drawn on the lane of its end */
        return ev->task ? ctv_ids_put(&t->task_lane, ev->task, lane << 2 | type) : 0;
    }
    case CTR_TASK_END:
        return task_end(t, ev);
    case CTR_REGION:
        if ((rc = lane_for(t, ev->process, ev->tid, &lane)) != 0)
            return rc;
        return named_span(t, lane, TL_REGION, ev, 2);
    case CTR_BLOCK:
        if ((rc = lane_for(t, ev->process, ev->tid, &lane)) != 0)
            return rc;
        if (ev->block_kind >= CTR_BLOCK_SYNC && ev->block_kind <= CTR_BLOCK_SCHED &&
            room(t, ev->begin_ns))
            span(t, lane, TL_SYNC + (ev->block_kind - CTR_BLOCK_SYNC), stack_ref(t, ev), ev);
        return 0;
    case CTR_LOG:
        if ((rc = lane_for(t, ev->process, ev->tid, &lane)) != 0 ||
            (rc = intern(t, ev->name, ev->name_len, &name)) != 0)
            return rc;
        if (!room(t, ev->ts_ns))
            return 0;
        record_head(t, lane, TL_LOG, name, ev->ts_ns);
        ctv_json_u64(&t->j, ev->task);
        ctv_json_str(&t->j, ev->message,
                     ev->message_len < LOG_TEXT_MAX ? ev->message_len : LOG_TEXT_MAX);
        t->logs++;
        return 0;
    default:
        return 0;
    }
}

/* A stack's frames, innermost first: "function (file:line)" where the
 * modules name it, else the address. */
static void write_stack(timeline *t, const ctv_name *key)
{
    uint64_t words[1 + STACK_FRAMES_MAX];
    size_t n = key->len / sizeof words[0];
    memcpy(words, key->bytes, n * sizeof words[0]);
    ctv_json_array_begin(&t->j);
    for (size_t i = 1; i < n; i++) {
        ct_symbol sym;
        char text[1024];
        if (ctv_symbols_lookup(&t->symbols, (uint32_t)words[0], words[i], 1, &sym) &&
            sym.function) {
            if (sym.file)
                snprintf(text, sizeof text, "%s (%s:%u)", sym.function, sym.file, sym.line);
            else
                snprintf(text, sizeof text, "%s", sym.function);
        } else {
            snprintf(text, sizeof text, "0x%" PRIx64, words[i]);
        }
        ctv_json_cstr(&t->j, text);
    }
    ctv_json_array_end(&t->j);
}

static void write_meta(timeline *t, FILE *out)
{
    fputs("<script type=\"application/json\" id=\"timeline-meta\">", out);
    ctv_json_init_html(&t->j, out);
    ctv_json *j = &t->j;
    ctv_json_object_begin(j);
    ctv_json_kv_u64(j, "duration_ns", t->latest_ns);
    ctv_json_kv_u64(j, "spans", t->spans);
    ctv_json_kv_u64(j, "logs", t->logs);
    ctv_json_key(j, "names");
    ctv_json_array_begin(j);
    for (uint32_t i = 0; i < t->names.count; i++)
        ctv_json_str(j, t->names.names[i].bytes, t->names.names[i].len);
    ctv_json_array_end(j);
    ctv_json_key(j, "processes"); /* [pid, name] each */
    ctv_json_array_begin(j);
    for (size_t i = 0; i < t->nprocs; i++) {
        ctv_json_i64(j, t->procs[i].pid);
        ctv_json_i64(j, t->procs[i].name == UINT32_MAX ? -1 : (int64_t)t->procs[i].name);
    }
    ctv_json_array_end(j);
    ctv_json_key(j, "lanes"); /* [process, tid, name] each */
    ctv_json_array_begin(j);
    for (size_t i = 0; i < t->nlanes; i++) {
        ctv_json_u64(j, t->lanes[i].process);
        ctv_json_i64(j, t->lanes[i].tid);
        ctv_json_i64(j, t->lanes[i].name == UINT32_MAX ? -1 : (int64_t)t->lanes[i].name);
    }
    ctv_json_array_end(j);
    ctv_json_key(j, "stacks");
    ctv_json_array_begin(j);
    for (uint32_t i = 0; i < t->stacks.count; i++)
        write_stack(t, &t->stacks.names[i]);
    ctv_json_array_end(j);
    ctv_json_kv_u64(j, "stacks_dropped", t->stacks_dropped);
    ctv_json_kv_u64(j, "left_out", t->left_out);
    ctv_json_object_end(j);
    fputs("</script>\n", out);
}

/* Most used first, then first seen. */
static int by_uses(const void *a, const void *b, void *uses_)
{
    const uint64_t *uses = uses_;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (uses[x] != uses[y])
        return uses[x] < uses[y] ? 1 : -1;
    return (x > y) - (x < y);
}

/* The names of tasks and regions as text: searchable, read by screen
 * readers, and a click highlights them in the timeline. The most used
 * NAMES_LISTED of them: 100 000 distinct names would be 10 MB of buttons. */
static int write_names(const timeline *t, FILE *out)
{
    static const char *const what[] = {"", "task", "region", "task, region"};
    uint32_t *order = malloc((t->names.count ? t->names.count : 1) * sizeof *order);
    if (!order)
        return CT_ENOMEM;
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->names.count && i < t->uses_cap; i++)
        if (t->uses[i])
            order[n++] = i;
    qsort_r(order, n, sizeof *order, by_uses, t->uses);
    fputs("<details class=\"timeline-names\"><summary>Task and region names</summary>"
          "<ul id=\"timeline-names\">", out);
    for (uint32_t k = 0; k < n && k < NAMES_LISTED; k++) {
        uint32_t i = order[k];
        fprintf(out, "<li><button type=\"button\" data-name=\"%" PRIu32 "\">", i);
        ctv_html_text(out, t->names.names[i].bytes, t->names.names[i].len);
        fprintf(out, "</button> <span class=\"note\">%s, %" PRIu64 "</span></li>",
                what[t->is_task[i] & 3], t->uses[i]);
    }
    fputs("</ul>", out);
    if (n > NAMES_LISTED)
        fprintf(out, "<p class=\"note\" id=\"timeline-names-more\">The %u most used of %" PRIu32
                     " names; %" PRIu32 " more: <code>ctest-trace regions</code> and "
                     "<code>ctest-trace tasks</code> list them all.</p>",
                NAMES_LISTED, n, n - NAMES_LISTED);
    fputs("</details>\n", out);
    free(order);
    return 0;
}

static void write_left_out(const timeline *t, FILE *out)
{
    char from[CTV_HUMAN_BUF];
    if (t->left_out)
        fprintf(out, "<p class=\"banner\" role=\"status\">The timeline holds the first %" PRIu64
                     " spans and logs of the trace; %" PRIu64 " more are left out, the earliest "
                     "at %s (a browser would not hold them all: CTRACE_REPORT_SPANS sets how many "
                     "are kept). The names and counts below are of the whole trace.</p>\n",
                t->spans + t->logs, t->left_out, ctv_format_duration(from, t->left_out_from_ns));
}

static void write_controls(FILE *out)
{
    fputs("<div class=\"timeline-bar\"><button type=\"button\" data-zoom=\"in\">+</button>"
          "<button type=\"button\" data-zoom=\"out\">&minus;</button>"
          "<button type=\"button\" data-zoom=\"reset\">whole trace</button>"
          "<span id=\"timeline-range\"></span>"
          "<span class=\"timeline-help\">ctrl+wheel or +/&minus;: zoom; drag or "
          "&larr;/&rarr;: pan; shift+drag: zoom to a range; click: details</span></div>\n"
          "<div id=\"timeline-legend\" class=\"timeline-legend\"></div>\n"
          "<div id=\"timeline-view\" class=\"timeline-view\" tabindex=\"0\" "
          "aria-label=\"timeline of every thread; details of what is clicked follow it\">"
          "<canvas id=\"timeline-canvas\"></canvas><div class=\"timeline-spacer\"></div>"
          "</div>\n<div id=\"timeline-tip\" class=\"timeline-tip\" hidden></div>\n"
          "<div id=\"timeline-details\" class=\"timeline-details\" aria-live=\"polite\">"
          "Click a span for its details.</div>\n",
          out);
}

static void timeline_free(timeline *t)
{
    ctv_names_free(&t->names);
    ctv_names_free(&t->stacks);
    ctv_ids_free(&t->lane_of);
    ctv_ids_free(&t->task_lane);
    ctv_symbols_free(&t->symbols);
    free(t->uses);
    free(t->is_task);
    free(t->lanes);
    free(t->procs);
}

int ctv_report_spans_max(FILE *err, uint64_t *max)
{
    const char *text = getenv("CTRACE_REPORT_SPANS");
    *max = RECORDS_MAX;
    if (!text)
        return 0;
    /* Digits only: strtoull would take "-5" (as 2^64 - 5), " 7" and "+7". */
    size_t len = strlen(text);
    uint64_t n = 0;
    int bad = len == 0;
    for (size_t i = 0; !bad && i < len; i++) {
        bad = text[i] < '0' || text[i] > '9';
        if (n <= SPANS_LIMIT) /* past it, too many already: no overflow */
            n = n * 10 + (uint64_t)(text[i] - '0');
    }
    if (bad || n > SPANS_LIMIT) {
        fputs("ctest-trace: report: CTRACE_REPORT_SPANS=\"", err);
        ctv_print_text(err, text, len); /* untrusted: escaped */
        fprintf(err, "\": %s (how many spans and logs the timeline keeps: a number from 0 to "
                     "%u, digits only; unset: %u)\n",
                bad ? "not a number" : "too many", SPANS_LIMIT, RECORDS_MAX);
        return CTV_EXIT_FAILED;
    }
    *max = n;
    return 0;
}

int ctv_report_timeline(const char *trace_path, FILE *out, FILE *err)
{
    timeline t = {.records_max = RECORDS_MAX};
    if (ctv_report_spans_max(err, &t.records_max) != 0)
        return CTV_EXIT_FAILED;
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;
    ctv_names_init(&t.names);
    ctv_names_init(&t.stacks);
    ctv_ids_init(&t.lane_of);
    ctv_ids_init(&t.task_lane);
    ctv_symbols_init(&t.symbols);

    fputs("<section id=\"timeline\"><h2>Timeline</h2>\n", out);
    write_controls(out);
    fputs("<script type=\"application/json\" id=\"timeline-spans\">", out);
    ctv_json_init_html(&t.j, out);
    ctv_json_array_begin(&t.j);
    ctr_event ev;
    int next_rc, rc = 0;
    while ((next_rc = ctr_next(r, &ev)) == 1 && (rc = take(&t, &ev)) == 0)
        ;
    ctv_json_array_end(&t.j);
    fputs("</script>\n", out);
    int status;
    if (rc != 0) {
        status = ctv_fail(trace_path, rc, err);
    } else {
        status = ctv_end_status(r, next_rc, trace_path, err);
        write_meta(&t, out);
        write_left_out(&t, out);
        if ((rc = write_names(&t, out)) != 0)
            status = ctv_fail(trace_path, rc, err);
        ctv_symbols_warn(&t.symbols, err);
    }
    fputs("</section>\n", out);
    timeline_free(&t);
    ctr_close(r);
    return status;
}
