/*
 * children.h - processes a test starts, traced into its runner's pool as
 * processes of their own (format/pool.h: the process table).
 *
 * A forked child claims a slot of the table in the fork handler and goes on
 * tracing as that process: the forking thread becomes its first thread, with
 * a new serial. A program exec'd later (by that child, by posix_spawn,
 * system()) that carries libctrace (preloaded by the runner, or linked)
 * attaches before main through CTRACE_CHILD_POOL: it takes over its pid's
 * slot, or claims one under the process whose pid is its parent's.
 * A parent's wait() for a traced child notes how it ended in its slot; the
 * collector writes its PROCESS_END once it is dead.
 */
#ifndef CT_PLUGIN_CHILDREN_H
#define CT_PLUGIN_CHILDREN_H

#include <stdint.h>
#include <sys/types.h> /* pid_t */

#include "format/pool.h"

/* This process's slot in the pool's process table: 0 the pool's owner (the
 * test binary), else a process its tests started. */
extern uint32_t ct__proc_slot;

/* CTRACE_FOLLOW_CHILDREN read from the environment, and removed: 0 when
 * "off". Before main. */
void ct__children_read_env(void);

/* The owner attached to `pool`, mapped from `fd`: name itself in slot 0
 * (its pid and executable: the runner may have started a wrapper that
 * started it); keep fd (close-on-exec) and name it in CTRACE_CHILD_POOL for
 * the programs it starts, or close it when children are not followed.
 * Before main. */
void ct__children_owner(ct_pool_header *pool, int fd);

/* In a forked child (fork handler): claim a slot and trace on as that
 * process. Only async-signal-safe calls. @return 1 traced, 0 not. */
int ct__children_after_fork(ct_pool_header *pool);

/* Fork handlers: the forking thread records nothing from the prepare
 * handler (the last to run before the fork) until the parent's handler
 * (the first after), and in the child until the end of its handler, which
 * makes the tracer's state the child's own. Async-signal-safe. */
void ct__children_fork_hold(void);
void ct__children_fork_done(void);

/* Whether the calling thread is the child of a fork still under way, the
 * tracer's state its parent's (before the fork handler): an event it loses
 * is not its parent's to count. Async-signal-safe. */
int ct__children_unready(void);

/* Before main, in a program without CTRACE_POOL_FD: attach as a child
 * process if CTRACE_CHILD_POOL names a pool. @return 1 attached, 0 not. */
int ct__children_exec_attach(void);

/* A wait() of this process reaped `pid` with `status`. */
void ct__children_reaped(pid_t pid, int status);

/* The calling process's next task id, from its slot (a child's ids go on
 * after those it inherited: see ct_pool_proc.inherit). */
uint64_t ct__children_task_id_next(void);

/* The owner began test or fixture task `id`: programs started now are
 * under it. */
void ct__children_note_test(uint64_t id);

/* Where this process counts its losses and stalls: its slot (a child), or
 * NULL (the owner counts in the pool's header). */
ct_pool_proc *ct__children_self(void);

#endif /* CT_PLUGIN_CHILDREN_H */
