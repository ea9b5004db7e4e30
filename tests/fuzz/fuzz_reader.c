/*
 * fuzz_reader.c - any bytes given to the reader: it reads to the end or to
 * the damage, and never crashes, hangs or leaks.
 *
 * With clang: -Dfuzz=true builds fuzz_reader_libfuzzer (libFuzzer). Always:
 * replay_reader runs every file of corpus/ through the same function as an
 * ordinary test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h> /* memfd_create */
#include <unistd.h>

#include <ctrace_reader.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-trace", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ctr_reader *r;
    if (ctr_open(&r, path) == 0) {
        ctr_event ev;
        uint64_t sum = 0;
        while (ctr_next(r, &ev) == 1) {
            /* Touch every byte the reader hands out. */
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
    return 0;
}
