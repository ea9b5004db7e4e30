/*
 * test_runner_outfile.c - output files replaced only when complete
 * (recorder/outfile.c): what the runner's --trace, --junit and attachments
 * and the views' -o go through. Regular files are written beside and
 * renamed, symbolic links written through, FIFOs and devices written
 * directly; errno said in words.
 */
#include <stdarg.h> /* cmocka.h needs these first */
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>    /* ENOSPC, ... */
#include <fcntl.h>    /* open */
#include <stdio.h>    /* asprintf */
#include <stdlib.h>   /* mkdtemp, free */
#include <string.h>   /* strcmp, strlen */
#include <sys/stat.h> /* lstat, mkfifo, chmod */
#include <unistd.h>   /* write, close, symlink, unlink */

#include "recorder/outfile.h"

static char dir[] = "/tmp/ct-outfile-XXXXXX";

static char *in_dir(const char *name)
{
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

static void put(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static char *get(const char *path)
{
    static char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

/* Write `text` through the outfile the way callers do, then commit with
 * `commit`. */
static void write_with(ct_outfile *f, const char *text, int (*commit)(ct_outfile *))
{
    int fd = ct_outfile_open(f);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
    assert_int_equal(commit(f), 0);
}

static void write_through(ct_outfile *f, const char *text)
{
    write_with(f, text, ct_outfile_commit);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = NULL;
    if (asprintf(&cmd, "rm -rf '%s'", dir) > 0 && system(cmd) != 0)
        return -1;
    free(cmd);
    return 0;
}

static void test_new_file_appears_only_when_committed(void **state)
{
    (void)state;
    char *path = in_dir("new.out");
    ct_outfile f;
    assert_int_equal(ct_outfile_begin(&f, path), 0);
    assert_non_null(f.partial);
    int fd = ct_outfile_open(&f);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
    assert_null(get(path)); /* not there until complete */
    assert_string_equal(get(ct_outfile_writing(&f)), "x");
    assert_int_equal(ct_outfile_commit(&f), 0);
    assert_string_equal(get(path), "x");
    assert_null(get(f.partial));
    ct_outfile_free(&f);
    free(path);
}

static void test_existing_file_kept_until_commit_and_its_mode(void **state)
{
    (void)state;
    char *path = in_dir("old.out");
    put(path, "old");
    chmod(path, 0600);
    ct_outfile f;
    assert_int_equal(ct_outfile_begin(&f, path), 0);
    int fd = ct_outfile_open(&f);
    assert_int_equal(write(fd, "new", 3), 3);
    close(fd);
    assert_string_equal(get(path), "old");
    ct_outfile_discard(&f); /* a failed write: the old file stays, no partial */
    assert_string_equal(get(path), "old");
    assert_null(get(f.partial));
    write_through(&f, "new");
    assert_string_equal(get(path), "new");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    ct_outfile_free(&f);
    free(path);
}

/* The collector's traces: an existing file swapped out, then removed. */
static void test_trace_swapped_with_the_file_it_replaces(void **state)
{
    (void)state;
    char *path = in_dir("old.trace"), *fresh = in_dir("new.trace");
    put(path, "old");
    chmod(path, 0640);
    ct_outfile f, g;
    assert_int_equal(ct_outfile_begin(&f, path), 0);
    assert_int_equal(ct_outfile_begin(&g, fresh), 0);
    write_with(&f, "new", ct_outfile_commit_swap);
    write_with(&g, "made", ct_outfile_commit_swap); /* nothing to swap with */
    assert_string_equal(get(path), "new");
    assert_string_equal(get(fresh), "made");
    assert_null(get(f.partial)); /* the old content, removed */
    assert_null(get(g.partial));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    ct_outfile_free(&f);
    ct_outfile_free(&g);
    free(fresh);
    free(path);
}

static void test_symlink_written_through(void **state)
{
    (void)state;
    char *target = in_dir("target.out"), *link = in_dir("link.out"), *link2 = in_dir("link2");
    put(target, "old");
    assert_int_equal(symlink("target.out", link), 0); /* relative to its directory */
    assert_int_equal(symlink(link, link2), 0);        /* a chain, absolute */
    ct_outfile f;
    assert_int_equal(ct_outfile_begin(&f, link2), 0);
    assert_string_equal(f.target, target);
    write_through(&f, "new");
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode)); /* still links */
    assert_int_equal(lstat(link2, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_string_equal(get(target), "new");
    ct_outfile_free(&f);

    char *dangling = in_dir("dangling"), *made = in_dir("made.out");
    assert_int_equal(symlink("made.out", dangling), 0);
    assert_int_equal(ct_outfile_begin(&f, dangling), 0);
    write_through(&f, "made");
    assert_string_equal(get(made), "made");
    ct_outfile_free(&f);
    free(target), free(link), free(link2), free(dangling), free(made);
}

static void test_fifo_and_devices_written_directly(void **state)
{
    (void)state;
    char *fifo = in_dir("fifo");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    int reader = open(fifo, O_RDONLY | O_NONBLOCK);
    assert_true(reader >= 0);
    ct_outfile f;
    assert_int_equal(ct_outfile_begin(&f, fifo), 0);
    assert_null(f.partial);
    write_through(&f, "through");
    char buf[16] = {0};
    assert_int_equal(read(reader, buf, sizeof buf), 7);
    assert_string_equal(buf, "through");
    close(reader);
    struct stat st;
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    ct_outfile_free(&f);

    assert_int_equal(ct_outfile_begin(&f, "/dev/null"), 0);
    assert_null(f.partial);
    write_through(&f, "gone");
    ct_outfile_free(&f);

    /* /dev/stdout leads into /proc: the open file, never replaced */
    assert_int_equal(ct_outfile_begin(&f, "/dev/stdout"), 0);
    assert_null(f.partial);
    assert_true(strncmp(f.target, "/proc/", 6) == 0); /* opened, it is the open file */
    ct_outfile_free(&f);

    /* a full device: the write fails, with ENOSPC */
    assert_int_equal(ct_outfile_begin(&f, "/dev/full"), 0);
    int fd = ct_outfile_open(&f);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), -1);
    assert_int_equal(errno, ENOSPC);
    close(fd);
    ct_outfile_free(&f);
    free(fifo);
}

static void test_refused(void **state)
{
    (void)state;
    ct_outfile f;
    assert_int_equal(ct_outfile_begin(&f, dir), -1);
    assert_int_equal(errno, EISDIR);
    char *loop = in_dir("loop");
    assert_int_equal(symlink("loop", loop), 0);
    assert_int_equal(ct_outfile_begin(&f, loop), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(ct_outfile_begin(&f, ""), -1);
    free(loop);

    /* a missing directory: said when opening */
    char *missing = in_dir("no/such/file");
    assert_int_equal(ct_outfile_begin(&f, missing), 0);
    assert_int_equal(ct_outfile_open(&f), -1);
    assert_string_equal(ct_outfile_error(errno), "no such directory");
    ct_outfile_free(&f);
    free(missing);
}

static void test_partial_never_written_through_a_link(void **state)
{
    (void)state;
    char *path = in_dir("planted.out"), *victim = in_dir("victim");
    put(victim, "keep");
    char *partial = NULL;
    assert_true(asprintf(&partial, "%s.partial", path) > 0);
    assert_int_equal(symlink(victim, partial), 0);
    ct_outfile f;
    assert_int_equal(ct_outfile_begin(&f, path), 0);
    write_through(&f, "mine");
    assert_string_equal(get(victim), "keep");
    assert_string_equal(get(path), "mine");
    ct_outfile_free(&f);
    free(path), free(victim), free(partial);
}

static void test_errno_in_words(void **state)
{
    (void)state;
    assert_string_equal(ct_errno_text(ENOENT), "no such file");
    assert_string_equal(ct_errno_text(ENOSPC), "no space left on device");
    assert_string_equal(ct_errno_text(EACCES), "permission denied");
    assert_string_equal(ct_errno_text(EPIPE), "broken pipe"); /* strerror, lower case */
    assert_string_equal(ct_outfile_error(ENOENT), "no such directory");
    assert_string_equal(ct_outfile_error(EROFS), "read-only file system");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_file_appears_only_when_committed),
        cmocka_unit_test(test_existing_file_kept_until_commit_and_its_mode),
        cmocka_unit_test(test_trace_swapped_with_the_file_it_replaces),
        cmocka_unit_test(test_symlink_written_through),
        cmocka_unit_test(test_fifo_and_devices_written_directly),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_partial_never_written_through_a_link),
        cmocka_unit_test(test_errno_in_words),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
