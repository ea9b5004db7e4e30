/*
 * profile_cpu.c - `ctest-trace profile --type=cpu`: where threads spent
 * their CPU time, from the trace's CPU samples, as a pprof CPU profile like
 * Go's (sample types samples/count and cpu/nanoseconds, period the sampling
 * period) whose samples carry the labels test, task and region (pprof
 * -tags, -tagfocus); or folded stacks.
 *
 * The reader attributes each sample (its test, task and region as the
 * stream stood on its thread); here samples are summed by process, stack
 * and labels, then symbolised as the profiles of waits are (profile.c),
 * tracer frames kept: CPU time spent in the tracer is the tracer's. The
 * filters --test, --task and --region are the waits' (profile_scope.h).
 * Memory grows with distinct stacks and label sets, and with the test names
 * met (a test's name is looked up by its id while it is open), never with
 * the number of samples.
 */
#include <stddef.h> /* offsetof */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcpy, memset */

#include "profile_build.h"
#include "profile_scope.h"
#include "view_io.h"

#define NO_LABEL UINT32_MAX
#define DEFAULT_PERIOD_NS 10000000u /* 100 Hz, when no CPU_SOURCE was read */

/* What samples are summed by; its bytes key a ctv_names map whose dense
 * index is the row of the sums. Labels are indexes into `labels`. */
typedef struct cpu_key {
    uint32_t process, n;
    uint32_t test, task, region, zero;
    uint64_t pcs[CT_MAX_STACK_DEPTH];
} cpu_key;

typedef struct cpu_sum {
    uint64_t count, ns;
} cpu_sum;

typedef struct cpu_gathered {
    profile_scope *scope;
    ctv_symbols *syms;
    ctv_names keys;   /* cpu_key bytes -> index into rows */
    cpu_sum *rows;
    size_t nrows, cap;
    ctv_names labels; /* names of tests, tasks and regions */
    ctv_ids tests;    /* open test or fixture id -> its name's index in labels */
    uint64_t period_ns; /* the first sampling period read */
    uint32_t sources[4]; /* threads by ctr_cpu_source */
} cpu_gathered;

static size_t key_size(uint32_t n)
{
    return offsetof(cpu_key, pcs) + n * sizeof(uint64_t);
}

static int label_of(cpu_gathered *g, const char *bytes, size_t len, uint32_t *index)
{
    *index = NO_LABEL;
    if (len == 0)
        return 0;
    return ctv_names_intern(&g->labels, bytes, len, index);
}

static int note_test(cpu_gathered *g, const ctr_event *ev)
{
    if (ev->task_kind == CTR_TASK_USER || !ev->task)
        return 0;
    uint32_t index;
    if (label_of(g, ev->name, ev->name_len, &index) != 0)
        return CT_ENOMEM;
    return index == NO_LABEL ? 0 : ctv_ids_put(&g->tests, ev->task, index);
}

static int add_sample(cpu_gathered *g, const ctr_event *ev)
{
    if (profile_scope_needed(g->scope)) {
        ctr_event at = *ev; /* an instant: the filter looks for a region around it */
        at.begin_ns = ev->ts_ns;
        int wants = profile_scope_wants(g->scope, &at);
        if (wants <= 0)
            return wants;
    }
    cpu_key key;
    memset(&key, 0, sizeof key);
    key.process = ev->process;
    key.n = ev->stack_len < CT_MAX_STACK_DEPTH ? ev->stack_len : CT_MAX_STACK_DEPTH;
    if (key.n)
        memcpy(key.pcs, ev->stack, key.n * sizeof *key.pcs);
    if (!ev->parent || !ctv_ids_find(&g->tests, ev->parent, &key.test))
        key.test = NO_LABEL;
    if (label_of(g, ev->message, ev->message_len, &key.task) != 0 ||
        label_of(g, ev->name, ev->name_len, &key.region) != 0)
        return CT_ENOMEM;
    uint32_t index;
    if (ctv_names_intern(&g->keys, (const char *)&key, key_size(key.n), &index) != 0)
        return CT_ENOMEM;
    if (index == g->nrows) {
        cpu_sum *grown = ctv_reserve(g->rows, &g->cap, g->nrows, sizeof *grown);
        if (!grown)
            return CT_ENOMEM;
        g->rows = grown;
        g->rows[g->nrows++] = (cpu_sum){0, 0};
    }
    uint64_t period = ev->object ? ev->object : g->period_ns ? g->period_ns : DEFAULT_PERIOD_NS;
    g->rows[index].count += ev->count;
    g->rows[index].ns += ev->count * period;
    return 0;
}

/* The kinds gather_fn() looks at: the reader makes no others. */
#define GATHER_KINDS                                                                        \
    (CTR_KIND_BIT(CTR_MODULE) | CTR_KIND_BIT(CTR_TASK_BEGIN) | CTR_KIND_BIT(CTR_TASK_END) |  \
     CTR_KIND_BIT(CTR_CPU_SOURCE) | CTR_KIND_BIT(CTR_CPU_SAMPLE))

static int gather_fn(void *arg, const ctr_event *ev)
{
    cpu_gathered *g = arg;
    switch (ev->kind) {
    case CTR_MODULE: return ctv_symbols_add(g->syms, ev);
    case CTR_TASK_BEGIN: return note_test(g, ev);
    case CTR_TASK_END:
        if (ev->task_kind != CTR_TASK_USER)
            ctv_ids_remove(&g->tests, ev->task);
        return 0;
    case CTR_CPU_SOURCE:
        if (ev->object < 4)
            g->sources[ev->object]++;
        if (ev->object == CTR_CPU_ON && ev->count && !g->period_ns)
            g->period_ns = 1000000000u / ev->count;
        return 0;
    case CTR_CPU_SAMPLE: return add_sample(g, ev);
    default: return 0;
    }
}

/* ---- to the profile --------------------------------------------------------------- */

static const char *label_text(const cpu_gathered *g, uint32_t index)
{
    return index == NO_LABEL ? NULL : g->labels.names[index].bytes;
}

static int add_row(ct_prof *prof, cpu_gathered *g, ctv_names *kept, ctv_stack_buf *buf,
                   const ctv_name *k, const cpu_sum *sum)
{
    cpu_key key;
    memset(&key, 0, sizeof key);
    memcpy(&key, k->bytes, k->len < sizeof key ? k->len : sizeof key);
    size_t n = 0;
    for (uint32_t i = 0; i < key.n; i++) {
        ct_symbol found; /* pcs[0] is where it was interrupted + 1: a return address too */
        n += ctv_profile_frames(g->syms, kept, key.process, key.pcs[i], 1, &buf->frames[n],
                                &found, buf->ids[i]);
    }
    if (n == 0) {
        buf->frames[0] = (ct_prof_frame){.function = ctv_profile_keep(kept, "[no stack]")};
        n = 1;
    }
    /* Labels carry no NUL: a name holding one is cut there (pprof strings). */
    ct_prof_label labels[3];
    size_t nlabels = 0;
    const char *names[3] = {"test", "task", "region"};
    const uint32_t values[3] = {key.test, key.task, key.region};
    for (int i = 0; i < 3; i++)
        if (label_text(g, values[i]))
            labels[nlabels++] = (ct_prof_label){names[i], label_text(g, values[i])};
    return ct_prof_add_labeled(prof, buf->frames, n, labels, nlabels, sum->count, sum->ns);
}

static ct_prof *profile_of(cpu_gathered *g, const ctr_info *info, const char *trace_path)
{
    ct_prof *prof = ct_prof_new("samples", "count", "cpu", "nanoseconds");
    ctv_names kept;
    ctv_names_init(&kept);
    ctv_stack_buf *buf = malloc(sizeof *buf);
    int rc = prof && buf ? 0 : CT_ENOMEM;
    for (uint32_t i = 0; i < g->nrows && rc == 0; i++)
        rc = add_row(prof, g, &kept, buf, &g->keys.names[i], &g->rows[i]);
    free(buf);
    if (rc == 0) {
        char note[256];
        ct_prof_set_time(prof, (int64_t)info->start_realtime_ns, (int64_t)info->duration_ns);
        ct_prof_set_period(prof, (int64_t)(g->period_ns ? g->period_ns : DEFAULT_PERIOD_NS));
        ct_prof_add_comment(prof, "ctest-trace profile --type=cpu");
        ct_prof_add_comment(prof, trace_path);
        snprintf(note, sizeof note, "CPU samples: on for %u threads, off for %u, off (the "
                 "program handles SIGPROF) for %u, failed for %u", g->sources[CTR_CPU_ON],
                 g->sources[CTR_CPU_OFF], g->sources[CTR_CPU_TAKEN], g->sources[CTR_CPU_FAILED]);
        ct_prof_add_comment(prof, note);
    }
    ctv_names_free(&kept);
    if (rc != 0) {
        ct_prof_free(prof);
        return NULL;
    }
    return prof;
}

int ctv_profile_cpu_build(const char *trace_path, const ctv_profile_opts *opts, ct_prof **out,
                          FILE *err)
{
    *out = NULL;
    profile_scope s;
    ctv_symbols syms;
    ctv_symbols_init(&syms);
    cpu_gathered g = {.scope = &s, .syms = &syms};
    ctv_names_init(&g.keys);
    ctv_names_init(&g.labels);
    ctv_ids_init(&g.tests);
    int status = ctv_profile_scope_begin(&s, opts, trace_path, err);
    ctr_info info = {0};
    if (status != CTV_EXIT_FAILED) {
        int second = ctv_profile_pass(trace_path, err, GATHER_KINDS, gather_fn, &g, &info, &s.tmp);
        status = second > status ? second : status;
    }
    if (status != CTV_EXIT_FAILED) {
        *out = profile_of(&g, &info, trace_path);
        if (!*out)
            status = ctv_fail(trace_path, CT_ENOMEM, err);
        else
            ctv_symbols_warn(&syms, err);
    }
    profile_scope_free(&s);
    ctv_names_free(&g.keys);
    ctv_names_free(&g.labels);
    ctv_ids_free(&g.tests);
    free(g.rows);
    ctv_symbols_free(&syms);
    return status;
}

int ctv_profile_cpu(const char *trace_path, const ctv_profile_opts *opts, FILE *err)
{
    ct_prof *prof;
    int status = ctv_profile_cpu_build(trace_path, opts, &prof, err);
    if (status != CTV_EXIT_FAILED) {
        int wrote = ctv_profile_write(prof, opts, trace_path, err);
        status = wrote > status ? wrote : status;
    }
    ct_prof_free(prof);
    return status;
}
