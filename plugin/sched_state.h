/*
 * sched_state.h - what a thread keeps to capture its scheduler waits
 * (sched.h), part of its ct__thread. Its own header so that thread.h can
 * hold it without the capture's functions.
 */
#ifndef CT_PLUGIN_SCHED_STATE_H
#define CT_PLUGIN_SCHED_STATE_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#define CT_SCHED_STACK_DEPTH 16u /* user frames asked of the kernel at a preemption */

typedef struct ct__sched {
    /* Hot: a poll point reads these two (an empty ring: two loads). */
    const uint64_t *perf_head; /* perf: the ring's data_head; NULL: no perf ring */
    uint64_t perf_tail;        /* perf: bytes of the ring read so far */

    /* Cold. */
    uint8_t source;  /* ct_sched_source of this session; CT_SCHED_DEFERRED: none
                        opened yet, one opens after CT_SCHED_DEFER_NS of life */
    uint8_t polling; /* reading the source: a refill inside must not read again */
    uint8_t stacks;  /* perf: samples carry the user callchain */
    uint8_t holds_fd; /* schedstat: fd is ours, counted in the process's budget */
    uint64_t due_ticks;  /* deferred: when the source opens, at a poll point */
    uint64_t born_ns;    /* deferred: CLOCK_MONOTONIC when the thread attached */
    uint64_t nivcsw;     /* deferred: preemptions (getrusage) accounted for so far */
    void *ring;      /* perf: the mapping (struct perf_event_mmap_page) */
    size_t ring_bytes;
    uint64_t data_offset, data_size; /* perf: where the records are in the ring */
    uint64_t out_ns;    /* perf: preempted at this time, not yet back; 0: running */
    uint64_t lost;      /* perf: records the kernel could not write, not yet reported */
    int ring_full;      /* perf: the ring was found full: records lost, how many unknown */
    uint64_t now_ticks, now_ns; /* a clock pair read at this poll (ct__clock_pair) */
    uint32_t npcs;      /* perf: the stack of the last switch-out (its sample) */
    uint64_t pcs[CT_SCHED_STACK_DEPTH];
    int fd;             /* schedstat: the thread's file kept open, -1: opened per read */
    uint64_t fd_dev, fd_ino; /* schedstat: what fd was, so we never close another file */
    uint64_t run_delay; /* schedstat: run_delay (ns) recorded up to */
    uint64_t read_delay, read_ns; /* schedstat: the last read, and CLOCK_MONOTONIC before it */
} ct__sched;

#endif /* CT_PLUGIN_SCHED_STATE_H */
