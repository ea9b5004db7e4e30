/*
 * reader_pairing.c - what the reader makes of begins and ends: regions
 * paired LIFO per thread, the output queue, warnings for misuse, and closing
 * what a test's end, a thread's end or a process's death left open.
 */
#include "analysis/reader_internal.h"

#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memmove */

/* ---- output ------------------------------------------------------------------ */

/* A slot at the end of the pending ring, grown as needed. */
ctr_event *ctr__emit_queued(ctr_reader *r, char *owned)
{
    if (r->pend_count == r->pend_cap) {
        uint32_t cap = r->pend_cap ? r->pend_cap * 2 : 64;
        rpending *q = malloc(cap * sizeof *q);
        if (!q) {
            free(owned);
            r->final_rc = CT_ENOMEM;
            static ctr_event sink;
            return &sink;
        }
        for (uint32_t i = 0; i < r->pend_count; i++)
            q[i] = r->pending[(r->pend_head + i) & (r->pend_cap - 1)];
        free(r->pending);
        r->pending = q;
        r->pend_head = 0;
        r->pend_cap = cap;
    }
    rpending *slot = &r->pending[(r->pend_head + r->pend_count++) & (r->pend_cap - 1)];
    slot->owned = owned;
    return &slot->ev;
}

void ctr__warn(ctr_reader *r, uint64_t ts, const rthread *t, const char *fmt, ...)
{
    char *text = malloc(512);
    if (!text)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, 512, fmt, ap);
    va_end(ap);
    ctr_event *ev = emit(r, CTR_WARNING, text);
    ev->ts_ns = ts;
    ev->message = text;
    ev->message_len = n < 0 ? 0 : (size_t)(n < 512 ? n : 511);
    if (t) {
        ev->process = t->proc;
        ev->pid = r->procs[t->proc].pid;
        ev->tid = t->tid;
    }
}

/* ---- regions ----------------------------------------------------------------- */

void ctr__close_regions(ctr_reader *r, rthread *t, uint64_t task, uint64_t end_ns,
                          const char *why)
{
    uint32_t keep = 0;
    for (uint32_t i = 0; i < t->depth; i++) {
        ropen *o = &t->stack[i];
        if (task && o->task != task) {
            t->stack[keep++] = *o;
            continue;
        }
        emit_region(r, t, o, end_ns < o->begin_ns ? o->begin_ns : end_ns, CTR_F_UNENDED);
        ctr__warn(r, end_ns, t, "region \"%.*s\" begun at %.3f ms on thread %d was never ended; "
             "closed at %s", (int)o->name_len, o->name, (double)o->begin_ns / 1e6,
             t->tid, why);
    }
    t->depth = keep;
}

ropen *ctr__stack_push(rthread *t)
{
    if (t->depth == t->cap) {
        if (t->cap >= MAX_DEPTH)
            return NULL;
        uint32_t cap = t->cap ? t->cap * 2 : 16;
        ropen *s = realloc(t->stack, cap * sizeof *s);
        if (!s)
            return NULL;
        t->stack = s;
        t->cap = cap;
    }
    return &t->stack[t->depth++];
}

/* End region `serial` of thread t (the one it began on). */
void ctr__end_region(ctr_reader *r, rthread *t, uint64_t serial, uint64_t end_ns,
                       uint32_t flags, const rthread *ender)
{
    for (uint32_t i = t->depth; i-- > 0;) {
        ropen *o = &t->stack[i];
        if (o->serial != serial)
            continue;
        if (i + 1 != t->depth)
            flags |= CTR_F_OUT_OF_ORDER;
        emit_region(r, t, o, end_ns, flags);
        if (flags & CTR_F_OUT_OF_ORDER)
            ctr__warn(r, end_ns, ender, "region \"%.*s\" begun at %.3f ms on thread %d ended out "
                 "of order (regions nest LIFO)", (int)o->name_len, o->name,
                 (double)o->begin_ns / 1e6, t->tid);
        if (flags & CTR_F_OTHER_THREAD)
            ctr__warn(r, end_ns, ender, "region \"%.*s\" begun at %.3f ms on thread %d was ended "
                 "on thread %d", (int)o->name_len, o->name,
                 (double)o->begin_ns / 1e6, t->tid, ender->tid);
        memmove(o, o + 1, (t->depth - i - 1) * sizeof *o);
        t->depth--;
        return;
    }
    ctr__warn(r, end_ns, ender, "a region of thread %d was ended but is not open "
         "(ended twice, or begun before the trace)", t->tid);
}

/* ---- processes ---------------------------------------------------------------- */

void ctr__process_end(ctr_reader *r, uint32_t proc, uint64_t how, uint64_t code,
                        uint64_t dropped)
{
    rproc *p = &r->procs[proc];
    uint64_t end = p->last_ns;
    for (uint32_t i = 0; i < r->threads_cap; i++) {
        rthread *t = &r->threads[i];
        if (t->used && t->proc == proc && t->depth)
            ctr__close_regions(r, t, 0, end, "the end of its process");
    }
    for (uint32_t i = 0; i < r->tasks_cap; i++) {
        rtask *k = &r->tasks[i];
        if (!k->id || k->id == TASK_TOMB || k->proc != proc)
            continue;
        ctr_event *ev = emit(r, CTR_TASK_END, k->name);
        ev->process = proc;
        ev->pid = p->pid;
        ev->ts_ns = end;
        ev->begin_ns = k->begin_ns;
        ev->task = k->id;
        ev->task_kind = k->kind;
        ev->name = k->name;
        ev->name_len = k->name_len;
        ev->flags = CTR_F_UNENDED;
        ctr__task_remove(r, k);
    }
    ctr_event *ev = emit(r, CTR_PROCESS_END, NULL);
    ev->process = proc;
    ev->pid = p->pid;
    ev->ts_ns = end;
    ev->count = dropped;
    if (how == CT_EXIT_SIGNAL) {
        ev->flags = CTR_F_SIGNALED;
        ev->exit_code = -(int64_t)code;
    } else if (how == CT_EXIT_CODE) {
        ev->exit_code = (int64_t)code;
    } else if (how != CT_EXIT_STOPPED) {
        ev->flags = CTR_F_UNKNOWN_EXIT;
    }
    p->ended = 1;
}

void ctr__close_everything(ctr_reader *r)
{
    for (uint32_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].used && !r->procs[i].ended)
            ctr__process_end(r, i, CT_EXIT_UNKNOWN, 0, 0);
}

