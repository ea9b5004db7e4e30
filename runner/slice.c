/*
 * slice.c - one test of a trace as a trace of its own (slice.h).
 *
 * The trace is read once with the public reader. The events of each test
 * asked for (its task, the tasks begun in it, their regions and logs) are
 * kept until its process ends, since other threads' events of the test may
 * be drained after the test's own end. The slice is then written in the
 * text form of FORMAT.md, one batch per thread with its own names, and
 * assembled into a binary trace by ctr_text_assemble(). Times keep their
 * offsets from the original trace's start.
 */
#include "slice.h"

#include <errno.h>  /* errno */
#include <stdio.h>  /* FILE, fprintf */
#include <stdlib.h> /* malloc, realloc, free, qsort */
#include <string.h> /* memcpy, memcmp */
#include <unistd.h> /* unlink */

#include <ctrace_reader.h>

#include "analysis/text.h" /* ctr__text_quote */
#include "recorder/outfile.h" /* ct_outfile_*: attachments replaced whole */
#include "results.h"       /* rn_dup_bytes */

#define MAX_ITEMS 1000000 /* events kept per slice; more are counted, not kept */
#define BATCH_ITEMS 20000 /* events per batch record: far below a record's limit */
#define TASK_MASK ((1ull << 40) - 1) /* a trace task id's per-process part */

enum item_kind { IT_TASK_BEGIN, IT_TASK_STATUS, IT_TASK_END, IT_REGION_BEGIN, IT_REGION_END,
                 IT_LOG, IT_BLOCK };

typedef struct item {
    enum item_kind kind;
    int32_t tid;
    uint64_t ts;
    uint64_t order;     /* sorting: begins after ends at the same time */
    uint64_t task, parent, region; /* region: its number, pairing begin and end */
    uint64_t partner;   /* a region's other end: when it ended (begin), began (end) */
    uint64_t wait, object; /* a block: how long, on what */
    uint32_t value;     /* task kind, status, or log flags */
    char *name, *text;  /* owned: name (or category), message */
    size_t name_len, text_len;
} item;

typedef struct thread_info {
    uint32_t process;
    int32_t tid, ptid;
    char *name;
    size_t name_len;
} thread_info;

typedef struct cut { /* what is being kept for one slice */
    rn_slice *s;
    int active;
    uint32_t process;
    uint64_t test;      /* trace-wide task id */
    uint64_t *tasks;    /* the test and the tasks begun in it */
    size_t ntasks, tasks_cap;
    item *items;
    size_t nitems, items_cap;
    uint64_t regions_seen;
    uint64_t begin_ns, end_ns;
    int32_t test_tid;   /* the thread the test began on */
    int32_t *tids;      /* only read: the threads seen */
    size_t ntids;
} cut;

typedef struct slicer {
    cut *cuts;
    size_t ncuts;
    thread_info *threads;
    size_t nthreads, threads_cap;
    char **exe;         /* per process index: its executable */
    int32_t *pids;
    size_t nprocs;
    uint64_t realtime_ns;
} slicer;

/* ---- keeping events ------------------------------------------------------------ */

static int has_task(const cut *c, uint64_t task)
{
    for (size_t i = 0; i < c->ntasks; i++)
        if (c->tasks[i] == task)
            return 1;
    return 0;
}

static void add_task(cut *c, uint64_t task)
{
    if (c->ntasks == c->tasks_cap) {
        size_t cap = c->tasks_cap ? c->tasks_cap * 2 : 8;
        uint64_t *t = realloc(c->tasks, cap * sizeof *t);
        if (t == NULL)
            return;
        c->tasks = t;
        c->tasks_cap = cap;
    }
    c->tasks[c->ntasks++] = task;
}

/* A slice only read (no out_path) keeps no events: it counts them, and the
 * threads they ran on. */
static void count_thread(cut *c, int32_t tid)
{
    for (size_t i = 0; i < c->ntids; i++)
        if (c->tids[i] == tid)
            return;
    int32_t *v = realloc(c->tids, (c->ntids + 1) * sizeof *v);
    if (v == NULL)
        return;
    c->tids = v;
    c->tids[c->ntids++] = tid;
    c->s->threads++;
}

static item *add_item(cut *c, enum item_kind kind, const ctr_event *ev, uint64_t ts)
{
    c->s->events++;
    if (c->s->out_path == NULL) {
        if (kind == IT_REGION_BEGIN && !(ev->flags & CTR_F_UNENDED))
            c->s->events++; /* and its end */
        count_thread(c, ev->tid ? ev->tid : c->test_tid);
        return NULL;
    }
    /* Past the cap only the tasks' own events are kept: the slice still
     * says how the test began and ended. */
    int essential = kind == IT_TASK_BEGIN || kind == IT_TASK_STATUS || kind == IT_TASK_END;
    if (c->nitems >= MAX_ITEMS && !essential) {
        c->s->truncated = 1;
        return NULL;
    }
    if (c->nitems == c->items_cap) {
        size_t cap = c->items_cap ? c->items_cap * 2 : 64;
        item *v = realloc(c->items, cap * sizeof *v);
        if (v == NULL) {
            c->s->truncated = 1;
            return NULL;
        }
        c->items = v;
        c->items_cap = cap;
    }
    item *it = &c->items[c->nitems++];
    /* What the reader says of no thread (a crash status) goes on the test's. */
    *it = (item){.kind = kind, .tid = ev->tid ? ev->tid : c->test_tid, .ts = ts,
                 .order = c->nitems, .task = ev->task & TASK_MASK};
    if (ts > c->end_ns)
        c->end_ns = ts;
    return it;
}

static void note_slowest(rn_slice *s, const char *name, size_t len, uint64_t ns)
{
    int at = RN_SLICE_SLOWEST;
    while (at > 0 && (s->slowest[at - 1].name == NULL || s->slowest[at - 1].ns < ns))
        at--;
    if (at == RN_SLICE_SLOWEST)
        return;
    free(s->slowest[RN_SLICE_SLOWEST - 1].name);
    memmove(&s->slowest[at + 1], &s->slowest[at],
            (RN_SLICE_SLOWEST - 1 - (size_t)at) * sizeof s->slowest[0]);
    s->slowest[at].name = rn_dup_bytes(name, len);
    s->slowest[at].name_len = s->slowest[at].name ? len : 0;
    s->slowest[at].ns = ns;
}

static void keep(cut *c, const ctr_event *ev)
{
    rn_slice *s = c->s;
    item *it;
    switch (ev->kind) {
    case CTR_TASK_BEGIN:
        if (ev->task != c->test && !has_task(c, ev->parent))
            return;
        if (ev->task == c->test) {
            s->found = 1;
            c->begin_ns = ev->ts_ns;
            c->test_tid = ev->tid;
        } else {
            add_task(c, ev->task);
        }
        if ((it = add_item(c, IT_TASK_BEGIN, ev, ev->ts_ns)) != NULL) {
            it->parent = ev->parent & TASK_MASK;
            it->value = ev->task_kind;
            it->name = rn_dup_bytes(ev->name, ev->name_len);
            it->name_len = it->name ? ev->name_len : 0;
        }
        return;
    case CTR_TASK_STATUS:
        if (!has_task(c, ev->task))
            return;
        if (ev->task == c->test) {
            free(s->message);
            s->message = rn_dup_bytes(ev->message, ev->message_len);
            s->message_len = s->message ? ev->message_len : 0;
        }
        if ((it = add_item(c, IT_TASK_STATUS, ev, ev->ts_ns)) != NULL) {
            it->value = ev->status;
            it->text = rn_dup_bytes(ev->message, ev->message_len);
            it->text_len = ev->message_len;
        }
        return;
    case CTR_TASK_END:
        if (!has_task(c, ev->task))
            return;
        if (ev->task == c->test)
            s->duration_ns = ev->ts_ns - ev->begin_ns;
        if (!(ev->flags & CTR_F_UNENDED)) /* else its slice leaves it open too */
            add_item(c, IT_TASK_END, ev, ev->ts_ns);
        else if (ev->ts_ns > c->end_ns)
            c->end_ns = ev->ts_ns;
        return;
    case CTR_REGION:
        if (!has_task(c, ev->task))
            return;
        s->regions++;
        s->unended += (ev->flags & CTR_F_UNENDED) != 0;
        note_slowest(s, ev->name, ev->name_len, ev->ts_ns - ev->begin_ns);
        if ((it = add_item(c, IT_REGION_BEGIN, ev, ev->begin_ns)) == NULL)
            return;
        it->region = ++c->regions_seen;
        it->partner = ev->flags & CTR_F_UNENDED ? UINT64_MAX : ev->ts_ns;
        it->name = rn_dup_bytes(ev->name, ev->name_len);
        it->name_len = it->name ? ev->name_len : 0;
        if (!(ev->flags & CTR_F_UNENDED)) {
            uint64_t region = c->regions_seen;
            if ((it = add_item(c, IT_REGION_END, ev, ev->ts_ns)) != NULL) {
                it->region = region;
                it->partner = ev->begin_ns;
            }
        }
        return;
    case CTR_BLOCK:
        if (!has_task(c, ev->task))
            return;
        s->blocks++;
        if (ev->ts_ns - ev->begin_ns > s->longest_block_ns) {
            s->longest_block_ns = ev->ts_ns - ev->begin_ns;
            s->longest_block_kind = ev->block_kind;
        }
        if ((it = add_item(c, IT_BLOCK, ev, ev->ts_ns)) != NULL) {
            it->value = ev->block_kind;
            it->wait = ev->ts_ns - ev->begin_ns;
            it->object = ev->object;
        }
        return;
    case CTR_LOG:
        if (!has_task(c, ev->task))
            return;
        s->logs++;
        if ((it = add_item(c, IT_LOG, ev, ev->ts_ns)) != NULL) {
            it->value = ev->flags & CTR_F_TRUNCATED ? 1u : 0u;
            it->name = rn_dup_bytes(ev->name, ev->name_len);
            it->name_len = ev->name_len;
            it->text = rn_dup_bytes(ev->message, ev->message_len);
            it->text_len = ev->message_len;
        }
        return;
    default:
        return;
    }
}

/* ---- writing a slice ------------------------------------------------------------- */

/* Where an item goes among those of the same instant: ends first, then
 * begins, then the ends of regions that began at that instant too (zero
 * long). */
static int rank(const item *it)
{
    if (it->kind == IT_REGION_END)
        return it->partner == it->ts ? 2 : 0;
    if (it->kind == IT_TASK_END)
        return 0;
    return 1;
}

static int by_thread_then_time(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    int rx = rank(x), ry = rank(y);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    /* Regions begun together nest: the one that ends later is the outer,
     * begun first; of those ended together the inner, begun later, ends
     * first. Either way: the larger partner first. */
    if (x->region && y->region && x->partner != y->partner)
        return x->partner > y->partner ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

typedef struct names { /* one thread's string table in the slice */
    struct { const char *s; size_t n; } *v;
    size_t n, cap;
} names;

/* The id of `s` on this thread, defining it first if new. */
static size_t name_id(FILE *f, names *t, const char *s, size_t n)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].n == n && (n == 0 || memcmp(t->v[i].s, s, n) == 0))
            return i + 1;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        void *v = realloc(t->v, cap * sizeof *t->v);
        if (v == NULL)
            return 0; /* the reader shows "?" */
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n].s = s;
    t->v[t->n].n = n;
    t->n++;
    fprintf(f, "  string id=%zu bytes=", t->n);
    ctr__text_quote(f, s ? s : "", s ? n : 0);
    fputc('\n', f);
    return t->n;
}

static const thread_info *find_thread(const slicer *sl, uint32_t process, int32_t tid)
{
    for (size_t i = 0; i < sl->nthreads; i++)
        if (sl->threads[i].process == process && sl->threads[i].tid == tid)
            return &sl->threads[i];
    return NULL;
}

static void write_text(FILE *f, const slicer *sl, cut *c)
{
    fprintf(f, "ctrace 1.2\n");
    fprintf(f, "trace_begin major=1 minor=2 writer=\"ctest-trace (one test of a run)\" "
               "mono_ns=0 realtime_ns=%llu\nschema\n",
            (unsigned long long)sl->realtime_ns);
    const char *exe = c->process < sl->nprocs && sl->exe[c->process] ? sl->exe[c->process] : "";
    fprintf(f, "process_begin proc=0 pid=%lld exe=", (long long)c->s->pid);
    ctr__text_quote(f, exe, strlen(exe));
    fprintf(f, " clock=0 hz=1000000000 tsc0=0 ns0=0\n");

    qsort(c->items, c->nitems, sizeof *c->items, by_thread_then_time);
    /* Each region's serial on its thread, for the back= of its end. */
    uint64_t *serial_of = calloc(c->regions_seen + 1, sizeof *serial_of);
    size_t batches = 0, threads = 0;
    for (size_t i = 0; i < c->nitems;) {
        int32_t tid = c->items[i].tid;
        const thread_info *ti = find_thread(sl, c->process, tid);
        uint64_t last = c->items[i].ts, serial = 0;
        names strings = {0};
        size_t thread_number = ++threads;
        batches++;
        fprintf(f, "batch proc=0 thread=%zu seq=0 offset=0 tsc=%llu ns=%llu\n", thread_number,
                (unsigned long long)last, (unsigned long long)last);
        fprintf(f, "  thread_begin +0 tid=%d ptid=%d task=0 fn=0 rserial=0\n", tid,
                ti ? ti->ptid : 0);
        if (ti && ti->name)
            fprintf(f, "  thread_name +0 name=%zu\n",
                    name_id(f, &strings, ti->name, ti->name_len));
        size_t in_batch = 0, seq = 0;
        for (; i < c->nitems && c->items[i].tid == tid; i++) {
            item *it = &c->items[i];
            if (++in_batch > BATCH_ITEMS) { /* the thread's next chunk */
                in_batch = 1;
                batches++;
                fprintf(f, "batch proc=0 thread=%zu seq=%zu offset=0 tsc=%llu ns=%llu\n",
                        thread_number, ++seq, (unsigned long long)last, (unsigned long long)last);
            }
            unsigned long long d = it->ts - last;
            last = it->ts;
            size_t id = 0;
            switch (it->kind) {
            case IT_TASK_BEGIN:
                id = name_id(f, &strings, it->name, it->name_len);
                fprintf(f, "  task_begin +%llu task=%llu parent=%llu name=%zu kind=%u\n", d,
                        (unsigned long long)it->task, (unsigned long long)it->parent, id,
                        it->value);
                break;
            case IT_TASK_STATUS:
                fprintf(f, "  task_status +%llu task=%llu status=%u message=", d,
                        (unsigned long long)it->task, it->value);
                ctr__text_quote(f, it->text, it->text_len);
                fputc('\n', f);
                break;
            case IT_TASK_END:
                fprintf(f, "  task_end +%llu task=%llu\n", d, (unsigned long long)it->task);
                break;
            case IT_REGION_BEGIN:
                id = name_id(f, &strings, it->name, it->name_len);
                if (serial_of)
                    serial_of[it->region] = ++serial;
                fprintf(f, "  region_begin +%llu task=%llu name=%zu\n", d,
                        (unsigned long long)it->task, id);
                break;
            case IT_REGION_END:
                fprintf(f, "  region_end +%llu back=%llu\n", d,
                        (unsigned long long)(serial_of && serial_of[it->region]
                                                 ? serial - serial_of[it->region] : 0));
                break;
            case IT_BLOCK: /* clock 0: a tick is a nanosecond */
                fprintf(f, "  block +%llu task=%llu kind=%u wait=%llu object=%llu\n", d,
                        (unsigned long long)it->task, it->value,
                        (unsigned long long)it->wait, (unsigned long long)it->object);
                break;
            case IT_LOG:
                id = name_id(f, &strings, it->name, it->name_len);
                fprintf(f, "  log +%llu task=%llu category=%zu message=", d,
                        (unsigned long long)it->task, id);
                ctr__text_quote(f, it->text, it->text_len);
                fprintf(f, " flags=%u\n", it->value);
                break;
            }
        }
        free(strings.v);
        c->s->threads++;
    }
    free(serial_of);
    /* How the process went on is not this test's business: the slice ends
     * as if tracing stopped (the statuses above say how the test ended). */
    fprintf(f, "process_end proc=0 how=3 code=0 dropped=0 end_ns=%llu\n",
            (unsigned long long)c->end_ns);
    fprintf(f, "trace_end batches=%zu event_bytes=0\n", batches);
}

/* The slice in the text form beside out_path, assembled into out_path.partial
 * and renamed over out_path when whole (recorder/outfile.h): never a
 * partial or empty attachment. */
static void write_slice(const slicer *sl, cut *c)
{
    rn_slice *s = c->s;
    if (!s->found || s->out_path == NULL)
        return;
    ct_outfile out;
    char *text_path = NULL;
    if (ct_outfile_begin(&out, s->out_path) != 0) {
        s->write_errno = errno;
        return;
    }
    int e = ENOMEM;
    FILE *f = NULL;
    if (asprintf(&text_path, "%s.txt", s->out_path) < 0)
        text_path = NULL;
    else if ((f = fopen(text_path, "w")) == NULL)
        e = errno;
    if (f != NULL) {
        write_text(f, sl, c);
        errno = 0;
        int ok = fflush(f) == 0 && !ferror(f);
        e = errno ? errno : EIO;
        if (fclose(f) != 0 && ok)
            ok = 0, e = errno;
        char why[256];
        if (ok && ctr_text_assemble(text_path, ct_outfile_writing(&out), why, sizeof why) != 0)
            ok = 0, e = errno ? errno : EIO;
        if (ok && ct_outfile_commit(&out) != 0)
            ok = 0, e = errno;
        if (!ok)
            ct_outfile_discard(&out);
        s->written = ok;
        unlink(text_path);
    }
    if (!s->written)
        s->write_errno = e;
    free(text_path);
    ct_outfile_free(&out);
}

static void free_cut(cut *c)
{
    for (size_t i = 0; i < c->nitems; i++) {
        free(c->items[i].name);
        free(c->items[i].text);
    }
    free(c->items);
    free(c->tasks);
    free(c->tids);
    *c = (cut){.s = c->s};
}

/* ---- the pass ------------------------------------------------------------------- */

static void note_process(slicer *sl, const ctr_event *ev)
{
    if (ev->process >= sl->nprocs) {
        size_t n = (size_t)ev->process + 1;
        char **exe = realloc(sl->exe, n * sizeof *exe);
        if (exe == NULL)
            return;
        memset(exe + sl->nprocs, 0, (n - sl->nprocs) * sizeof *exe);
        sl->exe = exe;
        sl->nprocs = n;
    }
    free(sl->exe[ev->process]);
    sl->exe[ev->process] = rn_dup_bytes(ev->name, ev->name_len);
    for (size_t i = 0; i < sl->ncuts; i++) {
        cut *c = &sl->cuts[i];
        if (!c->active && !c->s->found && c->s->pid == (uint64_t)(uint32_t)ev->pid &&
            c->s->task != 0) {
            c->active = 1;
            c->process = ev->process;
            c->test = (uint64_t)ev->process << 40 | c->s->task;
            /* Known before its TASK_BEGIN is read: another thread's events
             * in it (a pool's) may be read first. */
            add_task(c, c->test);
        }
    }
}

static void note_thread(slicer *sl, const ctr_event *ev)
{
    thread_info *t = (thread_info *)find_thread(sl, ev->process, ev->tid);
    if (t == NULL) {
        if (sl->nthreads == sl->threads_cap) {
            size_t cap = sl->threads_cap ? sl->threads_cap * 2 : 16;
            thread_info *v = realloc(sl->threads, cap * sizeof *v);
            if (v == NULL)
                return;
            sl->threads = v;
            sl->threads_cap = cap;
        }
        t = &sl->threads[sl->nthreads++];
        *t = (thread_info){.process = ev->process, .tid = ev->tid};
    }
    if (ev->kind == CTR_THREAD_BEGIN) {
        t->ptid = ev->parent_tid;
    } else {
        free(t->name);
        t->name = rn_dup_bytes(ev->name, ev->name_len);
        t->name_len = t->name ? ev->name_len : 0;
    }
}

static void end_process(slicer *sl, uint32_t process)
{
    for (size_t i = 0; i < sl->ncuts; i++) {
        cut *c = &sl->cuts[i];
        if (c->active && c->process == process) {
            write_slice(sl, c);
            c->active = 0;
            free_cut(c);
        }
    }
}

int rn_slice_trace(const char *trace, rn_slice *slices, size_t n, char *err, size_t err_size)
{
    ctr_reader *r;
    int rc = ctr_open(&r, trace);
    if (rc != 0) {
        snprintf(err, err_size, "%s", ct_strerror(rc));
        return -1;
    }
    ctr_info info;
    ctr_get_info(r, &info);
    slicer sl = {.realtime_ns = info.start_realtime_ns};
    sl.cuts = calloc(n ? n : 1, sizeof *sl.cuts);
    if (sl.cuts == NULL) {
        ctr_close(r);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    sl.ncuts = n;
    for (size_t i = 0; i < n; i++)
        sl.cuts[i].s = &slices[i];
    ctr_event ev;
    while (ctr_next(r, &ev) == 1) {
        switch (ev.kind) {
        case CTR_PROCESS_BEGIN:
            note_process(&sl, &ev);
            break;
        case CTR_PROCESS_END:
            end_process(&sl, ev.process);
            break;
        case CTR_THREAD_BEGIN:
        case CTR_THREAD_NAME:
            note_thread(&sl, &ev);
            break;
        default:
            for (size_t i = 0; i < n; i++)
                if (sl.cuts[i].active && sl.cuts[i].process == ev.process)
                    keep(&sl.cuts[i], &ev);
            break;
        }
    }
    ctr_close(r);
    for (uint32_t p = 0; p < sl.nprocs; p++) /* a trace cut short: what was read */
        end_process(&sl, p);
    for (size_t i = 0; i < sl.nthreads; i++)
        free(sl.threads[i].name);
    for (size_t i = 0; i < sl.nprocs; i++)
        free(sl.exe[i]);
    free(sl.threads);
    free(sl.exe);
    free(sl.cuts);
    return 0;
}

void rn_slice_free(rn_slice *s)
{
    free(s->message);
    for (int i = 0; i < RN_SLICE_SLOWEST; i++)
        free(s->slowest[i].name);
    s->message = NULL;
    memset(s->slowest, 0, sizeof s->slowest);
}
