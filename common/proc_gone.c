/* proc_gone.c - a process's state, and whether it has ended (see proc_gone.h). */
#include "common/proc_gone.h"

#include <errno.h>  /* errno, ESRCH */
#include <fcntl.h>  /* open */
#include <signal.h> /* kill */
#include <string.h> /* strrchr, memcpy */
#include <unistd.h> /* read, close */

#include "common/decimal.h" /* ct_put_decimal */

/* The decimal (optionally negative) at *p, past the spaces before it. */
static long take_number(const char **p)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    int negative = *s == '-';
    s += negative;
    long v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (*s - '0');
    *p = s;
    return negative ? -v : v;
}

int ct_proc_stat_read(int pid, ct_proc_stat *out)
{
    int saved = errno;
    /* "/proc/" PID "/stat", written out: no stdio in a signal handler */
    char path[6 + CT_DECIMAL_MAX + 6] = "/proc/";
    memcpy(ct_put_decimal(path + 6, (unsigned)pid), "/stat", 6);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char buf[512];
    ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    errno = saved;
    if (got <= 0)
        return -1;
    buf[got] = '\0';
    const char *s = strrchr(buf, ')'); /* the name may hold anything */
    if (!s || s[1] != ' ' || !s[2])
        return -1;
    out->state = s[2];
    s += 3;
    out->ppid = (int)take_number(&s);
    for (int skip = 0; skip < 4; skip++) /* pgrp, session, tty_nr, tpgid */
        take_number(&s);
    out->flags = (unsigned)take_number(&s);
    return 0;
}

int ct_proc_gone(int pid)
{
    int saved = errno;
    int gone = kill(pid, 0) != 0 && errno == ESRCH;
    errno = saved;
    ct_proc_stat st;
    if (!gone && ct_proc_stat_read(pid, &st) == 0)
        gone = st.state == 'Z' || st.state == 'X';
    return gone;
}
