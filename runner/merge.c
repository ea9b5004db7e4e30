/*
 * merge.c - `ctest-trace merge -o OUT FILE...`: merge traces into one trace
 * (analysis/trace_merge.h), JUnit files into one JUnit file (merge_junit.c),
 * or baselines into one baseline, by what the inputs are. The kind of each
 * is sniffed from its first bytes, not its name: a trace starts with the
 * magic "\x89CTRACE\n", XML with '<', a baseline (JSON) with '{'. One kind
 * at a time: a mix is refused, naming the first file of another kind.
 */
#include "merge.h"

#include <errno.h>  /* errno */
#include <stdio.h>  /* fopen, fread */
#include <stdlib.h> /* free */
#include <string.h> /* memcmp, strlen */

#include "analysis/trace_merge.h" /* ctr__merge_traces */
#include "format/wire.h"          /* CT_FILE_MAGIC */
#include "recorder/outfile.h"     /* ct_errno_text */

#include "baseline_json.h"
#include "cli.h"
#include "flags.h"
#include "gate.h" /* rn_gate_machine_warning */
#include "marker.h" /* rn_escape_name */

#define USAGE "ctest-trace merge -o OUT FILE..."

typedef enum input_kind { KIND_TRACE, KIND_JUNIT, KIND_BASELINE } input_kind;

static const char *const kind_names[] = {"a trace", "a JUnit XML file", "a baseline (JSON)"};

/* The kind of `path` by its first bytes. @return 0, or 2 after a message
 * (it cannot be read, is empty, or is of no kind merge knows). */
static int sniff(const char *path, input_kind *kind)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return rn_error_about(path, ct_errno_text(errno), "", 0);
    unsigned char head[64];
    errno = 0;
    size_t got = fread(head, 1, sizeof head, f);
    int e = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (e != 0)
        return rn_error_about(path, ct_errno_text(e), "", 0);
    if (got == 0)
        return rn_error_about(path, "empty file", "", 0);
    /* A trace cut inside its magic is still a trace (a damaged one). */
    size_t magic = got < CT_FILE_MAGIC_LEN ? got : CT_FILE_MAGIC_LEN;
    if (memcmp(head, CT_FILE_MAGIC, magic) == 0) {
        *kind = KIND_TRACE;
        return 0;
    }
    size_t i = 0;
    if (got >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3; /* a UTF-8 byte order mark */
    while (i < got && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r'))
        i++;
    if (i < got && head[i] == '<') {
        *kind = KIND_JUNIT;
        return 0;
    }
    if (i < got && head[i] == '{') {
        *kind = KIND_BASELINE;
        return 0;
    }
    return rn_error_about(path, "not a trace, a JUnit XML file or a baseline: nothing to merge",
                      "", 0);
}

/* Baselines (docs/BASELINE.md): every input read whole first (a bad one
 * writes nothing), pooled into the first, the machine facts the first's.
 * A second input from another machine is said, as the gate says it. */
int rn_merge_baselines(const char *out, char *const *files, size_t n)
{
    rn_baseline all, next;
    char err[512];
    if (rn_baseline_read(&all, files[0], err, sizeof err) != 0)
        return rn_error_about(files[0], err, "", 0);
    int status = 0;
    for (size_t i = 1; i < n && status == 0; i++) {
        if (rn_baseline_read(&next, files[i], err, sizeof err) != 0) {
            status = rn_error_about(files[i], err, "", 0);
            break;
        }
        char *warning = rn_gate_machine_warning(&all, &next);
        if (warning != NULL) {
            char *shown = rn_escape_name(files[i], strlen(files[i]));
            fprintf(stderr, "ctest-trace: %s: %s\n", shown ? shown : "?", warning);
            free(shown);
            free(warning);
        }
        if (rn_baseline_merge(&all, &next) != 0)
            status = rn_error("out of memory");
        rn_baseline_free(&next);
    }
    if (status == 0 && rn_baseline_write(&all, out, err, sizeof err) != 0)
        status = rn_error_about(out, "cannot write the baseline: ", err, 0);
    rn_baseline_free(&all);
    return status;
}

int rn_cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    int help = 0;
    const rn_flag flags[] = {
        {"o", RN_FLAG_STRING, &out},
        {"h", RN_FLAG_BOOL, &help},
        {"help", RN_FLAG_BOOL, &help},
    };
    rn_args a;
    char err[256];
    if (rn_flags_parse(flags, sizeof flags / sizeof flags[0], argc, argv, &a, err,
                       sizeof err) != 0)
        return rn_usage_error("merge: %s\nusage: %s", err, USAGE);
    int status = RN_EXIT_USAGE;
    /* Inputs after "--" too (a file named like a flag). */
    size_t n = a.npos + a.nrest;
    char **files = calloc(n ? n : 1, sizeof *files);
    if (files == NULL) {
        rn_error("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        files[i] = i < a.npos ? a.pos[i] : a.rest[i - a.npos];
    if (help) {
        printf("usage: %s\n", USAGE);
        status = RN_EXIT_OK;
        goto done;
    }
    if (out == NULL || *out == '\0') {
        rn_usage_error("merge: missing -o OUT\nusage: %s", USAGE);
        goto done;
    }
    if (n == 0) {
        rn_usage_error("merge: no FILE to merge\nusage: %s", USAGE);
        goto done;
    }
    input_kind first = KIND_TRACE;
    for (size_t i = 0; i < n; i++) {
        input_kind kind = KIND_TRACE; /* set by sniff() (gcc -Os cannot tell) */
        if (sniff(files[i], &kind) != 0)
            goto done;
        if (i == 0) {
            first = kind;
        } else if (kind != first) {
            char *other = rn_escape_name(files[0], strlen(files[0]));
            char what[600];
            snprintf(what, sizeof what, "is %s, but %.400s is %s: merge one kind at a time",
                     kind_names[kind], other ? other : "?", kind_names[first]);
            free(other);
            rn_error_about(files[i], what, "", 0);
            goto done;
        }
    }
    fflush(stdout);
    switch (first) {
    case KIND_TRACE: status = ctr__merge_traces(out, files, n, stderr); break;
    case KIND_JUNIT: status = rn_merge_junit(out, files, n); break;
    case KIND_BASELINE: status = rn_merge_baselines(out, files, n); break;
    }
done:
    free(files);
    rn_args_free(&a);
    return status;
}
