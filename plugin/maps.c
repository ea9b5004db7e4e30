/* maps.c - the process's file mappings, from /proc/self/maps (maps.h). */
#include "plugin/maps.h"

#include <errno.h>  /* errno, EINTR */
#include <fcntl.h>  /* open */
#include <stdlib.h> /* malloc, free */
#include <string.h> /* memchr, memmove, strlen */
#include <unistd.h> /* read, close */

#include "plugin/thread.h" /* ct__untraced_begin */

/* Room for a line: addresses, flags, offset, device, inode, and a path of
 * PATH_MAX (4096). A longer line is passed over. */
#define LINE_MAX_BYTES 8192

static const char DELETED[] = " (deleted)";

/* Hex digits at *p, moved past. */
static uint64_t hex(const char **p, const char *end)
{
    uint64_t v = 0;
    for (; *p < end; ++*p) {
        char c = **p;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                                           : 16u;
        if (d == 16u)
            break;
        v = v << 4 | d;
    }
    return v;
}

/* One line, without its newline, NUL-terminated at end: "LO-HI PERMS
 * OFFSET DEV INODE   PATH". @return fn's answer, 0 for a line with no file. */
static int line(char *p, char *end, int (*fn)(void *, uint64_t, uint64_t, const char *),
                void *arg)
{
    const char *q = p;
    uint64_t lo = hex(&q, end);
    if (q >= end || *q != '-')
        return 0;
    q++;
    uint64_t hi = hex(&q, end);
    for (int field = 0; field < 4; field++) { /* past perms, offset, dev, inode */
        while (q < end && *q == ' ')
            q++;
        while (q < end && *q != ' ')
            q++;
    }
    while (q < end && *q == ' ')
        q++;
    if (q >= end || *q != '/')
        return 0; /* anonymous, or [heap], [stack], [vdso] */
    size_t len = (size_t)(end - q);
    if (len > sizeof DELETED - 1 && memcmp(end - (sizeof DELETED - 1), DELETED,
                                           sizeof DELETED - 1) == 0)
        end[-(long)(sizeof DELETED - 1)] = '\0';
    return fn(arg, lo, hi, q);
}

int ct__maps_each(int (*fn)(void *arg, uint64_t lo, uint64_t hi, const char *path), void *arg)
{
    uint8_t was = ct__untraced_begin(); /* the tracer's own open and reads */
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ct__untraced_end(was);
        return -1;
    }
    char *buf = malloc(LINE_MAX_BYTES + 1);
    if (!buf) {
        close(fd);
        ct__untraced_end(was);
        return -1;
    }
    size_t have = 0;
    int skipping = 0, done = 0, rc = 0;
    while (!done) {
        ssize_t k = read(fd, buf + have, LINE_MAX_BYTES - have);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = k < 0 ? -1 : 0;
            break;
        }
        have += (size_t)k;
        char *p = buf, *end = buf + have, *nl;
        while (!done && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            *nl = '\0';
            if (!skipping)
                done = line(p, nl, fn, arg);
            skipping = 0;
            p = nl + 1;
        }
        have = (size_t)(end - p);
        if (have == LINE_MAX_BYTES) { /* a line longer than the buffer: passed over */
            skipping = 1;
            have = 0;
        } else {
            memmove(buf, p, have);
        }
    }
    free(buf);
    close(fd);
    ct__untraced_end(was);
    return rc;
}
