/*
 * view_io.c - opening a trace, reporting how reading it ended, and writing a
 * view's output (view_io.h). Every message is "ctest-trace: FILE: what".
 */
#include "view_io.h"

#include <errno.h>    /* errno */
#include <inttypes.h> /* PRIu64 */
#include <limits.h>   /* PATH_MAX */
#include <string.h>   /* strcmp */
#include <sys/stat.h> /* stat */
#include <unistd.h>   /* readlink, close */

#include "recorder/outfile.h" /* ct_outfile_*, ct_errno_text */

#define PREFIX "ctest-trace: "

#include "spill.h"

int ctv_open_trace(const char *path, FILE *err, ctr_reader **r)
{
    *r = NULL;
    if (!path || !*path) {
        fprintf(err, PREFIX "no trace file given\n");
        return CTV_EXIT_FAILED;
    }
    errno = 0;
    int rc = ctr_open(r, path);
    int saved_errno = errno; /* before anything else can change it */
    if (rc == 0 && *r)
        return 0;
    if (rc == 0) /* a reader breaking its contract: still no crash */
        rc = CT_ENOMEM;
    if (rc == CT_EIO && saved_errno != 0)
        fprintf(err, PREFIX "%s: %s\n", path, ct_errno_text(saved_errno));
    else
        fprintf(err, PREFIX "%s: %s\n", path, ct_strerror(rc));
    *r = NULL;
    return CTV_EXIT_FAILED;
}

int ctv_end_status(ctr_reader *r, int next_rc, const char *path, FILE *err)
{
    if (next_rc == 0)
        return CTV_EXIT_WHOLE;
    if (next_rc == CT_EDAMAGED) {
        const char *what = ctr_damage(r);
        if (what)
            fprintf(err, PREFIX "%s: %s\n", path, what);
        else
            fprintf(err, PREFIX "%s: %s; %" PRIu64 " events before it\n", path,
                    ct_strerror(CT_EDAMAGED), ctr_events_read(r));
        return CTV_EXIT_DAMAGED;
    }
    return ctv_fail(path, next_rc, err);
}

int ctv_fail(const char *path, int code, FILE *err)
{
    fprintf(err, PREFIX "%s: %s; stopped reading\n", path, ct_strerror(code));
    return CTV_EXIT_FAILED;
}

const char *ctv_stdout_name(void)
{
    static char name[PATH_MAX];
    ssize_t n = readlink("/proc/self/fd/1", name, sizeof name - 1);
    if (n <= 0 || name[0] != '/') /* a pipe, a socket: no file to name */
        return "stdout";
    name[n] = '\0';
    return name;
}

/* What a failed write of `out` says: stdout by the file it is, if any. */
static int output_failed(FILE *out, const char *out_name, int e, FILE *err)
{
    fprintf(err, PREFIX "%s: %s\n", out == stdout ? ctv_stdout_name() : out_name,
            ct_outfile_error(e ? e : EIO));
    return CTV_EXIT_FAILED;
}

int ctv_fail_spill(const char *path, const char *view, const ctv_tmp *tmp, FILE *err)
{
    fprintf(err, PREFIX "%s: %s: %s; stopped (TMPDIR chooses where temporary files go)\n", path,
            view, tmp->error);
    return CTV_EXIT_FAILED;
}

int ctv_finish_output(FILE *out, const char *out_name, FILE *err, int status)
{
    errno = 0;
    if (fflush(out) != 0 || ferror(out))
        return output_failed(out, out_name, errno, err);
    return status;
}

int ctv_output_not_input(const char *out_path, const char *trace_path, FILE *err)
{
    struct stat out, in;
    /* Links followed, as the output is written (outfile.h): one file by any
     * name, a hard link too. An output not there yet is no trace. */
    if (!out_path || strcmp(out_path, "-") == 0 || !trace_path || stat(out_path, &out) != 0 ||
        stat(trace_path, &in) != 0 || out.st_dev != in.st_dev || out.st_ino != in.st_ino)
        return 0;
    fprintf(err, PREFIX "%s: -o names the trace being read (%s): writing it would replace the "
                 "trace; choose another output\n", out_path, trace_path);
    return CTV_EXIT_FAILED;
}

FILE *ctv_output_open(ctv_output *o, const char *path, FILE *err)
{
    *o = (ctv_output){.path = path};
    if (strcmp(path, "-") == 0)
        return o->out = stdout;
    int fd = -1;
    if (ct_outfile_begin(&o->file, path) != 0 || (fd = ct_outfile_open(&o->file)) < 0 ||
        (o->out = fdopen(fd, "w")) == NULL) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            ct_outfile_discard(&o->file);
        }
        ct_outfile_free(&o->file);
        fprintf(err, PREFIX "%s: %s\n", path, ct_outfile_error(e));
        return NULL;
    }
    return o->out;
}

int ctv_output_close(ctv_output *o, FILE *err, int status)
{
    if (o->out == NULL)
        return status;
    if (o->out == stdout) {
        o->out = NULL;
        return ctv_finish_output(stdout, "stdout", err, status);
    }
    errno = 0;
    int bad = fflush(o->out) != 0 || ferror(o->out);
    int e = errno;
    if (fclose(o->out) != 0 && !bad)
        bad = 1, e = errno;
    o->out = NULL;
    if (!bad && status != CTV_EXIT_FAILED && ct_outfile_commit(&o->file) != 0)
        bad = 1, e = errno;
    if (bad || status == CTV_EXIT_FAILED) /* the file before stays; no partial output */
        ct_outfile_discard(&o->file);
    ct_outfile_free(&o->file);
    if (bad)
        return output_failed(NULL, o->path, e, err);
    return status;
}
