/*
 * view.c - `ctest-trace stats|tasks|regions|export|report ... TRACE`: read flags
 * and hand over to the views (analysis/views/views.h), whose return value is
 * the exit status.
 */
#include <errno.h>  /* errno */
#include <stdio.h>  /* stdout, stderr */
#include <string.h> /* strcmp */

#include "analysis/views/view_io.h" /* ctv_stdout_name */
#include "analysis/views/views.h"
#include "cli.h"
#include "flags.h"

typedef enum view_id {
    VIEW_STATS, VIEW_TASKS, VIEW_REGIONS, VIEW_THREADS, VIEW_EXPORT, VIEW_PROFILE, VIEW_REPORT
} view_id;

static const struct {
    const char *name;
    view_id id;
    const char *usage;
} views[] = {
    {"stats", VIEW_STATS, "ctest-trace stats TRACE"},
    {"tasks", VIEW_TASKS, "ctest-trace tasks [--json] TRACE"},
    {"regions", VIEW_REGIONS, "ctest-trace regions [--json] TRACE"},
    {"threads", VIEW_THREADS, "ctest-trace threads [--json] TRACE"},
    {"export", VIEW_EXPORT, "ctest-trace export --format=chrome|jsonl|otlp|perfetto -o OUT TRACE"},
    {"profile", VIEW_PROFILE,
     "ctest-trace profile --type=sync|syscall|net|sched|cpu [--format=pprof|folded]\n"
     "           [--test=REGEX] [--task=NAME|ID] [--region=NAME] -o OUT TRACE"},
    {"report", VIEW_REPORT, "ctest-trace report -o report.html TRACE"},
};
#define NVIEWS (sizeof views / sizeof views[0])

/* --type and --format of `profile` into opts. @return 0, or -1 when one is
 * missing or unknown (profile_problem() says which). */
static int profile_opts(const char *type, const char *format, ctv_profile_opts *opts)
{
    static const ctr_block_kind kinds[] = {CTR_BLOCK_SYNC, CTR_BLOCK_SYSCALL, CTR_BLOCK_NET,
                                           CTR_BLOCK_SCHED};
    opts->kind = 0;
    for (size_t i = 0; type && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(type, ctr_block_kind_name(kinds[i])) == 0)
            opts->kind = kinds[i];
    opts->cpu = type && strcmp(type, "cpu") == 0;
    if (!opts->kind && !opts->cpu)
        return -1;
    if (format && strcmp(format, "folded") == 0)
        opts->folded = 1;
    else if (format && strcmp(format, "pprof") != 0)
        return -1;
    return 0;
}

static const char *profile_problem(const char *type, const char *format)
{
    static char text[160];
    ctv_profile_opts scratch = {0};
    if (!type || !*type)
        return "missing --type (sync, syscall, net, sched or cpu)";
    if (profile_opts(type, NULL, &scratch) != 0) {
        snprintf(text, sizeof text, "--type: unknown kind of profile '%.80s' (sync, syscall, "
                                    "net, sched or cpu)", type);
        return text;
    }
    snprintf(text, sizeof text, "--format: unknown format '%.80s' (pprof or folded)",
             format ? format : "");
    return text;
}

int rn_is_view(const char *word)
{
    for (size_t i = 0; i < NVIEWS; i++) {
        if (strcmp(word, views[i].name) == 0)
            return 1;
    }
    return 0;
}

int rn_cmd_view(const char *view, int argc, char **argv)
{
    size_t v = 0;
    while (v < NVIEWS && strcmp(view, views[v].name) != 0)
        v++;
    if (v == NVIEWS)
        return rn_usage_error("unknown command: %s", view);
    view_id id = views[v].id;

    int json = 0, help = 0;
    const char *format = NULL, *out = NULL, *type = NULL;
    ctv_profile_opts prof = {0};
    rn_flag flags[9];
    size_t n = 0;
    flags[n++] = (rn_flag){"h", RN_FLAG_BOOL, &help};
    flags[n++] = (rn_flag){"help", RN_FLAG_BOOL, &help};
    if (id == VIEW_TASKS || id == VIEW_REGIONS || id == VIEW_THREADS)
        flags[n++] = (rn_flag){"json", RN_FLAG_BOOL, &json};
    if (id == VIEW_EXPORT || id == VIEW_PROFILE)
        flags[n++] = (rn_flag){"format", RN_FLAG_STRING, &format};
    if (id == VIEW_EXPORT || id == VIEW_PROFILE || id == VIEW_REPORT)
        flags[n++] = (rn_flag){"o", RN_FLAG_STRING, &out};
    if (id == VIEW_PROFILE) {
        flags[n++] = (rn_flag){"type", RN_FLAG_STRING, &type};
        flags[n++] = (rn_flag){"test", RN_FLAG_STRING, &prof.test};
        flags[n++] = (rn_flag){"task", RN_FLAG_STRING, &prof.task};
        flags[n++] = (rn_flag){"region", RN_FLAG_STRING, &prof.region};
    }

    rn_args a;
    char err[256];
    if (rn_flags_parse(flags, n, argc, argv, &a, err, sizeof err) != 0)
        return rn_usage_error("%s: %s\nusage: %s", view, err, views[v].usage);
    int status = RN_EXIT_USAGE;
    if (help) {
        printf("usage: %s\n", views[v].usage);
        status = RN_EXIT_OK;
    } else if (a.npos + a.nrest == 0) {
        rn_usage_error("%s: missing TRACE argument\nusage: %s", view, views[v].usage);
    } else if (a.npos + a.nrest > 1) {
        rn_usage_error("%s: one TRACE argument expected, got %zu\nusage: %s", view,
                       a.npos + a.nrest, views[v].usage);
    } else if (id == VIEW_EXPORT && (format == NULL || *format == '\0')) {
        rn_usage_error("export: missing --format (chrome, jsonl, otlp, perfetto)\nusage: %s", views[v].usage);
    } else if (id == VIEW_REPORT && (out == NULL || *out == '\0')) {
        rn_usage_error("report: missing -o OUT (the HTML file to write)\nusage: %s",
                       views[v].usage);
    } else if ((id == VIEW_EXPORT || id == VIEW_PROFILE) && (out == NULL || *out == '\0')) {
        rn_usage_error("%s: missing -o OUT (\"-\" for stdout)\nusage: %s", view,
                       views[v].usage);
    } else if (id == VIEW_PROFILE && profile_opts(type, format, &prof) != 0) {
        rn_usage_error("profile: %s\nusage: %s", profile_problem(type, format), views[v].usage);
    } else {
        const char *trace = a.npos ? a.pos[0] : a.rest[0];
        fflush(stdout);
        switch (id) {
        case VIEW_STATS: status = ctv_stats(trace, stdout, stderr); break;
        case VIEW_TASKS: status = ctv_tasks(trace, json, stdout, stderr); break;
        case VIEW_REGIONS: status = ctv_regions(trace, json, stdout, stderr); break;
        case VIEW_THREADS: status = ctv_threads(trace, json, stdout, stderr); break;
        case VIEW_EXPORT: status = ctv_export(trace, format, out, stderr); break;
        case VIEW_PROFILE:
            prof.out_path = out;
            status = ctv_profile(trace, &prof, stderr);
            break;
        case VIEW_REPORT: status = ctv_report(trace, out, stderr); break;
        }
        errno = 0;
        if (fflush(stdout) != 0 && status == RN_EXIT_OK)
            status = rn_error("%s: %s", ctv_stdout_name(), ct_outfile_error(errno ? errno : EIO));
    }
    rn_args_free(&a);
    return status;
}
