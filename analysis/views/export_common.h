/*
 * export_common.h - what the timeline exports (Chrome JSON, Perfetto) show
 * alike: the names of waits, and which regions get an arrow from their task.
 */
#ifndef CTV_EXPORT_COMMON_H
#define CTV_EXPORT_COMMON_H

#include <stdint.h> /* uint64_t */

#include <ctrace_reader.h>

#include "maps.h"

/*! ctv_wait_name() : a wait's slice name: "sync blocking", "syscall
 *  blocking", "net blocking", "sched wait"; "blocking" for another kind. */
const char *ctv_wait_name(ctr_block_kind kind);

/*! ctv_instant_message(), ctv_instant_count() : whether an instant shows
 *  ev's message (logs and statuses always, others when they have one), and
 *  its count (losses and cuts). */
static inline int ctv_instant_message(const ctr_event *ev)
{
    return ev->message_len || ev->kind == CTR_LOG || ev->kind == CTR_TASK_STATUS;
}

static inline int ctv_instant_count(const ctr_event *ev)
{
    return ev->kind == CTR_LOST || ev->kind == CTR_CUT || ev->kind == CTR_SCHED_LOST ||
           ev->kind == CTR_WINDOW_LOST;
}

#define CTV_FLOWS_KEPT 65536 /* tasks, and (task, thread) pairs, remembered */

/* Arrows from the thread a task began on to its work on each other thread:
 * one per (task, thread), to the first region read there. What is held:
 * each task's thread and the pairs drawn, each forgotten past
 * CTV_FLOWS_KEPT (an arrow may then be missing or drawn twice). */
typedef struct ctv_flows {
    ctv_ids home;   /* task -> the tid it began on */
    ctv_ids drawn;  /* hash of (task, tid) -> 1: its arrow is drawn */
    uint64_t count; /* arrows drawn: their ids are 1..count */
} ctv_flows;

void ctv_flows_init(ctv_flows *f);
void ctv_flows_free(ctv_flows *f);

/*! ctv_flows_task_begin() : remember where task `ev` (CTR_TASK_BEGIN) began. */
void ctv_flows_task_begin(ctv_flows *f, const ctr_event *ev);

/*! ctv_flows_region() : whether region `ev` gets an arrow: its task began on
 *  another thread and this thread has none from it yet.
 *  @return the arrow's id (from 1) with *home_tid where it starts, or 0. */
uint64_t ctv_flows_region(ctv_flows *f, const ctr_event *ev, int32_t *home_tid);

#endif /* CTV_EXPORT_COMMON_H */
