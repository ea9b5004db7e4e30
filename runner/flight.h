/*
 * flight.h - the run's side of the flight recorder (--flight-recorder=SIZE):
 * a failing test's trace, written from its process's window as the test
 * fails, into the attachment directory; and a process's window read back
 * when its markers were lost.
 *
 * Attachments go to --attach-dir, else beside --junit's file, else the
 * current directory, named as --junit names them (junit.h). The run's output
 * names each under its test (output.h, rn_out_on_failure()).
 */
#ifndef RN_FLIGHT_H
#define RN_FLIGHT_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include <ctrace_collect.h> /* ct_collector */

#include "output.h" /* rn_failed_test, rn_attachment */

typedef struct rn_flight {
    ct_collector *c;        /* the collector of the binary running */
    const char *binary;     /* as the user wrote it: attachments are named after it */
    const char *dir_arg;    /* --attach-dir, or NULL */
    const char *junit;      /* --junit, or NULL */
    uint64_t window_bytes;  /* SIZE, for what the output says */
    char *dir;              /* absolute, made at the first attachment */
    size_t written;         /* attachments so far: each name is unique in the run */
    int failed;             /* one could not be written (said on stderr) */
} rn_flight;

/*! rn_flight_attach() : an rn_attach_fn (output.h): write the trace of the
 *  failed test `t` from its process's window, and say where and what it
 *  holds. A failure to write is said on stderr and noted in f->failed. */
void rn_flight_attach(void *f, const rn_failed_test *t, rn_attachment *out);

/*! rn_flight_window_path() : the whole window of process `pid` (running or
 *  the last that ended) as a trace to read back, without touching the disk
 *  (a memfd): *fd is to be closed after reading `buf`'s path.
 *  @return buf, or NULL (*fd -1) when there is none. */
const char *rn_flight_window_path(ct_collector *c, int pid, char *buf, size_t size, int *fd);

void rn_flight_free(rn_flight *f);

#endif /* RN_FLIGHT_H */
