/* fuzz_common.c - read a trace from memory the ways the tools do. */
#include "fuzz_common.h"

#include <stdio.h>
#include <sys/mman.h> /* memfd_create */
#include <unistd.h>

#include <ctrace_reader.h>

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
        while (ctr_next(r, &ev) == 1) {
            for (size_t i = 0; i < ev.name_len; i++)
                sum += (uint8_t)ev.name[i];
            for (size_t i = 0; i < ev.message_len; i++)
                sum += (uint8_t)ev.message[i];
        }
        (void)sum;
        ctr_close(r);
    }
    FILE *null = fopen("/dev/null", "w");
    char err[256];
    if (null) {
        ctr_text_dump(path, null, err, sizeof err);
        fclose(null);
    }
    close(fd);
}
