/*
 * run.c - `ctest-trace [flags] BINARY [BINARY...] [-- ARGS]`: run test
 * binaries traced into one trace file and print them like go test.
 */
#include <errno.h>    /* errno */
#include <signal.h>   /* signal, raise */
#include <stdio.h>    /* printf, asprintf */
#include <stdlib.h>   /* getenv, free */
#include <string.h>   /* strchr, strerror */
#include <sys/random.h> /* getrandom */
#include <sys/stat.h> /* stat */
#include <time.h>     /* clock_gettime */
#include <unistd.h>   /* access, isatty */

#include <ctrace_collect.h>


#include "child.h"
#include "cli.h"
#include "flags.h"
#include "flight.h"
#include "judged.h"
#include "marker.h"
#include "output.h"
#include "output_tap.h"
#include "parallel.h"
#include "junit.h"
#include "list.h"
#include "recover.h"
#include "run_args.h"
#include "run_gate.h"
#include "run_opts.h"
#include "timed_out.h"
#include "trace_dest.h"



/* What the run gathers as binaries run: for --junit, and for the warning
 * about --assert rules that judged no test. */
typedef struct run_record {
    rn_results results;
    rn_junit_binary *bins; /* one per binary */
    char **owned_traces;   /* --trace-dir paths, freed at the end */
    uint64_t start_realtime_ns;
    rn_judged *judged;     /* NULL without rules */
    rn_run_gate gate;      /* --save-baseline, --baseline */
    char **junit_paths;    /* --junit-dir: each binary's report, claimed */
    rn_claim *junit_claims;
    int trace_failed;      /* a write of the trace failed: run no more binaries */
    int failfast_stopped;  /* -failfast: a binary failed: start no more */
    unsigned char *started; /* a binary's processes were started (-failfast) */
    const char *judged_out; /* -p's runner: the rule warnings go there, not to stderr */
    rn_flight flight;      /* --flight-recorder: failing tests' traces */
    uint64_t run_deadline_ns; /* --timeout-total: when the run is over (rn_now_ns()) */
    int run_timed_out;     /* it was: run no more */
} run_record;

static int worse(int a, int b)
{
    return rn_exit_worse(a, b);
}

/* Check that `path` can be run. @return 0, or -1 with errno-style text. */
static int check_file(const char *path, const char **why)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        *why = strerror(errno);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        *why = "is a directory";
        return -1;
    }
    if (access(path, X_OK) != 0) {
        *why = errno == EACCES ? "not executable (permission denied)" : strerror(errno);
        return -1;
    }
    return 0;
}

/* The first executable `name` on $PATH (malloc'd), or NULL. */
static char *search_path(const char *name)
{
    const char *path = getenv("PATH");
    for (const char *p = path ? path : ""; *p != '\0';) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char *candidate = NULL;
        if (n > 0 && asprintf(&candidate, "%.*s/%s", (int)n, p, name) >= 0) {
            const char *ignored;
            if (check_file(candidate, &ignored) == 0)
                return candidate;
            free(candidate);
        }
        p += n + (colon != NULL);
    }
    return NULL;
}

/* "BINARY: cannot run: WHY", and with `hint` where a binary's arguments go. */
static void cannot_run(const char *arg, const char *why, int hint)
{
    char detail[512];
    snprintf(detail, sizeof detail, hint ? "%s (%s)" : "%s", why, RN_RUN_ARGS_HINT);
    rn_error_about(arg, "cannot run: ", detail, 1);
}

/* The file to execute for `arg`: itself if it has a '/' or is in the current
 * directory, else the first match on $PATH. `hint`: say where a binary's
 * arguments go if it cannot run. @return malloc'd path or NULL (message
 * printed). */
static char *resolve_binary(const char *arg, int hint)
{
    const char *why = NULL;
    struct stat st;
    if (strchr(arg, '/') == NULL && stat(arg, &st) != 0 && errno == ENOENT) {
        char *found = search_path(arg);
        if (found == NULL)
            cannot_run(arg, strerror(ENOENT), hint);
        return found;
    }
    if (check_file(arg, &why) != 0) {
        cannot_run(arg, why, hint);
        return NULL;
    }
    return strdup(arg);
}

/* One binary's run, as the callbacks of rn_child_run() see it. */
typedef struct binary_run {
    rn_out *o;
    ct_collector *c;
} binary_run;

static void feed(void *ctx, const char *data, size_t len, uint64_t now_ns)
{
    binary_run *b = ctx;
    rn_out_feed(b->o, data, len, now_ns);
}

/* A timeout counts from the last sign of progress: a test beginning or
 * ending, or the process starting. Markers say it as it happens; a test
 * that lost its stdout sends none, but its tracer counts each in the pool,
 * which it cannot lose (traced_ns). */
static uint64_t deadline(void *ctx, uint64_t start_ns, uint64_t timeout_ns, uint64_t traced_ns)
{
    binary_run *b = ctx;
    uint64_t progress = rn_out_progress_ns(b->o);
    if (progress < start_ns)
        progress = start_ns;
    if (progress < traced_ns)
        progress = traced_ns;
    return progress + timeout_ns;
}

/* The markers of the process that ended may not have said all it ran (it
 * lost its stdout): complete them from the trace, which it cannot lose. */
static void complete_from_trace(ct_collector *c, rn_out *o, const rn_child_result *res,
                                unsigned long resumed_at)
{
    rn_traced t;
    char err[256], window[64];
    int fd = -1; /* a flight recorder's: the process's last window */
    const char *trace = ct_collector_path(c);
    if (!trace)
        trace = rn_flight_window_path(c, res->pid, window, sizeof window, &fd);
    int rc = trace ? rn_traced_read(trace, res->tests_pid, &t, err, sizeof err) : -1;
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        return; /* the markers are all there is */
    t.tests_counted = res->progress.tests_ended;
    rn_out_from_trace(o, (uint64_t)res->tests_pid, &t, resumed_at, res->exited_ns);
    rn_traced_free(&t);
}

/* The argv of binary `arg`: itself, then the ARGS after "--". @return a
 * malloc'd array (the strings are not copied), or NULL. */
static char **binary_argv(const char *arg, char **args, size_t nargs)
{
    char **argv = malloc((nargs + 2) * sizeof *argv);
    if (argv == NULL)
        return NULL;
    argv[0] = (char *)arg;
    for (size_t i = 0; i < nargs; i++)
        argv[i + 1] = args[i];
    argv[nargs + 1] = NULL;
    return argv;
}

/* Run one binary, again after each process that died in a test (resuming
 * after that test), so one crash costs one test. @return its exit status
 * (0, 1, 2). */
static int run_binary(ct_collector *c, const run_opts *opts, size_t index, const char *arg,
                      const char *exe, char **args, size_t nargs, const char *nonce,
                      const char *trace_shown, run_record *rec,
                      int *interrupted)
{
    char **argv = binary_argv(arg, args, nargs);
    rn_out *o = rn_out_new(stdout, stderr, opts->verbose, 0);
    if (argv == NULL || o == NULL) {
        free(argv);
        rn_out_free(o);
        return rn_error("out of memory");
    }
    if (opts->junit != NULL || opts->junit_dir != NULL)
        rn_out_keep_results(o, &rec->results, index);
    rn_out_watch_rules(o, rec->judged);
    if (opts->flight_bytes != NO_FLIGHT) { /* a failing test's trace, as it fails */
        rec->flight.c = c;
        rec->flight.binary = arg;
        rn_out_on_failure(o, rn_flight_attach, &rec->flight);
    }
    if (opts->tap)
        rn_out_events(o, arg, rn_tap_event, opts->tap);
    else if (opts->json)
        rn_out_json(o, arg);
    else if (!opts->verbose)
        rn_out_progress(o, isatty(STDOUT_FILENO) ? RN_PROGRESS_COUNTER : RN_PROGRESS_LINES);
    rn_child_spec spec = {
        .exe = exe,
        .argv = argv,
        .run_re = opts->run_re,
        .skip_re = opts->skip_re,
        .shard = opts->shard,
        .asserts = opts->assert_env,
        .nonce = nonce,
        .preload = opts->preload,
        .count = (unsigned long)opts->count,
        .timeout_ns = opts->timeout_ns,
        .run_deadline_ns = rec->run_deadline_ns,
        .run_timeout_ns = opts->total_ns,
        .failfast = opts->failfast,
        /* A window holds one process: with --flight-recorder, none. */
        .no_children = opts->no_children || opts->flight_bytes != NO_FLIGHT,
        .shuffle_seed = opts->shuffle_seed[0] ? opts->shuffle_seed : NULL,
        .cpu_hz = (unsigned long)opts->cpu_hz,
    };
    if (spec.shuffle_seed != NULL) { /* as go test: the seed that reproduces the order */
        char line[64];
        snprintf(line, sizeof line, "-test.shuffle %s\n", opts->shuffle_seed);
        rn_out_lines(o, line);
    }
    rn_child_result res;
    char err[512];
    int status = RN_EXIT_OK;
    uint64_t elapsed_ns = 0;
    int *pids = NULL; /* the binary's processes (one more after each crash), */
    size_t npids = 0; /* for the gate */
    rn_run_gate_binary_start(&rec->gate);
    rec->started[index] = 1;
    for (;;) {
        binary_run b = {o, c};
        if (rec->run_deadline_ns && rn_now_ns() >= rec->run_deadline_ns && npids > 0) {
            rec->run_timed_out = 1; /* a process died, and the run's time is up */
            break;
        }
        if (rn_child_run(c, &spec, feed, deadline, &b, &res, err, sizeof err) != 0) {
            fflush(stdout);
            status = rn_error_about(arg, "", err, 0);
            break;
        }
        elapsed_ns += res.elapsed_ns;
        int *grown = realloc(pids, (npids + 1) * sizeof *pids);
        if (grown != NULL) /* else the gate misses this process's tests */
            pids = grown, pids[npids++] = res.tests_pid; /* as the trace names it */
        rn_out_process_lost(o, res.progress.events_lost);
        if (res.trace_error != 0) { /* said when the trace is closed, with why */
            rec->trace_failed = 1;
            status = RN_EXIT_USAGE;
        }
        *interrupted = res.interrupted;
        if (rn_out_unaccounted(o, &res.progress))
            complete_from_trace(c, o, &res, spec.resume);
        uint64_t resume = 0;
        if (res.timed_out) /* why, and where its threads were */
            rn_timed_out_tell(o, c, &res, opts->total_ns);
        rec->run_timed_out |= res.timed_out && res.run_timed_out;
        uint64_t limit = res.run_timed_out ? opts->total_ns : opts->timeout_ns;
        int again = rn_out_process_died(o, res.wait_status, res.timed_out ? limit : 0,
                                        res.exited_ns, spec.resume, &resume);
        if (!again || res.interrupted || status == RN_EXIT_USAGE || rec->run_timed_out ||
            opts->failfast) /* -failfast: a process dies only of a failure */
            break;
        /* Go on after what died, in a new process. */
        spec.resume = (unsigned long)resume;
    }
    if (status != RN_EXIT_USAGE && !*interrupted) {
        int judged = rn_run_gate_binary(&rec->gate, o, ct_collector_path(c), arg, pids, npids);
        status = status == RN_EXIT_OK ? judged : worse(status, judged);
    }
    if (status != RN_EXIT_USAGE || res.trace_error != 0) {
        rn_exit_info info = {
            .binary = arg,
            .trace = trace_shown,
            .elapsed_ns = elapsed_ns,
            .now_ns = res.exited_ns ? res.exited_ns : rn_now_ns(),
            .wait_status = res.wait_status,
            .no_preload = opts->no_preload,
            .shard = opts->shard,
            .note = res.output_open ? "warning: output still open 2s after the binary "
                                      "exited (a process it started holds it): it may "
                                      "be cut short"
                    : rec->run_timed_out ? "killed: the run took longer than --timeout-total; "
                                           "the tests after this point did not run"
                    : res.timed_out ? "killed: no test began or ended within --timeout"
                                    : NULL,
        };
        rn_out_counts counts;
        rn_out_get_counts(o, &counts);
        char note[512], left[384];
        if (res.children_left > 0) { /* said with what else is said */
            snprintf(left, sizeof left, "%s%swarning: %d process%s its tests started still "
                     "ran 1s after the binary exited: traced no further (tasks says which)",
                     info.note ? info.note : "", info.note ? "\n" : "", res.children_left,
                     res.children_left == 1 ? "" : "es");
            info.note = left;
        }
        if (opts->failfast && counts.failed > 0) { /* the summary says why no more ran */
            snprintf(note, sizeof note, "%s%s-failfast: no test was started after the first "
                     "failure", info.note ? info.note : "", info.note ? "\n" : "");
            info.note = note;
        }
        int finished = rn_out_finish(o, &info);
        status = status == RN_EXIT_OK ? finished : worse(status, finished);
    }
    rec->bins[index].elapsed_ns = elapsed_ns;
    free(pids);
    rn_out_free(o);
    free(argv);
    return status;
}

/* 64 random bits as hex: what this run's markers carry, so that no output
 * of a test can pass for one. */
static void make_nonce(char out[17])
{
    uint64_t x = 0;
    if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x) {
        struct timespec ts; /* no entropy yet: still unlikely to be printed */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = ((uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 16) *
            0x9E3779B97F4A7C15ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)x);
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --junit, once the traces are finished. @return 0, or 2 (message printed). */
/* --junit-dir: claim DIR/NAME.xml for each binary before anything runs, held
 * until the run ends, so that runs going on at once (meson's parallel tests of
 * one binary) keep apart (trace_dest.h). @return 0, or 2 (message printed). */
static int claim_junit_names(const run_opts *opts, run_record *rec, const rn_args *a)
{
    size_t nbins = a->npos;
    rec->junit_paths = calloc(nbins ? nbins : 1, sizeof *rec->junit_paths);
    rec->junit_claims = calloc(nbins ? nbins : 1, sizeof *rec->junit_claims);
    if (rec->junit_paths == NULL || rec->junit_claims == NULL)
        return rn_error("out of memory");
    for (size_t b = 0; b < nbins; b++)
        rec->junit_claims[b].fd = -1;
    for (size_t b = 0; b < nbins; b++) { /* binaries of one name too: NAME.2.xml */
        int rc = rn_claim_name(opts->junit_dir, rec->bins[b].arg, a->rest, a->nrest, ".xml",
                               &rec->junit_paths[b], &rec->junit_claims[b]);
        if (rc != RN_EXIT_OK)
            return rc;
    }
    return RN_EXIT_OK;
}

static void release_junit_names(run_record *rec, size_t nbins)
{
    for (size_t b = 0; rec->junit_paths && rec->junit_claims && b < nbins; b++) {
        rn_claim_release(&rec->junit_claims[b]);
        free(rec->junit_paths[b]);
    }
    free(rec->junit_paths);
    free(rec->junit_claims);
}

/* --junit-dir: each binary's own results in its claimed DIR/NAME.xml, the
 * attachments in DIR/NAME/. @return 0, or 2 (message printed). */
static int write_junit_dir(const run_opts *opts, const run_record *rec, size_t nbins)
{
    int status = RN_EXIT_OK;
    rn_result *mine = malloc((rec->results.n ? rec->results.n : 1) * sizeof *mine);
    if (mine == NULL)
        return rn_error("out of memory");
    for (size_t b = 0; b < nbins && status == RN_EXIT_OK; b++) {
        const char *path = rec->junit_paths[b];
        rn_results only = {.v = mine};
        for (size_t i = 0; i < rec->results.n; i++) {
            if (rec->results.v[i].binary == b) {
                only.v[only.n] = rec->results.v[i];
                only.v[only.n++].binary = 0;
            }
        }
        /* Attachments in DIR/NAME/ beside DIR/NAME.xml: the claimed name keeps
         * them apart from a parallel run's too. */
        char err[512], *attach = NULL;
        size_t stem = strlen(path) - 4; /* less ".xml" */
        if (opts->attach_dir == NULL && asprintf(&attach, "%.*s", (int)stem, path) < 0) {
            status = rn_error("out of memory");
            break;
        }
        int rc = rn_junit_write(path, opts->attach_dir ? opts->attach_dir : attach, &only,
                                &rec->bins[b], 1, rec->start_realtime_ns, opts->attach_report,
                                err, sizeof err);
        if (attach != NULL)
            rmdir(attach); /* made for attachments: gone again when none came */
        free(attach);
        if (rc != 0) {
            char *shown = rn_escape_name(err, strlen(err));
            status = rn_error("%s", shown ? shown : err);
            free(shown);
        }
    }
    free(mine);
    return status;
}

static int write_junit(const run_opts *opts, const run_record *rec, size_t nbins)
{
    if (opts->junit_dir != NULL)
        return write_junit_dir(opts, rec, nbins);
    if (opts->junit == NULL)
        return RN_EXIT_OK;
    char err[512];
    if (rec->results.oom)
        rn_error("--junit: out of memory: some tests are missing from %s", opts->junit);
    if (rn_junit_write(opts->junit, opts->attach_dir, &rec->results, rec->bins, nbins,
                       rec->start_realtime_ns, opts->attach_report, err, sizeof err) != 0) {
        char *shown = rn_escape_name(err, strlen(err));
        rn_error("%s", shown ? shown : err);
        free(shown);
        return RN_EXIT_USAGE;
    }
    return RN_EXIT_OK;
}

static int finish_run(const run_record *rec, int status, int interrupted);

/* Run binaries [first, last) of the run into the trace `d`. @return their
 * exit status (0, 1, 2). */
static int run_into(trace_dest *d, const run_opts *opts, const rn_args *a, char **exes,
                    size_t first, size_t last, const char *nonce, run_record *rec,
                    int *interrupted)
{
    ct_collector *c = rn_open_trace(d, opts->overflow_mode, opts->flight_bytes);
    if (c == NULL)
        return RN_EXIT_USAGE;
    int status = rn_trace_context_record(&opts->context, c) == RN_EXIT_OK ? RN_EXIT_SKIPPED
                                                                           : RN_EXIT_USAGE;
    /* After a write of the trace failed, the binaries left would run untraced. */
    for (size_t i = first; i < last && *interrupted == 0 && !rec->trace_failed &&
                           !rec->run_timed_out && !rec->failfast_stopped; i++) {
        int st = run_binary(c, opts, i, a->pos[i], exes[i], a->rest, a->nrest, nonce,
                            d->shown, rec, interrupted);
        rec->failfast_stopped = opts->failfast && st != RN_EXIT_OK && st != RN_EXIT_SKIPPED;
        status = worse(status, st);
    }
    int closed = rn_close_trace(c, d);
    d->ok = closed == RN_EXIT_OK;
    for (size_t i = first; i < last; i++) /* what --junit reads: a trace that is whole */
        rec->bins[i].trace = d->ok && opts->flight_bytes == NO_FLIGHT ? d->file : NULL;
    return closed != RN_EXIT_OK ? worse(status, closed) : status;
}

static int run_all(const run_opts *opts, const rn_args *a, char **exes, run_record *rec)
{
    char nonce[17];
    make_nonce(nonce);
    rn_marker_set_nonce(nonce);
    int status = RN_EXIT_SKIPPED, interrupted = 0;
    int flight = opts->flight_bytes != NO_FLIGHT;
    size_t ndests = opts->trace_dir != NULL ? a->npos : 1;
    trace_dest *dests = calloc(ndests, sizeof *dests);
    if (dests == NULL)
        return rn_error("out of memory");

    if (opts->trace_dir != NULL) { /* a trace per binary */
        for (size_t i = 0; i < a->npos && interrupted == 0 && !rec->trace_failed &&
                           !rec->run_timed_out && !rec->failfast_stopped; i++) {
            /* A name claimed is held to the run's end: binaries of one name
             * (d1/suite, d2/suite) and other runs into DIR get one each. */
            int st = rn_dest_claim(&dests[i], opts->trace_dir, a->pos[i], a->rest, a->nrest, flight,
                                   &rec->owned_traces[i]);
            if (st == RN_EXIT_OK)
                st = run_into(&dests[i], opts, a, exes, i, i + 1, nonce, rec, &interrupted);
            status = worse(status, st);
        }
    } else if ((status = rn_dest_init(&dests[0], opts->trace, flight)) == RN_EXIT_OK) {
        if (opts->trace_shown != NULL) /* -p's runner writes for the run's --trace */
            dests[0].shown = opts->trace_shown;
        status = run_into(&dests[0], opts, a, exes, 0, a->npos, nonce, rec, &interrupted);
    }
    if (rec->run_timed_out) { /* as go test -timeout: the run fails, nothing more runs */
        status = worse(status, RN_EXIT_FAIL);
        rn_say_out_of_time(opts->total_ns, rec->started, a->npos);
    }
    /* go test -json has no events of them; TAP's stream holds TAP alone. */
    if (rec->failfast_stopped && !opts->json)
        rn_say_not_run(opts->tap ? stderr : stdout, a->pos, rec->started, a->npos);
    int saved = interrupted ? RN_EXIT_OK : rn_run_gate_finish(&rec->gate, status);
    if (saved != RN_EXIT_OK)
        status = worse(status, saved);
    if (rec->flight.failed) /* an attachment could not be written: said as it failed */
        status = worse(status, RN_EXIT_USAGE);
    int junit = write_junit(opts, rec, a->npos); /* reads the traces: before they go */
    if (junit != RN_EXIT_OK)
        status = worse(status, junit);
    if (opts->otlp_endpoint != NULL && !interrupted) { /* so do the spans */
        char **files = calloc(ndests, sizeof *files);
        size_t n = 0;
        for (size_t i = 0; files != NULL && i < ndests; i++)
            if (dests[i].file != NULL && dests[i].ok)
                files[n++] = dests[i].file;
        status = files ? rn_otlp_post(opts->otlp_endpoint, files, n, status)
                       : worse(status, rn_error("out of memory"));
        free(files);
    }
    for (size_t i = 0; i < ndests; i++) {
        int done = dests[i].file ? rn_dest_finish(&dests[i]) : RN_EXIT_OK;
        if (done != RN_EXIT_OK)
            status = worse(status, done);
    }
    free(dests);
    return finish_run(rec, status, interrupted);
}

/* After the run: die of the signal that interrupted it, as the user asked;
 * else warn about the rules that judged no test (a warning, as go test's "no
 * tests to run": the status stays) and return its status. */
static int finish_run(const run_record *rec, int status, int interrupted)
{
    if (interrupted != 0) { /* die of the signal, as the user asked */
        fflush(stdout);
        signal(interrupted, SIG_DFL);
        raise(interrupted);
    }
    fflush(stdout); /* the warnings come after the binaries' final lines */
    FILE *judged = rec->judged_out ? fopen(rec->judged_out, "we") : NULL;
    rn_judged_warn(rec->judged, judged ? judged : stderr);
    if (judged != NULL)
        fclose(judged);
    return status;
}

/* A variable of the environment, copied and removed (the tests do not see it). */
static char *take_env(const char *name)
{
    const char *value = getenv(name);
    char *copy = value ? strdup(value) : NULL;
    unsetenv(name);
    return copy;
}

/* -list: each binary names its matching tests (list.h); nothing runs and no
 * trace is kept. @return the run's exit status. */
static int list_all(const run_opts *opts, const rn_args *a, char **exes)
{
    char nonce[17];
    make_nonce(nonce);
    rn_marker_set_nonce(nonce);
    ct_collector *c;
    int rc = ct_collector_open(&c, "/dev/null", 0); /* the tracer runs; its trace is not read */
    if (rc != 0)
        return rn_error("cannot start the tracer: %s", ct_strerror(rc));
    int status = RN_EXIT_SKIPPED, interrupted = 0;
    for (size_t i = 0; i < a->npos && interrupted == 0; i++) {
        char **argv = binary_argv(a->pos[i], a->rest, a->nrest);
        if (argv == NULL) {
            status = worse(status, rn_error("out of memory"));
            break;
        }
        rn_child_spec spec = {
            .exe = exes[i],
            .argv = argv,
            .list_re = opts->list_re,
            .nonce = nonce,
            .preload = opts->preload,
            .timeout_ns = opts->timeout_ns,
        };
        status = worse(status, rn_list_binary(c, &spec, a->pos[i], opts->json, &interrupted));
        free(argv);
    }
    ct_collector_close(c);
    if (interrupted != 0) { /* die of the signal, as the user asked */
        fflush(stdout);
        signal(interrupted, SIG_DFL);
        raise(interrupted);
    }
    return status;
}

int rn_cmd_run(int argc, char **argv)
{
    run_opts opts = {.count = 1, .timeout_ns = DEFAULT_TIMEOUT_NS, .flight_bytes = NO_FLIGHT,
                     .procs = 1, .cpu_hz = CT_CPU_HZ_DEFAULT};
    int help = 0, version = 0;
    const rn_flag flags[] = {
        {"trace", RN_FLAG_STRING, &opts.trace},
        {"run", RN_FLAG_STRING, &opts.run_re},
        {"skip", RN_FLAG_STRING, &opts.skip_re},
        {"v", RN_FLAG_BOOL, &opts.verbose},
        {"count", RN_FLAG_INT, &opts.count},
        {"timeout", RN_FLAG_DURATION, &opts.timeout_ns},
        {"timeout-total", RN_FLAG_DURATION, &opts.total_ns},
        {"trace-dir", RN_FLAG_STRING, &opts.trace_dir},
        {"h", RN_FLAG_BOOL, &help},
        {"help", RN_FLAG_BOOL, &help},
        {"version", RN_FLAG_BOOL, &version},
        {"junit", RN_FLAG_STRING, &opts.junit},
        {"junit-dir", RN_FLAG_STRING, &opts.junit_dir},
        {"attach-dir", RN_FLAG_STRING, &opts.attach_dir},
        {"attach-report", RN_FLAG_BOOL, &opts.attach_report},
        {"assert", RN_FLAG_LIST, &opts.asserts},
        {"assert-file", RN_FLAG_LIST, &opts.assert_files},
        {"save-baseline", RN_FLAG_STRING, &opts.save_baseline},
        {"baseline", RN_FLAG_STRING, &opts.baseline},
        {"max-regression", RN_FLAG_STRING, &opts.max_regression},
        {"alpha", RN_FLAG_STRING, &opts.alpha},
        {"flight-recorder", RN_FLAG_SIZE, &opts.flight_bytes},
        /* DESIGN.md §4's run flags still to come: refused as such, not as unknown. */
        {"list", RN_FLAG_STRING, &opts.list_re},
        {"failfast", RN_FLAG_BOOL, &opts.failfast},
        {"shuffle", RN_FLAG_STRING, &opts.shuffle},
        {"p", RN_FLAG_INT, &opts.procs},
        {"cpu-hz", RN_FLAG_INT, &opts.cpu_hz},
        {"follow-children", RN_FLAG_STRING, &opts.follow_children},
        {"otlp-endpoint", RN_FLAG_STRING, &opts.otlp_endpoint},
        {"json", RN_FLAG_BOOL, &opts.json},
        {"format", RN_FLAG_STRING, &opts.format},
        {"overflow", RN_FLAG_STRING, &opts.overflow},
        {"shard", RN_FLAG_STRING, &opts.shard},
    };
    rn_args a;
    char err[256];
    if (rn_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &a, err,
                       sizeof err) != 0) {
        /* (parses again, into the same lists: free them after) */
        int hint = rn_run_args_unknown_after(flags, sizeof flags / sizeof flags[0], argc, argv);
        rn_strlist_free(&opts.asserts); /* what came before the bad flag */
        rn_strlist_free(&opts.assert_files);
        return hint ? rn_usage_error("%s (%s)", err, RN_RUN_ARGS_HINT)
                    : rn_usage_error("%s", err);
    }
    rn_run_args_command(&a); /* ctest-trace [flags] -- BINARY ARGS... */
    int status = RN_EXIT_USAGE;
    char **exes = NULL;
    opts.trace_shown = take_env(RN_ENV_TRACE_SHOWN); /* from -p: not for the tests */
    opts.judged_out = take_env(RN_ENV_JUDGED_OUT);
    char *time_left = take_env(RN_ENV_TIME_LEFT);
    uint64_t run_time_left = time_left ? strtoull(time_left, NULL, 10) : 0;
    free(time_left);
    if (help) {
        rn_usage(stdout);
        status = RN_EXIT_OK;
        goto out;
    }
    if (version) {
        printf("ctest-trace %s\n", CT_VERSION);
        status = RN_EXIT_OK;
        goto out;
    }
    if (a.npos == 0) {
        rn_usage_error("no test binary given");
        goto out;
    }
    rn_format format;
    if (rn_run_opts_check(&opts, &format) != 0 ||
        rn_trace_context_from_env(&opts.context, opts.procs > 1 && a.npos > 1) != 0)
        goto out;
    exes = calloc(a.npos, sizeof *exes);
    if (exes == NULL) {
        rn_error("out of memory");
        goto out;
    }
    for (size_t i = 0; i < a.npos; i++) {
        /* A second "binary" may be an argument meant for the first. */
        if ((exes[i] = resolve_binary(a.pos[i], i > 0 && !a.dashdash)) == NULL)
            goto out;
    }
    if (opts.list_re == NULL && rn_run_opts_make_dirs(&opts) != 0)
        goto out;
    /* A closed stdout (| head) must not kill the run: the trace still gets
     * finished. The child gets SIGPIPE back (child.c). */
    signal(SIGPIPE, SIG_IGN);
    if (opts.list_re != NULL) {
        status = list_all(&opts, &a, exes);
        goto out;
    }
    if (opts.procs > 1 && a.npos > 1 && format == RN_FORMAT_TAP) {
        status = rn_usage_error("-p %ld: TAP is one stream for the whole run, numbered across "
                                "binaries, which binaries run at once in runners of their own "
                                "cannot share: use -p 1 with --format=tap", opts.procs);
        goto out;
    }
    if (opts.procs > 1 && a.npos > 1) { /* each binary in a runner of its own */
        rn_parallel p = {
            .flags = flags, .nflags = sizeof flags / sizeof flags[0],
            .argc = argc, .argv = argv,
            .bins = a.pos, .nbins = a.npos, .rest = a.rest, .nrest = a.nrest,
            .procs = opts.procs,
            .trace = opts.trace, .trace_dir = opts.trace_dir,
            .junit = opts.junit, .junit_dir = opts.junit_dir, .attach_dir = opts.attach_dir,
            .save_baseline = opts.save_baseline,
            .shuffle_seed = opts.shuffle_seed,
            .failfast = opts.failfast, .json = opts.json,
            .total_ns = opts.total_ns,
            .otlp_endpoint = opts.otlp_endpoint,
            .run_deadline_ns = opts.total_ns ? rn_now_ns() + opts.total_ns : 0,
        };
        status = rn_parallel_run(&p);
        goto out;
    }
    run_record rec = {.start_realtime_ns = realtime_ns(),
                      .run_deadline_ns = !opts.total_ns ? 0
                                         : rn_now_ns() + (run_time_left ? run_time_left
                                                                        : opts.total_ns),
                      .judged_out = opts.judged_out,
                      .flight = {.dir_arg = opts.attach_dir ? opts.attach_dir : opts.junit_dir,
                                 .junit = opts.junit,
                                 .window_bytes = opts.flight_bytes}};
    if (rn_run_gate_init(&rec.gate, opts.save_baseline, opts.baseline, opts.max_regression,
                         opts.alpha, opts.count, opts.verbose) != 0) {
        rn_run_gate_free(&rec.gate);
        goto out;
    }
    rec.judged = rn_judged_new(opts.assert_env);
    rec.bins = calloc(a.npos, sizeof *rec.bins);
    rec.owned_traces = calloc(a.npos, sizeof *rec.owned_traces);
    rec.started = calloc(a.npos, 1);
    if (rec.bins == NULL || rec.owned_traces == NULL || rec.started == NULL) {
        rn_error("out of memory");
    } else {
        for (size_t i = 0; i < a.npos; i++)
            rec.bins[i].arg = a.pos[i];
        if (format == RN_FORMAT_TAP && (opts.tap = rn_tap_new(stdout)) == NULL)
            status = rn_error("out of memory");
        else if (opts.junit_dir == NULL ||
                 (status = claim_junit_names(&opts, &rec, &a)) == RN_EXIT_OK)
            status = run_all(&opts, &a, exes, &rec);
        if (opts.tap != NULL)
            status = rn_tap_finish(opts.tap, status);
    }
    release_junit_names(&rec, a.npos);
    for (size_t i = 0; rec.owned_traces && i < a.npos; i++)
        free(rec.owned_traces[i]);
    free(rec.owned_traces);
    free(rec.started);
    free(rec.bins);
    rn_results_free(&rec.results);
    rn_judged_free(rec.judged);
    rn_run_gate_free(&rec.gate);
    rn_flight_free(&rec.flight);
out:
    if (exes != NULL) {
        for (size_t i = 0; i < a.npos; i++)
            free(exes[i]);
        free(exes);
    }
    rn_args_free(&a);
    rn_strlist_free(&opts.asserts);
    rn_strlist_free(&opts.assert_files);
    free(opts.assert_env);
    free(opts.preload);
    rn_tap_free(opts.tap);
    free(opts.trace_shown);
    free(opts.judged_out);
    rn_trace_context_free(&opts.context);
    return status;
}
