/*
 * main.c - ctest-trace: run cmocka test binaries traced, like `go test
 * -trace`, and read their traces, like `go tool trace` (DESIGN.md §4).
 *
 *     ctest-trace [flags] BINARY [BINARY...] [-- ARGS]    run.c
 *     ctest-trace stats|tasks|regions|export ... TRACE    view.c
 *     ctest-trace merge -o OUT FILE...                  merge.c
 */
#include <fcntl.h>  /* open, fcntl */
#include <stdio.h>  /* printf */
#include <signal.h> /* signal */
#include <string.h> /* strcmp */
#include <unistd.h> /* close */

#include "cli.h"

/* Make sure fds 0-2 are open, so a pipe or trace file never takes their
 * place and is then overwritten by the child's stdout. */
static void keep_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1)
            continue;
        int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (null >= 0 && null != fd)
            close(null); /* cannot happen: open takes the lowest free fd */
    }
}

int main(int argc, char **argv)
{
    keep_std_fds();
    /* An ignored SIGCHLD (inherited) would make waitpid() fail: the run
     * waits for its binaries and its -p runners. */
    signal(SIGCHLD, SIG_DFL);
    if (argc < 2) {
        rn_usage(stderr);
        return RN_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (strcmp(first, "help") == 0) {
        rn_usage(stdout);
        return RN_EXIT_OK;
    }
    if (strcmp(first, "version") == 0) {
        printf("ctest-trace %s\n", CT_VERSION);
        return RN_EXIT_OK;
    }
    if (strcmp(first, "compare") == 0)
        return rn_cmd_compare(argc - 2, argv + 2);
    if (strcmp(first, "merge") == 0)
        return rn_cmd_merge(argc - 2, argv + 2);
    if (rn_is_view(first))
        return rn_cmd_view(first, argc - 2, argv + 2);
    return rn_cmd_run(argc - 1, argv + 1);
}
