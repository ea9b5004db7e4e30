/*
 * tasks_model.h - the `tasks` view in bounded memory, whatever the number of
 * events or of tasks. Nothing here holds all of anything: what cannot stay
 * in memory goes through external sorts (sort.h) and spills (spill.h).
 *
 * 1. Gather (tasks.c): one pass over the trace. What a task's begin, end and
 *    status events say is kept per task in a table of bounded size (a "part"
 *    of its facts: the table is written out whole into a sort when it fills,
 *    and a task seen again starts a new part). Its regions, logs, status
 *    messages and threads go into a second sort, keyed (task id, class,
 *    time): they are the bulk, and need sorting anyway.
 * 2. Join (tasks_join.c): both sorts read back by task id, side by side. A
 *    task's parts, in arrival order, make its row (task_row); its regions and
 *    logs, now in order, are written to the items spill, and the row, which
 *    says where they are, into a third sort keyed (start, first mention):
 *    the order the view prints tasks in.
 * 3. Write: JSON (tasks_print.c) reads that sort in order, each task's items
 *    from the spill. The tree (tasks_tree.c) first links the tasks to their
 *    parents with more sorts, then walks them depth first.
 *
 * Memory: the sorts' buffers and the table of parts (CTRACE_VIEW_MEMORY sets
 * how much, default 16 MiB for the largest), distinct names, and one bit a
 * task while the tree is printed.
 */
#ifndef CTV_TASKS_MODEL_H
#define CTV_TASKS_MODEL_H

#include <stddef.h> /* size_t */
#include <stdint.h>
#include <stdio.h>  /* FILE */

#include <ctrace_reader.h>

#include "maps.h"
#include "sort.h"
#include "spill.h"

/* A task as printed, fixed size: rows are also stored by rank for the tree. */
typedef struct task_row {
    uint64_t id, parent;     /* parent 0: none */
    uint64_t start_ns, end_ns;
    uint64_t first_seen;     /* arrival number of the first event naming it */
    uint64_t items;          /* offset of its items in task_store.items */
    uint32_t name;           /* index in task_store.names */
    uint32_t nthreads;
    int32_t pid;             /* 0: unknown */
    uint8_t kind;            /* ctr_task_kind */
    uint8_t status;          /* ctr_status, when ROW_HAS_STATUS */
    uint8_t flags;           /* ROW_* */
    uint8_t unused;
} task_row;

#define ROW_BEGUN 0x1u       /* its begin is in the trace */
#define ROW_HAS_STATUS 0x2u
#define ROW_UNENDED 0x4u     /* closed by the trace, not the program */
#define ROW_END_MISSING 0x8u /* the trace stopped before its end */
#define ROW_LOST 0x10u       /* unended: its end may be among lost events */
#define ROW_CUT 0x20u        /* a flight recorder's window cut some of its events */

/* A task's items in the items spill, in print order: its status message,
 * its threads, its regions, its logs. Each is a tag byte, then varints. */
enum {
    ITEM_END = 0,     /* after the last item of a task */
    ITEM_MESSAGE = 1, /* len, bytes: the status message */
    ITEM_THREAD = 2,  /* tid (as uint32) */
    ITEM_REGION = 3,  /* name, tid, start_ns, duration_ns, flags */
    ITEM_LOG = 4,     /* category, tid, ts_ns, flags, len, bytes */
    ITEM_PROCESS = 5, /* start_ns, pid, exe, duration_ns, flags, code (zigzag):
                         a process the task started (since 1.8) */
};

typedef struct task_item {
    int tag;
    uint64_t ts_ns;       /* a region's start, a log's time */
    uint64_t duration_ns;
    uint32_t name;        /* a region's name, a log's category */
    int32_t tid;
    uint32_t flags;       /* CTR_F_* */
    int64_t code;         /* a process's exit code, or -signal */
    const char *bytes;    /* a message: valid until the next item */
    size_t len;
} task_item;

/* What the stages share. */
typedef struct task_store {
    ctv_tmp tmp;
    size_t budget;        /* bytes for the largest sort; others take half */
    ctv_names names;      /* task names, region names, log categories */
    uint32_t empty_name;  /* "" */
    ctv_spill items;      /* every task's items (join) */
    ctv_sort order;       /* task_row payloads keyed (start_ns, first_seen) */
    uint64_t count;       /* tasks */
} task_store;

/* What the begin, end and status events of a task said, in one stretch of
 * the trace (tasks.c): a task has one part, or several when the table of
 * parts filled and was written out while it was being gathered. */
typedef struct task_part {
    uint64_t first_seq;      /* arrival number of its first event */
    uint64_t created_ns;     /* when that event was (a region: its begin) */
    uint64_t items_min_ns;   /* earliest region start or log; UINT64_MAX: none */
    uint64_t parent, begin_ns;     /* its first begin */
    uint64_t end_ns, end_begin_ns; /* its last end */
    uint32_t name, end_name; /* the first begin's, the last end's */
    int32_t pid, begin_tid;  /* the first begin's */
    int32_t end_pid;         /* the first nonzero pid of an end */
    int32_t last_tid;        /* gathering: the thread of its last item */
    uint8_t kind, status, flags; /* PART_* */
} task_part;

#define PART_BEGUN 0x1u
#define PART_ENDED 0x2u
#define PART_UNENDED 0x4u    /* of its last end */
#define PART_HAS_STATUS 0x8u
#define PART_HAS_TID 0x10u   /* gathering: last_tid is set (not stored) */
#define PART_LOST 0x20u      /* its last end was the trace's, after lost events */
#define PART_CUT 0x40u       /* its last end says the window cut into it (CTR_F_CUT) */
#define TASK_PART_MAX_BYTES (24 * 10)

/*! task_part_encode() : the part as bytes (at most TASK_PART_MAX_BYTES);
 *  its first_seq is not among them (it goes in the key). @return the length. */
size_t task_part_encode(const task_part *p, unsigned char *buf);
/*! task_part_combine() : fold the part encoded in [bytes, bytes+len), whose
 *  first event came `first_seq`-th, into *acc. A task's parts come in
 *  arrival order; `first` for its first one. @return 0, or CT_EIO when the
 *  bytes are malformed. */
int task_part_combine(task_part *acc, int first, uint64_t first_seq, const unsigned char *bytes,
                      size_t len);
/*! task_part_row() : the row of a task once all its parts are combined;
 *  `latest_ns` (the end of what was read) closes one that never ended. */
void task_part_row(const task_part *acc, uint64_t id, uint64_t latest_ns, uint32_t empty_name,
                   task_row *row);

/* Item classes in the gather sort (its key's k1), in print order. */
enum { CLASS_MESSAGE = 0, CLASS_THREAD = 1, CLASS_REGION = 2, CLASS_LOG = 3, CLASS_PROCESS = 4 };

/* tasks_join.c */
/*! task_join() : from the sorted facts and items, every task's row (into
 *  st->order) and items (into st->items). @return 0, CT_ENOMEM or CT_EIO. */
int task_join(task_store *st, ctv_sort *facts, ctv_sort *items, uint64_t latest_ns);

/* tasks_print.c */
typedef struct task_items {
    ctv_spill_cursor c;
    unsigned char *scratch; /* a message longer than the cursor's buffer */
    size_t scratch_cap;
} task_items;

int task_items_open(task_items *it, ctv_spill *items);
/*! task_items_next() : the next item of the task whose items start at or
 *  were reached from task_items_seek(). @return 1, 0 at ITEM_END, CT_EIO. */
int task_items_next(task_items *it, task_item *item);
void task_items_seek(task_items *it, uint64_t offset);
void task_items_close(task_items *it);

/*! task_write_json() : every task, in order. @return 0, CT_ENOMEM, CT_EIO. */
int task_write_json(task_store *st, FILE *out);
/*! task_print_tree_row() : one task of the tree, `depth` levels in, with its
 *  message, regions and logs (from `it`). @return 0, CT_ENOMEM, CT_EIO. */
int task_print_tree_row(const task_store *st, const task_row *row, uint64_t depth,
                        task_items *it, FILE *out);

/* tasks_tree.c */
/*! task_write_tree() : the tasks as a tree, children under their parents.
 *  @return 0, CT_ENOMEM, CT_EIO. */
int task_write_tree(task_store *st, FILE *out);

#endif /* CTV_TASKS_MODEL_H */
