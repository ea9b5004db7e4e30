/*
 * profile.c - `ctest-trace profile`: where threads waited, as a pprof
 * profile (or folded stacks), like `go tool trace -pprof=sync|syscall|net|
 * sched`.
 *
 * Two passes over the trace. The first learns what the filters need: the
 * tasks (name, parent, kind) and, for --region, when each thread was inside
 * a region of that name. The second sums the waits of the chosen kind by
 * process and stack. Stacks are then symbolised with the modules each
 * process recorded, and equal stacks merge in the profile. Memory grows with
 * tasks, matching regions and distinct stacks, never with events.
 */
#include <errno.h>    /* errno */
#include <inttypes.h> /* PRIx64 */
#include <regex.h>    /* regcomp, regexec */
#include <stddef.h>   /* offsetof */
#include <stdlib.h>   /* calloc, realloc, free, qsort, strtoull */
#include <string.h>   /* strcmp, memcpy, memcmp */

#include "format/wire.h" /* CT_MAX_STACK_DEPTH */
#include "maps.h"
#include "profile_out.h"
#include "symbols.h"
#include "view_io.h"
#include "views.h"


/* ---- pass 1: tasks and region intervals ------------------------------------- */

typedef struct task_info {
    uint64_t id, parent;
    ctr_task_kind kind;
    char *name; /* NUL-terminated copy; may hold NULs before its end */
    size_t name_len;
} task_info;

typedef struct interval {
    uint64_t key; /* process and tid */
    uint64_t begin, end;
} interval;

typedef struct scope {
    const ctv_profile_opts *opts;
    regex_t test_re;
    int have_test_re;
    ctv_ids task_index; /* task id -> tasks[] */
    task_info *tasks;
    uint32_t ntasks;
    size_t tasks_cap;
    interval *regions; /* of --region's name, merged per thread after pass 1 */
    size_t nregions, regions_cap;
    uint32_t sched_sources[3]; /* threads by ctr_sched_source */
} scope;

static uint64_t thread_key(uint32_t process, int32_t tid)
{
    return (uint64_t)process << 32 | (uint32_t)tid;
}

static int add_task(scope *s, const ctr_event *ev)
{
    uint32_t index;
    if (ctv_ids_find(&s->task_index, ev->task, &index))
        return 0;
    task_info *grown = ctv_reserve(s->tasks, &s->tasks_cap, s->ntasks, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    s->tasks = grown;
    char *name = malloc(ev->name_len + 1);
    if (!name || ctv_ids_put(&s->task_index, ev->task, s->ntasks) != 0) {
        free(name);
        return CT_ENOMEM;
    }
    memcpy(name, ev->name, ev->name_len);
    name[ev->name_len] = '\0';
    s->tasks[s->ntasks++] = (task_info){ev->task, ev->parent, ev->task_kind, name, ev->name_len};
    return 0;
}

static int add_region(scope *s, const ctr_event *ev)
{
    const char *want = s->opts->region;
    if (strlen(want) != ev->name_len || memcmp(want, ev->name, ev->name_len) != 0)
        return 0;
    interval *grown = ctv_reserve(s->regions, &s->regions_cap, s->nregions, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    s->regions = grown;
    s->regions[s->nregions++] =
        (interval){thread_key(ev->process, ev->tid), ev->begin_ns, ev->ts_ns};
    return 0;
}

static int by_thread_then_begin(const void *a, const void *b)
{
    const interval *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Sort, and merge overlapping intervals of a thread (nested regions of the
 * same name), so a wait's lookup is one binary search. */
static void merge_regions(scope *s)
{
    if (s->nregions == 0)
        return; /* and regions may be NULL, which qsort must not get */
    qsort(s->regions, s->nregions, sizeof *s->regions, by_thread_then_begin);
    size_t out = 0;
    for (size_t i = 0; i < s->nregions; i++) {
        interval *last = out ? &s->regions[out - 1] : NULL;
        if (last && last->key == s->regions[i].key && s->regions[i].begin <= last->end) {
            if (s->regions[i].end > last->end)
                last->end = s->regions[i].end;
        } else {
            s->regions[out++] = s->regions[i];
        }
    }
    s->nregions = out;
}

static int scope_event(scope *s, const ctr_event *ev)
{
    switch (ev->kind) {
    case CTR_TASK_BEGIN: return add_task(s, ev);
    case CTR_REGION: return s->opts->region ? add_region(s, ev) : 0;
    default: return 0;
    }
}

static const task_info *task_of(const scope *s, uint64_t id)
{
    uint32_t index;
    return id && ctv_ids_find(&s->task_index, id, &index) ? &s->tasks[index] : NULL;
}

/* ---- the filters ---------------------------------------------------------------- */

static int task_matches(const scope *s, uint64_t id)
{
    const ctv_profile_opts *o = s->opts;
    int test_ok = !s->have_test_re, task_ok = o->task == NULL;
    char *end;
    uint64_t want_id = o->task ? strtoull(o->task, &end, 10) : 0;
    int by_id = o->task && *o->task && *end == '\0';
    /* Up the parents; a bound stops a cycle a damaged trace could make. */
    for (int depth = 0; id && depth < 4096 && !(test_ok && task_ok); depth++) {
        const task_info *k = task_of(s, id);
        if (!k)
            break;
        if (!task_ok && (by_id ? k->id == want_id
                               : strlen(o->task) == k->name_len && strcmp(o->task, k->name) == 0))
            task_ok = 1;
        if (!test_ok && k->kind != CTR_TASK_USER)
            test_ok = regexec(&s->test_re, k->name, 0, NULL, 0) == 0;
        id = k->parent;
    }
    return test_ok && task_ok;
}

static int in_region(const scope *s, const ctr_event *ev)
{
    uint64_t key = thread_key(ev->process, ev->tid);
    size_t lo = 0, hi = s->nregions;
    while (lo < hi) { /* the last interval at or before (key, begin) */
        size_t mid = (lo + hi) / 2;
        const interval *m = &s->regions[mid];
        if (m->key < key || (m->key == key && m->begin <= ev->begin_ns))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return 0;
    const interval *m = &s->regions[lo - 1];
    return m->key == key && ev->begin_ns >= m->begin && ev->ts_ns <= m->end;
}

static int wanted(const scope *s, const ctr_event *ev)
{
    if (ev->kind != CTR_BLOCK || ev->block_kind != s->opts->kind)
        return 0;
    if ((s->have_test_re || s->opts->task) && !task_matches(s, ev->task))
        return 0;
    return !s->opts->region || in_region(s, ev);
}

/* ---- pass 2: waits by stack ----------------------------------------------------- */

/* What waits are summed by: their process (its own address layout), their
 * stack, and for a wait without one its thread's start routine. Its bytes
 * key a ctv_names map, whose dense index is the row of the sums. */
typedef struct wait_key {
    uint32_t process, n;
    uint64_t start_fn;
    uint64_t pcs[CT_MAX_STACK_DEPTH];
} wait_key;

typedef struct wait_sum {
    uint64_t count, total_ns;
} wait_sum;

typedef struct sums {
    ctv_names keys; /* wait_key bytes -> index into rows */
    wait_sum *rows; /* by key index */
    size_t nrows, cap;
    ctv_ids start_fns; /* thread key + 1 -> index into fns */
    uint64_t *fns;
    uint32_t nfns;
    size_t fns_cap;
} sums;

static size_t key_size(uint32_t n)
{
    return offsetof(wait_key, pcs) + n * sizeof(uint64_t);
}

static int sums_add(sums *m, uint32_t process, uint64_t start_fn, const uint64_t *pcs,
                    uint32_t n, uint64_t ns)
{
    /* The reader refuses deeper stacks; the bound keeps the copy safe anyway. */
    wait_key key = {process, n < CT_MAX_STACK_DEPTH ? n : CT_MAX_STACK_DEPTH, start_fn, {0}};
    if (key.n) /* pcs is NULL for a wait without a stack */
        memcpy(key.pcs, pcs, key.n * sizeof *pcs);
    uint32_t index;
    if (ctv_names_intern(&m->keys, (const char *)&key, key_size(key.n), &index) != 0)
        return CT_ENOMEM;
    if (index == m->nrows) { /* a new key: its row */
        wait_sum *grown = ctv_reserve(m->rows, &m->cap, m->nrows, sizeof *grown);
        if (!grown)
            return CT_ENOMEM;
        m->rows = grown;
        m->rows[m->nrows++] = (wait_sum){0, 0};
    }
    m->rows[index].count++;
    m->rows[index].total_ns += ns;
    return 0;
}

/* Remember each thread's start routine: a wait without a stack is shown
 * under it. */
static int note_thread(sums *m, const ctr_event *ev)
{
    uint64_t *grown = ctv_reserve(m->fns, &m->fns_cap, m->nfns, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    m->fns = grown;
    if (ctv_ids_put(&m->start_fns, thread_key(ev->process, ev->tid) + 1, m->nfns) != 0)
        return CT_ENOMEM;
    m->fns[m->nfns++] = ev->object;
    return 0;
}

static uint64_t start_fn_of(const sums *m, const ctr_event *ev)
{
    uint32_t index;
    return ctv_ids_find(&m->start_fns, thread_key(ev->process, ev->tid) + 1, &index)
               ? m->fns[index]
               : 0;
}

static void sums_free(sums *m)
{
    ctv_names_free(&m->keys);
    free(m->rows);
    ctv_ids_free(&m->start_fns);
    free(m->fns);
}

/* ---- to the profile --------------------------------------------------------------- */

/* Names made for the profile ("libfoo.so+0x1234" for a frame without a
 * symbol), kept once each until it is written. */
static const char *keep(ctv_names *kept, const char *text)
{
    uint32_t index;
    if (ctv_names_intern(kept, text, strlen(text), &index) != 0)
        return NULL;
    return kept->names[index].bytes;
}

/* The frame of `pc`; `id_hex` holds its module's build-id for the frame. */
static void frame_of(ctv_symbols *syms, ctv_names *kept, uint32_t process, uint64_t pc,
                     int is_return, ct_prof_frame *f, ct_symbol *sym, char id_hex[2 * 64 + 1])
{
    ctv_symbols_lookup(syms, process, pc, is_return, sym);
    *f = (ct_prof_frame){.address = pc, .function = sym->function, .file = sym->file,
                         .line = sym->line, .module = sym->module, .module_lo = sym->module_lo,
                         .module_hi = sym->module_hi}; /* module_offset 0: ld puts the first
                                                          segment at the file's start */
    size_t n = 0;
    for (size_t i = 0; i < sym->build_id_len && i < 64; i++, n += 2)
        snprintf(id_hex + n, 3, "%02x", sym->build_id[i]);
    id_hex[n] = '\0';
    f->build_id = n ? id_hex : NULL;
    if (!sym->function && sym->module) {
        const char *base = strrchr(sym->module, '/');
        char text[512];
        snprintf(text, sizeof text, "%s+0x%" PRIx64, base ? base + 1 : sym->module,
                 sym->module_offset);
        f->function = keep(kept, text);
    }
}

static int add_sample(ct_prof *prof, ctv_symbols *syms, ctv_names *kept, const ctv_name *k,
                      const wait_sum *w, const char *kind_name)
{
    wait_key key = {0};
    memcpy(&key, k->bytes, k->len < sizeof key ? k->len : sizeof key);
    ct_prof_frame frames[CT_MAX_STACK_DEPTH];
    size_t n = 0;
    char ids[CT_MAX_STACK_DEPTH][2 * 64 + 1]; /* build-ids, read by ct_prof_add below */
    for (uint32_t i = 0; i < key.n; i++) {
        ct_symbol found;
        frame_of(syms, kept, key.process, key.pcs[i], 1, &frames[n], &found, ids[n]);
        if (!ctv_symbols_is_tracer(&found))
            n++;
    }
    if (n == 0 && key.start_fn) {
        /* No stack (a scheduler wait from schedstat, or stacks off): the wait
         * is shown in its thread's start routine, the one place known. */
        ct_symbol found;
        frame_of(syms, kept, key.process, key.start_fn, 0, &frames[0], &found, ids[0]);
        n = 1;
    }
    if (n == 0) {
        char text[64];
        snprintf(text, sizeof text, "[%s wait in a main thread, no stack]", kind_name);
        frames[0] = (ct_prof_frame){.function = keep(kept, text)};
        n = 1;
    }
    return ct_prof_add(prof, frames, n, w->count, w->total_ns);
}

static const char *sched_note(const scope *s, char *buf, size_t size)
{
    snprintf(buf, size, "sched waits from: perf on %u threads, schedstat on %u, none on %u",
             s->sched_sources[CTR_SCHED_PERF], s->sched_sources[CTR_SCHED_SCHEDSTAT],
             s->sched_sources[CTR_SCHED_NONE]);
    return buf;
}

static int write_profile(const scope *s, sums *m, ctv_symbols *syms, const ctr_info *info,
                         const char *trace_path, FILE *out)
{
    const ctv_profile_opts *o = s->opts;
    const char *kind_name = ctr_block_kind_name(o->kind);
    ct_prof *prof = o->kind == CTR_BLOCK_SCHED
                        ? ct_prof_new("waits", "count", "delay", "nanoseconds")
                        : ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ctv_names kept;
    ctv_names_init(&kept);
    int rc = prof ? 0 : CT_ENOMEM;
    for (uint32_t i = 0; i < m->nrows && rc == 0; i++)
        rc = add_sample(prof, syms, &kept, &m->keys.names[i], &m->rows[i], kind_name);
    if (rc == 0) {
        char note[256];
        ct_prof_set_time(prof, (int64_t)info->start_realtime_ns, (int64_t)info->duration_ns);
        snprintf(note, sizeof note, "ctest-trace profile --type=%s", kind_name);
        ct_prof_add_comment(prof, note);
        ct_prof_add_comment(prof, trace_path);
        if (o->kind == CTR_BLOCK_SCHED)
            ct_prof_add_comment(prof, sched_note(s, note, sizeof note));
        ct_prof_add_comment(prof, "a wait without a stack is shown in its thread's start routine");
        int wrc = o->folded ? ct_prof_write_folded(prof, out) : ct_prof_write_pprof(prof, out);
        rc = wrc == 0 ? 0 : errno == ENOMEM ? CT_ENOMEM : CT_EIO;
    }
    ct_prof_free(prof);
    ctv_names_free(&kept);
    return rc;
}

/* ---- the view ------------------------------------------------------------------ */

/* One pass over the trace, calling fn on each event; @return the view's exit
 * status. A first of two passes leaves damage to the second to report
 * (`info` is NULL for it), so it is said once. */
static int pass(const char *path, FILE *err, int (*fn)(void *, const ctr_event *), void *arg,
                ctr_info *info)
{
    ctr_reader *r;
    int status = ctv_open_trace(path, err, &r);
    if (status != 0)
        return status;
    ctr_event ev;
    int rc;
    while ((rc = ctr_next(r, &ev)) == 1) {
        int frc = fn(arg, &ev);
        if (frc != 0) {
            ctr_close(r);
            return ctv_fail(path, frc, err);
        }
    }
    if (info)
        ctr_get_info(r, info);
    status = !info && rc == CT_EDAMAGED ? CTV_EXIT_DAMAGED : ctv_end_status(r, rc, path, err);
    ctr_close(r);
    return status;
}

static int scope_fn(void *arg, const ctr_event *ev)
{
    return scope_event(arg, ev);
}

typedef struct pass2 {
    scope *s;
    sums *m;
    ctv_symbols *syms;
} pass2;

static int sums_fn(void *arg, const ctr_event *ev)
{
    pass2 *p = arg;
    switch (ev->kind) {
    case CTR_MODULE: return ctv_symbols_add(p->syms, ev);
    case CTR_THREAD_BEGIN: return note_thread(p->m, ev);
    case CTR_SCHED_SOURCE:
        if (ev->object < 3)
            p->s->sched_sources[ev->object]++;
        return 0;
    default:
        if (!wanted(p->s, ev))
            return 0;
        return sums_add(p->m, ev->process, ev->stack_len ? 0 : start_fn_of(p->m, ev), ev->stack,
                        ev->stack_len, ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0);
    }
}

int ctv_profile(const char *trace_path, const ctv_profile_opts *opts, FILE *err)
{
    scope s = {.opts = opts};
    sums m = {0};
    ctv_symbols syms;
    ctv_symbols_init(&syms);
    ctv_ids_init(&s.task_index);
    ctv_ids_init(&m.start_fns);
    ctv_names_init(&m.keys);
    if (opts->test && regcomp(&s.test_re, opts->test, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(err, "ctest-trace: profile: --test: not a valid regular expression: %s\n",
                opts->test);
        return CTV_EXIT_FAILED;
    }
    s.have_test_re = opts->test != NULL;

    int status = CTV_EXIT_WHOLE;
    ctr_info info = {0};
    if (opts->test || opts->task || opts->region) {
        status = pass(trace_path, err, scope_fn, &s, NULL);
        merge_regions(&s);
    }
    if (status != CTV_EXIT_FAILED) {
        pass2 p = {&s, &m, &syms};
        int second = pass(trace_path, err, sums_fn, &p, &info);
        status = second > status ? second : status;
    }
    if (status != CTV_EXIT_FAILED) {
        ctv_output o;
        FILE *out = ctv_output_open(&o, opts->out_path, err);
        if (!out) {
            status = CTV_EXIT_FAILED;
        } else {
            errno = 0;
            int rc = write_profile(&s, &m, &syms, &info, trace_path, out);
            int e = errno;
            if (rc == CT_ENOMEM) {
                status = ctv_fail(trace_path, rc, err);
            } else if (rc != 0) { /* a write error: ctv_output_close() says it */
                status = CTV_EXIT_FAILED;
                if (!ferror(out))
                    fprintf(err, "ctest-trace: %s: %s\n", out == stdout ? ctv_stdout_name()
                            : opts->out_path, ct_outfile_error(e ? e : EIO));
            }
            status = ctv_output_close(&o, err, status);
        }
        ctv_symbols_warn(&syms, "profile", err);
    }
    if (s.have_test_re)
        regfree(&s.test_re);
    for (uint32_t i = 0; i < s.ntasks; i++)
        free(s.tasks[i].name);
    free(s.tasks);
    free(s.regions);
    ctv_ids_free(&s.task_index);
    sums_free(&m);
    ctv_symbols_free(&syms);
    return status;
}
