/* proc_gone.c - whether a process has ended (see proc_gone.h). */
#include "common/proc_gone.h"

#include <errno.h>  /* errno, ESRCH */
#include <fcntl.h>  /* open */
#include <signal.h> /* kill */
#include <string.h> /* strrchr */
#include <unistd.h> /* read, close */

int ct_proc_gone(int pid)
{
    int saved = errno;
    int gone = kill(pid, 0) != 0 && errno == ESRCH;
    if (!gone) { /* "/proc/" PID "/stat", written out: no stdio in a signal handler */
        char path[32] = "/proc/", digits[12];
        size_t n = 6, d = 0;
        for (unsigned v = (unsigned)pid; d == 0 || v; v /= 10)
            digits[d++] = (char)('0' + v % 10);
        while (d > 0)
            path[n++] = digits[--d];
        memcpy(path + n, "/stat", 6);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        char buf[512];
        ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (fd >= 0)
            close(fd);
        if (got > 0) {
            buf[got] = '\0';
            const char *paren = strrchr(buf, ')');
            gone = paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
        }
    }
    errno = saved;
    return gone;
}
