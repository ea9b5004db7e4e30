/*
 * block_wait.c - where threads wait for a child process or a signal: the
 * wait family (wait, waitpid, waitid, wait3, wait4) and pause, sigsuspend,
 * sigwait, sigwaitinfo, sigtimedwait. The kernel makes the thread wait, so
 * a call that took at least CT_SYSCALL_MIN_US is a BLOCK event of kind
 * syscall, on no object (the format's object is a lock or an fd).
 *
 * system() and posix_spawn() wait from inside libc and are not seen here.
 *
 * A wait that reaps a process a test started, traced as a process of its
 * own, notes how it ended for its PROCESS_END (children.h).
 */
#include <signal.h>       /* sigsuspend, sigwait, sigwaitinfo, sigtimedwait */
#include <stdint.h>
#include <sys/resource.h> /* struct rusage */
#include <sys/wait.h>     /* wait, waitpid, waitid, wait3, wait4 */
#include <unistd.h>       /* pause */

#include "format/wire.h" /* CT_BLOCK_SYSCALL */
#include "plugin/children.h"
#include "plugin/interpose.h"

/* Referenced from session.c, so that a static link always takes this file. */
const char ct__block_wait_linked = 1;

CT_REAL(pid_t, wait, (int *))
CT_REAL(pid_t, waitpid, (pid_t, int *, int))
CT_REAL(int, waitid, (idtype_t, id_t, siginfo_t *, int))
CT_REAL(pid_t, wait3, (int *, int, struct rusage *))
CT_REAL(pid_t, wait4, (pid_t, int *, int, struct rusage *))
CT_REAL(int, pause, (void))
CT_REAL(int, sigsuspend, (const sigset_t *))
CT_REAL(int, sigwait, (const sigset_t *, int *))
CT_REAL(int, sigwaitinfo, (const sigset_t *, siginfo_t *))
CT_REAL(int, sigtimedwait, (const sigset_t *, siginfo_t *, const struct timespec *))

#define TIMED(call) CT_TIMED(call, CT_BLOCK_SYSCALL, CT_SYSCALL_MIN_US, 0)

/* rc, a pid reaped with *status (or not: 0, -1), noted. */
static pid_t reaped(pid_t rc, const int *status)
{
    if (rc > 0)
        ct__children_reaped(rc, *status);
    return rc;
}

static int reaped_info(int rc, const siginfo_t *info, int options)
{
    if (rc == 0 && info && !(options & WNOWAIT) && info->si_pid > 0) {
        int sig = info->si_code == CLD_KILLED || info->si_code == CLD_DUMPED;
        if (sig || info->si_code == CLD_EXITED) /* as waitpid's status */
            ct__children_reaped(info->si_pid, sig ? info->si_status & 0x7f
                                                  : (info->si_status & 0xff) << 8);
    }
    return rc;
}

CT_EXPORT pid_t wait(int *status)
{
    int own, *st = status ? status : &own;
    TIMED(reaped(get_wait()(st), st));
}

CT_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    int own, *st = status ? status : &own;
    TIMED(reaped(get_waitpid()(pid, st, options), st));
}

CT_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
    TIMED(reaped_info(get_waitid()(type, id, info, options), info, options));
}

CT_EXPORT pid_t wait3(int *status, int options, struct rusage *usage)
{
    int own, *st = status ? status : &own;
    TIMED(reaped(get_wait3()(st, options, usage), st));
}

CT_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    int own, *st = status ? status : &own;
    TIMED(reaped(get_wait4()(pid, st, options, usage), st));
}

CT_EXPORT int pause(void)
{
    TIMED(get_pause()());
}

CT_EXPORT int sigsuspend(const sigset_t *mask)
{
    TIMED(get_sigsuspend()(mask));
}

CT_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    TIMED(get_sigwait()(set, sig));
}

CT_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    TIMED(get_sigwaitinfo()(set, info));
}

CT_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    TIMED(get_sigtimedwait()(set, info, timeout));
}
