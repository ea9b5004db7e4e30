/*
 * stats.c - `ctest-trace stats`: what is in a trace, at a glance.
 *
 * Counters only, plus the first few processes and warnings for context, so
 * memory does not grow with the trace.
 */
#include <inttypes.h> /* PRIu64, PRId64 */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, memset */

#include "common/human.h"
#include "stats_lost.h"
#include "view_io.h"
#include "views.h"

#define SHOWN_PROCESSES 16
#define SHOWN_WARNINGS 5
#define SHOWN_TEXT_MAX 512 /* bytes kept of a shown name or message */
#define KIND_SLOTS 32      /* kinds counted one by one; later ones as "other" */
#define STATUS_SLOTS (CTR_STATUS_TIMEOUT + 1)
#define SCHED_SOURCES (CTR_SCHED_DEFERRED + 1)

typedef struct kept_text {
    char *bytes;
    size_t len;
} kept_text;

typedef struct process_seen {
    int32_t pid;
    kept_text name;
    int ended;
    int64_t exit_code;
    uint32_t flags;
} process_seen;

typedef struct trace_stats {
    uint64_t events, kind_events[KIND_SLOTS], other_kind_events;
    uint64_t processes, threads;
    uint64_t tasks_by_kind[3], other_kind_tasks;
    uint64_t tests_by_status[STATUS_SLOTS], other_status;
    ctv_lost lost;
    uint64_t sched_waits, sched_wait_ns, sched_lost;
    uint64_t sched_full; /* times a ring was found full, records lost uncounted */
    uint64_t sched_sources[SCHED_SOURCES], other_sched_sources; /* threads, by source */
    uint64_t cpu_samples, cpu_ns, cpu_sources[CTR_CPU_FAILED + 1]; /* threads, by state */
    uint64_t warnings;
    uint64_t latest_ns;
    process_seen process[SHOWN_PROCESSES];
    kept_text warning[SHOWN_WARNINGS];
} trace_stats;

static const char *or_unknown(const char *name)
{
    return name ? name : "unknown";
}

/* Keep a bounded copy; on failure keep nothing (it is only context). */
static void keep(kept_text *t, const char *bytes, size_t len)
{
    if (len > SHOWN_TEXT_MAX)
        len = SHOWN_TEXT_MAX;
    free(t->bytes);
    t->bytes = malloc(len ? len : 1);
    t->len = t->bytes && bytes ? len : 0;
    if (t->len)
        memcpy(t->bytes, bytes, len);
}

/* One more event of its kind, at its time. */
static inline void count_kind(trace_stats *s, const ctr_event *ev)
{
    s->events++;
    if ((unsigned)ev->kind < KIND_SLOTS)
        s->kind_events[ev->kind]++;
    else
        s->other_kind_events++;
    if (ev->ts_ns > s->latest_ns)
        s->latest_ns = ev->ts_ns;
}

static __attribute__((noinline)) int count_any_event(trace_stats *s, const ctr_event *ev)
{
    count_kind(s, ev);
    switch (ev->kind) {
    case CTR_PROCESS_BEGIN:
        s->processes++;
        if (ev->process < SHOWN_PROCESSES) {
            process_seen *p = &s->process[ev->process];
            p->pid = ev->pid;
            keep(&p->name, ev->name, ev->name_len);
        }
        break;
    case CTR_PROCESS_END:
        if (ev->process < SHOWN_PROCESSES) {
            process_seen *p = &s->process[ev->process];
            p->pid = ev->pid;
            p->ended = 1;
            p->exit_code = ev->exit_code;
            p->flags = ev->flags;
        }
        break;
    case CTR_THREAD_BEGIN:
        s->threads++;
        break;
    case CTR_TASK_BEGIN:
        if ((unsigned)ev->task_kind < 3)
            s->tasks_by_kind[ev->task_kind]++;
        else
            s->other_kind_tasks++;
        break;
    case CTR_TASK_STATUS:
        if (ev->task_kind != CTR_TASK_TEST)
            break;
        if ((unsigned)ev->status < STATUS_SLOTS)
            s->tests_by_status[ev->status]++;
        else
            s->other_status++;
        break;
    case CTR_BLOCK:
        if (ev->block_kind == CTR_BLOCK_SCHED) {
            s->sched_waits++;
            s->sched_wait_ns += ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0;
        }
        break;
    case CTR_SCHED_SOURCE: /* a thread's last says */
        if (ev->count && ev->parent < SCHED_SOURCES && s->sched_sources[ev->parent])
            s->sched_sources[ev->parent]--;
        else if (ev->count && ev->parent >= SCHED_SOURCES && s->other_sched_sources)
            s->other_sched_sources--;
        if (ev->object < SCHED_SOURCES)
            s->sched_sources[ev->object]++;
        else
            s->other_sched_sources++;
        break;
    case CTR_CPU_SAMPLE:
        s->cpu_samples += ev->count;
        s->cpu_ns += ev->count * ev->object;
        break;
    case CTR_CPU_SOURCE:
        if (ev->object <= CTR_CPU_FAILED)
            s->cpu_sources[ev->object]++;
        break;
    case CTR_SCHED_LOST:
        s->sched_lost += ev->count;
        s->sched_full += ev->count == 0;
        break;
    case CTR_WARNING:
        if (ev->flags & CTR_F_LOST)
            break; /* no misuse: lost events told of in their own lines */
        if (s->warnings < SHOWN_WARNINGS)
            keep(&s->warning[s->warnings], ev->message, ev->message_len);
        s->warnings++;
        break;
    default:
        break;
    }
    return ctv_lost_add(&s->lost, ev);
}

/* Count an event: regions and logs, most of a trace, inline, as
 * count_any_event() would. */
static inline int count_event(void *stats, const ctr_event *ev)
{
    trace_stats *s = stats;
    if (ev->kind != CTR_REGION && ev->kind != CTR_LOG)
        return count_any_event(s, ev);
    count_kind(s, ev);
    return ctv_lost_add(&s->lost, ev);
}

static void print_processes(const trace_stats *s, FILE *out)
{
    fprintf(out, "processes:  %" PRIu64 "\n", s->processes);
    for (uint64_t i = 0; i < s->processes && i < SHOWN_PROCESSES; i++) {
        const process_seen *p = &s->process[i];
        fprintf(out, "  pid %-8" PRId32 " ", p->pid);
        if (!p->ended)
            fprintf(out, "(no end recorded)");
        else if (p->flags & CTR_F_TIMED_OUT)
            fprintf(out, "timed out (killed by the runner)");
        else if (p->flags & CTR_F_SIGNALED)
            fprintf(out, "killed by signal %" PRId64, -p->exit_code);
        else if (p->flags & CTR_F_UNKNOWN_EXIT)
            fprintf(out, "exit unknown");
        else if (p->flags & CTR_F_CUT)
            fprintf(out, "ran on past the window");
        else
            fprintf(out, "exit %" PRId64, p->exit_code);
        fputs("  ", out);
        ctv_print_text(out, p->name.bytes, p->name.len);
        fputc('\n', out);
    }
    if (s->processes > SHOWN_PROCESSES)
        fprintf(out, "  ... and %" PRIu64 " more\n", s->processes - SHOWN_PROCESSES);
}

static void print_tests_and_tasks(const trace_stats *s, FILE *out)
{
    uint64_t tests = s->tasks_by_kind[CTR_TASK_TEST];
    fprintf(out, "tests:      %" PRIu64, tests);
    const char *sep = " (";
    uint64_t with_status = 0;
    for (int st = CTR_STATUS_PASS; st < STATUS_SLOTS; st++) {
        with_status += s->tests_by_status[st];
        if (s->tests_by_status[st]) {
            fprintf(out, "%s%" PRIu64 " %s", sep, s->tests_by_status[st],
                    or_unknown(ctr_status_name((ctr_status)st)));
            sep = ", ";
        }
    }
    if (s->other_status) {
        fprintf(out, "%s%" PRIu64 " unknown status", sep, s->other_status);
        sep = ", ";
    }
    with_status += s->other_status;
    if (tests > with_status) {
        fprintf(out, "%s%" PRIu64 " without status", sep, tests - with_status);
        sep = ", ";
    }
    fputs(sep[0] == ',' ? ")\n" : "\n", out);

    uint64_t tasks = s->tasks_by_kind[0] + s->tasks_by_kind[1] +
                     s->tasks_by_kind[2] + s->other_kind_tasks;
    fprintf(out, "tasks:      %" PRIu64 " (%" PRIu64 " test, %" PRIu64
                 " fixture, %" PRIu64 " user",
            tasks, s->tasks_by_kind[CTR_TASK_TEST], s->tasks_by_kind[CTR_TASK_FIXTURE],
            s->tasks_by_kind[CTR_TASK_USER]);
    if (s->other_kind_tasks)
        fprintf(out, ", %" PRIu64 " of unknown kind", s->other_kind_tasks);
    fputs(")\n", out);
    fprintf(out, "threads:    %" PRIu64 "\n", s->threads);
}

/* Where the scheduler waits came from: each thread says (SCHED_SOURCE).
 * Traces written before 1.3 say nothing: no line. */
static void print_sched(const trace_stats *s, FILE *out)
{
    uint64_t said = s->other_sched_sources;
    for (int k = 0; k < SCHED_SOURCES; k++)
        said += s->sched_sources[k];
    if (!said && !s->sched_waits)
        return;
    char total[CTV_HUMAN_BUF];
    fprintf(out, "sched waits: %" PRIu64 " (%s) from perf context switches on %" PRIu64
                 " thread%s, schedstat on %" PRIu64 ", none on %" PRIu64,
            s->sched_waits, ctv_format_duration(total, s->sched_wait_ns),
            s->sched_sources[CTR_SCHED_PERF], s->sched_sources[CTR_SCHED_PERF] == 1 ? "" : "s",
            s->sched_sources[CTR_SCHED_SCHEDSTAT], s->sched_sources[CTR_SCHED_NONE]);
    if (s->sched_sources[CTR_SCHED_DEFERRED])
        fprintf(out, ", deferred on %" PRIu64 " (no source opened: their waits, if any, as "
                     "sums)", s->sched_sources[CTR_SCHED_DEFERRED]);
    if (s->other_sched_sources)
        fprintf(out, ", unknown on %" PRIu64, s->other_sched_sources);
    if (s->sched_lost)
        fprintf(out, "; %" PRIu64 " context-switch records lost (a thread's ring was full): "
                     "some waits are missing", s->sched_lost);
    else if (s->sched_full)
        fprintf(out, "; a thread's ring was found full %" PRIu64 " time%s: some waits are "
                     "missing", s->sched_full, s->sched_full == 1 ? "" : "s");
    fputc('\n', out);
}

/* CPU samples, and whether each thread was sampled (CPU_SOURCE, 1.8). */
static void print_cpu(const trace_stats *s, FILE *out)
{
    const uint64_t *by = s->cpu_sources;
    if (!s->cpu_samples && !by[CTR_CPU_ON] && !by[CTR_CPU_OFF] && !by[CTR_CPU_TAKEN] &&
        !by[CTR_CPU_FAILED])
        return;
    char total[CTV_HUMAN_BUF];
    fprintf(out, "cpu samples: %" PRIu64 " (%s of CPU time) on %" PRIu64 " thread%s sampled",
            s->cpu_samples, ctv_format_duration(total, s->cpu_ns), by[CTR_CPU_ON],
            by[CTR_CPU_ON] == 1 ? "" : "s");
    if (by[CTR_CPU_OFF])
        fprintf(out, ", off on %" PRIu64 " (--cpu-hz=0)", by[CTR_CPU_OFF]);
    if (by[CTR_CPU_TAKEN])
        fprintf(out, ", off on %" PRIu64 " (the program handles SIGPROF)", by[CTR_CPU_TAKEN]);
    if (by[CTR_CPU_FAILED])
        fprintf(out, ", off on %" PRIu64 " (no timer)", by[CTR_CPU_FAILED]);
    fputc('\n', out);
}

static void print_events(const trace_stats *s, const ctr_info *info, FILE *out)
{
    fprintf(out, "events:     %" PRIu64 "\n", s->events);
    for (unsigned k = 0; k < KIND_SLOTS; k++) {
        if (!s->kind_events[k])
            continue;
        fprintf(out, "  %-14s %" PRIu64 "\n", or_unknown(ctr_kind_name((ctr_kind)k)),
                s->kind_events[k]);
    }
    if (s->other_kind_events)
        fprintf(out, "  %-14s %" PRIu64 "\n", "other", s->other_kind_events);

    char size[CTV_HUMAN_BUF];
    fprintf(out, "file:       %s (%" PRIu64 " bytes)", ctv_format_bytes(size, info->file_bytes),
            info->file_bytes);
    if (s->events)
        fprintf(out, ", %.1f bytes per event", (double)info->file_bytes / (double)s->events);
    fputc('\n', out);
}

static void print_header(const char *path, const ctr_info *info, uint64_t latest_ns,
                         FILE *out)
{
    fputs("trace:      ", out);
    ctv_print_text(out, path, strlen(path));
    fprintf(out, " (format %" PRIu32 ".%" PRIu32, info->version_major,
            info->version_minor);
    if (info->writer) {
        fputs(", written by ", out);
        ctv_print_text(out, info->writer, strlen(info->writer));
    }
    fputs(")\n", out);

    char dur[CTV_HUMAN_BUF];
    if (ctv_format_utc(dur, info->start_realtime_ns))
        fprintf(out, "started:    %s\n", dur);
    uint64_t duration = info->duration_ns > latest_ns ? info->duration_ns : latest_ns;
    fprintf(out, "duration:   %s\n", ctv_format_duration(dur, duration));
    fputs("clock:      ", out);
    if (info->clock)
        ctv_print_text(out, info->clock, strlen(info->clock));
    else
        fputs("unknown", out);
    fputc('\n', out);
}

static void print_losses(trace_stats *s, const ctr_info *info, const char *damage, FILE *out)
{
    ctv_lost_print(&s->lost, info->wire_events, out);
    fprintf(out, "warnings:   %" PRIu64 "\n", s->warnings);
    for (uint64_t i = 0; i < s->warnings && i < SHOWN_WARNINGS; i++) {
        fputs("  ", out);
        ctv_print_text(out, s->warning[i].bytes, s->warning[i].len);
        fputc('\n', out);
    }
    if (s->warnings > SHOWN_WARNINGS)
        fprintf(out, "  ... and %" PRIu64 " more (ctest-trace export shows all)\n",
                s->warnings - SHOWN_WARNINGS);
    fputs("damage:     ", out);
    if (damage)
        ctv_print_text(out, damage, strlen(damage));
    else
        fputs("none", out);
    fputc('\n', out);
}

int ctv_stats(const char *trace_path, FILE *out, FILE *err)
{
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;

    trace_stats *s = calloc(1, sizeof *s);
    if (!s) {
        ctr_close(r);
        return ctv_fail(trace_path, CT_ENOMEM, err);
    }
    ctv_lost_init(&s->lost);
    int fn_failed;
    int rc = ctv_each_event(r, count_event, s, &fn_failed);

    int status = ctv_end_status(r, rc, trace_path, err);
    if (status != CTV_EXIT_FAILED) {
        ctr_info info;
        memset(&info, 0, sizeof info);
        ctr_get_info(r, &info);
        const char *damage = rc == CT_EDAMAGED ? ctr_damage(r) : NULL;
        if (rc == CT_EDAMAGED && !damage)
            damage = ct_strerror(CT_EDAMAGED);
        print_header(trace_path, &info, s->latest_ns, out);
        print_processes(s, out);
        print_tests_and_tasks(s, out);
        print_sched(s, out);
        print_cpu(s, out);
        print_events(s, &info, out);
        print_losses(s, &info, damage, out);
        status = ctv_finish_output(out, "output", err, status);
    }

    for (int i = 0; i < SHOWN_PROCESSES; i++)
        free(s->process[i].name.bytes);
    for (int i = 0; i < SHOWN_WARNINGS; i++)
        free(s->warning[i].bytes);
    ctv_lost_free(&s->lost);
    free(s);
    ctr_close(r);
    return status;
}
