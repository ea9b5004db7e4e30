/*
 * tasks_join.c - the second stage of the `tasks` view (tasks_model.h): the
 * sorted parts of tasks' facts and their sorted items, read side by side by
 * task id, become each task's row and its items in print order.
 */
#include <errno.h>  /* EIO */
#include <stdlib.h> /* realloc, free */
#include <string.h> /* memcpy */

#include "format/wire.h" /* ct_put_uvarint, ct_get_uvarint */
#include "tasks_model.h"

typedef struct join {
    task_store *st;
    ctv_sort *items;
    ctv_sort_rec it;    /* the items' next record */
    int irc;            /* 1 while `it` holds one */
    unsigned char *message; /* the last status message of the task */
    size_t message_len, message_cap;
    int32_t last_tid;   /* threads written for the task so far */
    uint32_t nthreads;
} join;

static int next_item(join *j)
{
    j->irc = ctv_sort_next(j->items, &j->it);
    return j->irc < 0 ? j->irc : 0;
}

/* Whether the next item belongs to task `id` and is of `class`. */
static int at(const join *j, uint64_t id, uint64_t class)
{
    return j->irc == 1 && j->it.k[0] == id && j->it.k[1] == class;
}

static int put(join *j, const unsigned char *bytes, size_t n)
{
    return ctv_spill_append(&j->st->items, bytes, n);
}

static int put_thread(join *j, int32_t tid)
{
    if (j->nthreads && tid == j->last_tid)
        return 0;
    j->last_tid = tid;
    j->nthreads++;
    unsigned char buf[1 + CT_UVARINT_MAX], *p = buf;
    *p++ = ITEM_THREAD;
    p = ct_put_uvarint(p, (uint32_t)tid);
    return put(j, buf, (size_t)(p - buf));
}

/* The status message: only the last one counts, as the last status does. */
static int copy_message(join *j, uint64_t id)
{
    int have = 0;
    while (at(j, id, CLASS_MESSAGE)) {
        if (j->it.len > j->message_cap) {
            unsigned char *grown = realloc(j->message, j->it.len);
            if (!grown)
                return CT_ENOMEM;
            j->message = grown;
            j->message_cap = j->it.len;
        }
        if (j->it.len)
            memcpy(j->message, j->it.payload, j->it.len);
        j->message_len = j->it.len;
        have = 1;
        int rc = next_item(j);
        if (rc != 0)
            return rc;
    }
    if (!have)
        return 0;
    unsigned char head[1 + CT_UVARINT_MAX], *p = head;
    *p++ = ITEM_MESSAGE;
    p = ct_put_uvarint(p, j->message_len);
    int rc = put(j, head, (size_t)(p - head));
    return rc ? rc : put(j, j->message, j->message_len);
}

/* Its threads in order, once each: those of its regions and logs, and the
 * one it began on. */
static int copy_threads(join *j, uint64_t id, int32_t begin_tid)
{
    int begin_pending = begin_tid != 0;
    j->nthreads = 0;
    while (at(j, id, CLASS_THREAD)) {
        int32_t tid = (int32_t)(uint32_t)(j->it.k[2] ^ 0x80000000u);
        int rc = 0;
        if (begin_pending && begin_tid <= tid) {
            rc = put_thread(j, begin_tid);
            begin_pending = 0;
        }
        if (rc == 0)
            rc = put_thread(j, tid);
        if (rc == 0)
            rc = next_item(j);
        if (rc != 0)
            return rc;
    }
    return begin_pending ? put_thread(j, begin_tid) : 0;
}

/* Its regions, then its logs: each with its time (the key) put first. */
static int copy_spans(join *j, uint64_t id, uint64_t class, int tag)
{
    while (at(j, id, class)) {
        unsigned char head[1 + 5 * CT_UVARINT_MAX], *p = head;
        const unsigned char *payload = j->it.payload, *end = payload + j->it.len;
        *p++ = (unsigned char)tag;
        p = ct_put_uvarint(p, j->it.k[2]);
        size_t fields = tag == ITEM_REGION ? 4 : tag == ITEM_PROCESS ? 5 : 3, used = 0;
        for (size_t i = 0; i < fields; i++) { /* varints, copied as they are */
            uint64_t v;
            unsigned n = ct_get_uvarint(payload + used, end, &v);
            if (!n)
                return ctv_tmp_fail(&j->st->tmp, "cannot read back a temporary file",
                                    "regions and logs of tasks", EIO);
            memcpy(p, payload + used, n);
            p += n;
            used += n;
        }
        int rc;
        if (tag == ITEM_LOG) { /* the rest is the message */
            p = ct_put_uvarint(p, j->it.len - used);
            rc = put(j, head, (size_t)(p - head));
            if (rc == 0)
                rc = put(j, payload + used, j->it.len - used);
        } else {
            rc = put(j, head, (size_t)(p - head));
        }
        if (rc == 0)
            rc = next_item(j);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int copy_items(join *j, uint64_t id, int32_t begin_tid)
{
    while (j->irc == 1 && j->it.k[0] < id) { /* items of a task without facts: none */
        int rc = next_item(j);
        if (rc != 0)
            return rc;
    }
    int rc = copy_message(j, id);
    if (rc == 0)
        rc = copy_threads(j, id, begin_tid);
    if (rc == 0)
        rc = copy_spans(j, id, CLASS_REGION, ITEM_REGION);
    if (rc == 0)
        rc = copy_spans(j, id, CLASS_LOG, ITEM_LOG);
    if (rc == 0)
        rc = copy_spans(j, id, CLASS_PROCESS, ITEM_PROCESS);
    unsigned char end = ITEM_END;
    return rc ? rc : put(j, &end, 1);
}

int task_join(task_store *st, ctv_sort *facts, ctv_sort *items, uint64_t latest_ns)
{
    join j = {.st = st, .items = items};
    int rc = next_item(&j);
    ctv_sort_rec f;
    int frc = rc == 0 ? ctv_sort_next(facts, &f) : rc;
    while (frc == 1) {
        uint64_t id = f.k[0];
        task_part acc;
        for (int first = 1; frc == 1 && f.k[0] == id; first = 0) {
            rc = task_part_combine(&acc, first, f.k[1], f.payload, f.len);
            if (rc != 0)
                break;
            frc = ctv_sort_next(facts, &f);
        }
        if (rc != 0 || frc < 0)
            break;
        task_row row;
        task_part_row(&acc, id, latest_ns, st->empty_name, &row);
        row.items = st->items.size;
        rc = copy_items(&j, id, acc.flags & PART_BEGUN ? acc.begin_tid : 0);
        if (rc != 0)
            break;
        row.nthreads = j.nthreads;
        rc = ctv_sort_add(&st->order, row.start_ns, row.first_seen, 0, &row, sizeof row);
        if (rc != 0)
            break;
        st->count++;
    }
    if (rc == 0 && frc < 0)
        rc = frc;
    if (rc == 0 && j.irc < 0)
        rc = j.irc;
    if (rc == CT_EIO && !ctv_tmp_failed(&st->tmp)) /* a malformed part */
        ctv_tmp_fail(&st->tmp, "cannot read back a temporary file", "tasks", EIO);
    if (rc == 0)
        rc = ctv_spill_seal(&st->items);
    if (rc == 0)
        rc = ctv_sort_finish(&st->order);
    free(j.message);
    return rc;
}
