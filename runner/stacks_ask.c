/*
 * stacks_ask.c - send the stack request to each thread of a process
 * (stacks_ask.h).
 */
#include "stacks_ask.h"

#include <dirent.h>      /* opendir, readdir */
#include <stdio.h>       /* snprintf */
#include <stdlib.h>      /* strtol */
#include <sys/syscall.h> /* SYS_tgkill */
#include <unistd.h>      /* syscall */

unsigned rn_stacks_ask(int pid, int sig)
{
    if (sig <= 0 || pid <= 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return 0;
    unsigned sent = 0;
    /* A thread started while we read is not asked: the stacks are of the
     * threads there were when the time ran out. */
    for (struct dirent *d; (d = readdir(dir)) != NULL;) {
        char *end;
        long tid = strtol(d->d_name, &end, 10);
        if (end == d->d_name || *end != '\0' || tid <= 0)
            continue; /* "." and ".." */
        if (syscall(SYS_tgkill, pid, (int)tid, sig) == 0)
            sent++;
    }
    closedir(dir);
    return sent;
}
