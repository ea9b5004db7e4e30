/*
 * view_io.h - what every view does the same way: open the trace, turn how
 * reading ended into the exit status of DESIGN.md §4, and write its output.
 * Every message is "ctest-trace: FILE: what" ("ctest-trace: t.out: no such
 * file", "ctest-trace: out.pb.gz: no space left on device").
 *
 * Exit status of a view: 0 the trace was whole; 1 it was damaged (what came
 * before the damage was shown; err says where and what was lost); 2 nothing
 * could be read, or the view could not do its job (out of memory, output
 * not writable).
 */
#ifndef CTV_VIEW_IO_H
#define CTV_VIEW_IO_H

#include <stdio.h> /* FILE */

#include <ctrace_reader.h>

#include "recorder/outfile.h" /* ct_outfile */

#define CTV_EXIT_WHOLE 0
#define CTV_EXIT_DAMAGED 1
#define CTV_EXIT_FAILED 2

/*! ctv_open_trace() : open `path` for a view.
 *  @return 0 with *r, or CTV_EXIT_FAILED after writing to err a line naming
 *  the file and what is wrong. */
int ctv_open_trace(const char *path, FILE *err, ctr_reader **r);

/* Events a view takes per ctr_next_batch() call: a few pages, kept in L1
 * while the view goes over them. */
#define CTV_BATCH 64

/*! ctv_each_event() : hand every event of r (of the kinds it was set to
 *  make: ctr_set_kinds()) to fn(arg, ev), in batches of CTV_BATCH, until
 *  the trace ends or fn returns non-zero. Inline, so that a view's fn is
 *  called directly, even inlined.
 *  @return how reading ended (0, CT_EDAMAGED, CT_ENOMEM: ctv_end_status()),
 *  or fn's non-zero return, then with *fn_failed set (else cleared). */
static inline int ctv_each_event(ctr_reader *r, int (*fn)(void *, const ctr_event *), void *arg,
                                 int *fn_failed)
{
    ctr_event evs[CTV_BATCH];
    size_t n;
    int rc;
    *fn_failed = 0;
    while ((rc = ctr_next_batch(r, evs, CTV_BATCH, &n)) == 1) {
        for (size_t i = 0; i < n; i++) {
            int frc = fn(arg, &evs[i]);
            if (frc != 0) {
                *fn_failed = 1;
                return frc;
            }
        }
    }
    return rc;
}

/*! ctv_end_status() : the exit status once ctr_next() returned `next_rc`
 *  (0 clean end, CT_EDAMAGED, or another error), telling err about damage or
 *  failure, e.g. "t.out: damaged at byte 81233: ...; 12034 events before it". */
int ctv_end_status(ctr_reader *r, int next_rc, const char *path, FILE *err);

/*! ctv_fail() : tell err that the view stopped on `code` (a CT_E* code, most
 *  often CT_ENOMEM) while reading `path`. @return CTV_EXIT_FAILED. */
int ctv_fail(const char *path, int code, FILE *err);

/*! ctv_fail_spill() : tell err that `view` stopped because a temporary file
 *  failed (tmp->error says how, e.g. a full disk). @return CTV_EXIT_FAILED. */
struct ctv_tmp;
int ctv_fail_spill(const char *path, const char *view, const struct ctv_tmp *tmp, FILE *err);

/*! ctv_finish_output() : flush `out` (named `out_name` in messages; stdout
 *  by the file it is, if it is one) and keep `status` unless writing failed,
 *  which makes it CTV_EXIT_FAILED. */
int ctv_finish_output(FILE *out, const char *out_name, FILE *err, int status);

/*! ctv_stdout_name() : the file stdout writes ("/dev/full", "out.txt"), or
 *  "stdout" for a pipe, socket or terminal. */
const char *ctv_stdout_name(void);

/* A view's -o OUT: "-" is stdout; a file is replaced only when complete
 * (recorder/outfile.h: written beside, renamed; links followed; FIFOs and
 * devices written directly). */
typedef struct ctv_output {
    const char *path;
    FILE *out;
    ct_outfile file;
} ctv_output;

/*! ctv_output_not_input() : whether writing `out_path` leaves the trace
 *  `trace_path` alone. @return 0, or CTV_EXIT_FAILED after a message when
 *  they are one file (by any path, link or hard link): a view checks this
 *  before it reads the trace or opens its output. */
int ctv_output_not_input(const char *out_path, const char *trace_path, FILE *err);

/*! ctv_output_open() : @return the stream to write `path` to, or NULL after
 *  a message naming it ("ctest-trace: OUT: no such directory"). */
FILE *ctv_output_open(ctv_output *o, const char *path, FILE *err);

/*! ctv_output_close() : finish the output: put the file in place if all was
 *  written and `status` is not CTV_EXIT_FAILED (else the file before stays).
 *  @return `status`, or CTV_EXIT_FAILED after a message when a write failed
 *  ("ctest-trace: OUT: no space left on device"). */
int ctv_output_close(ctv_output *o, FILE *err, int status);

#endif /* CTV_VIEW_IO_H */
