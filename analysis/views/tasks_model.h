/*
 * tasks_model.h - every task of a trace with its regions and logs, as the
 * `tasks` view prints them. tasks.c builds it from the events; tasks_print.c
 * writes it as JSON or as a tree.
 *
 * Unlike the other views this one keeps every region and log of every task:
 * its output lists them all, so its memory follows its output.
 */
#ifndef CTV_TASKS_MODEL_H
#define CTV_TASKS_MODEL_H

#include <stddef.h> /* size_t */
#include <stdint.h>
#include <stdio.h>  /* FILE */

#include <ctrace_reader.h>

#include "maps.h"

typedef struct task_region {
    uint64_t start_ns, duration_ns;
    uint32_t name; /* index in task_model.names */
    int32_t tid;
    uint32_t flags; /* CTR_F_* */
    uint32_t seq;   /* arrival order: breaks ties when sorting */
} task_region;

typedef struct task_log {
    uint64_t ts_ns;
    uint32_t category; /* index in task_model.names */
    int32_t tid;
    uint32_t flags;
    uint32_t seq;
    char *message; /* a copy */
    size_t message_len;
} task_log;

typedef struct task_info {
    uint64_t id, parent;  /* parent 0: none */
    uint32_t name;        /* index in task_model.names */
    ctr_task_kind kind;
    int32_t pid;          /* 0: unknown */
    int32_t begin_tid;    /* 0: the begin was not seen */
    uint64_t start_ns, end_ns;
    uint64_t earliest_ns; /* first thing seen in it, for a task never begun */
    uint32_t first_seen;  /* order of first mention: breaks ties */
    unsigned char begun, ended, unended, end_missing, has_status;
    ctr_status status;
    char *status_message;
    size_t status_message_len;
    int32_t *threads;     /* filled by task_model_finish() */
    size_t thread_count;
    task_region *regions;
    size_t region_count, region_cap;
    task_log *logs;
    size_t log_count, log_cap;
} task_info;

typedef struct task_model {
    ctv_names names;  /* task names, region names, log categories */
    ctv_ids ids;      /* task id -> index in tasks */
    task_info *tasks;
    uint32_t count;
    size_t cap;
    uint64_t latest_ns; /* end of what was read: closes tasks never ended */
    uint32_t *order;    /* by task_model_finish(): tasks by start */
} task_model;

void task_model_init(task_model *m);
/*! task_model_add() : take in one event. @return 0 or CT_ENOMEM. */
int task_model_add(task_model *m, const ctr_event *ev);
/*! task_model_finish() : close open tasks, sort regions and logs, collect
 *  each task's threads and order the tasks. @return 0 or CT_ENOMEM. */
int task_model_finish(task_model *m);
void task_model_free(task_model *m);

/* tasks_print.c */
void task_model_write_json(const task_model *m, FILE *out);
/*! task_model_write_tree() : @return 0 or CT_ENOMEM. */
int task_model_write_tree(const task_model *m, FILE *out);

#endif /* CTV_TASKS_MODEL_H */
