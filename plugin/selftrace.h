/*
 * selftrace.h - the process tracing itself (selftrace.c): ct_start() into a
 * file, or a live capture (serve.c) into a descriptor. One at a time, and
 * none under the runner.
 */
#ifndef CT_PLUGIN_SELFTRACE_H
#define CT_PLUGIN_SELFTRACE_H

/* Who traces this process. */
enum ct__self_owner {
    CT_SELF_NONE = 0,
    CT_SELF_START = 1,   /* ct_start() */
    CT_SELF_CAPTURE = 2, /* a live capture (ct_serve) */
    CT_SELF_RUNNER = 3,  /* ctest-trace, through CTRACE_POOL_FD */
};

/* Start tracing this process into `fd` (open for writing; taken, closed on
 * failure too) for `owner`. @return 0; CT_EALREADY when a tracer runs, its
 * owner in *busy_owner (else CT_SELF_NONE there); CT_EIO, CT_ENOMEM. */
int ct__self_start_fd(int fd, int owner, int *busy_owner);

/* Stop the tracer `owner` started: flush every thread's events, end the
 * trace and close its file. @return 0, CT_ENOTRACER when `owner` does not
 * run it, CT_EIO on a write error. */
int ct__self_stop(int owner);

#endif /* CT_PLUGIN_SELFTRACE_H */
