/*
 * test_maps.c - the process's file mappings as ct__maps_each() reads them
 * from /proc/self/maps (plugin/maps.c): a file's path whole, a deleted
 * file's without " (deleted)", paths with spaces, the walk stopped when asked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>    /* open */
#include <stdio.h>    /* snprintf */
#include <stdlib.h>   /* mkdtemp, realpath */
#include <string.h>   /* strcmp */
#include <sys/mman.h> /* mmap */
#include <unistd.h>   /* unlink, close, write */
#include <cmocka.h>

#include "plugin/maps.h"

struct find {
    uint64_t addr;
    char path[4096];
    int found, seen;
};

static int find_addr(void *arg, uint64_t lo, uint64_t hi, const char *path)
{
    struct find *f = arg;
    f->seen++;
    if (f->addr >= lo && f->addr < hi) {
        snprintf(f->path, sizeof f->path, "%s", path);
        f->found = 1;
        return 1;
    }
    return 0;
}

/* The directory part of path, in a buffer of its own. */
static char *dirname_of(char *path)
{
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    return dir;
}

/* A page of a file made in a fresh directory, mapped; the file then removed
 * if `remove`. @return the mapping. */
static void *map_file(char *path, size_t cap, const char *name, int remove)
{
    char dir[] = "/tmp/ctrace-maps-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *real = realpath(dir, NULL);
    assert_non_null(real);
    snprintf(path, cap, "%s/%s", real, name);
    free(real);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 4096), 0);
    void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    close(fd);
    if (remove) {
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dirname_of(path)), 0);
    }
    return p;
}

/* A page of file `name`, mapped (the file then removed if `remove`), is
 * named by its path whole. */
static void assert_named(const char *name, int remove)
{
    char path[4096];
    void *p = map_file(path, sizeof path, name, remove);
    struct find f = {.addr = (uint64_t)(uintptr_t)p};
    assert_int_equal(ct__maps_each(find_addr, &f), 0);
    assert_true(f.found);
    assert_string_equal(f.path, path);
    munmap(p, 4096);
    if (!remove) {
        unlink(path);
        rmdir(dirname_of(path));
    }
}

static void test_a_mapped_file_is_named(void **state)
{
    (void)state;
    assert_named("a file with spaces", 0);
}

static void test_a_deleted_file_is_named_without_the_mark(void **state)
{
    (void)state;
    assert_named("gone.so", 1);
}

/* The walk stops at the first mapping fn says is enough: the executable's
 * own code comes before the files mapped later. */
static void test_the_walk_stops_when_asked(void **state)
{
    (void)state;
    struct find f = {.addr = (uint64_t)(uintptr_t)&test_the_walk_stops_when_asked};
    assert_int_equal(ct__maps_each(find_addr, &f), 0);
    assert_true(f.found);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = '\0';
    assert_string_equal(f.path, exe);
    struct find all = {.addr = 0};
    assert_int_equal(ct__maps_each(find_addr, &all), 0);
    assert_true(all.seen > f.seen); /* libc and more come after it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_mapped_file_is_named),
        cmocka_unit_test(test_a_deleted_file_is_named_without_the_mark),
        cmocka_unit_test(test_the_walk_stops_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
