/*
 * profile_scope.h - which waits a profile keeps: --test=REGEX (the test the
 * wait happened in), --task=NAME|ID (a task or any task under it) and
 * --region=NAME (its thread was inside a region of that name).
 *
 * A first pass over the trace learns what the filters need; the profile's
 * second pass asks profile_scope_wants() of each wait.
 *   - Tasks, for --test and --task: a compact table (id, parent, kind, and
 *     whether the task itself matches, decided once at its begin; about 40
 *     bytes a task, its name not kept), each task's answer cached.
 *   - Regions, for --region: the intervals of the regions of that name go
 *     through an external sort (sort.h) by thread and begin; nested or
 *     overlapping ones of a thread merge as they are read back, into a spill
 *     (in memory up to its budget, else a temporary file). A wait is looked
 *     up among its thread's intervals, from where its thread's last lookup
 *     ended (a thread's waits come nearly in time order). Memory does not
 *     grow with the number of regions.
 */
#ifndef CTV_PROFILE_SCOPE_H
#define CTV_PROFILE_SCOPE_H

#include <regex.h>  /* regex_t */
#include <stdint.h>
#include <stdio.h>  /* FILE */

#include <ctrace_reader.h>

#include "maps.h"
#include "sort.h"
#include "spill.h"
#include "views.h"

typedef struct scope_task scope_task; /* profile_scope.c */
typedef struct scope_thread scope_thread;

typedef struct profile_scope {
    const ctv_profile_opts *opts;
    regex_t test_re;
    int have_test_re;
    uint64_t want_id; /* --task as an id, when it is all digits */
    int task_by_id;
    /* tasks */
    scope_task *tasks;
    uint32_t ntasks;
    size_t tasks_cap;
    uint32_t *slots;  /* open addressing on task id: index + 1, 0 empty */
    size_t slot_count;
    /* regions */
    ctv_tmp tmp;
    ctv_sort spans;    /* (thread, begin, end) of --region's regions */
    ctv_spill merged;  /* merged intervals: thread, begin, end (24 bytes each) */
    ctv_ids thread_index; /* thread key + 1 -> threads[] */
    scope_thread *threads;
    uint32_t nthreads;
    size_t threads_cap;
} profile_scope;

/*! profile_scope_init() : compile --test. @return 0, or 2 after telling
 *  err that the regular expression is not valid. */
int profile_scope_init(profile_scope *s, const ctv_profile_opts *opts, FILE *err);

/*! profile_scope_needed() : whether the filters need a first pass. */
int profile_scope_needed(const profile_scope *s);

/*! profile_scope_event() : take in an event of the first pass.
 *  @return 0, CT_ENOMEM, or CT_EIO (a temporary file failed: s->tmp says). */
int profile_scope_event(profile_scope *s, const ctr_event *ev);

/*! profile_scope_finish() : after the first pass. @return 0, CT_ENOMEM, CT_EIO. */
int profile_scope_finish(profile_scope *s);

/*! profile_scope_wants() : whether the profile keeps this CTR_BLOCK.
 *  @return 1 or 0, or CT_EIO when a temporary file cannot be read. */
int profile_scope_wants(profile_scope *s, const ctr_event *ev);

void profile_scope_free(profile_scope *s);

#endif /* CTV_PROFILE_SCOPE_H */
