/*
 * outfile.h - replace an output file only once its new content is complete.
 *
 * What the runner and the views write (a trace, a JUnit report, an
 * attachment, a profile) goes where the user named it, by these rules:
 *
 *   - a regular file, or a name not there yet: written beside it, as
 *     NAME.partial (the new content, maybe incomplete), and renamed over
 *     NAME once all of it was written and closed without error. A writer
 *     that dies leaves NAME as it was (and NAME.partial beside it); one that
 *     fails removes NAME.partial or keeps it, as it chooses
 *     (ct_outfile_discard).
 *   - the collector's traces only (ct_outfile_commit_swap): a NAME that is
 *     there is swapped with NAME.partial (RENAME_EXCHANGE), then removed
 *     under its new name. ext4 flushes the new file's blocks on a rename
 *     over a file (auto_da_alloc), 1-2 ms for a trace; a swap skips that, so
 *     a power cut before the kernel writes them back can leave NAME empty.
 *     Worth it for a trace each run rewrites, not for what a user keeps (a
 *     JUnit report, a baseline, a merge, a view's output): those are renamed
 *     over. A writer that dies between the swap and the removal, or a
 *     removal that fails, leaves NAME.partial holding the OLD file, whole.
 *   - a symbolic link: followed to its last target, which is replaced as
 *     above (TARGET.partial beside the target), so the link stays a link. A
 *     dangling link gets its target created.
 *   - a FIFO, a character or block device, or a link into /proc (/dev/stdout,
 *     /dev/fd/N): written directly, appended to (a log redirected with >> is
 *     not cut); nothing is replaced.
 *
 * A replaced file keeps its permission bits.
 */
#ifndef CT_RECORDER_OUTFILE_H
#define CT_RECORDER_OUTFILE_H

#include <sys/types.h> /* mode_t */

typedef struct ct_outfile {
    char *target;  /* the file that gets the content (symbolic links followed) */
    char *partial; /* target + ".partial", written then renamed; NULL: direct */
    mode_t mode;   /* the replaced file's permission bits; 0: a new file */
} ct_outfile;

/*! ct_outfile_begin() : decide where the content of `path` goes.
 *  @return 0, or -1 with errno (ENOMEM, EISDIR, ELOOP, ENOENT for an empty
 *  path, or what lstat said). */
int ct_outfile_begin(ct_outfile *f, const char *path);

/*! ct_outfile_open() : open for writing what ct_outfile_begin() chose: the
 *  partial file, created or truncated (mode 0666 less the umask), or the
 *  FIFO or device, to append. Close-on-exec. @return a file descriptor, or
 *  -1 with errno. */
int ct_outfile_open(const ct_outfile *f);

/*! ct_outfile_writing() : the path being written (the partial file, or the
 *  target itself when written directly). */
const char *ct_outfile_writing(const ct_outfile *f);

/*! ct_outfile_commit() : everything was written and closed: rename the
 *  partial file over the target (nothing to do when written directly).
 *  @return 0, or -1 with errno (the partial file is then left). */
int ct_outfile_commit(ct_outfile *f);

/*! ct_outfile_commit_swap() : the same for a trace the collector wrote: an
 *  existing target is swapped with the partial file and then removed (see
 *  above: faster, less safe from a power cut). */
int ct_outfile_commit_swap(ct_outfile *f);

/*! ct_outfile_discard() : writing failed: remove the partial file (nothing
 *  to do when written directly). The target is untouched. */
void ct_outfile_discard(ct_outfile *f);

/*! ct_make_dirs() : mkdir -p: `dir` and its missing parents (0777 less the
 *  umask). @return 0, or -1 with errno. */
int ct_make_dirs(const char *dir);

/*! ct_outfile_free() : free what ct_outfile_begin() made (the files stay). */
void ct_outfile_free(ct_outfile *f);

/*! ct_errno_text() : errno as the messages of ctest-trace say it, in lower
 *  case: "no such file", "no space left on device", "permission denied".
 *  Never NULL. */
const char *ct_errno_text(int e);

/*! ct_outfile_error() : the same for a failure to create or write an
 *  output: ENOENT is then "no such directory". */
const char *ct_outfile_error(int e);

#endif /* CT_RECORDER_OUTFILE_H */
