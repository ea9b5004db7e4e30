/*
 * cli.c - usage text and messages (cli.h).
 */
#include "cli.h"

#include <stdarg.h> /* va_list */
#include <stdlib.h> /* free */
#include <string.h> /* strlen */

#include "format/duration.h" /* ct_format_go_duration */

#include "marker.h" /* rn_escape_name */
#include "output.h" /* RN_EXIT_SKIPPED */

void rn_usage(FILE *out)
{
    fputs(
        "usage: ctest-trace [flags] BINARY [BINARY...] [-- ARGS]\n"
        "       ctest-trace [flags] -- BINARY [ARGS...]\n"
        "       ctest-trace stats TRACE\n"
        "       ctest-trace tasks [--json] TRACE\n"
        "       ctest-trace regions [--json] TRACE\n"
        "       ctest-trace threads [--json] TRACE\n"
        "       ctest-trace export --format=chrome|jsonl|otlp|perfetto -o OUT TRACE\n"
        "       ctest-trace profile --type=sync|syscall|net|sched [--format=pprof|folded]\n"
        "                   [--test=REGEX] [--task=NAME|ID] [--region=NAME] -o OUT TRACE\n"
        "       ctest-trace report -o report.html TRACE   one HTML page: tests, timeline\n"
        "       ctest-trace compare [--max-regression=PCT] [--alpha=P] [-v] OLD NEW\n"
        "       ctest-trace merge -o OUT FILE...   traces into one trace, JUnit files into\n"
        "                   one JUnit file, or baselines into one (the shards of a suite)\n"
        "\n"
        "Runs cmocka test binaries under the execution tracer and prints their\n"
        "results like go test; the views read a trace it wrote.\n"
        "\n"
        "Flags of a run (one dash or two; -flag=value or -flag value):\n"
        "  --trace=FILE   write the execution trace to FILE (default: a temporary\n"
        "                 file, removed at the end)\n"
        "  -run REGEX     run only the tests whose name matches REGEX\n"
        "  -skip REGEX    do not run the tests whose name matches REGEX\n"
        "                 (POSIX extended regular expressions, unanchored)\n"
        "  -v             verbose: show every test's name, output and result\n"
        "  -count N       run each selected test N times (each run its own task)\n"
        "  -list REGEX    print the names of the tests matching REGEX; run none\n"
        "  -failfast      start no test (nor binary) after the first failure\n"
        "  -shuffle=on|off|N  run each group's tests in random order; N is the seed\n"
        "                 (on: from the clock; printed as -test.shuffle SEED)\n"
        "  -p N           run up to N binaries at once (default 1), each one's output\n"
        "                 printed whole in order; one --trace, --junit, baseline\n"
        "  --shard=K/N    run shard K of N of the selected tests: those whose name's\n"
        "                 FNV-1a 64 hash mod N is K-1 (CI jobs split a suite so)\n"
        "  --timeout=DUR  kill a binary when no test begins or ends for DUR\n"
        "                 (Go syntax: 30s, 1m30s; default 10m; 0: never)\n"
        "  --timeout-total=DUR  stop the whole run after DUR, as go test -timeout: the\n"
        "                 running test times out, nothing after it runs (default: none)\n"
        "                 (a test killed for time shows every thread's stack first)\n"
        "  --trace-dir=DIR  a trace per binary: DIR/NAME.trace (NAME@ARGS.trace with -- ARGS)\n"
        "  --junit=FILE   JUnit XML, with a trace attached to each failure\n"
        "  --junit-dir=DIR  JUnit XML per binary, DIR/NAME.xml (ctest and meson run a\n"
        "                 binary a process), its attachments in DIR/NAME/\n"
        "  --attach-dir=DIR  where attachments go (default: beside --junit's FILE,\n"
        "                 else the current directory)\n"
        "  --attach-report  attach each failing test's HTML report (ctest-trace report\n"
        "                 of its trace) beside its trace\n"
        "  --flight-recorder=SIZE  keep only the most recent SIZE (64MiB, 2MiB) of each\n"
        "                 process's events in memory, write no full trace, and attach\n"
        "                 each failing test's trace from them as it fails (--trace\n"
        "                 then gets each process's last window)\n"
        "  --assert=RULE  a budget each test matching it must keep (repeatable):\n"
        "                 [TEST_REGEX:]METRIC OP VALUE, e.g. 'TestGet:sync.max<5ms'\n"
        "                 METRIC: region(NAME).max|p50|p95|p99|count, task(NAME).max,\n"
        "                 test.duration, sync.max, sync.total, syscall.max, net.max,\n"
        "                 sched.max; OP: < <= > >= ==; VALUE: a duration (a count\n"
        "                 for .count)\n"
        "  --assert-file=FILE  rules from FILE, one a line ('#' comments); its rules\n"
        "                 come before those of --assert\n"
        "  --save-baseline=FILE  keep what the run measured (use -count N): each\n"
        "                 test's durations, region latencies and blocking totals\n"
        "  --baseline=FILE  judge the run against a saved baseline: a test fails\n"
        "                 when a metric of it is slower, significantly and by more\n"
        "                 than the limit (exit 1)\n"
        "  --max-regression=PCT  the limit (default 10%)\n"
        "  --alpha=P      the significance of the Mann-Whitney U test (default 0.05)\n"
        "  --overflow=wait|drop  when the trace pool is full, a traced thread waits\n"
        "                 for room (wait, the default: no event is lost, the program\n"
        "                 slows) or loses events, counted exactly (drop: it never blocks)\n"
        "  --follow-children=on|off  trace the processes a test starts (fork, exec\n"
        "                 of a program carrying libctrace) as processes of their own\n"
        "                 under the test (default on)\n"
        "  --otlp-endpoint=URL  post the run's spans to an OpenTelemetry Collector\n"
        "                 (OTLP/HTTP JSON; a URL without a path gets /v1/traces;\n"
        "                 headers from OTEL_EXPORTER_OTLP_HEADERS); a failed post\n"
        "                 makes a run that passed exit 2\n"
        "  --json         go test -json's event stream instead of text\n"
        "  --format=text|json|tap  how results are printed (json: --json; tap: TAP\n"
        "                 version 13, for meson's protocol 'tap'; default: tap when\n"
        "                 CMOCKA_MESSAGE_OUTPUT=tap, else text)\n"
        "  -h, --help     show this help\n"
        "  --version      show the version\n"
        "ARGS after \"--\" are passed to each BINARY; \"--\" before any BINARY starts\n"
        "one command line, BINARY ARGS... (end a meson --wrapper or CMake emulator so).\n"
        "\n"
        "Exit status of a run: 0 every selected test passed; 1 a test failed (a\n"
        "trace assertion, an --assert rule or the gate too), or the binary crashed, exited\n"
        "non-zero, or ran no cmocka group; 2 the command could not run (a malformed\n"
        "rule, an output it could not write); 77 every binary skipped itself\n"
        "(exited 77 before any cmocka group).\n"
        "A valid W3C TRACEPARENT (and TRACESTATE) in the environment is recorded in\n"
        "the trace: the OTLP spans hang under it.\n"
        "Exit status of a view: 0 the trace was whole; 1 it was damaged (what came\n"
        "before the damage is shown); 2 nothing could be read.\n",
        out);
}

int rn_exit_worse(int a, int b)
{
    if (a == RN_EXIT_SKIPPED)
        return b;
    if (b == RN_EXIT_SKIPPED)
        return a;
    return a > b ? a : b;
}

void rn_say_not_run(FILE *out, char *const *bins, const unsigned char *started, size_t n)
{
    size_t left = 0;
    for (size_t i = 0; i < n; i++)
        left += !started[i];
    if (left == 0)
        return;
    fprintf(out, "-failfast: %zu binar%s not run after the first failure:", left,
            left == 1 ? "y" : "ies");
    for (size_t i = 0; i < n; i++) {
        char *shown = !started[i] ? rn_escape_name(bins[i], strlen(bins[i])) : NULL;
        if (shown != NULL)
            fprintf(out, " %s", shown);
        free(shown);
    }
    fputc('\n', out);
}

void rn_say_out_of_time(uint64_t limit_ns, const unsigned char *started, size_t n)
{
    size_t left = 0;
    for (size_t i = 0; i < n; i++)
        left += !started[i];
    if (left == 0)
        return;
    char limit[48];
    ct_format_go_duration(limit, sizeof limit, limit_ns);
    fflush(stdout);
    fprintf(stderr, "ctest-trace: the run took longer than --timeout-total=%s: %zu binar%s did "
                    "not run\n", limit, left, left == 1 ? "y" : "ies");
}

static void vmessage(const char *fmt, va_list ap)
{
    fflush(stdout); /* keep what was printed before in order */
    fputs("ctest-trace: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int rn_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    return RN_EXIT_USAGE;
}

int rn_error_about(const char *what, const char *fmt_rest, const char *detail, int hint)
{
    char *shown = rn_escape_name(what, strlen(what));
    const char *s = shown ? shown : "?";
    int rc = hint ? rn_usage_error("%s: %s%s", s, fmt_rest, detail)
                  : rn_error("%s: %s%s", s, fmt_rest, detail);
    free(shown);
    return rc;
}

int rn_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    fputs("run 'ctest-trace -h' for usage\n", stderr);
    return RN_EXIT_USAGE;
}
