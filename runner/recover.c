/*
 * recover.c - one process's tests as its trace has them (recover.h).
 */
#include "recover.h"

#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* realloc, free */
#include <string.h> /* memset */

#include <ctrace_reader.h>

#include "results.h" /* rn_dup_bytes */

#define TASK_MASK ((1ull << 40) - 1) /* a trace task id's per-process part */

static rn_test_status status_of(ctr_status s)
{
    switch (s) {
    case CTR_STATUS_PASS: return RN_STATUS_PASS;
    case CTR_STATUS_FAIL: return RN_STATUS_FAIL;
    case CTR_STATUS_SKIP: return RN_STATUS_SKIP;
    case CTR_STATUS_ERROR: return RN_STATUS_ERROR;
    case CTR_STATUS_CRASH: return RN_STATUS_CRASH;
    case CTR_STATUS_TIMEOUT: return RN_STATUS_TIMEOUT;
    default: return RN_STATUS_UNKNOWN;
    }
}

static rn_traced_task *find(rn_traced *t, uint64_t task)
{
    for (size_t i = t->n; i-- > 0;) /* the latest first: statuses come soon after */
        if (t->v[i].task == task)
            return &t->v[i];
    return NULL;
}

static void clear(rn_traced *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].name);
        free(t->v[i].message);
    }
    t->n = 0;
    t->found = t->ended = t->cut = 0;
    t->last_ns = 0;
}

static int add(rn_traced *t, const ctr_event *ev)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        rn_traced_task *v = realloc(t->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    rn_traced_task *k = &t->v[t->n++];
    *k = (rn_traced_task){
        .task = ev->task & TASK_MASK,
        .fixture = ev->task_kind == CTR_TASK_FIXTURE,
        .name = rn_dup_bytes(ev->name, ev->name_len),
        .status = RN_STATUS_UNKNOWN,
        .unended = 1, /* until its end comes */
    };
    k->name_len = k->name ? ev->name_len : 0;
    return 0;
}

int rn_traced_read(const char *trace, int pid, rn_traced *t, char *err, size_t err_size)
{
    memset(t, 0, sizeof *t);
    ctr_reader *r;
    int rc = ctr_open(&r, trace);
    if (rc != 0) {
        snprintf(err, err_size, "%s", ct_strerror(rc));
        return -1;
    }
    int64_t proc = -1;
    ctr_event ev;
    while ((rc = ctr_next(r, &ev)) == 1) {
        if (ev.kind == CTR_PROCESS_BEGIN && ev.pid == pid) {
            clear(t); /* a pid used again: its latest process */
            t->found = 1;
            proc = ev.process;
            continue;
        }
        if ((int64_t)ev.process != proc)
            continue;
        rn_traced_task *k;
        switch (ev.kind) {
        case CTR_TASK_BEGIN:
            if (ev.task_kind == CTR_TASK_USER)
                break;
            if (add(t, &ev) != 0) {
                rc = CT_ENOMEM;
                goto out;
            }
            t->last_ns = ev.ts_ns;
            break;
        case CTR_TASK_STATUS:
            if ((k = find(t, ev.task & TASK_MASK)) == NULL)
                break;
            k->status = status_of(ev.status);
            free(k->message);
            k->message = ev.message_len ? rn_dup_bytes(ev.message, ev.message_len) : NULL;
            k->message_len = k->message ? ev.message_len : 0;
            break;
        case CTR_TASK_END:
            if ((k = find(t, ev.task & TASK_MASK)) == NULL)
                break;
            k->unended = (ev.flags & CTR_F_UNENDED) != 0;
            k->duration_ns = ev.ts_ns > ev.begin_ns ? ev.ts_ns - ev.begin_ns : 0;
            if (!k->unended)
                t->last_ns = ev.ts_ns;
            break;
        case CTR_CUT:
            t->cut = 1;
            break;
        case CTR_PROCESS_END:
            t->cut |= ev.cut != 0;
            t->ended = 1;
            proc = -1; /* nothing after its end is its */
            break;
        default:
            break;
        }
    }
out:
    ctr_close(r);
    if (rc == CT_ENOMEM) {
        rn_traced_free(t);
        snprintf(err, err_size, "%s", ct_strerror(rc));
        return -1;
    }
    return 0; /* a trace cut short (still being written) was read up to the cut */
}

void rn_traced_free(rn_traced *t)
{
    clear(t);
    free(t->v);
    memset(t, 0, sizeof *t);
}
