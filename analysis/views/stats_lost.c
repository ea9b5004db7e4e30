/*
 * stats_lost.c - the `stats` lines about lost events: how many in all (once:
 * the process's count holds every thread's), by thread and by test, what
 * they left unended, and how long threads waited for room instead of
 * losing any.
 *
 * Memory grows with the threads and tests that lost events, never with the
 * events.
 */
#include "stats_lost.h"

#include <inttypes.h> /* PRIu64 */
#include <stdlib.h>   /* qsort, free */
#include <string.h>   /* memcpy */

#include "common/human.h"

#define SHOWN 5          /* threads and tests named; the rest are counted */
#define NAME_KEPT 200    /* bytes kept of a test's name */

void ctv_lost_init(ctv_lost *l)
{
    memset(l, 0, sizeof *l);
    ctv_ids_init(&l->thread_ids);
    ctv_ids_init(&l->window_ids);
}

void ctv_lost_free(ctv_lost *l)
{
    free(l->cut_task_name);
    for (size_t i = 0; i < l->nwindows; i++)
        free(l->windows[i].name);
    free(l->threads);
    free(l->windows);
    ctv_ids_free(&l->thread_ids);
    ctv_ids_free(&l->window_ids);
}

/* A thread's key: its process and tid, never 0. */
static uint64_t thread_key(const ctr_event *ev)
{
    return ((uint64_t)ev->process << 32 | (uint32_t)ev->tid) + 1;
}

static int add_thread_loss(ctv_lost *l, const ctr_event *ev)
{
    uint64_t key = thread_key(ev);
    uint32_t i;
    if (!ctv_ids_find(&l->thread_ids, key, &i)) {
        ctv_lost_thread *t = ctv_reserve(l->threads, &l->threads_cap, l->nthreads, sizeof *t);
        if (!t || ctv_ids_put(&l->thread_ids, key, (uint32_t)l->nthreads) != 0)
            return CT_ENOMEM;
        l->threads = t;
        i = (uint32_t)l->nthreads++;
        l->threads[i] = (ctv_lost_thread){ev->pid, ev->tid, 0};
    }
    l->threads[i].lost += ev->count;
    l->told += ev->count;
    return 0;
}

static int add_window_loss(ctv_lost *l, const ctr_event *ev)
{
    uint32_t i;
    if (!ev->task || ctv_ids_find(&l->window_ids, ev->task, &i))
        return 0; /* a window says it once */
    ctv_lost_window *w = ctv_reserve(l->windows, &l->windows_cap, l->nwindows, sizeof *w);
    if (!w || ctv_ids_put(&l->window_ids, ev->task, (uint32_t)l->nwindows) != 0)
        return CT_ENOMEM;
    l->windows = w;
    l->windows[l->nwindows++] = (ctv_lost_window){ev->task, ev->count, NULL, 0};
    l->in_windows += ev->count;
    return 0;
}

/* A test or fixture ended: name its window, if it lost events. */
static int name_window(ctv_lost *l, const ctr_event *ev)
{
    uint32_t i;
    if (!ctv_ids_find(&l->window_ids, ev->task, &i) || l->windows[i].name)
        return 0;
    size_t len = ev->name_len < NAME_KEPT ? ev->name_len : NAME_KEPT;
    char *name = malloc(len + 1);
    if (!name)
        return CT_ENOMEM;
    memcpy(name, ev->name, len);
    name[len] = '\0';
    l->windows[i].name = name;
    l->windows[i].name_len = len;
    return 0;
}

/* A task the window cut into: the first test named, else the first task. */
static int note_cut_task(ctv_lost *l, const ctr_event *ev)
{
    l->cut_tasks++;
    int test = ev->task_kind == CTR_TASK_TEST;
    if (l->cut_task_name && (l->cut_task_is_test || !test))
        return 0;
    size_t len = ev->name_len < NAME_KEPT ? ev->name_len : NAME_KEPT;
    char *name = malloc(len + 1);
    if (!name)
        return CT_ENOMEM;
    if (len)
        memcpy(name, ev->name, len);
    name[len] = '\0';
    free(l->cut_task_name);
    l->cut_task_name = name;
    l->cut_task_name_len = len;
    l->cut_task_is_test = test;
    return 0;
}

int ctv_lost_add_other(ctv_lost *l, const ctr_event *ev)
{
    switch (ev->kind) {
    case CTR_CUT:
        l->sayings++;
        l->cut_told += ev->count;
        return 0;
    case CTR_LOST:
        l->sayings++;
        return add_thread_loss(l, ev);
    case CTR_WINDOW_LOST:
        l->sayings++;
        return add_window_loss(l, ev);
    case CTR_PROCESS_END:
        l->total += ev->count;
        l->cut_total += ev->cut;
        l->stalls += ev->stalls;
        l->stall_ns += ev->stall_ns;
        return 0;
    case CTR_TASK_END:
        if (ev->flags & CTR_F_LOST)
            l->unended_tasks++;
        if ((ev->flags & CTR_F_CUT) && note_cut_task(l, ev) != 0)
            return CT_ENOMEM;
        return ev->task_kind == CTR_TASK_USER ? 0 : name_window(l, ev);
    default: /* CTR_REGION: ctv_lost_add() */
        return 0;
    }
}

static int by_threads_loss(const void *a, const void *b)
{
    const ctv_lost_thread *x = a, *y = b;
    return x->lost < y->lost ? 1 : x->lost > y->lost ? -1 : 0;
}

static int by_windows_loss(const void *a, const void *b)
{
    const ctv_lost_window *x = a, *y = b;
    return x->lost < y->lost ? 1 : x->lost > y->lost ? -1 : 0;
}

void ctv_lost_print(ctv_lost *l, uint64_t kept, FILE *out)
{
    uint64_t lost = l->total > l->told ? l->total : l->told;
    /* What the program wrote: what the trace keeps of it (not the events
     * that only tell losses), and what was lost. */
    uint64_t written = (kept > l->sayings ? kept - l->sayings : 0) + lost;
    fprintf(out, "lost:       %" PRIu64 " events", lost);
    if (lost)
        fprintf(out, " of %" PRIu64 " written (%.2f%%; a region's begin and end are two)",
                written, 100.0 * (double)lost / (double)written);
    fputc('\n', out);
    if (l->nthreads) {
        qsort(l->threads, l->nthreads, sizeof *l->threads, by_threads_loss);
        fputs("  by thread:", out);
        for (size_t i = 0; i < l->nthreads && i < SHOWN; i++)
            fprintf(out, "%s tid %" PRId32 " %" PRIu64, i ? "," : "", l->threads[i].tid,
                    l->threads[i].lost);
        if (l->nthreads > SHOWN)
            fprintf(out, " ... and %zu more threads", l->nthreads - SHOWN);
        fputc('\n', out);
    }
    if (lost > l->told)
        fprintf(out, "  untold:     %" PRIu64 " (lost by threads that ended or died before "
                     "they could say)\n", lost - l->told);
    if (l->nwindows) {
        qsort(l->windows, l->nwindows, sizeof *l->windows, by_windows_loss);
        fputs("  by test:", out);
        for (size_t i = 0; i < l->nwindows && i < SHOWN; i++) {
            fputs(i ? ", " : " ", out);
            if (l->windows[i].name)
                ctv_print_text(out, l->windows[i].name, l->windows[i].name_len);
            else
                fputs("(a test whose end was lost)", out);
            fprintf(out, " %" PRIu64, l->windows[i].lost);
        }
        if (l->nwindows > SHOWN)
            fprintf(out, " ... and %zu more tests", l->nwindows - SHOWN);
        fputc('\n', out);
    }
    if (lost > l->in_windows && l->nwindows)
        fprintf(out, "  outside the tests named: %" PRIu64 "\n", lost - l->in_windows);
    if (l->unended_regions || l->unended_tasks)
        fprintf(out, "  unended:    %" PRIu64 " region%s and %" PRIu64 " task%s whose end may be "
                     "among them (no duration)\n",
                l->unended_regions, l->unended_regions == 1 ? "" : "s", l->unended_tasks,
                l->unended_tasks == 1 ? "" : "s");
    uint64_t cut = l->cut_total > l->cut_told ? l->cut_total : l->cut_told;
    if (cut || l->cut_tasks) {
        /* A flight recorder's window: what it left out is no loss. */
        fprintf(out, "cut:        %" PRIu64 " event%s recorded before the window (a flight "
                     "recorder's trace holds the most recent events)\n",
                cut, cut == 1 ? "" : "s");
        if (l->cut_tasks) {
            fprintf(out, "  cut into: ");
            ctv_print_text(out, l->cut_task_name ? l->cut_task_name : "",
                           l->cut_task_name_len);
            if (l->cut_tasks > 1)
                fprintf(out, " and %" PRIu64 " more task%s", l->cut_tasks - 1,
                        l->cut_tasks == 2 ? "" : "s");
            fputs(" (begun before the window: only their later events are here)\n", out);
        } else {
            fputs("  every task here is whole: what was cut came before them\n", out);
        }
    }
    if (l->stalls) {
        char total[CTV_HUMAN_BUF];
        fprintf(out, "stalls:     %" PRIu64 " time%s a thread waited for room in the pool "
                     "rather than lose events (%s in all)\n",
                l->stalls, l->stalls == 1 ? "" : "s", ctv_format_duration(total, l->stall_ns));
    }
}
