/*
 * fd_kind.c - telling sockets from other files, for the kind of a wait.
 *
 * Asked only when a call on the descriptor has already waited past its
 * threshold (5 us), so one fstat(2) here (about 0.5 us, bench/io) is at
 * most a tenth of a wait that is recorded, and nothing on the calls that
 * are not.
 * Hence no per-process cache of fd kinds: it would save that fstat on
 * recorded waits only, and could not be kept true, since descriptors close
 * and get reused behind any interposer (fclose() and close_range() call
 * the kernel from inside libc, a forked helper, dup2() in posix_spawn's
 * actions, syscall(SYS_close)), so a stale entry would misname every later
 * wait on that number. Asking after the call has one race of its own: an
 * fd another thread closes, and perhaps reuses, in the instant between the
 * call's return and the fstat. The wait is then still recorded, with the
 * fd's number and its length; only its kind may be wrong (syscall for a
 * closed fd, the new file's kind for a reused one).
 */
#include "plugin/fd_kind.h"

#include <sys/stat.h> /* fstat, S_ISSOCK */

#include "format/wire.h" /* CT_BLOCK_NET, CT_BLOCK_SYSCALL */

unsigned ct__fd_block_kind(int fd)
{
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
        return CT_BLOCK_NET;
    return CT_BLOCK_SYSCALL;
}
