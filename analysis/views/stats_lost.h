/*
 * stats_lost.h - what `stats` says about lost events (stats_lost.c).
 */
#ifndef CTV_STATS_LOST_H
#define CTV_STATS_LOST_H

#include <stddef.h> /* size_t */
#include <stdint.h>
#include <stdio.h> /* FILE */

#include <ctrace_reader.h>

#include "maps.h"

typedef struct ctv_lost_thread {
    int32_t pid, tid;
    uint64_t lost;
} ctv_lost_thread;

typedef struct ctv_lost_window { /* a test or fixture that lost events */
    uint64_t task;
    uint64_t lost;
    char *name; /* NULL until its end is read */
    size_t name_len;
} ctv_lost_window;

typedef struct ctv_lost {
    uint64_t total;     /* what the processes counted (PROCESS_END) */
    uint64_t told;      /* what threads said (LOST) */
    uint64_t in_windows; /* what tests and fixtures said (WINDOW_LOST) */
    uint64_t unended_regions, unended_tasks; /* CTR_F_LOST */
    uint64_t sayings;   /* LOST, WINDOW_LOST and CUT events: written only to tell
                         * what is missing */
    uint64_t cut_told, cut_total; /* a flight recorder's cut: CUT events, PROCESS_END */
    uint64_t cut_tasks;           /* tasks it cut (CTR_F_CUT) */
    char *cut_task_name;          /* the first of those (a test, if any) */
    size_t cut_task_name_len;
    int cut_task_is_test;
    uint64_t stalls, stall_ns;
    ctv_lost_thread *threads;
    size_t nthreads, threads_cap;
    ctv_ids thread_ids;
    ctv_lost_window *windows;
    size_t nwindows, windows_cap;
    ctv_ids window_ids;
} ctv_lost;

void ctv_lost_init(ctv_lost *l);
/*! ctv_lost_add() : take in one event. @return 0 or CT_ENOMEM. Regions,
 *  most of a trace, are taken here; other kinds by ctv_lost_add_other(). */
int ctv_lost_add_other(ctv_lost *l, const ctr_event *ev);
/* The kinds ctv_lost_add_other() takes in: it has nothing to do with others. */
#define CTV_LOST_OTHER_KINDS                                                                \
    (CTR_KIND_BIT(CTR_CUT) | CTR_KIND_BIT(CTR_LOST) | CTR_KIND_BIT(CTR_WINDOW_LOST) |      \
     CTR_KIND_BIT(CTR_PROCESS_END) | CTR_KIND_BIT(CTR_TASK_END))
static inline int ctv_lost_add(ctv_lost *l, const ctr_event *ev)
{
    if (ev->kind == CTR_REGION) {
        l->unended_regions += (ev->flags & CTR_F_LOST) != 0;
        return 0;
    }
    if ((unsigned)ev->kind < 64 && !(CTV_LOST_OTHER_KINDS >> ev->kind & 1))
        return 0;
    return ctv_lost_add_other(l, ev);
}
/*! ctv_lost_print() : the lines; `kept` = events the trace holds as written
 *  (ctr_info.wire_events). Sorts what it keeps. A trace a flight recorder
 *  cut gets a line saying how much and which task it cut into. */
void ctv_lost_print(ctv_lost *l, uint64_t kept, FILE *out);
void ctv_lost_free(ctv_lost *l);

#endif /* CTV_STATS_LOST_H */
