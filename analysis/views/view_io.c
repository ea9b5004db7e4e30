/*
 * view_io.c - opening a trace and reporting how reading it ended.
 */
#include "view_io.h"

#include <errno.h>    /* errno */
#include <inttypes.h> /* PRIu64 */
#include <string.h>   /* strerror */

#include "spill.h"

int ctv_open_trace(const char *path, FILE *err, ctr_reader **r)
{
    *r = NULL;
    if (!path || !*path) {
        fprintf(err, "ctest-trace: no trace file given\n");
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
        fprintf(err, "%s: %s: %s\n", path, ct_strerror(rc), strerror(saved_errno));
    else
        fprintf(err, "%s: %s\n", path, ct_strerror(rc));
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
            fprintf(err, "%s: %s\n", path, what);
        else
            fprintf(err, "%s: %s; %" PRIu64 " events before it\n", path,
                    ct_strerror(CT_EDAMAGED), ctr_events_read(r));
        return CTV_EXIT_DAMAGED;
    }
    return ctv_fail(path, next_rc, err);
}

int ctv_fail(const char *path, int code, FILE *err)
{
    fprintf(err, "%s: %s; stopped reading\n", path, ct_strerror(code));
    return CTV_EXIT_FAILED;
}

int ctv_fail_spill(const char *path, const char *view, const ctv_tmp *tmp, FILE *err)
{
    fprintf(err, "%s: %s: %s; stopped (TMPDIR chooses where temporary files go)\n", path, view,
            tmp->error);
    return CTV_EXIT_FAILED;
}

int ctv_finish_output(FILE *out, const char *out_name, FILE *err, int status)
{
    if (fflush(out) != 0 || ferror(out)) {
        int saved_errno = errno;
        fprintf(err, "%s: write error: %s\n", out_name,
                saved_errno ? strerror(saved_errno) : "unknown");
        return CTV_EXIT_FAILED;
    }
    return status;
}
