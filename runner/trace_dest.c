/*
 * trace_dest.c - where a run's trace goes (trace_dest.h).
 */
#include "trace_dest.h"

#include <errno.h>  /* errno */
#include <fcntl.h>  /* open */
#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* asprintf, snprintf */
#include <stdlib.h> /* getenv, free, mkstemps, malloc */
#include <string.h> /* strdup, strlen, strrchr */
#include <sys/file.h> /* flock */
#include <sys/stat.h> /* fstat, stat */
#include <unistd.h> /* close, read, write, unlink */

#include "common/shard.h"     /* ct_shard_hash: a run's arguments in its name */
#include "recorder/outfile.h" /* ct_outfile_*, ct_errno_text */

#include "cli.h"
#include "marker.h" /* rn_escape_name */

/* A temporary trace file in $TMPDIR. @return 0, or 2 (message printed). */
static int temp_trace(trace_dest *d)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    if (asprintf(&d->file, "%s/ctest-trace-XXXXXX.trace", dir) < 0) {
        d->file = NULL;
        return rn_error("out of memory");
    }
    int fd = mkstemps(d->file, 6);
    if (fd < 0) {
        rn_error("cannot create a temporary trace file in %s: %s", dir, ct_errno_text(errno));
        free(d->file);
        d->file = NULL;
        return RN_EXIT_USAGE;
    }
    close(fd);
    d->temp = 1;
    return RN_EXIT_OK;
}

/* Decide where the trace named `shown` (NULL: none) is written; a flight
 * recorder without one writes none. @return 0, or 2 (message printed). */
int rn_dest_init(trace_dest *d, const char *shown, int flight)
{
    *d = (trace_dest){.shown = shown, .claim = {.fd = -1}};
    if (shown == NULL && flight)
        return RN_EXIT_OK;
    if (shown == NULL)
        return temp_trace(d);
    ct_outfile f;
    if (ct_outfile_begin(&f, shown) != 0)
        return rn_error_about(shown, "", ct_outfile_error(errno), 0);
    d->copy = f.partial == NULL; /* a FIFO or device: it cannot be read back */
    ct_outfile_free(&f);
    if (d->copy)
        return temp_trace(d);
    d->file = strdup(shown);
    return d->file ? RN_EXIT_OK : rn_error("out of memory");
}

/* Lock `lock` (made if missing) for this run, unless a live run holds it.
 * The lock file is removed by its holder at the end of its run, so a lock
 * taken on a file since unlinked is no lock: check the name still leads to
 * the file locked. @return the locked fd, -1 (held by another run), or -2
 * with errno (it cannot be made). */
static int lock_name(const char *lock)
{
    for (int tries = 0; tries < 100; tries++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
        if (fd < 0)
            return -2;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK)
                return -1;
            errno = e;
            return -2;
        }
        struct stat held, named;
        if (fstat(fd, &held) == 0 && stat(lock, &named) == 0 && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev)
            return fd;
        close(fd); /* its holder removed it as we took it: again */
    }
    return -1;
}

int rn_claim_name(const char *dir, const char *binary, char *const *args, size_t nargs,
                  const char *suffix, char **path, rn_claim *claim)
{
    *path = NULL;
    *claim = (rn_claim){.fd = -1};
    for (size_t n = 0; n < 1000; n++) {
        char *name = rn_file_in_dir(dir, binary, args, nargs, n, suffix), *lock = NULL;
        const char *base = name ? strrchr(name, '/') : NULL;
        if (name == NULL || asprintf(&lock, "%.*s.%s.lock", (int)(base ? base - name + 1 : 0),
                                     name, base ? base + 1 : name) < 0) {
            free(name);
            return rn_error("out of memory");
        }
        int fd = lock_name(lock);
        if (fd == -2) {
            int e = errno;
            free(lock);
            free(name);
            return rn_error_about(dir, "", ct_outfile_error(e), 0);
        }
        if (fd >= 0) {
            *claim = (rn_claim){.fd = fd, .lock = lock};
            *path = name;
            return RN_EXIT_OK;
        }
        free(lock);
        free(name);
    }
    return rn_error_about(dir, "", "1000 runs write files of this binary here at once", 0);
}

void rn_claim_release(rn_claim *claim)
{
    if (claim->fd >= 0) { /* the run is over: the name may be replaced */
        unlink(claim->lock);
        close(claim->fd);
    }
    free(claim->lock);
    *claim = (rn_claim){.fd = -1};
}

int rn_dest_claim(trace_dest *d, const char *dir, const char *binary, char *const *args,
                  size_t nargs, int flight, char **path)
{
    rn_claim claim;
    int rc = rn_claim_name(dir, binary, args, nargs, ".trace", path, &claim);
    if (rc != RN_EXIT_OK)
        return rc;
    rc = rn_dest_init(d, *path, flight);
    d->claim = claim;
    return rc;
}

/* Copy the finished trace to the FIFO or device the user named.
 * @return 0, or 2 (message printed). */
static int copy_out(const trace_dest *d)
{
    ct_outfile f;
    int in = -1, out = -1, failed = 0;
    if (ct_outfile_begin(&f, d->shown) != 0 || (out = ct_outfile_open(&f)) < 0 ||
        (in = open(d->file, O_RDONLY | O_CLOEXEC)) < 0)
        failed = 1;
    char buf[64 * 1024];
    while (!failed) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        for (ssize_t done = 0, k; n > 0 && done < n; done += k) {
            k = write(out, buf + done, (size_t)(n - done));
            if (k < 0 && errno == EINTR)
                k = 0;
            else if (k <= 0)
                n = -1;
        }
        failed = n < 0;
    }
    int e = errno;
    if (out >= 0 && close(out) != 0 && !failed)
        failed = 1, e = errno;
    if (in >= 0)
        close(in);
    ct_outfile_free(&f);
    return failed ? rn_error_about(d->shown, "", ct_outfile_error(e), 0) : RN_EXIT_OK;
}

/* The run is over: copy the trace where it goes, remove what was ours.
 * @return 0, or 2 (message printed). */
int rn_dest_finish(trace_dest *d)
{
    int status = RN_EXIT_OK;
    if (d->copy && d->ok)
        status = copy_out(d);
    if (d->temp) { /* and what a failed write left beside it */
        char *partial = NULL;
        if (asprintf(&partial, "%s.partial", d->file) >= 0)
            unlink(partial);
        free(partial);
        unlink(d->file);
    }
    free(d->file);
    d->file = NULL;
    rn_claim_release(&d->claim);
    return status;
}

/* Open the collector writing `d`, its pools overflowing as `overflow`
 * (CT_OVERFLOW_*) says. @return it, or NULL (message printed). */
ct_collector *rn_open_trace(trace_dest *d, int overflow, uint64_t flight_bytes)
{
    ct_collector *c = NULL;
    int rc = flight_bytes != NO_FLIGHT
                 ? ct_collector_open_flight(&c, d->file, 0, (size_t)flight_bytes)
                 : ct_collector_open(&c, d->file, 0);
    if (rc == 0)
        ct_collector_set_overflow(c, overflow); /* a mode checked with the flags */
    if (rc != 0) {
        int saved = errno; /* CT_EIO: errno tells */
        rn_error_about(d->shown ? d->shown : d->file ? d->file : "--flight-recorder",
                    "cannot create the trace: ",
                    rc == CT_EIO ? ct_outfile_error(saved) : ct_strerror(rc), 0);
        return NULL;
    }
    return c;
}

/* Finish the trace and put it in place. @return 0, or 2 (message printed). */
int rn_close_trace(ct_collector *c, const trace_dest *d)
{
    const char *writing = ct_collector_path(c);
    char *partial = writing ? strdup(writing) : NULL;
    int rc = ct_collector_close(c);
    int saved = errno;
    if (rc != 0) {
        const char *why = rc == CT_EIO ? ct_outfile_error(saved) : ct_strerror(rc);
        char *kept = partial ? rn_escape_name(partial, strlen(partial)) : NULL;
        if (d->shown != NULL && !d->copy) {
            char detail[1024];
            snprintf(detail, sizeof detail, "%s (left as it was; what was written is in %s)",
                     why, kept ? kept : "?");
            rn_error_about(d->shown, "cannot write the trace: ", detail, 0);
        } else {
            rn_error_about(d->shown ? d->shown : d->file, "cannot write the trace: ", why, 0);
        }
        free(kept);
    }
    free(partial);
    return rc != 0 ? RN_EXIT_USAGE : RN_EXIT_OK;
}

/* `text` with anything but letters, digits, '.', '-' and '_' made '_' (no
 * path can be smuggled in) into `out`. @return whether any byte was. */
static int safe_name(char *out, const char *text, size_t n)
{
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = text[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
        out[i] = ok ? ch : '_';
        changed |= !ok;
    }
    out[n] = '\0';
    return changed;
}

/* The name of a binary's run with `args`: "@" and the arguments joined by
 * '_', made safe; when that may lose anything (a byte made '_', a name cut
 * at ARGS_SHOWN, an empty argument, or two or more: joined, "a","b" is
 * "a_b"), "~" and 8 hex digits of their hash keep two runs apart.
 * @return it (malloc'd; "" without arguments), or NULL. */
#define ARGS_SHOWN 40
static char *args_part(char *const *args, size_t nargs)
{
    if (nargs == 0)
        return strdup("");
    uint64_t hash = 0;
    char shown[ARGS_SHOWN + 1];
    size_t len = 0;
    int lossy = nargs > 1;
    for (size_t i = 0; i < nargs; i++) {
        size_t n = strlen(args[i]);
        hash = hash * 1099511628211ull ^ ct_shard_hash(args[i], n); /* each its own */
        if (i > 0 && len < ARGS_SHOWN)
            shown[len++] = '_';
        size_t take = n < ARGS_SHOWN - len ? n : ARGS_SHOWN - len;
        lossy |= safe_name(shown + len, args[i], take) | (take < n) | (n == 0);
        len += take;
    }
    shown[len] = '\0';
    char *part = NULL;
    int rc = lossy ? asprintf(&part, "@%s~%08x", shown, (unsigned)(hash ^ hash >> 32))
                   : asprintf(&part, "@%s", shown);
    return rc < 0 ? NULL : part;
}

/* --trace-dir: DIR/NAME.trace, NAME the binary's file name made safe, then
 * its arguments' part (args_part()); the n-th run of a NAME taken already
 * DIR/NAME.n.trace. */
char *rn_file_in_dir(const char *dir, const char *binary, char *const *args, size_t nargs,
                     size_t n_same, const char *suffix)
{
    const char *base = strrchr(binary, '/');
    base = base ? base + 1 : binary;
    size_t n = strlen(base);
    char *name = malloc(n + 2), *part = args_part(args, nargs);
    if (name == NULL || part == NULL) {
        free(name);
        free(part);
        return NULL;
    }
    safe_name(name, base, n);
    if (n == 0 || name[0] == '.') /* "", ".", "..", hidden */
        name[0] = '_', name[n ? n : 1] = '\0';
    char *path = NULL;
    int rc = n_same ? asprintf(&path, "%s/%s%s.%zu%s", dir, name, part, n_same + 1, suffix)
                    : asprintf(&path, "%s/%s%s%s", dir, name, part, suffix);
    if (rc < 0)
        path = NULL;
    free(name);
    free(part);
    return path;
}

int rn_make_flag_dir(const char *flag, const char *path, int parent)
{
    const char *slash = parent ? strrchr(path, '/') : NULL;
    if (parent && (slash == NULL || slash == path))
        return RN_EXIT_OK; /* the working directory, or / */
    char *dir = parent ? strndup(path, (size_t)(slash - path)) : strdup(path);
    if (dir == NULL)
        return rn_error("out of memory");
    struct stat st;
    int rc = RN_EXIT_OK;
    errno = 0;
    if (ct_make_dirs(dir) != 0 || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int e = errno;
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s: ", flag);
        rc = rn_error_about(dir, prefix,
                            e == EEXIST || e == ENOTDIR || e == 0 ? "not a directory"
                                                                  : ct_outfile_error(e), 0);
    }
    free(dir);
    return rc;
}
