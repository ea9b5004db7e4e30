/*
 * block_wait.c - where threads wait for a child process or a signal: the
 * wait family (wait, waitpid, waitid, wait3, wait4) and pause, sigsuspend,
 * sigwait, sigwaitinfo, sigtimedwait. The kernel makes the thread wait, so
 * a call that took at least CT_SYSCALL_MIN_US is a BLOCK event of kind
 * syscall, on no object (the format's object is a lock or an fd).
 *
 * system() and posix_spawn() wait from inside libc and are not seen here.
 */
#include <signal.h>       /* sigsuspend, sigwait, sigwaitinfo, sigtimedwait */
#include <stdint.h>
#include <sys/resource.h> /* struct rusage */
#include <sys/wait.h>     /* wait, waitpid, waitid, wait3, wait4 */
#include <unistd.h>       /* pause */

#include "format/wire.h" /* CT_BLOCK_SYSCALL */
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

CT_EXPORT pid_t wait(int *status)
{
    TIMED(get_wait()(status));
}

CT_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    TIMED(get_waitpid()(pid, status, options));
}

CT_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
    TIMED(get_waitid()(type, id, info, options));
}

CT_EXPORT pid_t wait3(int *status, int options, struct rusage *usage)
{
    TIMED(get_wait3()(status, options, usage));
}

CT_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    TIMED(get_wait4()(pid, status, options, usage));
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
