/* fuzz_common.c - read a trace from memory the ways the tools do: an event
 * at a time, in batches (the views), and as text. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>   /* malloc, free */
#include <sys/mman.h> /* memfd_create */
#include <unistd.h>

#include <ctrace_reader.h>

#define BATCH 64

/* Every byte of the texts of evs[0..n): each must still be there. */
static uint64_t text_sum(const ctr_event *evs, size_t n)
{
    uint64_t sum = 0;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < evs[k].name_len; i++)
            sum += (uint8_t)evs[k].name[i];
        for (size_t i = 0; i < evs[k].message_len; i++)
            sum += (uint8_t)evs[k].message[i];
    }
    return sum;
}

/* The trace at `path` in batches, each batch's texts read once it is whole. */
static void read_batches(const char *path)
{
    ctr_reader *r;
    ctr_event *evs = malloc(BATCH * sizeof *evs);
    if (evs && ctr_open(&r, path) == 0) {
        size_t n;
        uint64_t sum = 0;
        while (ctr_next_batch(r, evs, BATCH, &n) == 1)
            sum += text_sum(evs, n);
        (void)sum;
        ctr_close(r);
    }
    free(evs);
}

void fuzz_read_trace(const uint8_t *bytes, size_t size)
{
    int fd = memfd_create("fuzz-trace", MFD_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, bytes, size) != (ssize_t)size) {
        close(fd);
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ctr_reader *r;
    if (ctr_open(&r, path) == 0) {
        ctr_event ev;
        uint64_t sum = 0;
        while (ctr_next(r, &ev) == 1)
            sum += text_sum(&ev, 1);
        (void)sum;
        ctr_close(r);
    }
    read_batches(path);
    FILE *null = fopen("/dev/null", "w");
    char err[256];
    if (null) {
        ctr_text_dump(path, null, err, sizeof err);
        fclose(null);
    }
    close(fd);
}
