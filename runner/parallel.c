/*
 * parallel.c - `-p N`: binaries in runners of their own, at once
 * (parallel.h).
 */
#include "parallel.h"

#include <dirent.h>    /* opendir, readdir */
#include <errno.h>     /* errno, EINTR */
#include <inttypes.h>  /* PRIu64 */
#include <fcntl.h>     /* open */
#include <signal.h>    /* sigaction, kill, raise */
#include <stdio.h>     /* asprintf, fflush */
#include <stdlib.h>    /* malloc, free, mkdtemp, getenv */
#include <string.h>    /* strcmp, strlen, strncmp, strrchr, strsignal */
#include <sys/prctl.h> /* prctl, PR_SET_PDEATHSIG */
#include <sys/wait.h>  /* waitpid */
#include <time.h>      /* nanosleep */
#include <unistd.h>    /* fork, execv, dup2, unlink, rmdir */

#include "analysis/trace_merge.h" /* ctr__merge_traces */


#include "child.h"      /* rn_now_ns */
#include "cli.h"        /* rn_error, rn_exit_worse, rn_say_not_run */
#include "junit.h"      /* rn_attach_dir */
#include "merge.h"      /* rn_merge_junit, rn_merge_baselines */
#include "output.h"     /* RN_EXIT_SKIPPED */
#include "otlp_run.h" /* rn_otlp_post */
#include "trace_dest.h" /* rn_claim_name */

/* One binary's runner. The paths are malloc'd (NULL: not used). */
typedef struct sub {
    int pid;        /* 0: not started */
    int done;       /* it ended (status or signal set) */
    int status;     /* its exit status: 0, 1, 2, 77 */
    int signal;     /* the signal it died of, or 0 */
    char *out, *err; /* what it printed */
    char *trace;    /* its --trace: a temporary file, or the --trace-dir name */
    char *junit;    /* its --junit: a temporary file, or the --junit-dir name */
    char *attach;   /* its --attach-dir, or NULL (as the user gave it, or none) */
    int attach_made; /* attach is --junit-dir's DIR/NAME: removed when empty */
    char *baseline; /* its --save-baseline */
    char *judged;   /* its warnings about rules that judged no test */
    rn_claim trace_claim, junit_claim; /* --trace-dir, --junit-dir */
} sub;

typedef struct run {
    const rn_parallel *p;
    char *tmp; /* the temporary directory */
    sub *subs;
    unsigned char *started;
    int run_timed_out; /* --timeout-total passed before every binary started */
    int failfast_stopped; /* -failfast: a binary failed, no more started */
} run;

/* Flags each runner gets rewritten (or not at all), not as given. */
static int rewritten(const char *name)
{
    static const char *const names[] = {"trace", "trace-dir", "junit", "junit-dir", "attach-dir",
                                        "save-baseline", "p", "shuffle", "h", "help", "version",
                                        "otlp-endpoint"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* A runner's argv being built: the strings it made itself are freed after. */
typedef struct words {
    char **v;
    size_t n, cap;
    int failed; /* a word could not be added: the line is not to be used */
    char *owned[8];
    size_t nowned;
} words;

static int words_add(words *w, char *s)
{
    if (w->n + 1 >= w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 32;
        char **v = realloc(w->v, cap * sizeof *v);
        if (v == NULL) {
            w->failed = 1;
            return -1;
        }
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = s;
    w->v[w->n] = NULL;
    return 0;
}

/* `--name=value`, made here. */
static int words_flag(words *w, const char *name, const char *value)
{
    char *s = NULL;
    if (w->nowned == sizeof w->owned / sizeof w->owned[0] ||
        asprintf(&s, "--%s=%s", name, value) < 0)
        return -1;
    w->owned[w->nowned++] = s;
    return words_add(w, s);
}

static void pass_through(void *ctx, const char *name, char **v, size_t n)
{
    words *w = ctx;
    if (rewritten(name))
        return;
    for (size_t i = 0; i < n; i++)
        words_add(w, v[i]); /* out of memory: checked once built (w->failed) */
}

static void words_free(words *w)
{
    for (size_t i = 0; i < w->nowned; i++)
        free(w->owned[i]);
    free(w->v);
}

/* The command line of binary k's runner. @return 0, or -1 out of memory. */
static int runner_words(const run *r, size_t k, words *w)
{
    const rn_parallel *p = r->p;
    const sub *s = &r->subs[k];
    int bad = words_add(w, "ctest-trace");
    rn_flags_words(p->flags, p->nflags, p->argc, p->argv, pass_through, w);
    if (p->shuffle_seed[0] != '\0') /* one seed for all: "on" was drawn once */
        bad |= words_flag(w, "shuffle", p->shuffle_seed);
    if (s->trace != NULL)
        bad |= words_flag(w, "trace", s->trace);
    if (s->junit != NULL)
        bad |= words_flag(w, "junit", s->junit);
    if (s->attach != NULL)
        bad |= words_flag(w, "attach-dir", s->attach);
    if (s->baseline != NULL)
        bad |= words_flag(w, "save-baseline", s->baseline);
    /* "-- BINARY ARGS": a binary named like a command (version, stats)
     * or like a flag is still the binary. */
    bad |= words_add(w, "--");
    bad |= words_add(w, p->bins[k]);
    for (size_t i = 0; i < p->nrest; i++)
        bad |= words_add(w, p->rest[i]);
    return bad || w->failed ? -1 : 0;
}

/* ---- before: names and files for each runner ---------------------------------- */

static char *tmp_file(const run *r, size_t k, const char *suffix)
{
    char *path = NULL;
    return asprintf(&path, "%s/%zu%s", r->tmp, k, suffix) < 0 ? NULL : path;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* How many binaries before k have k's file name: their runners would name
 * attachments in a shared directory as k's does (BINARY.GROUP.TEST.N). */
static size_t same_name_before(const rn_parallel *p, size_t k)
{
    size_t n = 0;
    for (size_t i = 0; i < k; i++)
        n += strcmp(base_name(p->bins[i]), base_name(p->bins[k])) == 0;
    return n;
}

/* Where binary k's runner writes. @return 0, or 2 (message printed). */
static int plan_sub(run *r, size_t k)
{
    const rn_parallel *p = r->p;
    sub *s = &r->subs[k];
    s->trace_claim.fd = s->junit_claim.fd = -1;
    s->out = tmp_file(r, k, ".out");
    s->err = tmp_file(r, k, ".err");
    s->judged = tmp_file(r, k, ".judged");
    if (s->out == NULL || s->err == NULL || s->judged == NULL)
        return rn_error("out of memory");
    if (p->trace_dir != NULL) { /* claimed now, held to the end, as a run of one at a time */
        int rc = rn_claim_name(p->trace_dir, p->bins[k], p->rest, p->nrest, ".trace", &s->trace,
                               &s->trace_claim);
        if (rc != 0)
            return rc;
    } else if ((p->trace != NULL || p->otlp_endpoint != NULL) &&
               (s->trace = tmp_file(r, k, ".trace")) == NULL) {
        return rn_error("out of memory");
    }
    char err[512];
    if (p->junit_dir != NULL) {
        int rc = rn_claim_name(p->junit_dir, p->bins[k], p->rest, p->nrest, ".xml", &s->junit,
                               &s->junit_claim);
        if (rc != 0)
            return rc;
        if (p->attach_dir == NULL) { /* DIR/NAME/ beside DIR/NAME.xml, as a run of one */
            s->attach_made = 1;
            if (asprintf(&s->attach, "%.*s", (int)(strlen(s->junit) - 4), s->junit) < 0)
                return rn_error("out of memory");
        }
    } else if (p->junit != NULL) {
        if ((s->junit = tmp_file(r, k, ".xml")) == NULL)
            return rn_error("out of memory");
        if (p->attach_dir == NULL && (s->attach = rn_attach_dir(p->junit, NULL, err,
                                                                 sizeof err)) == NULL)
            return rn_error("%s", err);
    }
    if (s->attach == NULL && p->attach_dir != NULL && (s->attach = strdup(p->attach_dir)) == NULL)
        return rn_error("out of memory");
    size_t same = s->attach == NULL || s->attach_made ? 0 : same_name_before(p, k);
    if (same > 0) { /* each runner numbers its attachments from 1: a directory of its own */
        char *own = NULL;
        if (asprintf(&own, "%s/%s.%zu", s->attach, base_name(p->bins[k]), same + 1) < 0)
            return rn_error("out of memory");
        free(s->attach);
        s->attach = own;
        s->attach_made = 1;
    }
    if (p->save_baseline != NULL && (s->baseline = tmp_file(r, k, ".baseline")) == NULL)
        return rn_error("out of memory");
    return 0;
}

/* ---- during: start, wait, print in order ---------------------------------------- */

static volatile sig_atomic_t g_signal, g_count;

static void on_signal(int sig)
{
    g_signal = sig;
    g_count = g_count + 1;
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};

/* In the child: its own process group (a ^C reaches the runner of all, which
 * passes it on once), gone with us, output into its files. */
static void exec_runner(const sub *s, char **argv, const char *trace_shown,
                        const char *time_left, int parent)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
        sigaction(forwarded[i], &dfl, NULL);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM); /* it finishes its trace and is gone */
    if (getppid() != parent)
        _exit(RN_EXIT_USAGE); /* we died before that line */
    int out = open(s->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = open(s->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
        _exit(RN_EXIT_USAGE);
    if (trace_shown != NULL)
        setenv(RN_ENV_TRACE_SHOWN, trace_shown, 1);
    setenv(RN_ENV_JUDGED_OUT, s->judged, 1);
    if (time_left != NULL)
        setenv(RN_ENV_TIME_LEFT, time_left, 1);
    execv("/proc/self/exe", argv);
    dprintf(STDERR_FILENO, "ctest-trace: -p: cannot run ctest-trace again: %s\n",
            strerror(errno));
    _exit(RN_EXIT_USAGE);
}

static int start_sub(run *r, size_t k)
{
    words w = {0};
    if (runner_words(r, k, &w) != 0) {
        words_free(&w);
        return rn_error("out of memory");
    }
    char left[32]; /* --timeout-total: what is left of the run's time */
    uint64_t now = rn_now_ns(), deadline = r->p->run_deadline_ns;
    snprintf(left, sizeof left, "%" PRIu64, now < deadline ? deadline - now : 1);
    fflush(stdout);
    fflush(stderr);
    int parent = getpid();
    int pid = fork();
    if (pid == 0)
        exec_runner(&r->subs[k], w.v, r->p->trace_dir ? NULL : r->p->trace,
                    deadline ? left : NULL, parent);
    words_free(&w);
    if (pid < 0)
        return rn_error("-p: cannot fork: %s", strerror(errno));
    r->subs[k].pid = pid;
    r->started[k] = 1;
    return 0;
}

/* Copy the file `path` to `fd`, then remove it. */
static void copy_out(const char *path, int fd)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    char buf[64 * 1024];
    ssize_t n;
    while (in >= 0 && ((n = read(in, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))) {
        for (ssize_t off = 0; n > 0 && off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += w;
        }
    }
    if (in >= 0)
        close(in);
    unlink(path);
}

static void print_sub(const sub *s)
{
    fflush(stdout);
    fflush(stderr);
    copy_out(s->out, STDOUT_FILENO);
    copy_out(s->err, STDERR_FILENO);
}

static void reaped(run *r, int pid, int wait_status)
{
    for (size_t k = 0; k < r->p->nbins; k++) {
        sub *s = &r->subs[k];
        if (s->pid != pid || s->done)
            continue;
        s->done = 1;
        if (WIFSIGNALED(wait_status)) {
            s->signal = WTERMSIG(wait_status);
            s->status = RN_EXIT_USAGE;
        } else {
            int code = WEXITSTATUS(wait_status);
            s->status = code == 0 || code == 1 || code == RN_EXIT_SKIPPED ? code : RN_EXIT_USAGE;
        }
    }
}

/* A runner ended: its status into the run's; whether the run stops
 * starting binaries. A runner dead of a signal the run did not pass on (a
 * crash, the OOM killer, a kill from outside) lost its binary's results:
 * said, status 2, and the run goes on. */
static int runner_ended(run *r, size_t k, int *status, int *interrupted)
{
    const rn_parallel *p = r->p;
    const sub *s = &r->subs[k];
    *status = rn_exit_worse(*status, s->status);
    if (s->signal != 0 && g_count > 0 && s->signal == g_signal) {
        *interrupted = s->signal; /* the user's signal, passed on */
        return 1;
    }
    if (s->signal != 0) {
        fflush(stdout);
        fprintf(stderr, "ctest-trace: %s: its runner died of signal %d (%s): its results are "
                        "lost\n", p->bins[k], s->signal, strsignal(s->signal));
    }
    if (p->failfast && s->status != 0 && s->status != RN_EXIT_SKIPPED) {
        r->failfast_stopped = 1; /* -failfast: no binary starts after a failure */
        return 1;
    }
    return 0;
}

/* Run them all, up to procs at once. @return the worst status; *interrupted
 * the signal that interrupted the run, or 0. Runners are reaped without
 * blocking, every WAIT_MS: a signal that comes while output is copied or a
 * runner started is passed on within that time, whatever the run is doing. */
#define WAIT_MS 10
static int run_subs(run *r, int *interrupted)
{
    const rn_parallel *p = r->p;
    struct sigaction sa = {.sa_handler = on_signal}, old[3];
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < 3; i++)
        sigaction(forwarded[i], &sa, &old[i]);
    int status = RN_EXIT_SKIPPED, stop = 0, passed_on = 0;
    size_t next = 0, running = 0, printed = 0;
    for (;;) {
        if (g_count > passed_on) { /* each signal once to each, as a run of one gets it */
            for (size_t k = 0; k < next; k++)
                if (!r->subs[k].done)
                    kill(r->subs[k].pid, g_signal);
            passed_on = g_count;
            *interrupted = g_signal;
            stop = 1;
        }
        while (!stop && running < (size_t)p->procs && next < p->nbins) {
            if (p->run_deadline_ns != 0 && rn_now_ns() >= p->run_deadline_ns) {
                r->run_timed_out = 1; /* --timeout-total: nothing more starts */
                stop = 1;
                break;
            }
            if (start_sub(r, next) != 0) {
                status = rn_exit_worse(status, RN_EXIT_USAGE);
                stop = 1;
                break;
            }
            next++;
            running++;
        }
        for (; printed < next && r->subs[printed].done; printed++)
            print_sub(&r->subs[printed]); /* whole, and in order */
        if (running == 0)
            break;
        int ws, pid = waitpid(-1, &ws, WNOHANG);
        if (pid == 0 || (pid < 0 && errno == EINTR)) {
            struct timespec nap = {0, WAIT_MS * 1000000L};
            nanosleep(&nap, NULL);
            continue;
        }
        if (pid < 0) { /* ECHILD: our runners are not ours to wait for */
            status = rn_error("-p: cannot wait for the binaries' runners: %s", strerror(errno));
            break;
        }
        reaped(r, pid, ws);
        running--;
        for (size_t k = 0; k < next; k++)
            if (r->subs[k].pid == pid && runner_ended(r, k, &status, interrupted))
                stop = 1;
    }
    if (g_count > passed_on && *interrupted == 0)
        *interrupted = g_signal; /* came as the last runner ended: the run dies of it */
    for (size_t i = 0; i < 3; i++)
        sigaction(forwarded[i], &old[i], NULL);
    return status;
}

/* ---- after: one trace, one report, one baseline, one warning a rule ----------- */

/* The files `pick` names of the runners that wrote them. */
static size_t written(const run *r, char *(*pick)(const sub *), char **out)
{
    size_t n = 0;
    for (size_t k = 0; k < r->p->nbins; k++)
        if (r->started[k] && pick(&r->subs[k]) != NULL &&
            access(pick(&r->subs[k]), F_OK) == 0)
            out[n++] = pick(&r->subs[k]);
    return n;
}

static char *trace_of(const sub *s)
{
    return s->trace;
}

static char *junit_of(const sub *s)
{
    return s->junit;
}

static char *baseline_of(const sub *s)
{
    return s->baseline;
}

/* A warning's rule: what comes before "judged no test". */
static size_t rule_key(const char *line)
{
    const char *at = strstr(line, " judged no test");
    return at ? (size_t)(at - line) : strlen(line);
}

static int has_rule(const char *path, const char *line, size_t key)
{
    FILE *f = fopen(path, "re");
    char *l = NULL;
    size_t cap = 0;
    int found = 0;
    while (f != NULL && !found && getline(&l, &cap, f) > 0)
        found = rule_key(l) == key && strncmp(l, line, key) == 0;
    free(l);
    if (f != NULL)
        fclose(f);
    return found;
}

/* A rule judged no test in the run when it judged none in every binary. */
static void warn_rules(const run *r)
{
    size_t first = 0;
    while (first < r->p->nbins && !r->started[first])
        first++;
    FILE *f = first < r->p->nbins ? fopen(r->subs[first].judged, "re") : NULL;
    char *line = NULL;
    size_t cap = 0;
    while (f != NULL && getline(&line, &cap, f) > 0) {
        size_t key = rule_key(line), k;
        for (k = first + 1; k < r->p->nbins; k++)
            if (r->started[k] && !has_rule(r->subs[k].judged, line, key))
                break;
        if (k == r->p->nbins)
            fputs(line, stderr);
    }
    free(line);
    if (f != NULL)
        fclose(f);
}

static int merge_outputs(const run *r, int status)
{
    const rn_parallel *p = r->p;
    char **files = calloc(p->nbins + 1, sizeof *files);
    if (files == NULL)
        return rn_error("out of memory");
    int st = RN_EXIT_OK;
    size_t n;
    if (p->trace != NULL && (n = written(r, trace_of, files)) > 0 &&
        ctr__merge_traces(p->trace, files, n, stderr) != 0)
        st = RN_EXIT_USAGE;
    if (p->junit != NULL && (n = written(r, junit_of, files)) > 0 &&
        rn_merge_junit(p->junit, files, n) != 0)
        st = RN_EXIT_USAGE;
    /* Only from a run that passed, as a run of one at a time. */
    if (p->save_baseline != NULL && status == RN_EXIT_OK &&
        (n = written(r, baseline_of, files)) > 0 && rn_merge_baselines(p->save_baseline, files, n))
        st = RN_EXIT_USAGE;
    free(files);
    return st;
}

/* --otlp-endpoint: the spans of every runner's trace, posted once.
 * @return the run's status, 2 where a post failed (otlp_run.h). */
static int post_spans(const run *r, int status)
{
    char **files = calloc(r->p->nbins + 1, sizeof *files);
    if (files == NULL)
        return rn_exit_worse(status, rn_error("out of memory"));
    status = rn_otlp_post(r->p->otlp_endpoint, files, written(r, trace_of, files), status);
    free(files);
    return status;
}

static void free_sub(const run *r, sub *s)
{
    char *temporary[] = {s->out, s->err, s->judged, r->p->trace_dir ? NULL : s->trace,
                         r->p->junit_dir ? NULL : s->junit, s->baseline};
    for (size_t i = 0; i < sizeof temporary / sizeof temporary[0]; i++)
        if (temporary[i] != NULL)
            unlink(temporary[i]);
    if (s->attach_made)
        rmdir(s->attach); /* made for attachments: gone again when none came */
    rn_claim_release(&s->trace_claim);
    rn_claim_release(&s->junit_claim);
    free(s->out);
    free(s->err);
    free(s->judged);
    free(s->trace);
    free(s->junit);
    free(s->attach);
    free(s->baseline);
}

/* The temporary directory, with what a runner killed mid-write left in it
 * (a NAME.partial): it holds files alone. */
static void remove_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

int rn_parallel_run(const rn_parallel *p)
{
    const char *tmpdir = getenv("TMPDIR");
    run r = {.p = p};
    if (asprintf(&r.tmp, "%s/ctest-trace-p.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp") < 0)
        return rn_error("out of memory");
    if (mkdtemp(r.tmp) == NULL) {
        int e = errno;
        free(r.tmp);
        return rn_error("-p: cannot make a temporary directory: %s", strerror(e));
    }
    r.subs = calloc(p->nbins, sizeof *r.subs);
    r.started = calloc(p->nbins, 1);
    int status = r.subs && r.started ? RN_EXIT_OK : rn_error("out of memory");
    for (size_t k = 0; r.subs && k < p->nbins; k++)
        r.subs[k].trace_claim.fd = r.subs[k].junit_claim.fd = -1;
    for (size_t k = 0; status == RN_EXIT_OK && k < p->nbins; k++)
        status = plan_sub(&r, k);
    int interrupted = 0;
    if (status == RN_EXIT_OK) {
        status = run_subs(&r, &interrupted);
        if (interrupted == 0 && r.failfast_stopped && !p->json)
            rn_say_not_run(stdout, p->bins, r.started, p->nbins);
        if (r.run_timed_out) { /* as a run of one at a time says it */
            rn_say_out_of_time(p->total_ns, r.started, p->nbins);
            status = rn_exit_worse(status, RN_EXIT_FAIL);
        }
        fflush(stdout);
        /* Interrupted too: what ran is in the trace and the report, as one at a time. */
        status = rn_exit_worse(status, merge_outputs(&r, interrupted ? RN_EXIT_USAGE : status));
        if (interrupted == 0 && p->otlp_endpoint != NULL)
            status = post_spans(&r, status);
        if (interrupted == 0)
            warn_rules(&r);
    }
    for (size_t k = 0; r.subs && k < p->nbins; k++)
        free_sub(&r, &r.subs[k]);
    remove_tmp(r.tmp);
    free(r.tmp);
    free(r.subs);
    free(r.started);
    if (interrupted != 0) { /* die of the signal, as the user asked */
        fflush(stdout);
        signal(interrupted, SIG_DFL);
        raise(interrupted);
    }
    return status;
}
