/*
 * thread_walk.h - where each thread of a trace spent its time, gathered in
 * one pass (rarely two: thread_walk.c): the `threads` view and the report's thread analysis both print
 * this table.
 *
 * A thread's life runs from its first event to its end (or its process's);
 * what it spent waiting is the sum of its BLOCK events by kind, and the rest
 * of its life counts as running. Threads are grouped by start routine (by
 * name, across processes), as Go's goroutine analysis does. Memory follows
 * the number of threads.
 */
#ifndef CTV_THREAD_WALK_H
#define CTV_THREAD_WALK_H

#include <stddef.h> /* size_t */
#include <stdint.h>
#include <stdio.h>  /* FILE */

#include "maps.h"
#include "symbols.h"

#define CTV_WAIT_KINDS 5 /* ctr_block_kind 1..4, and 0 for kinds of later versions */

typedef struct ctv_thread_row {
    uint32_t process;
    uint32_t thread; /* the reader's thread of its first event */
    int32_t pid, tid;
    int32_t creator_tid; /* 0: not known (a main thread, or begun before tracing) */
    uint64_t start_fn;
    /* Its start routine by name ("0x..." when it cannot be named, NULL for a
     * main thread), and where. */
    char *fn_name;
    const char *fn_file; /* the symbolizer's: valid until the table is freed */
    unsigned fn_line;
    char *name; /* as the thread named itself, or NULL */
    size_t name_len;
    uint64_t start_ns, end_ns;
    int ended;
    uint64_t blocked[CTV_WAIT_KINDS]; /* by ctr_block_kind; [0]: other kinds */
    uint64_t cpu_ns; /* CPU time its CPU samples count (format 1.8) */
    int cpu_sampled; /* its CPU_SOURCE said it was sampled */
} ctv_thread_row;

/* Sums over the threads of one start routine. */
typedef struct ctv_thread_group {
    const ctv_thread_row *first; /* names the group; its threads follow it in rows */
    uint32_t threads;
    uint64_t running, blocked[CTV_WAIT_KINDS];
    uint64_t cpu_ns; /* of its sampled threads */
    int cpu_sampled; /* any of them was */
} ctv_thread_group;

typedef struct ctv_thread_table {
    ctv_symbols syms;
    ctv_ids ids; /* (process, tid) -> row */
    uint64_t last_key;   /* the thread of the latest event (events come a */
    uint32_t last_index; /* batch of one thread at a time): its row, unhashed */
    int two_threads; /* a row took events of two of the reader's threads */
    ctv_thread_row *rows; /* sorted by start routine, then pid and tid */
    uint32_t count, capacity;
    ctv_thread_group *groups;
    uint32_t ngroups;
} ctv_thread_table;

/*! ctv_thread_table_read() : read the trace at `path` into *t (freed with
 *  ctv_thread_table_free() whatever the result).
 *  @return the view's exit status (view_io.h): 0 whole, 1 damaged (the
 *  table holds what came before), 2 failed; err says what happened and
 *  warns of modules that could not be read. */
int ctv_thread_table_read(const char *path, FILE *err, ctv_thread_table *t);

/*! ctv_thread_running() : the part of the thread's life it did not wait. */
uint64_t ctv_thread_running(const ctv_thread_row *r);

/*! ctv_thread_same_fn() : whether two threads have the same start routine. */
int ctv_thread_same_fn(const ctv_thread_row *x, const ctv_thread_row *y);

void ctv_thread_table_free(ctv_thread_table *t);

#endif /* CTV_THREAD_WALK_H */
