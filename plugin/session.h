/*
 * session.h - the process's one tracer session.
 *
 * A session is either owned by a runner (the pool is shared memory handed
 * down in CTRACE_POOL_FD, attached before main) or by ct_start() (a private
 * pool drained by a thread of this process into the trace file).
 */
#ifndef CT_PLUGIN_SESSION_H
#define CT_PLUGIN_SESSION_H

#include <stdint.h>

#include <ctrace.h>

#include "common/shard.h"
#include "format/pool.h"

enum ct__session_mode { CT_SESSION_NONE = 0, CT_SESSION_RUNNER = 1, CT_SESSION_SELF = 2 };

extern int ct__session_mode;
extern int ct__markers; /* print test markers for the runner (CTRACE_MARKERS) */
extern char ct__marker_nonce[]; /* the runner's nonce, in every marker */
extern unsigned long ct__run_count;  /* CTRACE_COUNT: runs of each selected test (1) */
extern unsigned long ct__run_resume; /* CTRACE_RESUME: selected runs to skip (0) */
/* CTRACE_RUN / CTRACE_SKIP: taken from the environment by the runner's
 * tracer (programs a test starts do not see them), else read from it. */
extern const char *ct__run_filter, *ct__skip_filter;
/* CTRACE_SHARD: the shard of the tests to run (common/shard.h); n 0: all. */
extern ct_shard ct__run_shard;
extern const char *ct__run_list; /* CTRACE_LIST: list the tests matching it, run none */
extern int ct__run_failfast;     /* CTRACE_FAILFAST: no test after the first failure */
extern int ct__run_shuffled;     /* CTRACE_SHUFFLE given: tests in the seed's order */
extern int64_t ct__run_shuffle_seed;

/* Begin recording into `pool` with its clock. */
void ct__session_begin(ct_pool_header *pool, int mode);

/* A cmocka group is about to run in a process that left the runner's pool
 * at its start, for no module of it linked cmocka (plugin/test_program.c):
 * a driver that loaded its suites with dlopen. It takes the pool now, if
 * the pool is still its to take. */
void ct__session_attach_late(void);

/* Whether another copy of libctrace in this process traces (a binary that
 * links libctrace statically, run with the shared one preloaded). */
int ct__other_copy_traces(void);

/* Stop recording: later events are not recorded, threads re-attach in the
 * next session. The pool stays mapped (a late writer must never fault). */
void ct__session_end(void);

/* Next task id of this process. */
uint64_t ct__task_id_next(void);
/* The last task id given (a forked child inherits the ids up to it). */
uint64_t ct__task_id_last(void);

#endif /* CT_PLUGIN_SESSION_H */
