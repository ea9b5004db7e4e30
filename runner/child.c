/*
 * child.c - spawn a test binary traced and collect it (child.h).
 */
#include "child.h"

#include <errno.h>    /* errno, EINTR, EAGAIN */
#include <fcntl.h>    /* O_CLOEXEC, O_NONBLOCK, fcntl */
#include <poll.h>     /* poll */
#include <signal.h>   /* sigaction, kill */
#include <stdarg.h>   /* va_list */
#include <stdio.h>    /* snprintf, asprintf */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* strncmp, strerror */
#include <sys/prctl.h> /* prctl, PR_SET_PDEATHSIG */
#include <sys/syscall.h> /* SYS_pidfd_open */
#include <sys/wait.h> /* waitpid */
#include <time.h>     /* clock_gettime */
#include <unistd.h>   /* vfork, pipe2, dup2, execve, read, write */

#include "common/proc_gone.h" /* ct_proc_stat_read */
#include "stacks_ask.h"

extern char **environ;

#define POLL_MS 10               /* how often the pool is drained */
#define READS_PER_ROUND 16       /* then drain even if output keeps coming */
#define GRACE_NS 2000000000ull   /* wait for the pipe to close after exit */
#define CHILDREN_GRACE_NS 1000000000ull /* trace the processes its tests started
                                           that still run after it exited */
#define GATHER_NS 1000000        /* after output came, wait this long for more */
#define PIPE_BYTES (1 << 20)     /* the output pipe's capacity, when allowed */

/* Does this process hold CAP_SYS_RESOURCE or CAP_SYS_ADMIN, so that the
 * kernel does not hold its pipes to fs.pipe-user-pages-soft? (Root in a
 * container often holds neither.) */
static int pipe_quota_exempt(void)
{
    static int exempt = -1; /* not read yet */
    if (exempt >= 0)
        return exempt;
    exempt = 0;
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return exempt;
    char line[256];
    unsigned long long caps = 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = sscanf(line, "CapEff: %llx", &caps) == 1;
    fclose(f);
    exempt = found && (caps >> 24 & 1 || caps >> 21 & 1); /* CAP_SYS_RESOURCE, CAP_SYS_ADMIN */
    return exempt;
}

uint64_t rn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- signals: pass them to the child, remember them for the caller --------- */

static volatile sig_atomic_t g_signal; /* last signal received */
static volatile sig_atomic_t g_count;  /* how many */

static void on_signal(int sig)
{
    g_signal = sig;
    if (g_count < 1000)
        g_count = g_count + 1;
}

static const int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NFORWARDED (sizeof forwarded_signals / sizeof forwarded_signals[0])

static void catch_signals(struct sigaction old[NFORWARDED])
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_signal = 0;
    g_count = 0;
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded_signals[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction old[NFORWARDED])
{
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded_signals[i], &old[i], NULL);
}

/* ---- the child's environment ------------------------------------------------- */

#define MAX_OWNED 14 /* assignments child_env() makes */

/* Is `entry` an assignment of one of the variables the runner sets? */
static int is_ours(const char *entry, const rn_child_spec *spec)
{
    static const char *const names[] = {CT_ENV_POOL_FD, CT_ENV_RUN,    CT_ENV_SKIP,
                                        CT_ENV_MARKERS, CT_ENV_COUNT,  CT_ENV_RESUME,
                                        CT_ENV_ASSERT,  CT_ENV_SHARD,  CT_ENV_LIST,
                                        CT_ENV_FAILFAST, CT_ENV_SHUFFLE, CT_ENV_FOLLOW_CHILDREN,
                                        CT_ENV_CHILD_POOL, CT_ENV_CPU_HZ};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(entry, names[i], n) == 0 && entry[n] == '=')
            return 1;
    }
    if (spec->preload != NULL) /* extended, not replaced */
        return strncmp(entry, "LD_PRELOAD=", 11) == 0 ||
               strncmp(entry, "ASAN_OPTIONS=", 13) == 0;
    return 0;
}

/* *slot = the formatted assignment. @return -1 (and *slot NULL) when out
 * of memory. */
static int __attribute__((format(printf, 2, 3))) assign(char **slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(slot, fmt, ap);
    va_end(ap);
    if (n < 0)
        *slot = NULL; /* vasprintf leaves it undefined */
    return n < 0 ? -1 : 0;
}

/* VAR=`list`:`item`, `list` being VAR's value in the environment (NULL or
 * empty: VAR=`item`). */
static int append_item(char **slot, const char *var, const char *item)
{
    const char *list = getenv(var);
    if (list == NULL || *list == '\0')
        return assign(slot, "%s=%s", var, item);
    return assign(slot, "%s=%s:%s", var, list, item);
}

/* environ without our variables, then ours. The strings of ours are in
 * `owned` (freed by the caller). NULL when out of memory. */
static char **child_env(const char *pool_env, const rn_child_spec *spec,
                        char *owned[MAX_OWNED])
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = malloc((n + MAX_OWNED + 2) * sizeof *env);
    if (env == NULL)
        return NULL;
    size_t k = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_ours(environ[i], spec))
            env[k++] = environ[i];
    }
    env[k++] = (char *)pool_env;
    memset(owned, 0, MAX_OWNED * sizeof *owned);
    int bad = assign(&owned[o++], "%s=%s", CT_ENV_MARKERS, spec->nonce);
    if (spec->run_re != NULL)
        bad |= assign(&owned[o++], "%s=%s", CT_ENV_RUN, spec->run_re);
    if (spec->skip_re != NULL)
        bad |= assign(&owned[o++], "%s=%s", CT_ENV_SKIP, spec->skip_re);
    if (spec->shard != NULL)
        bad |= assign(&owned[o++], "%s=%s", CT_ENV_SHARD, spec->shard);
    if (spec->asserts != NULL)
        bad |= assign(&owned[o++], "%s=%s", CT_ENV_ASSERT, spec->asserts);
    if (spec->count > 1)
        bad |= assign(&owned[o++], "%s=%lu", CT_ENV_COUNT, spec->count);
    if (spec->resume > 0)
        bad |= assign(&owned[o++], "%s=%lu", CT_ENV_RESUME, spec->resume);
    if (spec->list_re != NULL)
        bad |= assign(&owned[o++], "%s=%s", CT_ENV_LIST, spec->list_re);
    if (spec->failfast)
        bad |= assign(&owned[o++], "%s=1", CT_ENV_FAILFAST);
    if (spec->no_children)
        bad |= assign(&owned[o++], "%s=off", CT_ENV_FOLLOW_CHILDREN);
    if (spec->shuffle_seed != NULL)
        bad |= assign(&owned[o++], "%s=%s", CT_ENV_SHUFFLE, spec->shuffle_seed);
    bad |= assign(&owned[o++], "%s=%lu", CT_ENV_CPU_HZ, spec->cpu_hz);
    if (spec->preload != NULL) {
        /* After the user's own preloads (a sanitizer runtime must come
         * first); ASan, which checks that it does, is told we know. */
        bad |= append_item(&owned[o++], "LD_PRELOAD", spec->preload);
        bad |= append_item(&owned[o++], "ASAN_OPTIONS", "verify_asan_link_order=0");
    }
    if (bad) {
        for (size_t i = 0; i < MAX_OWNED; i++) {
            free(owned[i]);
            owned[i] = NULL;
        }
        free(env);
        return NULL;
    }
    for (size_t i = 0; i < o; i++)
        env[k++] = owned[i];
    env[k] = NULL;
    return env;
}

/* ---- between fork and exec ---------------------------------------------------- */

/* Why the child could not exec, sent back on a close-on-exec pipe. */
struct exec_report {
    int stage; /* 1 pool, 2 output, 3 exec */
    int err;   /* errno */
};

static void report_and_exit(int fd, int stage)
{
    struct exec_report r = {stage, errno};
    ssize_t w;
    do
        w = write(fd, &r, sizeof r);
    while (w < 0 && errno == EINTR);
    _exit(127);
}

/* In the child, made by vfork (spawn()): async-signal-safe calls only, on
 * the runner's memory until the exec, every signal blocked until the
 * runner's handlers are gone. `mask`: the mask the test starts with. */
static void exec_child(const rn_child_spec *spec, char **env, const ct_child_pool *pool,
                       int out_w, int report_w, pid_t runner, const sigset_t *mask)
{
    /* A runner that dies, even of SIGKILL, takes its test process along: no
     * test is left running with nobody reading its output. The runner may
     * have died before this line: then it is gone already. */
    (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != runner)
        _exit(127);
    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGPIPE, &dfl, NULL); /* the runner ignores it; tests should not */
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded_signals[i], &dfl, NULL);
    sigprocmask(SIG_SETMASK, mask, NULL);

    if (ct_child_pool_inherit(pool) != 0)
        report_and_exit(report_w, 1);
    if (dup2(out_w, STDOUT_FILENO) < 0 || dup2(out_w, STDERR_FILENO) < 0)
        report_and_exit(report_w, 2);
    execve(spec->exe, spec->argv, env);
    report_and_exit(report_w, 3);
}

/* Start the child. vfork, not fork: the runner's page tables (its pool,
 * its heap) are not copied for a process that is about to exec, nor its
 * pages write-faulted after as copies on write (about 0.3 ms a run here).
 * Every signal stays blocked from before the vfork until the child has
 * put back the default handlers: a handler of the runner's running in the
 * child would write the runner's memory. @return the pid, or -1 (errno). */
static pid_t spawn(const rn_child_spec *spec, char **env, const ct_child_pool *pool, int out_w,
                   int report_w)
{
    pid_t runner = getpid();
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    pid_t pid = vfork();
    if (pid == 0)
        exec_child(spec, env, pool, out_w, report_w, runner, &before);
    int saved_errno = errno;
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    errno = saved_errno;
    return pid;
}

static const char *stage_text(int stage)
{
    switch (stage) {
    case 1: return "cannot pass the trace pool";
    case 2: return "cannot redirect output";
    default: return "exec failed";
    }
}

/* ---- the parent --------------------------------------------------------------- */

static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int wait_blocking(int pid, int *status)
{
    int r;
    do
        r = waitpid(pid, status, 0);
    while (r < 0 && errno == EINTR);
    return r;
}

/* A file descriptor that polls readable once `pid` has ended (Linux 5.3),
 * or -1 where there is none (an older kernel, a seccomp filter): the caller
 * then looks with waitpid(WNOHANG) every millisecond. */
static int open_pidfd(int pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0); /* close-on-exec */
#else
    (void)pid;
    return -1;
#endif
}

/* Let output gather for GATHER_NS, but wake as the child ends. */
static void gather(int pidfd)
{
    static const struct timespec pause = {0, GATHER_NS};
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    if (pidfd < 0)
        nanosleep(&pause, NULL);
    else
        (void)poll(&pfd, 1, GATHER_NS / 1000000);
}

static void note_error(rn_child_result *res, int rc)
{
    if (rc != 0 && res->trace_error == 0)
        res->trace_error = rc;
}

/* Read what is there (a bounded amount); returns 1 at end of output. */
static int read_output(int fd, rn_output_fn *fn, void *ctx)
{
    char buf[64 * 1024];
    for (int i = 0; i < READS_PER_ROUND; i++) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            fn(ctx, buf, (size_t)n, rn_now_ns());
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return 1; /* a read error ends the output */
    }
    return 0;
}

#define PF_EXITING 0x4u /* linux/sched.h: the process is in exit() */

/* Whether `pid` still runs: not a zombie, and not on its way out (a process
 * leaving closes its files before it becomes a zombie). Its output closing
 * then is its own doing, not its end. */
static int still_running(int pid)
{
    ct_proc_stat st;
    return ct_proc_stat_read(pid, &st) == 0 && st.state != 'Z' && st.state != 'X' &&
           st.state != 'x' && !(st.flags & PF_EXITING);
}

/* Whether the child ran out of time: 0 not yet, 1 its own deadline (the
 * caller's, told when the child's tracer last counted progress), 2 the
 * run's. */
static int out_of_time(ct_collector *c, ct_child_pool *pool, rn_deadline_fn *deadline,
                       void *ctx, uint64_t start_ns, const rn_child_spec *spec)
{
    uint64_t now = rn_now_ns();
    if (spec->run_deadline_ns && now >= spec->run_deadline_ns)
        return 2;
    if (!spec->timeout_ns)
        return 0;
    ct_child_progress p;
    ct_collector_child_progress(c, pool, &p);
    return now >= deadline(ctx, start_ns, spec->timeout_ns, p.progress_mono_ns);
}

/* The process that runs the child's tests when it is not the child: a
 * wrapper the child is started it (sh -c 'cd dir && ./suite'). Held by a
 * pidfd opened as soon as it attached, so that a signal meant for it never
 * reaches a process that took its pid after it ended; signalled only if it
 * descends from the child. */
typedef struct tests_proc {
    int pid; /* 0: not known yet, or the child itself */
    int fd;
    int looked; /* it attached: looked at once */
} tests_proc;

/* Whether `pid` descends from `ancestor`: not a process that took the pid
 * of one gone, nor a number from another pid namespace (a wrapper such as
 * unshare -p) that names another process here. */
static int descends_from(int pid, int ancestor)
{
    ct_proc_stat st;
    for (int depth = 0; depth < 64 && pid > 1 && ct_proc_stat_read(pid, &st) == 0; depth++) {
        pid = st.ppid;
        if (pid == ancestor)
            return 1;
    }
    return 0;
}

static void tests_proc_look(tests_proc *t, ct_collector *c, ct_child_pool *pool, int child)
{
    if (t->looked)
        return;
    ct_child_progress p;
    ct_collector_child_progress(c, pool, &p);
    if (p.tests_pid == 0)
        return;
    t->looked = 1;
    if (p.tests_pid != child) {
        t->pid = p.tests_pid;
        t->fd = open_pidfd(t->pid);
        if (t->fd >= 0 && !descends_from(t->pid, child)) { /* checked once it is held */
            close(t->fd);
            t->fd = -1;
        }
    }
}

/* @return 0 sent (0: whether it is there), -1 not. */
static int tests_proc_signal(const tests_proc *t, int sig)
{
#ifdef SYS_pidfd_send_signal
    if (t->fd >= 0)
        return syscall(SYS_pidfd_send_signal, t->fd, sig, NULL, 0) == 0 ? 0 : -1;
#else
    (void)sig;
#endif
    return -1;
}

/* Out of time: first ask each thread for its stack (stacks_ask.h), of the
 * process that runs the tests. The kill comes when all answered, or the
 * wait is over. @return when it comes at the latest. */
static uint64_t ask_for_stacks(ct_collector *c, ct_child_pool *pool, int pid,
                               const tests_proc *tests, rn_child_result *res)
{
    ct_child_progress p;
    ct_collector_child_progress(c, pool, &p);
    res->stack_signal = p.stack_signal;
    if (tests->pid == 0)
        res->stacks_asked = rn_stacks_ask(pid, p.stack_signal);
    else if (tests_proc_signal(tests, 0) == 0)
        res->stacks_asked = rn_stacks_ask(tests->pid, p.stack_signal);
    return rn_now_ns() + (res->stacks_asked ? RN_STACKS_WAIT_NS : 0);
}

/* Hung: SIGKILL, which no handler of the test can stop, once its threads
 * answered or the wait is over. What it wrote is in the pool; the
 * collector records why it ended. */
static void kill_when_answered(ct_collector *c, ct_child_pool *pool, int pid,
                               const tests_proc *tests, const rn_child_spec *spec,
                               uint64_t kill_at, rn_child_result *res)
{
    ct_child_progress p;
    ct_collector_child_progress(c, pool, &p);
    res->stacks_answered = p.stacks_answered < res->stacks_asked ? p.stacks_answered
                                                                 : res->stacks_asked;
    if (res->stacks_answered < res->stacks_asked && rn_now_ns() < kill_at)
        return;
    kill(pid, SIGKILL);
    (void)tests_proc_signal(tests, SIGKILL);
    res->timed_out = 1;
    ct_collector_child_timed_out(c, pool, res->run_timed_out ? spec->run_timeout_ns
                                                             : spec->timeout_ns);
}

/* Poll the output and drain the pool until the child has exited and its
 * output is read. The trace records the child's end when waitpid() says it
 * ended, not after the output closed: a process it started that holds the
 * output (GRACE_NS) adds nothing to the child's time. */
static void collect(ct_collector *c, ct_child_pool *pool, int pid, int out_r,
                    uint64_t start_ns, const rn_child_spec *spec, rn_output_fn *fn,
                    rn_deadline_fn *deadline, void *ctx, rn_child_result *res)
{
    int pidfd = open_pidfd(pid);
    int exited = 0, ended = 0, eof = 0, status = 0;
    int forwarded = 0;
    uint64_t exited_at = 0, drained_at = 0;
    uint64_t kill_at = 0; /* out of time: the stacks were asked for, the kill comes by then */
    tests_proc tests = {.fd = -1};
    for (;;) {
        if (!exited)
            tests_proc_look(&tests, c, pool, pid);
        if (g_count > forwarded && !exited) {
            /* First signal: pass it on. Another one: the user insists. */
            kill(pid, forwarded == 0 ? g_signal : SIGKILL);
            (void)tests_proc_signal(&tests, forwarded == 0 ? g_signal : SIGKILL);
            forwarded = g_count;
            res->interrupted = g_signal;
        }
        if (!exited && !kill_at) {
            int why = out_of_time(c, pool, deadline, ctx, start_ns, spec);
            if (why) {
                res->run_timed_out = why == 2;
                kill_at = ask_for_stacks(c, pool, pid, &tests, res);
            }
        }
        if (kill_at && !exited && !res->timed_out)
            kill_when_answered(c, pool, pid, &tests, spec, kill_at, res);
        /* Threads of the child wait for room in the pool: drain again
         * without sleeping, until they need none. */
        int starving = !exited && ct_collector_child_waiting(c, pool);
        struct pollfd pfd[2] = {{.fd = eof ? -1 : out_r, .events = POLLIN},
                                {.fd = exited ? -1 : pidfd, .events = POLLIN}};
        /* Once the output is closed the child is about to be reaped: without
         * a pidfd to wake us as it is, look again soon, not a whole drain
         * period later. */
        int pr = poll(pfd, 2, starving ? 0 : eof && pidfd < 0 ? 1 : POLL_MS);
        int output_came = pr > 0 && pfd[0].revents;
        if (output_came) {
            eof = read_output(out_r, fn, ctx);
            if (eof && !exited && still_running(pid))
                res->output_lost = 1;
            /* Output came: let more gather before reading again. A child
             * writing while we wait (not on the pipe) wakes nobody, so a
             * chatty suite costs it a plain write per line, not a context
             * switch; we read it a millisecond later at most. */
            if (!eof && !starving && !exited)
                gather(pidfd);
        }
        /* Every POLL_MS; as often as output comes (gathered for GATHER_NS)
         * while it does: the pool is then drained, and compressed, at the
         * pace a suite of many tests writes it, and at the child's end
         * little is left to do (a 10 ms pass's worth took 2-4 ms at the end
         * of 10 000 tiny tests). The file gets a block every 10 ms all the
         * same (ct_tw_flush_due()). */
        uint64_t now = rn_now_ns();
        uint64_t drain_every = output_came ? GATHER_NS : POLL_MS * 1000000ull;
        if (!ended && (starving || now - drained_at >= drain_every)) {
            note_error(res, ct_collector_drain(c, pool));
            drained_at = now;
        }
        if (!exited && (pidfd < 0 || (pr > 0 && pfd[1].revents))) {
            int r = waitpid(pid, &status, WNOHANG);
            if (r == pid || (r < 0 && errno == ECHILD)) {
                exited = 1;
                exited_at = rn_now_ns();
                res->elapsed_ns = exited_at - start_ns;
                res->exited_ns = exited_at;
                if (r < 0)
                    status = 0x7f00; /* "exit status 127": lost track of it */
                /* Asked for its stacks, it was out of time: however it ended
                 * before the kill (a thread let go by the request), the test
                 * it was in timed out. */
                if (kill_at && !res->timed_out) {
                    res->timed_out = 1;
                    ct_collector_child_timed_out(c, pool, res->run_timed_out
                                                              ? spec->run_timeout_ns
                                                              : spec->timeout_ns);
                }
                ct_collector_child_progress(c, pool, &res->progress);
                ct_collector_child_reaped(c, pool);
            }
        }
        /* All it wrote is in the pool: the last pass, and its end, once
         * the processes its tests started ended too, or have had their time. */
        int left = exited && !ended ? ct_collector_children_running(c, pool) : 0;
        if (exited && !ended && (left == 0 || rn_now_ns() - exited_at > CHILDREN_GRACE_NS)) {
            res->children_left = left;
            note_error(res, ct_collector_child_exited(c, pool, status));
            ended = 1;
        }
        if (ended && eof)
            break;
        if (exited && rn_now_ns() - exited_at > GRACE_NS) {
            res->output_open = 1;
            break;
        }
    }
    if (exited && !ended)
        note_error(res, ct_collector_child_exited(c, pool, status));
    if (pidfd >= 0)
        close(pidfd);
    if (tests.fd >= 0)
        close(tests.fd);
    res->tests_pid = res->progress.tests_pid ? res->progress.tests_pid : pid;
    res->wait_status = status;
}

int rn_child_run(ct_collector *c, const rn_child_spec *spec, rn_output_fn *fn,
                 rn_deadline_fn *deadline, void *ctx, rn_child_result *res, char *err,
                 size_t err_size)
{
    *res = (rn_child_result){0};
    int out[2] = {-1, -1}, report[2] = {-1, -1};
    char pool_env[64];
    char *owned[MAX_OWNED] = {NULL};
    char **env = NULL;
    ct_child_pool *pool = NULL;
    int rc = ct_collector_pool(c, &pool, pool_env, sizeof pool_env);
    if (rc != 0) {
        snprintf(err, err_size, "cannot make a trace pool: %s (%s)", ct_strerror(rc),
                 strerror(errno));
        return -1;
    }
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
        snprintf(err, err_size, "cannot make a pipe: %s", strerror(errno));
        goto fail;
    }
    /* Room for a few milliseconds of a chatty binary's output and markers
     * (a tiny test's take ~150 bytes): a runner descheduled for a while on a
     * busy machine does not stop the tests. Only where the pages do not
     * count against the user's pipe quota: past it the kernel gives every
     * new pipe of the user one page, the tested programs' too, which could
     * change what they do. Else the default 64 KiB. */
    if (pipe_quota_exempt())
        (void)fcntl(out[0], F_SETPIPE_SZ, PIPE_BYTES);
    env = child_env(pool_env, spec, owned);
    if (env == NULL) {
        snprintf(err, err_size, "out of memory");
        goto fail;
    }

    struct sigaction old[NFORWARDED];
    catch_signals(old);
    uint64_t start_ns = rn_now_ns();
    pid_t pid = spawn(spec, env, pool, out[1], report[1]);
    if (pid < 0) {
        snprintf(err, err_size, "cannot fork: %s", strerror(errno));
        restore_signals(old);
        goto fail;
    }
    ct_collector_child_started(c, pool, pid, spec->exe);
    close(out[1]);
    close(report[1]);
    out[1] = report[1] = -1;

    struct exec_report why;
    int failed = read_full(report[0], &why, sizeof why) == (ssize_t)sizeof why;
    close(report[0]);
    report[0] = -1;
    if (failed) {
        int status = 0;
        wait_blocking(pid, &status);
        ct_collector_child_exited(c, pool, status);
        snprintf(err, err_size, "%s: %s", stage_text(why.stage), strerror(why.err));
        restore_signals(old);
        close(out[0]);
        for (int i = 0; i < MAX_OWNED; i++)
            free(owned[i]);
        free(env);
        return -1;
    }

    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    res->pid = pid;
    collect(c, pool, pid, out[0], start_ns, spec, fn, deadline, ctx, res);
    close(out[0]); /* the pool went with the child's end (collect) */
    restore_signals(old);
    if (res->interrupted == 0 && g_count > 0) /* came after the child ended */
        res->interrupted = g_signal;
    for (int i = 0; i < MAX_OWNED; i++)
        free(owned[i]);
    free(env);
    return 0;

fail:
    /* The pool is freed by telling the collector its child is done. */
    ct_collector_child_exited(c, pool, 0x7f00);
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (report[i] >= 0)
            close(report[i]);
    }
    for (int i = 0; i < MAX_OWNED; i++)
        free(owned[i]);
    free(env);
    return -1;
}
