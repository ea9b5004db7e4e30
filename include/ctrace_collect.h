/*
 * ctrace_collect.h - own the tracer of child processes and write their trace.
 *
 * This is what ctest-trace uses to run test binaries traced; it is public so
 * other runners can do the same. The collector gives each child a shared
 * memory pool (an inherited file descriptor named in the child's environment).
 * The child's tracer writes events straight into the pool; the collector
 * drains the pool into the trace file. A child killed by any signal loses no
 * event it had finished writing: the memory is the collector's, and the
 * collector, not the dying child, finishes the file.
 *
 * Typical use:
 *     ct_collector *c; ct_collector_open(&c, "trace.out", 0);
 *     ct_child_pool *p; ct_collector_pool(c, &p, env, sizeof env);
 *     pid = fork(); in the child: putenv(env); ct_child_pool_inherit(p); exec...
 *     ct_collector_child_started(c, p, pid, path);
 *     while (running) { wait a little; ct_collector_drain(c, p); }
 *     ct_collector_child_reaped(c, p);   (its end time)
 *     while (ct_collector_children_running(c, p) && not too long) drain, wait;
 *     ct_collector_child_exited(c, p, wait_status);
 *     ct_collector_close(c);   (puts "trace.out" in place)
 * The processes the child's tests start (fork, exec) trace into its pool
 * and are processes of the trace of their own (CT_ENV_FOLLOW_CHILDREN).
 */
#ifndef CTRACE_COLLECT_H
#define CTRACE_COLLECT_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include <ctrace.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_collector ct_collector;
typedef struct ct_child_pool ct_child_pool;

/* Environment variables read by the tracer inside a child. */
#define CT_ENV_POOL_FD "CTRACE_POOL_FD" /* set by ct_collector_pool() */
#define CT_ENV_RUN "CTRACE_RUN"         /* -run: POSIX extended regex */
#define CT_ENV_SKIP "CTRACE_SKIP"       /* -skip: POSIX extended regex */
#define CT_ENV_MARKERS "CTRACE_MARKERS" /* NONCE: print test markers on stdout */
#define CT_ENV_COUNT "CTRACE_COUNT"     /* -count N: run each selected test N times */
/* --shard=K/N: of the tests -run and -skip select, run those whose name's
 * 64-bit FNV-1a hash mod N is K-1 (1 <= K <= N), so that N processes that
 * never talk split a suite disjointly, and a test keeps its shard as others
 * are added. Set by hand without a runner it still applies; a malformed
 * value is ignored with a warning on stderr. */
#define CT_ENV_SHARD "CTRACE_SHARD"
/* --assert rules for the tracer to check in each test it runs (as
 * ct_expect_* checks, when the test body returns): one rule a line, '\n'
 * between them, in the syntax of the runner's --assert. */
#define CT_ENV_ASSERT "CTRACE_ASSERT"
/* -list REGEX: run no test, fixture or group setup; announce each group's
 * tests whose name matches the POSIX extended REGEX (unanchored) with a list
 * marker (below), and return from the group runner, so the binary goes on to
 * its next group. -run, -skip and the shard do not apply, as with go test's
 * -list. */
#define CT_ENV_LIST "CTRACE_LIST"
/* -failfast: "1" starts no test, and no group, after the first that ends
 * fail, error or crash in the process (a group fixture that fails counts):
 * the tests left in its group do nothing and are not reported; the group's
 * teardown still runs. */
#define CT_ENV_FAILFAST "CTRACE_FAILFAST"
/* -shuffle=N: SEED (a decimal int64) runs each group's selected tests in an
 * order drawn from it (common/shuffle.h: SplitMix64, Fisher-Yates, one
 * generator for the process, drawn once per group in the order groups run),
 * the same order in every round of CTRACE_COUNT; ordinals (CTRACE_RESUME)
 * count in that order. */
#define CT_ENV_SHUFFLE "CTRACE_SHUFFLE"
/* Resume a binary whose process died in a test: N > 0 skips the first N
 * test runs selected (counted over every group, in order, repeats of
 * -count included), so the new process goes on after the one that died. */
#define CT_ENV_RESUME "CTRACE_RESUME"
/* --follow-children=off: "off" leaves the processes a test starts (fork,
 * exec, posix_spawn) untraced; by default each is a process of the trace,
 * under the task that started it (format/FORMAT.md, *Processes a test
 * starts*). Kept in the environment: a program started by one that is not
 * followed is not followed either. */
#define CT_ENV_FOLLOW_CHILDREN "CTRACE_FOLLOW_CHILDREN"
/* Set by the tracer of a process under a collector, for the programs its
 * tests start: a path to open its pool by (/proc/PID/fd/FD). A program
 * carrying libctrace attaches through it as a process of the trace. */
#define CT_ENV_CHILD_POOL "CTRACE_CHILD_POOL"
/* What a traced thread does when its pool has no free chunk, for a process
 * that traces itself (ct_start): "wait" (the default) until the drain thread
 * frees one, so no event is lost; "drop" never blocks, and loses and counts
 * events instead. A collector sets this in the pool (ct_collector_set_overflow). */
#define CT_ENV_OVERFLOW "CTRACE_OVERFLOW"
/* [ext] --cpu-hz=N: CPU samples taken a second of each traced thread's CPU
 * time (a timer of the thread's own CPU time sending it SIGPROF; format
 * CPU_SAMPLE), 0 to CT_CPU_HZ_MAX; 0 takes none. Unset: CT_CPU_HZ_DEFAULT.
 * Read at each session's start, ct_start() too; a bad value is said on
 * stderr and the default used. A program that handles SIGPROF itself is
 * left alone: none of its threads is sampled. */
#define CT_ENV_CPU_HZ "CTRACE_CPU_HZ"
#define CT_CPU_HZ_DEFAULT 100
#define CT_CPU_HZ_MAX 10000

/* ADDR: serve live captures there from before main, as ct_serve(ADDR)
 * (ctrace.h); read by the library's constructor and removed. */
#define CT_ENV_HTTP "CTRACE_HTTP"

/* A marker line printed by the child's tracer on stdout when CTRACE_MARKERS
 * holds a nonce (1 to 32 lowercase hex digits, chosen at random by the
 * runner, so that no test output can pass for a marker), in order with what
 * the test prints:
 *     "\036CTRACE NONCE run NAME PID TASK GROUP ORDINAL\n"
 *     "\036CTRACE NONCE end STATUS ELAPSED_NS NAME PID TASK GROUP\n"
 *     "\036CTRACE NONCE plan COUNT GROUP END\n"  (a group is about to run COUNT tests)
 *     "\036CTRACE NONCE fixture begin|end NAME\n"  (a group's setup or teardown)
 *     "\036CTRACE NONCE rules STATES\n"  (how far each CTRACE_ASSERT rule got)
 *     "\036CTRACE NONCE lost COUNT\n"  (events lost while the test ran)
 *     "\036CTRACE NONCE list NAME GROUP\n"  (CTRACE_LIST: a test that matches)
 * A test's end marker may be held back until the next marker or until
 * cmocka prints, so that the two go out in one write; nothing the test
 * printed comes after it.
 * STATUS: pass fail skip error crash. NAME and GROUP are percent-encoded:
 * bytes <= 0x20, '%' and >= 0x7f become %XX. PID is the process's, TASK the
 * id of the test's task in its trace (per process, as in TASK_BEGIN).
 * ORDINAL numbers the selected test runs of the process over all its groups
 * from 0 (what CTRACE_RESUME counts); END is the ordinal after a group's
 * last run. STATES has a byte for each line of CTRACE_ASSERT, in order:
 * '-' the rule applied to no test that returned from its body, '0' it
 * applied to some but none finished a region or task of its NAME, '1' it
 * judged a test. They are the process's so far, sent after a test's end
 * marker when a rule got further; of several processes, the greatest byte
 * holds. A lost marker comes before the end marker of a test during which
 * the process lost COUNT > 0 events (every thread's; --overflow=drop, or a
 * signal handler that found its thread inside the tracer). The tracer removes CTRACE_MARKERS from its environment, so
 * programs a test starts print none. Under the runner the tracer also makes
 * stdout line-buffered, as on a terminal, so output keeps its order and a
 * crash loses at most a partial line. */
#define CT_MARKER_PREFIX "\036CTRACE "
#define CT_MARKER_NONCE_MAX 32

/*! ct_collector_open() : start the trace file `path`. It is written beside
 *  `path`, as `path`.partial (created anew), and renamed over `path` by
 *  ct_collector_close() only once complete: a collector that dies (its
 *  process killed) or fails to write (a full disk) leaves `path` as it was,
 *  and what it wrote in `path`.partial, readable up to where it stopped. A
 *  symbolic link is followed, and its last target replaced the same way
 *  (TARGET.partial beside it; the link stays). A FIFO or a device (/dev/null,
 *  /dev/stdout) is written directly, nothing replaced.
 *  `pool_bytes` is each child's shared pool size (0: 64 MiB; address space
 *  only, pages are used as events are written).
 *  @return 0, CT_EINVAL, CT_EIO (errno tells), CT_ENOMEM. */
CT_API int ct_collector_open(ct_collector **out, const char *path,
                             size_t pool_bytes);

/* The smallest window of a flight recorder (ct_collector_open_flight()). */
#define CT_WINDOW_MIN_BYTES (64u << 10)

/*! ct_collector_open_flight() : a flight recorder: a collector that keeps
 *  only the most recent `window_bytes` of each child's events in memory (its
 *  window: the events as drained from its pool, and 40 bytes a batch of
 *  them), and writes no trace of everything. What the window's events need
 *  to be read alone (their threads' names and stacks, the tasks and regions
 *  still open, the modules) is kept besides: it grows with threads, distinct
 *  names and what is open, never with events. A trace of a window is
 *  written on demand (ct_collector_window_write(), as a test fails) and,
 *  when `path` is not NULL, each child's last window goes there as it ends
 *  (the file put in place by ct_collector_close(), as with
 *  ct_collector_open()). `pool_bytes` 0 makes each pool twice the window,
 *  from 4 MiB to 64 MiB, and a freed chunk's pages go back to the system:
 *  the collector's memory holds windows, not pools. A window holds one
 *  process: the events of processes the child's tests start are dropped
 *  (give the child CTRACE_FOLLOW_CHILDREN=off, as ctest-trace does).
 *  @return 0, CT_EINVAL (window_bytes below CT_WINDOW_MIN_BYTES), CT_EIO
 *  (errno tells), CT_ENOMEM. */
CT_API int ct_collector_open_flight(ct_collector **out, const char *path, size_t pool_bytes,
                                    size_t window_bytes);

/* The bytes the traces of failed tests waiting to be asked for
 * (ct_collector_window_write()) may take, with windows of `window` bytes:
 * four windows, and 4 MiB at least. */
#define CT_WINDOW_WAITING_BYTES(window) \
    ((size_t)(window) < (1u << 20) ? (size_t)4u << 20 : 4 * (size_t)(window))

/* What a trace written from a window holds of its task. */
typedef struct ct_window_info {
    int found;           /* the task's begin was in the window, or still open
                            when the window's start was cut; if not, the
                            trace holds none of the process's events */
    int task_cut;        /* events of its process after it began were cut:
                            the trace holds its begin and later events only */
    uint64_t cut_events; /* events of the process not in the trace: before
                            the task began, or the window */
    uint64_t task_ns;    /* how long the task ran (to its end, or its
                            process's, or now) */
    uint64_t kept_ns;    /* how much of that the trace holds every event of
                            its threads (those with events of it) for
                            (task_ns unless cut) */
    int not_kept;        /* (not found) its trace was written as it ended but
                            not kept: the traces waiting to be asked for took
                            their budget */
} ct_window_info;

/*! ct_collector_window_write() : write a trace of the window of child
 *  `pid` (running: drained first; or the child that ended last; its pid as
 *  started, or the pid its markers give, the process that ran its tests) to
 *  `path`,
 *  replaced whole (written beside, renamed): with `task` (an id as the
 *  child's markers and trace number it), the child's events from the task's
 *  begin to its end (to its process's end if it never ended), what came
 *  before cut (format/FORMAT.md, *Windows*); with 0, the whole window.
 *  A test or fixture whose status said it failed has its trace written as
 *  its end comes in (drained), before the window moves past its begin: the
 *  child runs on while its runner reads its output, and this then gives
 *  that trace (kept in memory until asked for, while those waiting take at
 *  most CT_WINDOW_WAITING_BYTES()). A task that is neither kept so nor begun in the
 *  window gets a trace of its process with none of its events (info->found
 *  0), never the window's other tasks.
 *  `info` (may be NULL) says what the trace holds of the task.
 *  @return 0, CT_EINVAL (no such child, or not a flight recorder), CT_EIO
 *  (errno tells), CT_ENOMEM. */
CT_API int ct_collector_window_write(ct_collector *c, int pid, uint64_t task, const char *path,
                                     ct_window_info *info);

/*! ct_collector_window_write_fd() : the same, written to `fd` (from where it
 *  is, then closed, whatever happens). */
CT_API int ct_collector_window_write_fd(ct_collector *c, int pid, uint64_t task, int fd,
                                        ct_window_info *info);

/* What a child's thread does when its pool has no free chunk. */
#define CT_OVERFLOW_WAIT 0 /* wait until the collector drains: nothing is lost (default) */
#define CT_OVERFLOW_DROP 1 /* never block: lose events, count them exactly */

/*! ct_collector_set_overflow() : CT_OVERFLOW_WAIT or CT_OVERFLOW_DROP for
 *  the pools made from now on. In wait mode a child's thread that finds no
 *  free chunk sleeps until the collector frees one: drain often, and at once
 *  while ct_collector_child_waiting() says threads wait. A waiting thread
 *  stops tracing its process (saying so on stderr) when the collector's
 *  process no longer exists (or is a zombie); it drops events (counted)
 *  rather than wait forever when no chunk came free for 100 ms and two
 *  drain passes: threads of its process hold every chunk.
 *  @return 0 or CT_EINVAL. */
CT_API int ct_collector_set_overflow(ct_collector *c, int mode);

/*! ct_collector_set_context() : record the run's W3C trace context (its
 *  TRACEPARENT, and TRACESTATE or NULL, as checked by the caller) in the
 *  trace, and in each trace of a window a flight recorder writes: a
 *  TRACE_CONTEXT record (format 1.7), which the OTLP export hangs the
 *  run's spans under. Call it once, before any child starts.
 *  @return 0, CT_EINVAL (already set, or NULL), CT_ENOMEM, CT_EIO. */
CT_API int ct_collector_set_context(ct_collector *c, const char *traceparent,
                                    const char *tracestate);

/*! ct_collector_path() : the file being written: `path`.partial (or the
 *  link's target's), or the FIFO or device itself; NULL for a flight
 *  recorder that writes no trace. A reader may open it to
 *  read what was drained so far (each drain ends with a flush; it ends
 *  without the trace's last record: readers report it cut short there). */
CT_API const char *ct_collector_path(const ct_collector *c);

/*! ct_collector_pool() : make a pool for one child process. Writes into `env`
 *  the assignment "CTRACE_POOL_FD=<fd>" to put in the child's environment.
 *  The fd is close-on-exec, so other children never get it: in the child,
 *  between fork and exec, call ct_child_pool_inherit(). The parent closes its
 *  copy in ct_collector_child_started().
 *  @return 0, CT_ENOMEM, CT_ESYSTEM (memfd/mmap failed; errno tells). */
CT_API int ct_collector_pool(ct_collector *c, ct_child_pool **out, char *env,
                             size_t env_size);

/*! ct_child_pool_inherit() : in the forked child, before exec: let the exec'd
 *  program inherit the pool fd. Async-signal-safe. @return 0 or CT_ESYSTEM. */
CT_API int ct_child_pool_inherit(const ct_child_pool *p);

/*! ct_collector_child_started() : the child exists; close the parent's copy
 *  of the fd and remember `pid`. The trace's process is the one that takes
 *  the pool: the child, or a program the child (a wrapper: env, sh -c) ran;
 *  its pid and executable are then that program's (tests_pid of
 *  ct_child_progress). */
CT_API void ct_collector_child_started(ct_collector *c, ct_child_pool *p,
                                       int pid, const char *exe_path);

/*! ct_collector_drain() : move what the child has written so far into the
 *  trace file. Call it every few milliseconds while the child runs.
 *  @return 0 or CT_EIO. */
CT_API int ct_collector_drain(ct_collector *c, ct_child_pool *p);

/*! ct_collector_child_waiting() : 1 when threads of the child wait for
 *  room in its pool (wait mode) and draining frees some (chunks were freed
 *  since the last call): call ct_collector_drain() again without sleeping.
 *  0 otherwise: drain at the usual pace. */
CT_API int ct_collector_child_waiting(const ct_collector *c, ct_child_pool *p);

/* How far a child got through its tests, as its tracer counted them while
 * printing their markers (a test that closed its stdout cannot lose these). */
typedef struct ct_child_progress {
    uint32_t tests_begun, tests_ended;       /* test runs */
    uint32_t fixtures_begun, fixtures_ended; /* group setups and teardowns */
    uint64_t progress_mono_ns; /* CLOCK_MONOTONIC_COARSE of the last of those (up to a
                                  timer tick behind); 0: none */
    uint64_t events_lost;      /* events it lost in all (every thread, in or out of tests) */
    /* Before killing it for time, a runner may ask each of its threads for
     * its stack: it sends each (tgkill) `stack_signal`, the signal its
     * tracer takes as that request (0: none, do not send), and each thread
     * that took it writes a THREAD_STACK event (format/FORMAT.md) into the
     * trace and counts itself in `stacks_answered` (written or not: a thread
     * inside the tracer cannot). Signals from other processes are ignored. */
    int stack_signal;
    uint32_t stacks_answered;
    /* The process that runs its tests, once it attached (0: none yet): the
     * child, or a program that a wrapper the child is (env, sh -c) exec'd
     * in its place or started. Stacks are asked of it, and a kill is for it
     * too. */
    int tests_pid;
} ct_child_progress;

/*! ct_collector_child_progress() : the child's progress so far (valid until
 *  ct_collector_child_exited(); after its death, final). */
CT_API void ct_collector_child_progress(const ct_collector *c, const ct_child_pool *p,
                                        ct_child_progress *out);

/*! ct_collector_child_timed_out() : the caller is killing the child with
 *  SIGKILL for running longer than `limit_ns`: its end is recorded as a
 *  timeout, and a test it was running gets status timeout. */
CT_API void ct_collector_child_timed_out(ct_collector *c, ct_child_pool *p,
                                         uint64_t limit_ns);

/*! ct_collector_children_running() : how many processes the child's tests
 *  started (traced into its pool as processes of their own, unless
 *  CTRACE_FOLLOW_CHILDREN=off) still run. Once the child exited, a caller
 *  that wants their last events calls ct_collector_child_reaped(), drains
 *  while this says some run, for a bounded time (ctest-trace: 1 s), then
 *  calls ct_collector_child_exited(). Always 0 for a flight recorder (a
 *  window holds one process). */
CT_API int ct_collector_children_running(const ct_collector *c, ct_child_pool *p);

/*! ct_collector_child_reaped() : the child ended now (waitpid said so); the
 *  trace ends it at this time, though ct_collector_child_exited() comes
 *  later (after draining for the processes its tests started). */
CT_API void ct_collector_child_reaped(ct_collector *c, ct_child_pool *p);

/*! ct_collector_child_exited() : the child is gone (`wait_status` as from
 *  waitpid): drain everything it wrote, record how it ended, free the pool.
 *  The processes its tests started end in the trace too: how they ended,
 *  if their parent waited for them, else unknown; those still running as
 *  such (PROCESS_END how 6): they run on untraced.
 *  @return 0 or CT_EIO. */
CT_API int ct_collector_child_exited(ct_collector *c, ct_child_pool *p,
                                     int wait_status);

/*! ct_collector_close() : finish the trace file and put it in place (rename
 *  `path`.partial over `path`), and free the collector (NULL is ignored).
 *  After a failed write `path` is left as it was and the partial file is
 *  kept, readable up to the failure. @return 0, or CT_EIO (errno tells, e.g.
 *  ENOSPC; also when a write had failed before). */
CT_API int ct_collector_close(ct_collector *c);

#ifdef __cplusplus
}
#endif
#endif /* CTRACE_COLLECT_H */
