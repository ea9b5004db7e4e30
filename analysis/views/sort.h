/*
 * sort.h - an external merge sort with bounded memory, for views whose
 * output needs events in an order the trace does not give them in.
 *
 * Records are a key of three uint64_t, compared in order, and a payload of
 * bytes. They are gathered in memory up to a budget; a full buffer is sorted
 * and written to a temporary file as a run (spill.h: $TMPDIR, unlinked), and
 * the runs are merged when read back; when there are more than CTV_SORT_FANIN,
 * the first ones are merged beforehand, just enough of them. A sort that fits its budget never touches the disk. Runs
 * are stored compactly: keys as deltas from the previous record (sorted keys
 * make them small varints), payloads as they are.
 *
 * The sort is stable: records with equal keys come back in the order they
 * were added, so a key need not hold a sequence number to keep arrival
 * order.
 *
 *     ctv_sort s;
 *     ctv_sort_init(&s, &tmp, "regions", 16 << 20);
 *     ctv_sort_add(&s, task, start_ns, 0, payload, len);   ... for each record
 *     ctv_sort_finish(&s);
 *     ctv_sort_rec rec;
 *     while ((rc = ctv_sort_next(&s, &rec)) == 1) ... rec.k, rec.payload, rec.len
 *     ctv_sort_free(&s);
 */
#ifndef CTV_SORT_H
#define CTV_SORT_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include "spill.h"

#define CTV_SORT_FANIN 256 /* runs merged at once */

typedef struct ctv_sort_rec {
    uint64_t k[3];
    const unsigned char *payload; /* valid until the next ctv_sort_next() */
    size_t len;
} ctv_sort_rec;

typedef struct ctv_sort_entry ctv_sort_entry; /* sort.c */
typedef struct ctv_sort_run ctv_sort_run;
typedef struct ctv_sort_reader ctv_sort_reader;

typedef struct ctv_sort {
    ctv_tmp *tmp;
    const char *what;
    size_t budget;
    /* gathering: entries and their payloads */
    ctv_sort_entry *entries;
    size_t count, cap;
    unsigned char *arena;
    size_t arena_len, arena_cap;
    /* runs written so far, in one spill */
    ctv_spill runs;
    ctv_sort_run *run;
    size_t nruns, runs_cap;
    size_t spilled;              /* runs written from memory */
    uint64_t records;
    /* reading */
    int finished;
    size_t next;                 /* in memory: the next entry */
    ctv_sort_reader *readers;    /* on disk: one per run being merged */
    uint32_t *heap;              /* reader indexes, smallest key on top */
    size_t heap_len;
    int advance;                 /* the top reader moves on at the next call */
} ctv_sort;

/*! ctv_sort_init() : an empty sort using at most about `budget` bytes of
 *  memory while gathering (at least 64 KiB; merging takes up to
 *  CTV_SORT_FANIN * 16 KiB more). `what` names it in messages. */
void ctv_sort_init(ctv_sort *s, ctv_tmp *tmp, const char *what, size_t budget);

/*! ctv_sort_add() : add a record (the payload is copied).
 *  @return 0, CT_ENOMEM, or CT_EIO (a run could not be written: tmp->error). */
int ctv_sort_add(ctv_sort *s, uint64_t k0, uint64_t k1, uint64_t k2, const void *payload,
                 size_t len);

/*! ctv_sort_finish() : no more records; the sort is read from the smallest
 *  key on. @return 0, CT_ENOMEM, or CT_EIO. */
int ctv_sort_finish(ctv_sort *s);

/*! ctv_sort_next() : the next record in key order.
 *  @return 1 with *rec, 0 after the last one, CT_ENOMEM or CT_EIO. */
int ctv_sort_next(ctv_sort *s, ctv_sort_rec *rec);

/*! ctv_sort_records() : how many records were added. */
static inline uint64_t ctv_sort_records(const ctv_sort *s)
{
    return s->records;
}

/*! ctv_sort_runs() : how many runs went to disk (0: it fit in memory). */
static inline size_t ctv_sort_runs(const ctv_sort *s)
{
    return s->spilled;
}

void ctv_sort_free(ctv_sort *s);

#endif /* CTV_SORT_H */
