/*
 * profile.c - `ctest-trace profile`: where threads waited, as a pprof
 * profile (or folded stacks), like `go tool trace -pprof=sync|syscall|net|
 * sched`; and the profiles themselves (profile_build.h), which the report's
 * flame graphs draw.
 *
 * Two passes over the trace when filtered. The first learns what the filters
 * need (profile_scope.h). The second sums the waits of the chosen kinds by
 * process and stack. Stacks are then symbolised with the modules each
 * process recorded, and equal stacks merge in the profile. Memory grows with
 * distinct stacks and threads (and tasks, about 40 bytes each, with --test
 * or --task), never with events.
 */
#include <errno.h>    /* errno */
#include <inttypes.h> /* PRIx64 */
#include <stddef.h>   /* offsetof */
#include <stdlib.h>   /* free */
#include <string.h>   /* strcmp, memcpy, strerror */

#include "format/wire.h" /* CT_MAX_STACK_DEPTH */
#include "maps.h"
#include "profile_build.h"
#include "profile_scope.h"
#include "symbols.h"
#include "view_io.h"
#include "views.h"

#define SCHED_SOURCES (CTR_SCHED_DEFERRED + 1)

/* ---- pass 2: waits by stack ----------------------------------------------------- */

static uint64_t thread_key(uint32_t process, int32_t tid)
{
    return (uint64_t)process << 32 | (uint32_t)tid;
}

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

/* The waits of one kind. */
typedef struct sums {
    ctv_names keys; /* wait_key bytes -> index into rows */
    wait_sum *rows; /* by key index */
    size_t nrows, cap;
} sums;

/* The waits of every kind asked for, and what their threads tell. */
typedef struct gathered {
    sums by_kind[CTV_PROFILE_KINDS];
    unsigned kinds; /* CTV_PROFILE_KIND_BIT of those summed */
    ctv_ids start_fns; /* thread key + 1 -> index into fns */
    uint64_t *fns;
    uint32_t nfns;
    size_t fns_cap;
    uint32_t sched_sources[SCHED_SOURCES]; /* threads by ctr_sched_source */
} gathered;

static size_t key_size(uint32_t n)
{
    return offsetof(wait_key, pcs) + n * sizeof(uint64_t);
}

static int sums_add(sums *m, uint32_t process, uint64_t start_fn, const uint64_t *pcs,
                    uint32_t n, uint64_t ns)
{
    /* The reader refuses deeper stacks; the bound keeps the copy safe anyway.
     * Only the key's first key_size(n) bytes count: the rest is not zeroed
     * (half a KiB a wait). */
    wait_key key;
    key.process = process;
    key.n = n < CT_MAX_STACK_DEPTH ? n : CT_MAX_STACK_DEPTH;
    key.start_fn = start_fn;
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
static int note_thread(gathered *m, const ctr_event *ev)
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

static uint64_t start_fn_of(const gathered *m, const ctr_event *ev)
{
    uint32_t index;
    return ctv_ids_find(&m->start_fns, thread_key(ev->process, ev->tid) + 1, &index)
               ? m->fns[index]
               : 0;
}

static void gathered_init(gathered *m, unsigned kinds)
{
    *m = (gathered){.kinds = kinds};
    for (int k = 0; k < CTV_PROFILE_KINDS; k++)
        ctv_names_init(&m->by_kind[k].keys);
    ctv_ids_init(&m->start_fns);
}

static void gathered_free(gathered *m)
{
    for (int k = 0; k < CTV_PROFILE_KINDS; k++) {
        ctv_names_free(&m->by_kind[k].keys);
        free(m->by_kind[k].rows);
    }
    ctv_ids_free(&m->start_fns);
    free(m->fns);
}

/* ---- to the profile --------------------------------------------------------------- */

/* Each kept once (profile_build.h). */
const char *ctv_profile_keep(ctv_names *kept, const char *text)
{
    uint32_t index;
    if (ctv_names_intern(kept, text, strlen(text), &index) != 0)
        return NULL;
    return kept->names[index].bytes;
}

size_t ctv_profile_frames(ctv_symbols *syms, ctv_names *kept, uint32_t process, uint64_t pc,
                          int is_return, ct_prof_frame *f, ct_symbol *sym, char id_hex[2 * 64 + 1])
{
    ctv_symbols_lookup(syms, process, pc, is_return, sym);
    size_t n = 0;
    for (size_t i = 0; i < sym->build_id_len && i < 64; i++, n += 2)
        snprintf(id_hex + n, 3, "%02x", sym->build_id[i]);
    id_hex[n] = '\0';
    /* module_offset 0: ld puts the first segment at the file's start */
    ct_prof_frame base = {.address = pc, .module = sym->module, .module_lo = sym->module_lo,
                          .module_hi = sym->module_hi, .build_id = n ? id_hex : NULL};
    size_t k = 0;
    for (; k < sym->nframes; k++) {
        f[k] = base;
        f[k].function = sym->frames[k].function;
        f[k].file = sym->frames[k].file;
        f[k].line = sym->frames[k].line;
        f[k].inlined = k + 1 < sym->nframes;
    }
    if (k == 0) {
        f[k++] = base;
        if (sym->module) { /* not named: where it is in its module */
            const char *slash = strrchr(sym->module, '/');
            char text[512];
            snprintf(text, sizeof text, "%s+0x%" PRIx64, slash ? slash + 1 : sym->module,
                     sym->module_offset);
            f[0].function = ctv_profile_keep(kept, text);
        }
    }
    return k;
}

static int add_sample(ct_prof *prof, ctv_symbols *syms, ctv_names *kept, ctv_stack_buf *buf,
                      const ctv_name *k, const wait_sum *w, const char *kind_name)
{
    wait_key key = {0};
    memcpy(&key, k->bytes, k->len < sizeof key ? k->len : sizeof key);
    ct_prof_frame *frames = buf->frames;
    size_t n = 0;
    for (uint32_t i = 0; i < key.n; i++) {
        ct_symbol found;
        size_t added = ctv_profile_frames(syms, kept, key.process, key.pcs[i], 1, &frames[n],
                                          &found, buf->ids[i]);
        if (!ctv_symbols_is_tracer(&found))
            n += added;
    }
    if (n == 0 && key.start_fn) {
        /* No stack (a scheduler wait from schedstat, or stacks off): the wait
         * is shown in its thread's start routine, the one place known. */
        ct_symbol found;
        n = ctv_profile_frames(syms, kept, key.process, key.start_fn, 0, frames, &found,
                               buf->ids[0]);
    }
    if (n == 0) {
        char text[64];
        snprintf(text, sizeof text, "[%s wait in a main thread, no stack]", kind_name);
        frames[0] = (ct_prof_frame){.function = ctv_profile_keep(kept, text)};
        n = 1;
    }
    return ct_prof_add(prof, frames, n, w->count, w->total_ns);
}

static const char *sched_note(const gathered *m, char *buf, size_t size)
{
    int n = snprintf(buf, size, "sched waits from: perf on %u threads, schedstat on %u, none on %u",
                     m->sched_sources[CTR_SCHED_PERF], m->sched_sources[CTR_SCHED_SCHEDSTAT],
                     m->sched_sources[CTR_SCHED_NONE]);
    if (m->sched_sources[CTR_SCHED_DEFERRED] && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ", deferred on %u (no source opened: waits as sums)",
                 m->sched_sources[CTR_SCHED_DEFERRED]);
    return buf;
}

/* The profile of the waits of `kind` in m; NULL when out of memory. */
static ct_prof *profile_of(ctr_block_kind kind, const gathered *m, ctv_symbols *syms,
                           const ctr_info *info, const char *trace_path)
{
    const char *kind_name = ctr_block_kind_name(kind);
    const sums *w = &m->by_kind[kind];
    ct_prof *prof = kind == CTR_BLOCK_SCHED
                        ? ct_prof_new("waits", "count", "delay", "nanoseconds")
                        : ct_prof_new("contentions", "count", "delay", "nanoseconds");
    ctv_names kept;
    ctv_names_init(&kept);
    ctv_stack_buf *buf = malloc(sizeof *buf);
    int rc = prof && buf ? 0 : CT_ENOMEM;
    for (uint32_t i = 0; i < w->nrows && rc == 0; i++)
        rc = add_sample(prof, syms, &kept, buf, &w->keys.names[i], &w->rows[i], kind_name);
    free(buf);
    if (rc == 0) {
        char note[256];
        ct_prof_set_time(prof, (int64_t)info->start_realtime_ns, (int64_t)info->duration_ns);
        snprintf(note, sizeof note, "ctest-trace profile --type=%s", kind_name);
        ct_prof_add_comment(prof, note);
        ct_prof_add_comment(prof, trace_path);
        if (kind == CTR_BLOCK_SCHED)
            ct_prof_add_comment(prof, sched_note(m, note, sizeof note));
        ct_prof_add_comment(prof, "a wait without a stack is shown in its thread's start routine");
    }
    ctv_names_free(&kept); /* the profile holds copies of its strings */
    if (rc != 0) {
        ct_prof_free(prof);
        return NULL;
    }
    return prof;
}

/* ---- the view ------------------------------------------------------------------ */

int ctv_profile_pass(const char *path, FILE *err, uint64_t kinds,
                     int (*fn)(void *, const ctr_event *), void *arg, ctr_info *info,
                     const ctv_tmp *tmp)
{
    ctr_reader *r;
    int status = ctv_open_trace(path, err, &r);
    if (status != 0)
        return status;
    ctr_set_kinds(r, kinds);
    int fn_failed;
    int rc = ctv_each_event(r, fn, arg, &fn_failed);
    if (fn_failed) {
        ctr_close(r);
        return ctv_tmp_failed(tmp) ? ctv_fail_spill(path, "profile", tmp, err)
                                   : ctv_fail(path, rc, err);
    }
    if (info)
        ctr_get_info(r, info);
    status = !info && rc == CT_EDAMAGED ? CTV_EXIT_DAMAGED : ctv_end_status(r, rc, path, err);
    ctr_close(r);
    return status;
}

/* The kinds each pass looks at (profile_scope_event(), sums_fn()): the
 * reader makes no others. */
#define SCOPE_KINDS (CTR_KIND_BIT(CTR_TASK_BEGIN) | CTR_KIND_BIT(CTR_REGION))
#define SUMS_KINDS                                                                          \
    (CTR_KIND_BIT(CTR_MODULE) | CTR_KIND_BIT(CTR_THREAD_BEGIN) |                            \
     CTR_KIND_BIT(CTR_SCHED_SOURCE) | CTR_KIND_BIT(CTR_BLOCK))

static int scope_fn(void *arg, const ctr_event *ev)
{
    return profile_scope_event(arg, ev);
}

int ctv_profile_scope_begin(profile_scope *s, const ctv_profile_opts *opts,
                            const char *trace_path, FILE *err)
{
    int status = profile_scope_init(s, opts, err);
    if (status == CTV_EXIT_WHOLE && profile_scope_needed(s)) {
        status = ctv_profile_pass(trace_path, err, SCOPE_KINDS, scope_fn, s, NULL, &s->tmp);
        int rc = status != CTV_EXIT_FAILED ? profile_scope_finish(s) : 0;
        if (rc != 0)
            status = ctv_tmp_failed(&s->tmp) ? ctv_fail_spill(trace_path, "profile", &s->tmp, err)
                                             : ctv_fail(trace_path, rc, err);
    }
    return status;
}

typedef struct pass2 {
    profile_scope *s;
    gathered *m;
    ctv_symbols *syms;
} pass2;

static int sums_fn(void *arg, const ctr_event *ev)
{
    pass2 *p = arg;
    switch (ev->kind) {
    case CTR_MODULE: return ctv_symbols_add(p->syms, ev);
    case CTR_THREAD_BEGIN: return note_thread(p->m, ev);
    case CTR_SCHED_SOURCE: /* a thread's last says */
        if (ev->count && ev->parent < SCHED_SOURCES && p->m->sched_sources[ev->parent])
            p->m->sched_sources[ev->parent]--;
        if (ev->object < SCHED_SOURCES)
            p->m->sched_sources[ev->object]++;
        return 0;
    case CTR_BLOCK:
        if ((unsigned)ev->block_kind >= CTV_PROFILE_KINDS ||
            !(p->m->kinds & CTV_PROFILE_KIND_BIT(ev->block_kind)))
            return 0;
        if (profile_scope_needed(p->s)) {
            int wants = profile_scope_wants(p->s, ev);
            if (wants <= 0)
                return wants;
        }
        return sums_add(&p->m->by_kind[ev->block_kind], ev->process, ev->stack_len ? 0 : start_fn_of(p->m, ev), ev->stack,
                        ev->stack_len, ev->ts_ns > ev->begin_ns ? ev->ts_ns - ev->begin_ns : 0);
    default:
        return 0;
    }
}

int ctv_profile_build(const char *trace_path, const ctv_profile_opts *opts, unsigned kinds,
                      ct_prof *profiles[CTV_PROFILE_KINDS], FILE *err)
{
    profile_scope s;
    gathered m;
    gathered_init(&m, kinds);
    ctv_symbols syms;
    ctv_symbols_init(&syms);
    for (int k = 0; k < CTV_PROFILE_KINDS; k++)
        profiles[k] = NULL;
    int status = ctv_profile_scope_begin(&s, opts, trace_path, err);
    ctr_info info = {0};
    if (status != CTV_EXIT_FAILED) {
        pass2 p = {&s, &m, &syms};
        int second = ctv_profile_pass(trace_path, err, SUMS_KINDS, sums_fn, &p, &info, &s.tmp);
        status = second > status ? second : status;
    }
    for (int k = 1; k < CTV_PROFILE_KINDS && status != CTV_EXIT_FAILED; k++) {
        if (!(kinds & CTV_PROFILE_KIND_BIT(k)))
            continue;
        profiles[k] = profile_of((ctr_block_kind)k, &m, &syms, &info, trace_path);
        if (!profiles[k])
            status = ctv_fail(trace_path, CT_ENOMEM, err);
    }
    if (status != CTV_EXIT_FAILED)
        ctv_symbols_warn(&syms, err);
    profile_scope_free(&s);
    gathered_free(&m);
    ctv_symbols_free(&syms);
    return status;
}

int ctv_profile_write(const ct_prof *prof, const ctv_profile_opts *opts, const char *trace_path,
                      FILE *err)
{
    ctv_output o;
    FILE *out = ctv_output_open(&o, opts->out_path, err);
    if (!out)
        return CTV_EXIT_FAILED;
    int status = 0;
    errno = 0;
    int wrc = opts->folded ? ct_prof_write_folded(prof, out) : ct_prof_write_pprof(prof, out);
    int e = errno;
    if (wrc != 0 && e == ENOMEM) {
        status = ctv_fail(trace_path, CT_ENOMEM, err);
    } else if (wrc != 0) { /* a write error: ctv_output_close() says it */
        status = CTV_EXIT_FAILED;
        if (!ferror(out))
            fprintf(err, "ctest-trace: %s: %s\n", out == stdout ? ctv_stdout_name()
                    : opts->out_path, ct_outfile_error(e ? e : EIO));
    }
    return ctv_output_close(&o, err, status);
}

int ctv_profile(const char *trace_path, const ctv_profile_opts *opts, FILE *err)
{
    ct_prof *profiles[CTV_PROFILE_KINDS];
    if (opts->cpu) {
        if (ctv_output_not_input(opts->out_path, trace_path, err) != 0)
            return CTV_EXIT_FAILED;
        return ctv_profile_cpu(trace_path, opts, err);
    }
    if ((unsigned)opts->kind - 1u >= CTV_PROFILE_KINDS - 1u) {
        fprintf(err, "ctest-trace: profile: unknown kind of wait %d\n", (int)opts->kind);
        return CTV_EXIT_FAILED;
    }
    if (ctv_output_not_input(opts->out_path, trace_path, err) != 0)
        return CTV_EXIT_FAILED;
    int status = ctv_profile_build(trace_path, opts, CTV_PROFILE_KIND_BIT(opts->kind), profiles,
                                   err);
    if (status != CTV_EXIT_FAILED) {
        int wrote = ctv_profile_write(profiles[opts->kind], opts, trace_path, err);
        status = wrote > status ? wrote : status;
    }
    for (int k = 0; k < CTV_PROFILE_KINDS; k++)
        ct_prof_free(profiles[k]);
    return status;
}
