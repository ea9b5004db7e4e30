/*
 * trace_dest.h - where a run's trace goes: the file the user named (written
 * beside and renamed when complete), a temporary file (no --trace; a FIFO or
 * a device, copied there at the end), --trace-dir's file per binary; and the
 * collector that writes it.
 */
#ifndef RN_TRACE_DEST_H
#define RN_TRACE_DEST_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include <ctrace_collect.h>

/* A file name claimed in a directory against other runs writing there at
 * once: its lock, held until the run ends (rn_claim_name()). */
typedef struct rn_claim {
    int fd;     /* locked (flock) on `lock`, or -1 */
    char *lock; /* DIR/.NAME.lock, removed when released */
} rn_claim;

/* Where a trace goes. The collector writes `file`, which the run reads back
 * (--junit's attachments, tests whose markers were lost): the trace itself
 * (written beside and renamed when complete), or a temporary file when
 * there is no --trace, or when the trace is a FIFO or a device, which gets a
 * copy at the end. */
typedef struct trace_dest {
    const char *shown; /* as the user named it, for messages; NULL: none */
    char *file;        /* what the collector writes */
    int copy;          /* copy `file` to `shown` at the end */
    int temp;          /* `file` is ours: removed at the end */
    int ok;            /* the trace was finished and put in place */
    rn_claim claim;    /* --trace-dir: the name's (rn_dest_claim); fd -1 if none */
} trace_dest;

/* --flight-recorder's SIZE when there is none. */
#define NO_FLIGHT UINT64_MAX

/*! rn_dest_init() : decide where the trace named `shown` (NULL: none) is
 *  written; `flight`: a flight recorder's run. @return 0, or 2 (message
 *  printed). */
int rn_dest_init(trace_dest *d, const char *shown, int flight);

/*! rn_claim_name() : claim DIR/NAME`suffix` for `binary` (rn_file_in_dir())
 *  against every other claim alive, this run's (two binaries of one name)
 *  and other runs' writing into DIR at the same time (meson runs two tests
 *  of one binary in parallel): a name is taken while a claim holds a lock
 *  (flock, per open file) on DIR/.NAME`suffix`.lock, kept until the run
 *  ends (rn_claim_release() removes it); the first name free goes
 *  (NAME.trace, NAME.2.trace, ...). A name whose run is over is replaced, as
 *  a file named by --trace is. @return 0 with *path (malloc'd) and *claim,
 *  or 2 (message printed). */
int rn_claim_name(const char *dir, const char *binary, char *const *args, size_t nargs,
                  const char *suffix, char **path, rn_claim *claim);
void rn_claim_release(rn_claim *claim);

/*! rn_dest_claim() : --trace-dir: rn_claim_name() of a ".trace", then as
 *  rn_dest_init(); the claim is released by rn_dest_finish(). @return 0 with
 *  *path (the caller frees it after rn_dest_finish()), or 2. */
int rn_dest_claim(trace_dest *d, const char *dir, const char *binary, char *const *args,
                  size_t nargs, int flight, char **path);

/*! rn_dest_finish() : the run is over: copy the trace where it goes, remove
 *  what was ours. @return 0, or 2 (message printed). */
int rn_dest_finish(trace_dest *d);

/*! rn_open_trace() : the collector writing `d`, its pools overflowing as
 *  `overflow` (CT_OVERFLOW_*) says, a flight recorder's of `flight_bytes`
 *  (NO_FLIGHT: none). @return it, or NULL (message printed). */
ct_collector *rn_open_trace(trace_dest *d, int overflow, uint64_t flight_bytes);

/*! rn_close_trace() : finish the trace and put it in place. @return 0, or 2
 *  (message printed). */
int rn_close_trace(ct_collector *c, const trace_dest *d);

/*! rn_make_flag_dir() : make the directory the flag `flag` names (`path`;
 *  with `parent`, the directory of the file `path` names), with its parents,
 *  if missing. @return 0, or 2 (message printed, naming the flag). */
int rn_make_flag_dir(const char *flag, const char *path, int parent);

/*! rn_file_in_dir() : --trace-dir's DIR/NAME.trace (`suffix` ".trace"),
 *  --junit-dir's DIR/NAME.xml, for `binary` run with `args` (malloc'd), the
 *  n-th of a name taken already DIR/NAME.n.trace. NAME is the binary's file
 *  name made safe, then, when it has arguments, "@" and them joined by '_'
 *  (suite@--fast.trace), made safe and cut at 40 bytes, with "~" and a hash
 *  of them when there are two or more, or that lost anything
 *  (suite@two_words~1f0e3d2c.trace): two
 *  meson tests of one binary, each with its own args, keep their own files,
 *  run at once or one after the other. NULL when out of memory. */
char *rn_file_in_dir(const char *dir, const char *binary, char *const *args, size_t nargs,
                     size_t n_same, const char *suffix);

#endif /* RN_TRACE_DEST_H */
