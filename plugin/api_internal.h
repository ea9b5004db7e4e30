/*
 * api_internal.h - what the cmocka hook and ct_start() use beyond ctrace.h.
 * Task kinds and statuses have the numbers of ctrace_reader.h.
 */
#ifndef CT_PLUGIN_API_INTERNAL_H
#define CT_PLUGIN_API_INTERNAL_H

#include <stdint.h>

enum { CT__TASK_USER = 0, CT__TASK_TEST = 1, CT__TASK_FIXTURE = 2 };
enum {
    CT__STATUS_PASS = 1,
    CT__STATUS_FAIL = 2,
    CT__STATUS_SKIP = 3,
    CT__STATUS_ERROR = 4,
    CT__STATUS_CRASH = 5,
    CT__STATUS_TIMEOUT = 6,
};

/* @return the new task's id, 0 when not tracing; *at (if `at`): the tick of
 * its TASK_BEGIN, when it has an id. */
uint64_t ct__task_begin_kind(uint64_t parent, const char *name, unsigned kind, uint64_t *at);

/* @return the tick of its TASK_END, 0 when none was written. */
uint64_t ct__task_end_id(uint64_t id);
void ct__task_status(uint64_t id, unsigned status, const char *message);
/* The window of test or fixture `task` (its assertions' window) ends: when
 * events were lost in it, say how many in a WINDOW_LOST event.
 * @return how many. */
uint64_t ct__window_lost_note(uint64_t task);
/* This thread waited (CT_BLOCK_*) since `begin_ticks` (ct__ticks()) until
 * now, on `object` (a lock's address, an fd; 0: none), called from `caller`
 * (the interposed call's return address, where its stack starts): a WAIT
 * event with the stack. */
void ct__block_end(unsigned kind, uint64_t begin_ticks, uint64_t object, uint64_t caller);
/* The same on t, the calling thread, already inside the tracer (busy): the
 * WAIT event, after the STACK and MODULE events it needs. */
struct ct__thread;
/* Enter the tracer on this thread (its `busy` set), or NULL: not tracing,
 * or already inside it (a signal handler). ct__leave() undoes it. */
struct ct__thread *ct__enter(void);
void ct__leave(struct ct__thread *t);
void ct__wait_write(struct ct__thread *t, unsigned kind, uint64_t end_ticks, uint64_t wait_ticks,
                    uint64_t object, const uint64_t *pcs, unsigned n);

#endif /* CT_PLUGIN_API_INTERNAL_H */
