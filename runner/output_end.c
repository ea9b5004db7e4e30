/*
 * output_end.c - how a binary's run ended (output_internal.h): a process that
 * died in a test or a fixture, the results its trace told when its markers
 * could not, and the binary's last lines (FAIL or ok, why no group ran).
 */
#include "output_internal.h"

#include <inttypes.h> /* PRIu64 */
#include <signal.h>   /* sigdescr_np */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, strlen */
#include <sys/wait.h> /* WIFEXITED, ... */

#include "format/duration.h" /* ct_format_go_duration */

#include "recover.h"

void rn_wait_status_text(int wait_status, char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    if (WIFEXITED(wait_status)) {
        if (WEXITSTATUS(wait_status) != 0)
            snprintf(buf, size, "exit status %d", WEXITSTATUS(wait_status));
    } else if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        const char *d = sigdescr_np(sig);
        char what[64];
        if (d != NULL)
            snprintf(what, sizeof what, "%s", d);
        else
            snprintf(what, sizeof what, "signal %d", sig);
        if (what[0] >= 'A' && what[0] <= 'Z')
            what[0] = (char)(what[0] - 'A' + 'a');
        snprintf(buf, size, "signal: %s%s", what,
                 WCOREDUMP(wait_status) ? " (core dumped)" : "");
    } else {
        snprintf(buf, size, "unknown wait status 0x%x", (unsigned)wait_status);
    }
}

/* The process is gone: a line it left without its newline is whole. */
static void end_partial_line(rn_out *o, uint64_t now_ns)
{
    if (o->line_len > 0 || o->continued)
        rn__out_handle_line(o, o->line, o->line_len, o->continued, now_ns);
    o->line_len = 0;
    o->continued = 0;
    rn__out_flush_blanks(o);
}

/* The process died after its output was lost and the trace showed a gap in
 * the test ordinals (a group whose setup failed ran none of its tests): the
 * ordinal to resume at is not known. Say so rather than run a test twice.
 * @return 0: do not go on. */
static int cannot_go_on(rn_out *o)
{
    static const char why[] = "the binary's output was lost before it died, and where its "
                              "tests stopped is not known: the tests after this point did "
                              "not run\n";
    rn__out_set_failed(o);
    rn__out_end_line(o);
    rn__out_put(o, why, sizeof why - 1);
    return 0;
}

int rn_out_unaccounted(const rn_out *o, const ct_child_progress *counted)
{
    const ct_child_progress *read = &o->markers_read;
    return read->tests_begun != counted->tests_begun ||
           read->tests_ended != counted->tests_ended ||
           read->fixtures_begun != counted->fixtures_begun ||
           read->fixtures_ended != counted->fixtures_ended;
}

/* Percent-free names from the trace: the group of "GROUP setup". */
static void group_of_fixture(rn_out *o, const rn_traced_task *t)
{
    size_t n = t->name_len;
    static const char *const ends[] = {" setup", " teardown"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(ends[i]);
        if (n > k && memcmp(t->name + n - k, ends[i], k) == 0) {
            rn__out_set_name(&o->group, &o->group_len, t->name, n - k);
            return;
        }
    }
}

/* A test the trace says ended: its result, with the message of its status
 * when it did not pass (what cmocka printed of it is lost). */
static void finish_from_trace(rn_out *o, const rn_traced_task *t)
{
    if (t->status != RN_STATUS_PASS && t->message != NULL) {
        rn__out_sink(o, t->message, t->message_len);
        rn__out_sink(o, "\n", 1);
    }
    o->from_trace++;
    rn__out_finish_test(o, t->status, t->duration_ns);
}

/* A test's end is about to come from the trace, not from markers: the first
 * time, remember where the output was lost. */
static void note_lost(rn_out *o, const char *name, size_t len)
{
    rn__out_traced(o);
    if (o->lost_in != NULL)
        return;
    o->lost_in_test = o->in_test;
    if (o->in_test)
        name = o->test, len = o->test_len;
    if (rn__out_set_name(&o->lost_in, &o->lost_in_len, name ? name : "?", name ? len : 1) != 0)
        o->lost_in = NULL;
}

/* A flight recorder's window no longer held tests the markers did not tell
 * of either: say so, and where to go on is not known. */
static void window_gap(rn_out *o, const rn_traced *t, unsigned told)
{
    uint64_t known = (uint64_t)o->markers_read.tests_ended + told;
    if (!t->cut || t->tests_counted <= known)
        return;
    char why[300];
    uint64_t missing = t->tests_counted - known;
    snprintf(why, sizeof why, "%llu test%s ended whose result%s not known: the binary's output "
             "was lost, and the flight recorder's window no longer held %s\n",
             (unsigned long long)missing, missing == 1 ? "" : "s",
             missing == 1 ? " is" : "s are", missing == 1 ? "it" : "them");
    rn__out_set_failed(o);
    rn__out_end_line(o);
    rn__out_put(o, why, strlen(why));
    o->resume_unknown = 1;
}

void rn_out_from_trace(rn_out *o, uint64_t pid, const rn_traced *t, uint64_t resumed_at,
                       uint64_t now_ns)
{
    if (!t->found)
        return;
    end_partial_line(o, now_ns); /* it belongs to what ran before */
    /* The last test the markers named in this process, and the ordinal of the
     * next test of it. */
    uint64_t known = o->process_markers && o->test_pid == pid ? o->test_task : 0;
    uint64_t ordinal = known ? o->next_ordinal : resumed_at;
    const rn_traced_task *fixture = NULL; /* the last seen: it names the group */
    unsigned told = 0; /* tests whose end the trace told */
    for (size_t i = 0; i < t->n; i++) {
        const rn_traced_task *k = &t->v[i];
        if (k->task < known || (k->task == known && !o->in_test))
            continue; /* the markers said it all */
        if (k->task == known) { /* the test the markers left running */
            if (k->unended)
                break; /* it died in it: rn_out_process_died() says so */
            static const char lost[] = "(the test's output ends here: it closed or "
                                       "redirected its stdout; its result is the trace's)\n";
            note_lost(o, k->name, k->name_len);
            rn__out_sink(o, lost, sizeof lost - 1);
            finish_from_trace(o, k);
            told++;
            continue;
        }
        if (k->fixture) {
            fixture = k;
            /* The one the markers left running: they said all until there. */
            int running = o->in_fixture && o->fixture != NULL && k->name_len == o->fixture_len &&
                          memcmp(k->name, o->fixture, k->name_len) == 0;
            if (running && k->unended)
                break; /* it died in it: rn_out_process_died() says so */
            if (k->unended) { /* the process died in it */
                note_lost(o, k->name, k->name_len);
                group_of_fixture(o, k);
                o->in_fixture = 1;
                o->resume_unknown = 1; /* its group's end is not known */
                break;
            }
            o->in_fixture = 0;
            if (k->status == RN_STATUS_ERROR) { /* reported as a test, as markers do */
                note_lost(o, k->name, k->name_len);
                group_of_fixture(o, k);
                rn__out_begin_test(o, k->name, k->name_len, now_ns);
                o->test_pid = pid;
                o->test_task = k->task;
                finish_from_trace(o, k);
                /* A setup that failed: cmocka ran none of the group's tests,
                 * whose ordinals the trace does not tell. */
                if (k->name_len >= 6 && memcmp(k->name + k->name_len - 6, " setup", 6) == 0)
                    o->resume_unknown = 1;
            }
            continue;
        }
        note_lost(o, k->name, k->name_len);
        if (fixture != NULL)
            group_of_fixture(o, fixture);
        if (o->in_test) /* a test the trace has no end for */
            rn__out_finish_test(o, RN_STATUS_UNKNOWN, 0);
        rn__out_begin_test(o, k->name, k->name_len, now_ns - k->duration_ns);
        o->test_pid = pid;
        o->test_task = k->task;
        free(o->test_group_enc); /* not a marker's group */
        o->test_group_enc = NULL;
        if (o->group == NULL ||
            rn__out_set_name(&o->test_group, &o->test_group_len, o->group, o->group_len) != 0)
            o->test_group_len = 0;
        o->has_ordinals = 1;
        o->next_ordinal = ++ordinal;
        o->done = ordinal - 1;
        if (k->unended)
            break; /* the process died in it: rn_out_process_died() says so */
        finish_from_trace(o, k);
        told++;
    }
    window_gap(o, t, told);
}

static int died(rn_out *o, int wait_status, uint64_t timeout_ns, uint64_t now_ns,
                uint64_t resumed_at, uint64_t *resume);

void rn_out_timed_out(rn_out *o, const char *why, const char *stacks, size_t stacks_len)
{
    free(o->timeout_why);
    free(o->timeout_stacks);
    o->timeout_why = why ? strdup(why) : NULL;
    o->timeout_stacks = stacks ? malloc(stacks_len + 1) : NULL;
    o->timeout_stacks_len = o->timeout_stacks ? stacks_len : 0;
    if (o->timeout_stacks)
        memcpy(o->timeout_stacks, stacks, stacks_len);
}

/* What rn_out_timed_out() said of this death, under the line `why` (a test's
 * output, or the run's), then forgotten. */
static void timed_out_why(rn_out *o, char *why, size_t size, uint64_t timeout_ns)
{
    if (o->timeout_why != NULL) {
        snprintf(why, size, "%s\n", o->timeout_why);
    } else {
        char limit[48];
        ct_format_go_duration(limit, sizeof limit, timeout_ns);
        snprintf(why, size, "test timed out after %s: killed\n", limit);
    }
}

static void timed_out_forget(rn_out *o)
{
    free(o->timeout_why);
    free(o->timeout_stacks);
    o->timeout_why = o->timeout_stacks = NULL;
    o->timeout_stacks_len = 0;
}

int rn_out_process_died(rn_out *o, int wait_status, uint64_t timeout_ns, uint64_t now_ns,
                        uint64_t resumed_at, uint64_t *resume)
{
    int again = died(o, wait_status, timeout_ns, now_ns, resumed_at, resume);
    timed_out_forget(o);
    return again;
}

static int died(rn_out *o, int wait_status, uint64_t timeout_ns, uint64_t now_ns,
                uint64_t resumed_at, uint64_t *resume)
{
    end_partial_line(o, now_ns);
    o->process_markers = 0; /* the next process's count */
    memset(&o->markers_read, 0, sizeof o->markers_read);
    int resume_unknown = o->resume_unknown;
    o->resume_unknown = 0;
    char why[300], how[128];
    rn_wait_status_text(wait_status, how, sizeof how);
    if (timeout_ns) {
        timed_out_why(o, why, sizeof why, timeout_ns);
    } else {
        snprintf(why, sizeof why, "the binary ended during this test: %s\n",
                 how[0] ? how : "exit status 0");
    }
    if (o->in_test) {
        rn__out_sink(o, why, strlen(why));
        if (timeout_ns && o->timeout_stacks)
            rn__out_sink(o, o->timeout_stacks, o->timeout_stacks_len);
        rn__out_finish_test(o, timeout_ns ? RN_STATUS_TIMEOUT : RN_STATUS_CRASH,
                    rn__out_since_test_start(o, now_ns));
        if (resume_unknown)
            return cannot_go_on(o);
        /* Go on after it (without ordinals: count the tests this process ran). */
        *resume = o->has_ordinals ? o->next_ordinal : resumed_at + o->counts.run;
        return *resume > resumed_at;
    }
    /* Killed outside any test: in a group's setup or teardown, or between
     * groups. Say so, and go on after that group (never where we were). */
    if (!timeout_ns && !WIFSIGNALED(wait_status) && !o->in_fixture)
        return 0; /* an exit status is how a cmocka binary counts failures */
    if (!resume_unknown && (!o->has_ordinals || o->group_end <= resumed_at))
        return 0;
    char *group = rn_escape_name(o->group ? o->group : "", o->group_len);
    snprintf(why, sizeof why, "the binary ended outside any test, %s group %s: %s\n",
             o->in_fixture ? "in a fixture of" : "in or after", group ? group : "?",
             timeout_ns ? "timed out: killed" : how[0] ? how : "exit status 0");
    o->in_fixture = 0;
    free(group);
    rn__out_set_failed(o);
    rn__out_end_line(o);
    rn__out_put(o, why, strlen(why));
    if (timeout_ns && o->timeout_stacks)
        rn__out_put(o, o->timeout_stacks, o->timeout_stacks_len);
    if (o->results) { /* for --junit: an error of the group, not of a test */
        char name[64];
        snprintf(name, sizeof name, "(outside tests)");
        rn_result r = {
            .binary = o->binary,
            .name = name,
            .name_len = strlen(name),
            .group = o->group,
            .group_len = o->group_len,
            .status = timeout_ns ? RN_STATUS_TIMEOUT : RN_STATUS_CRASH,
            .output = why,
            .output_len = strlen(why),
        };
        rn_results_add(o->results, &r);
    }
    if (resume_unknown)
        return cannot_go_on(o);
    *resume = o->group_end;
    return 1;
}

uint64_t rn_out_progress_ns(const rn_out *o)
{
    return o->progress_ns;
}

/* Why a binary in which no cmocka group ran fails, and what to do: two
 * lines. */
static void no_group_text(char *why, size_t size, int untraced, const char *no_preload)
{
    if (no_preload != NULL)
        snprintf(why, size, "no test was traced: libctrace.so was not preloaded (%s), and the "
                 "binary ran no cmocka group through a libctrace of its own\n"
                 "let ctest-trace find libctrace.so (or set CTRACE_PRELOAD to its path), or "
                 "link the binary with libctrace", no_preload);
    else if (untraced)
        snprintf(why, size, "no test was traced: cmocka ran tests, but no cmocka group the "
                 "tracer hooks (the binary links cmocka statically, or calls it other than "
                 "through its exported runners)\n"
                 "run each group with cmocka_run_group_tests() from the shared libcmocka, or "
                 "with ct_run_group_tests() from libctrace");
    else
        snprintf(why, size, "no cmocka group ran: ctest-trace runs cmocka test binaries, "
                 "whose groups run with cmocka_run_group_tests() or ct_run_group_tests(); "
                 "is this one?\n"
                 "(a binary that skips itself exits %d before any group)", RN_EXIT_SKIPPED);
}

/* For --junit: a line of the binary itself (no test of its own ran). */
static void record_binary(rn_out *o, rn_test_status status, const char *why)
{
    static const char name[] = "(no cmocka group ran)";
    rn_result r = {
        .binary = o->binary,
        .name = (char *)name,
        .name_len = sizeof name - 1,
        .status = status,
        .output = (char *)why,
        .output_len = strlen(why),
    };
    rn_results_add(o->results, &r);
}

int rn_out_finish(rn_out *o, const rn_exit_info *info)
{
    rn__out_counter_clear(o);
    if (o->line_len > 0 || o->continued)
        rn__out_handle_line(o, o->line, o->line_len, o->continued, info->now_ns);
    o->line_len = 0;
    o->continued = 0;
    rn__out_flush_blanks(o);

    char how[128];
    rn_wait_status_text(info->wait_status, how, sizeof how);
    if (o->in_test) { /* the binary ended in this test: it crashed */
        static const char why[] = "(the binary ended during this test)\n";
        rn__out_sink(o, why, sizeof why - 1); /* the partial line was ended above */
        rn__out_finish_test(o, RN_STATUS_UNKNOWN, rn__out_since_test_start(o, info->now_ns));
    }
    /* No marker: no cmocka group ran under the tracer (a group with no test
     * selected says so too). The binary fails, or skipped itself by exiting
     * 77 before any group, as automake and meson read it. */
    o->counts.untraced = !o->seen_marker && o->saw_cmocka_run;
    int no_group = !o->seen_marker;
    int skipped = no_group && !o->saw_cmocka_run && WIFEXITED(info->wait_status) &&
                  WEXITSTATUS(info->wait_status) == RN_EXIT_SKIPPED;
    if (o->run_line_unmatched) /* the output ended without its run marker */
        o->untraced_after = 1;
    if ((how[0] != '\0' && !skipped) || (no_group && !skipped) || o->untraced_after)
        rn__out_set_failed(o);

    if (no_group) {
        if (o->verbose || o->failed || skipped)
            rn__out_print_buf(o, o->counts.untraced ? &o->pre_raw : &o->pre_kept, 0);
    } else if (!o->verbose && o->failed && !rn_buf_empty(&o->pending)) {
        rn__out_print_buf(o, &o->pending, 0);
    }
    rn_buf_clear(&o->pending);

    rn__out_end_line(o);
    /* Only a binary that ran cleanly can be said to have no tests: one that
     * failed to load or start says why above. A shard (--shard) that got
     * none of the binary's tests says so on its last line too, as go test
     * does, so that it does not read as a run whose tests were traced. */
    int no_tests = o->counts.run == 0 && !no_group && how[0] == '\0';
    char warning[128];
    snprintf(warning, sizeof warning, "testing: warning: no tests to run%s%s\n",
             info->shard ? " in shard " : "", info->shard ? info->shard : "");
    if (no_tests)
        rn__out_put(o, warning, strlen(warning));
    char why[900];
    why[0] = '\0';
    if (skipped)
        snprintf(why, sizeof why, "exit status %d before any cmocka group ran: the binary "
                 "skipped itself", RN_EXIT_SKIPPED);
    else if (no_group)
        no_group_text(why, sizeof why, o->counts.untraced, info->no_preload);
    else if (o->untraced_after)
        snprintf(why, sizeof why, "cmocka ran tests the tracer did not see, after the traced "
                 "ones: a second test binary that the command ran (sh -c './a; ./b')?\n"
                 "give each test binary to ctest-trace, which traces them all "
                 "(ctest-trace ./a ./b)");
    if (o->failed)
        rn__out_put(o, "FAIL\n", 5);
    else if (o->verbose && !skipped)
        rn__out_put(o, "PASS\n", 5);
    if (how[0] != '\0' && !skipped) { /* the binary's, not this command's */
        char said[160];
        if (WIFEXITED(info->wait_status))
            snprintf(said, sizeof said, "binary exited with status %d\n",
                     WEXITSTATUS(info->wait_status));
        else
            snprintf(said, sizeof said, "binary %s %s\n",
                     WIFSIGNALED(info->wait_status) ? "died of a" : "ended:", how);
        rn__out_put(o, said, strlen(said));
    }
    if (why[0] != '\0') {
        rn__out_put(o, why, strlen(why));
        rn__out_put(o, "\n", 1);
        if (o->results) /* for --junit: the binary's own line */
            record_binary(o, skipped ? RN_STATUS_SKIP : RN_STATUS_ERROR, why);
    }
    if (info->note != NULL) {
        rn__out_put(o, info->note, strlen(info->note));
        rn__out_put(o, "\n", 1);
    }
    char secs[64];
    snprintf(secs, sizeof secs, "\t%.3fs%s\ttrace: ", (double)info->elapsed_ns / 1e9,
             no_tests && info->shard ? " [no tests to run]" : "");
    rn__out_put(o, o->failed ? "FAIL\t" : skipped ? "SKIP\t" : "ok  \t", 5);
    rn__out_put_name(o, info->binary, strlen(info->binary));
    rn__out_put(o, secs, strlen(secs));
    if (info->trace != NULL)
        rn__out_put_name(o, info->trace, strlen(info->trace));
    else
        rn__out_put(o, "none", 4);
    uint64_t lost_all = o->lost > o->lost_counted ? o->lost : o->lost_counted;
    if (lost_all) {
        char lost[64];
        snprintf(lost, sizeof lost, " (%" PRIu64 " event%s lost)", lost_all,
                 lost_all == 1 ? "" : "s");
        rn__out_put(o, lost, strlen(lost));
    }
    rn__out_put(o, "\n", 1);
    if (o->json_package != NULL) {
        rn__out_json_flush_line(o);
        rn__out_json_event(o, o->failed ? "fail" : skipped ? "skip" : "pass", 0,
                   (double)info->elapsed_ns / 1e9, NULL, 0);
    }
    fflush(o->out);
    if (o->lost_in != NULL) {
        char *bin = rn_escape_name(info->binary, strlen(info->binary));
        char *test = rn_escape_name(o->lost_in, o->lost_in_len);
        fprintf(o->err, "ctest-trace: warning: %s: its output was lost %s %s (%s): the results "
                        "of %u test%s from there on come from its trace, and what %s printed "
                        "is lost\n",
                bin ? bin : "?", o->lost_in_test ? "in" : "before", test ? test : "?",
                o->lost_in_test ? "the test closed or redirected its stdout"
                                : "stdout was closed or redirected",
                o->from_trace, o->from_trace == 1 ? "" : "s",
                o->from_trace == 1 ? "it" : "they");
        free(bin);
        free(test);
    }
    return o->failed ? 1 : skipped ? RN_EXIT_SKIPPED : 0;
}
