/*
 * collector_owner.c - which process runs a child's tests: the one that took
 * its pool. That is the child the runner started, or a program that a
 * wrapper it started exec'd in its place (env, sh -c 'exec ...', valgrind)
 * or started (sh -c 'cd dir && ./suite', timeout). That process names
 * itself in slot 0 of the process table (plugin/children.c); what the trace
 * says of the child, its pid and executable, is that process's.
 */
#include <limits.h>   /* PATH_MAX */
#include <stdlib.h>   /* realpath, free */
#include <string.h>   /* strnlen, strncmp, strcmp, strdup, memcpy */

#include "recorder/collector_internal.h"

void ct__owner_started(ct_child_pool *p, int pid, const char *exe)
{
    p->child_pid = pid;
    p->child_real = realpath(exe, NULL); /* as /proc/PID/exe names it */
}

void ct__owner_free(ct_child_pool *p)
{
    free(p->child_real);
    free((char *)p->proc.exe);
    p->child_real = NULL;
    p->proc.exe = NULL;
}

/* Whether `full` is the path slot 0 gave, which is cut to fit. */
static int same_path(const char *full, const char *said)
{
    size_t n = strlen(said);
    return n == CT_POOL_EXE_BYTES - 1 ? strncmp(full, said, n) == 0 : strcmp(full, said) == 0;
}

int ct__owner_take(ct_child_pool *p)
{
    if (p->owner_known)
        return 1;
    const ct_pool_proc *slot = &p->drainer.procs[0];
    uint32_t pid = __atomic_load_n(&slot->pid, __ATOMIC_ACQUIRE); /* its exe written before */
    if (pid == 0)
        return 0;
    p->owner_known = 1;
    char said[CT_POOL_EXE_BYTES];
    size_t n = strnlen(slot->exe, sizeof said - 1);
    memcpy(said, slot->exe, n);
    said[n] = '\0';
    p->proc.pid = pid;
    if (said[0] == '\0' ||
        (pid == (uint32_t)p->child_pid && p->child_real && same_path(p->child_real, said)))
        return 1; /* the child itself (or it could not tell): named as the runner started it */
    /* Its whole path while it runs (slot 0 holds a cut one). */
    char full[PATH_MAX];
    int known = ct__proc_exe(pid, full, sizeof full) == 0 && same_path(full, said);
    char *copy = strdup(known ? full : said);
    if (copy) {
        free((char *)p->proc.exe);
        p->proc.exe = copy;
    }
    return 1;
}
