/*
 * flight.c - attachments written from a flight recorder's window as tests
 * fail, and windows read back (flight.h).
 */
#include "flight.h"

#include <errno.h>    /* errno */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* free */
#include <string.h>   /* strlen */
#include <sys/mman.h> /* memfd_create */
#include <unistd.h>   /* close, dup */

#include "common/human.h"     /* ctv_format_duration, ctv_format_bytes */
#include "recorder/outfile.h" /* ct_outfile_error */

#include "cli.h"     /* rn_error */
#include "junit.h"   /* rn_attachment_path, rn_attach_dir */
#include "marker.h"  /* rn_escape_name */
#include "results.h" /* rn_result */

/* What the trace lacks, for the line under the test. */
static void say_cut(const rn_flight *f, const ct_window_info *info, char *note, size_t size)
{
    char window[CTV_HUMAN_BUF], kept[CTV_HUMAN_BUF], ran[CTV_HUMAN_BUF];
    ctv_format_bytes(window, f->window_bytes);
    if (!info->found && info->not_kept) {
        char waiting[CTV_HUMAN_BUF];
        ctv_format_bytes(waiting, CT_WINDOW_WAITING_BYTES(f->window_bytes));
        snprintf(note, size, "(none of its events: the flight recorder's window of %s had moved "
                 "past the test, and the traces of earlier failures waiting to be attached "
                 "took the %s kept for them; the attachment holds no events)", window, waiting);
    }
    else if (!info->found)
        snprintf(note, size, "(none of its events: the flight recorder's window of %s had moved "
                 "past the test; the attachment holds no events)", window);
    else if (info->task_cut)
        snprintf(note, size, "(cut: the flight recorder's window of %s held the last %s of the "
                 "test's %s; what came before, %llu events of its process, is not in the "
                 "attachment)", window, ctv_format_duration(kept, info->kept_ns),
                 ctv_format_duration(ran, info->task_ns), (unsigned long long)info->cut_events);
}

void rn_flight_attach(void *ctx, const rn_failed_test *t, rn_attachment *out)
{
    rn_flight *f = ctx;
    char err[512];
    if (!f->dir && !(f->dir = rn_attach_dir(f->junit, f->dir_arg, err, sizeof err))) {
        char *shown = rn_escape_name(err, strlen(err));
        rn_error("%s", shown ? shown : err);
        free(shown);
        f->failed = 1;
        snprintf(out->note, sizeof out->note, "(no trace attached: see the message above)");
        return;
    }
    rn_result r = {.name = (char *)t->name, .name_len = t->name_len, .group = (char *)t->group,
                   .group_len = t->group_len};
    char *path = rn_attachment_path(f->dir, f->binary, &r, ++f->written);
    ct_window_info info;
    int rc = path ? ct_collector_window_write(f->c, (int)t->pid, t->task, path, &info)
                  : CT_ENOMEM;
    if (rc != 0) {
        const char *why = rc == CT_EIO ? ct_outfile_error(errno)
                          : rc == CT_EINVAL ? "its process's window is gone"
                                            : ct_strerror(rc);
        char *shown = path ? rn_escape_name(path, strlen(path)) : NULL;
        rn_error("%s: cannot write the failed test's trace: %s", shown ? shown : "?", why);
        snprintf(out->note, sizeof out->note, "(no trace attached: %s)", why);
        free(shown);
        free(path);
        f->failed = 1;
        return;
    }
    out->path = path;
    say_cut(f, &info, out->note, sizeof out->note);
}

const char *rn_flight_window_path(ct_collector *c, int pid, char *buf, size_t size, int *fd)
{
    *fd = memfd_create("ctest-trace-window", MFD_CLOEXEC);
    int copy = *fd >= 0 ? dup(*fd) : -1; /* the writer closes its own */
    if (copy < 0 || ct_collector_window_write_fd(c, pid, 0, copy, NULL) != 0) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return NULL;
    }
    snprintf(buf, size, "/proc/self/fd/%d", *fd);
    return buf;
}

void rn_flight_free(rn_flight *f)
{
    free(f->dir);
    f->dir = NULL;
}
