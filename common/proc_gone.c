/* proc_gone.c - whether a process has ended (see proc_gone.h). */
#include "common/proc_gone.h"

#include <errno.h>  /* errno, ESRCH */
#include <fcntl.h>  /* open */
#include <signal.h> /* kill */
#include <string.h> /* strrchr */
#include <unistd.h> /* read, close */

#include "common/decimal.h" /* ct_put_decimal */

int ct_proc_gone(int pid)
{
    int saved = errno;
    int gone = kill(pid, 0) != 0 && errno == ESRCH;
    if (!gone) { /* "/proc/" PID "/stat", written out: no stdio in a signal handler */
        char path[6 + CT_DECIMAL_MAX + 6] = "/proc/";
        memcpy(ct_put_decimal(path + 6, (unsigned)pid), "/stat", 6);
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
