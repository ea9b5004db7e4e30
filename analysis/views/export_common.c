/*
 * export_common.c - what the Chrome and Perfetto exports show alike
 * (export_common.h).
 */
#include "export_common.h"

const char *ctv_wait_name(ctr_block_kind kind)
{
    switch (kind) {
    case CTR_BLOCK_SYNC: return "sync blocking";
    case CTR_BLOCK_SYSCALL: return "syscall blocking";
    case CTR_BLOCK_NET: return "net blocking";
    case CTR_BLOCK_SCHED: return "sched wait";
    }
    return "blocking";
}

void ctv_flows_init(ctv_flows *f)
{
    ctv_ids_init(&f->home);
    ctv_ids_init(&f->drawn);
    f->count = 0;
}

void ctv_flows_free(ctv_flows *f)
{
    ctv_ids_free(&f->home);
    ctv_ids_free(&f->drawn);
}

void ctv_flows_task_begin(ctv_flows *f, const ctr_event *ev)
{
    /* Kept past the task's end: its other threads' regions may be read
     * after it. Bounded: past CTV_FLOWS_KEPT all are forgotten. */
    if (f->home.count >= CTV_FLOWS_KEPT) {
        ctv_ids_free(&f->home);
        ctv_ids_init(&f->home);
    }
    if (ev->task && ev->tid > 0) /* out of memory: its arrows are not drawn */
        (void)ctv_ids_put(&f->home, ev->task, (uint32_t)ev->tid);
}

uint64_t ctv_flows_region(ctv_flows *f, const ctr_event *ev, int32_t *home_tid)
{
    uint32_t home;
    if (!ev->task || !ctv_ids_find(&f->home, ev->task, &home) || (int32_t)home == ev->tid)
        return 0;
    /* The task hashed before the tid joins it: task ids use their high bits
     * too (a process's), so a shifted tid could make two pairs one. */
    uint64_t pair = ctv_hash_id(ctv_hash_id(ev->task) ^ (uint32_t)ev->tid) | 1;
    uint32_t seen;
    if (ctv_ids_find(&f->drawn, pair, &seen))
        return 0;
    if (f->drawn.count >= CTV_FLOWS_KEPT) { /* bounded: forget them all */
        ctv_ids_free(&f->drawn);
        ctv_ids_init(&f->drawn);
    }
    if (ctv_ids_put(&f->drawn, pair, 1) != 0)
        return 0; /* out of memory: no arrow, nothing else lost */
    *home_tid = (int32_t)home;
    return ++f->count;
}
