/*
 * output.h - print a test binary's run the way `go test` prints a package.
 *
 * The bytes the child writes (stdout and stderr on one pipe, in order) are
 * fed in as they come. Marker lines (marker.h) split them into tests; they
 * are never shown. With verbose (-v) everything is streamed:
 *
 *     === RUN   TestPipeline
 *     ...what the test printed...
 *     --- PASS: TestPipeline (0.03s)
 *
 * Without it, a test's output is held back and shown, indented under
 * "--- FAIL: NAME (0.03s)", only if the test fails; output outside any test
 * is shown only if the run fails. cmocka's own framing lines are dropped
 * (filter.h). The run ends with "PASS"/"FAIL" and go's final line:
 *
 *     ok  \tBINARY\t0.045s\ttrace: FILE
 *
 * Test output is passed through byte for byte (it may be any encoding);
 * test names, which come from the child, are escaped (marker.h).
 */
#ifndef RN_OUTPUT_H
#define RN_OUTPUT_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

#include <ctrace_collect.h> /* ct_child_progress */

/* Lines longer than this are passed through in pieces. */
#define RN_LINE_MAX ((size_t)64 << 10)

typedef struct rn_out rn_out;

/*! rn_out_new() : print one binary's run to `out`, warnings to `err`.
 *  `buf_limit`: bytes of held-back output kept per buffer (0: default, see
 *  buf.h). @return NULL when out of memory. */
rn_out *rn_out_new(FILE *out, FILE *err, int verbose, size_t buf_limit);

/*! rn_out_feed() : `len` bytes the child wrote, at `now_ns` (a monotonic
 *  clock, used to time a test that never ends). Lines may be cut anywhere. */
void rn_out_feed(rn_out *o, const char *data, size_t len, uint64_t now_ns);

/* How the child's run ended. */
typedef struct rn_exit_info {
    const char *binary;  /* as the user wrote it, for the final line */
    const char *trace;   /* trace file for the final line; NULL: "none" */
    uint64_t elapsed_ns; /* wall time of the run */
    uint64_t now_ns;     /* the rn_out_feed() clock, now */
    int wait_status;     /* as from waitpid() */
    const char *note;    /* a line to add before the final line, or NULL */
    const char *no_preload; /* why libctrace.so was not preloaded, or NULL */
    const char *shard;   /* --shard K/N, or NULL: a binary that ran no test says so */
} rn_exit_info;

/* Exit status of a binary that skips itself (automake, meson), before any
 * cmocka group ran. */
#define RN_EXIT_SKIPPED 77

/*! rn_out_finish() : the child is gone and its output read: print what is
 *  left, "PASS"/"FAIL", how the child ended if it did not exit 0 ("binary
 *  exited with status 3", "binary died of a signal: segmentation fault
 *  (core dumped)"), and the final
 *  line ("ok", "FAIL" or "SKIP"). A binary in which no cmocka group ran (no
 *  marker came) fails, with a line saying why and what to do, unless it
 *  exited 77 without running any cmocka test: it skipped itself.
 *  @return 0 if every test that ran passed or skipped and the child exited
 *  0; RN_EXIT_SKIPPED if it skipped itself; else 1. */
int rn_out_finish(rn_out *o, const rn_exit_info *info);

/*! rn_out_process_died() : one process of the binary ended (wait_status)
 *  and its output is read; `timeout_ns` > 0 when the runner killed it for
 *  running past its deadline; it had been started with CTRACE_RESUME =
 *  `resumed_at`. A test it was running fails (crash, or timeout), with how
 *  the process ended under it; a signal or timeout outside tests (a group
 *  fixture, between groups) fails the run with a line saying so.
 *  @return 1 with *resume set when the binary should be started again with
 *  CTRACE_RESUME = *resume (always past `resumed_at`: every restart makes
 *  progress), 0 when it is done. */
int rn_out_process_died(rn_out *o, int wait_status, uint64_t timeout_ns, uint64_t now_ns,
                        uint64_t resumed_at, uint64_t *resume);

/*! rn_out_timed_out() : the process rn_out_process_died() is told of next
 *  was killed for time: `why` (NULL: "test timed out after DUR: killed")
 *  is the line said of it, and `stacks` (NULL: none) follows that line,
 *  under the test it was running (so in -v output, --json output events,
 *  and the JUnit failure): its threads' stacks (stacks_text.h). Copied. */
void rn_out_timed_out(rn_out *o, const char *why, const char *stacks, size_t stacks_len);

/*! rn_out_unaccounted() : whether the markers did not tell all that the
 *  process that just ended ran (call it before rn_out_process_died()): the
 *  test and fixture begin and end markers read from it are not those its
 *  tracer `counted` as it printed them (it closed or redirected its stdout).
 *  Then the trace tells (rn_out_from_trace()). */
int rn_out_unaccounted(const rn_out *o, const ct_child_progress *counted);

/*! rn_out_from_trace() : complete what the markers said of process `pid`
 *  (started with CTRACE_RESUME = `resumed_at`, ended at `now_ns`) with what
 *  its trace says (recover.h): the test the markers left running gets the
 *  trace's status if it ended; each test after it that the markers never
 *  told of is reported as the trace has it (its duration, its status and
 *  message; a group setup or teardown that failed as a test, as markers do).
 *  A test the process died in is left running, for rn_out_process_died().
 *  If a group's setup failed among them, the ordinal to resume at is not
 *  known: rn_out_process_died() then does not go on. rn_out_finish() warns
 *  that the output was lost, where, and how many results came from the
 *  trace. */
struct rn_traced;
void rn_out_from_trace(rn_out *o, uint64_t pid, const struct rn_traced *t, uint64_t resumed_at,
                       uint64_t now_ns);

/*! rn_out_progress_ns() : when the last marker came (a test began or
 *  ended), 0 if none has: a timeout counts from there. */
uint64_t rn_out_progress_ns(const rn_out *o);

/* What shows progress without -v. */
typedef enum rn_progress {
    RN_PROGRESS_NONE = 0, /* go test: passing tests print nothing */
    RN_PROGRESS_LINES,    /* a "--- PASS: name (0.01s)" line per test (not a terminal) */
    RN_PROGRESS_COUNTER,  /* a live "[12/340] name" line, redrawn (a terminal) */
} rn_progress;

/*! rn_out_progress() : see rn_progress. The counter's total is what the
 *  groups run so far announced (a group announces its tests as it starts). */
void rn_out_progress(rn_out *o, rn_progress progress);

/*! rn_out_json() : print go test -json's event stream instead of text:
 *  one JSON object a line, {"Time","Action","Package","Test","Elapsed",
 *  "Output"}, Action start, run, output, pass, fail, skip; what -v prints
 *  becomes "output" events of the test it belongs to. `package` (the binary
 *  as given) must outlive o. */
void rn_out_json(rn_out *o, const char *package);

/* One event of that stream, as rn_out_events() hands it over. */
typedef struct rn_out_event {
    const char *action;  /* "start", "run", "output", "pass", "fail", "skip" */
    const char *package; /* the binary as given */
    const char *test;    /* decoded name (any bytes), or NULL: the binary's own */
    size_t test_len;
    double elapsed;      /* seconds, or < 0: none */
    const char *output;  /* "output": a line with its '\n', or a piece of one */
    size_t output_len;
} rn_out_event;

typedef void rn_out_event_fn(void *ctx, const rn_out_event *e);

/*! rn_out_events() : as rn_out_json(), but each event goes to `fn` instead
 *  of being printed (--format=tap writes its own lines from them). */
void rn_out_events(rn_out *o, const char *package, rn_out_event_fn *fn, void *ctx);

/*! rn_out_process_lost() : a process of the binary ended having lost
 *  `events` in all (ct_child_progress.events_lost: in tests or out of them,
 *  told by a test's marker or not). The binary's last line says the total. */
void rn_out_process_lost(rn_out *o, uint64_t events);

/*! rn_out_keep_results() : add each finished test to `results` (with the
 *  output of those that failed), as binary number `binary` of the run. */
struct rn_results;
void rn_out_keep_results(rn_out *o, struct rn_results *results, size_t binary);

/* A test that failed, as the run saw it: what its attachment is made of. */
typedef struct rn_failed_test {
    uint64_t pid, task;       /* its process and its task there (markers); never 0 */
    const char *name, *group; /* decoded: any bytes */
    size_t name_len, group_len;
} rn_failed_test;

/* The trace attached to a failed test. */
typedef struct rn_attachment {
    char *path;     /* malloc'd absolute path, or NULL: none was written */
    char note[400]; /* what it lacks or why there is none, or "" */
} rn_attachment;

typedef void rn_attach_fn(void *ctx, const rn_failed_test *t, rn_attachment *out);

/*! rn_out_on_failure() : call `fn` for each test that fails, crashes or
 *  times out (and whose task is known) as its result comes: the path it
 *  gives is printed under the test's "--- FAIL" line ("    attachment:
 *  PATH", then its note; with --json, output events of the test) and kept
 *  in its result for --junit. */
void rn_out_on_failure(rn_out *o, rn_attach_fn *fn, void *ctx);

/*! rn_out_watch_rules() : tell `judged` (judged.h; NULL: nobody) each test
 *  that begins and how far the --assert rules got (rules markers). */
struct rn_judged;
void rn_out_watch_rules(rn_out *o, struct rn_judged *judged);

/* What the run counted so far. `untraced`: cmocka ran tests but no marker
 * came (the binary runs them without the tracer: it fails). */
typedef struct rn_out_counts {
    unsigned run, passed, failed, skipped;
    int untraced;
} rn_out_counts;
void rn_out_get_counts(const rn_out *o, rn_out_counts *c);

/*! rn_wait_status_text() : "exit status 3", "signal: killed", "signal:
 *  segmentation fault (core dumped)"; "" for a clean exit 0. */
void rn_wait_status_text(int wait_status, char *buf, size_t size);

/*! rn_out_lines() : lines of the binary's own (each ending in '\n'), not of
 *  a test: printed now, on a line of their own; in --json, output events of
 *  the binary. */
void rn_out_lines(rn_out *o, const char *lines);

/*! rn_out_gate_table() : --baseline: the gate's table for this binary
 *  (lines, each ending in '\n'), after its processes ended and before
 *  rn_out_finish(). In --json, output events of the binary. */
void rn_out_gate_table(rn_out *o, const char *table);

/*! rn_out_gate_failed() : the gate failed test `name` (its latency
 *  regressed): "--- FAIL: NAME (gate)" and `why` under it (in --json,
 *  output events of the test), the binary fails, and its last run's result
 *  (for --junit) says `report`. */
void rn_out_gate_failed(rn_out *o, const char *name, size_t len, const char *why,
                        const char *report);

void rn_out_free(rn_out *o);

#endif /* RN_OUTPUT_H */
