/*
 * trace_writer.h - writing a trace file: the 16-byte prefix, then records
 * (wire.h) compressed as a zstd stream. Each flush ends a zstd block, so a
 * reader of a file cut at any point gets everything flushed before the cut;
 * a new frame starts every few MiB, so damage costs at most one frame's tail.
 */
#ifndef CT_RECORDER_TRACE_WRITER_H
#define CT_RECORDER_TRACE_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ct_trace_writer ct_trace_writer;

/* Create `path` and write TRACE_BEGIN and SCHEMA.
 * @return 0, CT_EIO (errno tells), CT_ENOMEM. */
int ct_tw_open(ct_trace_writer **out, const char *path, uint64_t start_mono_ns);

/* The same on `fd`, open for writing; the writer owns it from now on (it is
 * closed on failure too). Only the file prefix is written yet: the two
 * records go out, compressed, with the first flush (setting zstd up at level
 * 3 takes a millisecond or two, which a runner spends better once its child
 * runs). */
int ct_tw_open_fd(ct_trace_writer **out, int fd, uint64_t start_mono_ns);

/* Create `path` with only the file prefix (text assembler, tests).
 * @return 0, CT_EIO, CT_ENOMEM. */
int ct_tw_create(ct_trace_writer **out, const char *path, unsigned major, unsigned minor);

/* The same on `fd`, open for writing (a merge of traces writes its own
 * TRACE_BEGIN and SCHEMA); the writer owns it from now on. */
int ct_tw_create_fd(ct_trace_writer **out, int fd, unsigned major, unsigned minor);

/* Append one record. Payload fields are built with ct_rec_* below. */
int ct_tw_record(ct_trace_writer *w, uint8_t kind, const uint8_t *payload, size_t len);

/* A PROCESS_BEGIN record's fields (FORMAT.md). */
typedef struct ct_tw_process {
    uint64_t proc, pid;
    const char *exe; /* exe_len bytes, not NUL-terminated; at most 4096 are written */
    size_t exe_len;
    uint64_t clock, hz, tsc0, ns0;
    int has_parent; /* a process a test started (since 1.8): the three below */
    uint64_t parent; /* 1 + the parent's proc */
    uint64_t ptask, inherit;
} ct_tw_process;

/* Append the PROCESS_BEGIN record of p. @return as ct_tw_record(). */
int ct_tw_process_begin(ct_trace_writer *w, const ct_tw_process *p);

/* Append a BATCH record whose events are `events` (no copy of the head). */
int ct_tw_batch(ct_trace_writer *w, const uint8_t *head, size_t head_len,
                const uint8_t *events, size_t events_len);

/* Push everything appended so far to the file. @return 0 or CT_EIO. */
int ct_tw_flush(ct_trace_writer *w);

/* ct_tw_flush() if the last one was `ct_tw_flush_every()` ago or more
 * (always, by default); else compress what was appended without ending a
 * block (zstd keeps up to a block of it): the work keeps pace with a
 * writer that appends often, and the blocks stay whole. @return 0 or CT_EIO. */
int ct_tw_flush_due(ct_trace_writer *w);

/* Hand what was appended to the compressor now, writing nothing: zstd sets
 * up its tables at its first input (0.1 ms of a run here), so a caller that
 * is about to wait (the runner, while its test loads) does it then rather
 * than in the first pass at the test's end. @return 0 or CT_EIO. */
int ct_tw_prepare(ct_trace_writer *w);

/* Flush at most every `ns` in ct_tw_flush_due() (0: at every call). */
void ct_tw_flush_every(ct_trace_writer *w, uint64_t ns);

/* Write TRACE_END, end the stream, close the file, free w. @return 0 or CT_EIO. */
int ct_tw_close(ct_trace_writer *w);

/* End the zstd stream and close, without writing TRACE_END (text assembler:
 * the text says whether there is one). @return 0 or CT_EIO. */
int ct_tw_finish_raw(ct_trace_writer *w);

/* From now on, write and close w's descriptor only while it holds the file
 * it holds now (fstat's device and inode): a program may close a live
 * capture's descriptor and open another file on its number. Writes then
 * fail (CT_EIO) and close leaves the number alone. @return 0 or CT_EIO. */
int ct_tw_guard_fd(ct_trace_writer *w);

/* Close without TRACE_END (the trace stays readable as truncated). */
void ct_tw_abandon(ct_trace_writer *w);

#endif /* CT_RECORDER_TRACE_WRITER_H */
