/*
 * views.h - the trace views of the `ctest-trace` command (DESIGN.md §4).
 *
 * Each view reads the trace at `trace_path` as a stream through
 * ctrace_reader.h, writes its result to `out` and its messages to `err`, and
 * returns the exit status of a view:
 *   0  the trace was whole;
 *   1  the trace was damaged: what came before the damage is shown, and err
 *      says where and what was lost ("t.out: damaged at byte 81233: ...");
 *   2  nothing could be read (no such file, empty, not a trace, a newer
 *      format), or the view could not do its job (out of memory, write
 *      error, a temporary file that cannot be written, bad argument); err
 *      names the file and what is wrong.
 * Memory does not grow with the number of events: what must be ordered
 * (tasks, profile --region) goes through sort.h, which spills to temporary
 * files in $TMPDIR past CTRACE_VIEW_MEMORY.
 * Names, categories and messages in the trace are untrusted bytes: JSON
 * output is always valid UTF-8 JSON, and text output never passes control
 * bytes through to a terminal.
 */
#ifndef CTV_VIEWS_H
#define CTV_VIEWS_H

#include <stdio.h> /* FILE */

#include <ctrace_reader.h> /* ctr_block_kind */

/*! ctv_stats() : a summary for people: processes, tests by status, tasks,
 *  threads, events by kind, file size and bytes per event, duration, clock,
 *  events dropped, warnings and damage. */
int ctv_stats(const char *trace_path, FILE *out, FILE *err);

/*! ctv_tasks() : every task (tests, fixtures, user tasks) with its regions
 *  and logs, in order of their begin, whatever their number (sorted through
 *  temporary files when they do not fit): a tree for people, or with `json`
 *  {"tasks":[{"id","name","kind","parent","status","start_ns","end_ns",
 *  "duration_ns","threads","regions","logs",...}]}. */
int ctv_tasks(const char *trace_path, int json, FILE *out, FILE *err);

/*! ctv_regions() : per region name, sorted by name: count, total and latency
 *  quantiles of the regions that ended (unended ones are counted apart): a
 *  table for people, or with `json` {"regions":[{"name","count","total_ns",
 *  "min_ns","p50_ns","p95_ns","p99_ns","max_ns","unended"}]}. Memory grows
 *  with distinct names, not with events; quantiles are within 1 %. */
int ctv_regions(const char *trace_path, int json, FILE *out, FILE *err);

/*! ctv_threads() : per thread, from its first event to its end: how long it
 *  waited, by kind of wait (BLOCK events), and ran the rest of the time; and
 *  the threads grouped by start routine. With `json` {"threads":[{"tid",
 *  "pid","name","start_fn","start_ns","end_ns","running_ns","sync_block_ns",
 *  "syscall_block_ns","net_block_ns","sched_wait_ns","start_addr","start_file",
 *  "start_line","creator_tid"}],"groups":[{"start_fn","threads","running_ns",...}]}:
 *  start_fn names the start routine (from the modules the trace recorded;
 *  "0x..." when it cannot be named; null for a main thread), start_addr is
 *  its address, start_file/start_line where it is when the binary has line
 *  tables. Threads group by start_fn across processes. */
int ctv_threads(const char *trace_path, int json, FILE *out, FILE *err);

/*! ctv_export() : write the trace to `out_path` ("-" is stdout) in `format`.
 *  "jsonl": one JSON object per event per line; "chrome": Chrome's trace
 *  event JSON; "perfetto": Perfetto's TrackEvent protobuf, the same content
 *  (its slices ordered through temporary files past CTRACE_VIEW_MEMORY). An unknown format (checked
 *  before anything is opened) or a missing out_path returns 2. */
int ctv_export(const char *trace_path, const char *format, const char *out_path,
               FILE *err);

/* What `ctest-trace profile` was asked for. */
typedef struct ctv_profile_opts {
    ctr_block_kind kind; /* the waits it shows (0 with cpu) */
    int cpu;             /* [ext] CPU samples instead of waits (--type=cpu) */
    int folded;          /* folded stacks instead of pprof */
    const char *out_path; /* "-" is stdout */
    const char *test;    /* POSIX ERE on the test's name (unanchored), or NULL */
    const char *task;    /* a task's name or trace id: waits in it or its subtasks */
    const char *region;  /* a region's name: waits on a thread inside one */
} ctv_profile_opts;

/*! ctv_profile() : the waits of one kind, summed by stack and symbolised with
 *  the modules each process recorded: gzipped pprof profile.proto (sample
 *  types count and delay in nanoseconds) or folded stacks ("main;f;g 1200"
 *  per line, in ns). No waits make a valid, empty profile. Exit status as
 *  the other views; warnings (a module's file gone or rebuilt) go to err. */
int ctv_profile(const char *trace_path, const ctv_profile_opts *opts, FILE *err);

/*! ctv_report() : one self-contained HTML page at `out_path` (no network
 *  reference: inline CSS and JavaScript; replaced only when complete): a
 *  header, then the sections of report.h. Damaged: the page is written with
 *  a banner saying what was lost, and 1 returned. A missing out_path
 *  returns 2. */
int ctv_report(const char *trace_path, const char *out_path, FILE *err);

#endif /* CTV_VIEWS_H */
