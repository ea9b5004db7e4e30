/*
 * merge_junit.c - JUnit XML files into one (merge.h), read with expat.
 *
 * A testsuite's counts come before its content, as attributes of its start
 * tag, so each file is read twice: first to count every testsuite's
 * testcases (and to find what is not well-formed before anything is
 * written), then to copy. Only the counts are held: a number per testsuite.
 * What a testsuite holds is copied as expat reports it: elements with their
 * attributes, text escaped again (a CDATA section becomes escaped text, the
 * same characters); comments, processing instructions and the DOCTYPE are
 * dropped. Elements beside the testsuites of a <testsuites>, which the
 * schema does not allow, are left out.
 */
#include "merge.h"

#include <errno.h>  /* errno */
#include <expat.h>  /* XML_Parser */
#include <stdio.h>  /* FILE, fopen, fread */
#include <stdlib.h> /* malloc, realloc, free, strtod */
#include <string.h> /* strcmp, strlen */
#include <unistd.h> /* close */

#include "recorder/outfile.h" /* ct_outfile_*: replaced only when complete */

#include "cli.h"
#include "junit.h"  /* rn_put_xml */
#include "marker.h" /* rn_escape_name */

#define READ_BYTES (64u << 10)
#define MAX_READ_BYTES (64u << 20)
#define MAX_DEPTH 256 /* testsuites nested in testsuites */

typedef struct counts {
    unsigned long long tests, failures, errors, skipped;
    double time, cases_time; /* its own time attribute (if has_time), its testcases' */
    int has_time;
    int top; /* not inside another testsuite */
} counts;

typedef struct junit {
    int writing;           /* pass two */
    XML_Parser parser;
    FILE *out;
    counts *suites;        /* every testsuite of every file, in document order */
    size_t nsuites, cap, next; /* next: pass two's index into suites */
    size_t open[MAX_DEPTH]; /* the testsuites open, outermost first */
    size_t nopen;
    unsigned depth;        /* elements open in the file */
    unsigned skip_from;    /* >0: inside an element left out, opened at this depth */
    int root_is_suites;    /* the root is <testsuites> */
    int in_case;           /* a testcase is open */
    unsigned case_depth;
    int verdict;           /* of the open testcase: 3 error, 2 failure, 1 skipped */
    double case_time;      /* its time attribute */
    char problem[300];     /* not JUnit: why */
} junit;

/* ---- output --------------------------------------------------------------------- */

static void put_attribute(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    rn_put_xml(f, value, strlen(value), 1);
    fputc('"', f);
}

/* What the merge writes in the schema's time pattern: seconds, at most
 * three decimals. */
static void put_time(FILE *f, const char *name, double seconds)
{
    fprintf(f, " %s=\"%.3f\"", name, seconds);
}

static double suite_time(const counts *c)
{
    return c->has_time ? c->time : c->cases_time;
}

/* A testsuite's start tag: its own attributes but the counts, counted. */
static void put_suite_start(junit *j, const XML_Char **attrs, const counts *c)
{
    static const char *const counted[] = {"tests", "failures", "errors", "skipped", "time"};
    const char *name = "";
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], "name") == 0)
            name = attrs[i + 1];
    fputs("<testsuite", j->out);
    put_attribute(j->out, "name", name); /* the schema requires it */
    fprintf(j->out, " tests=\"%llu\" failures=\"%llu\" errors=\"%llu\" skipped=\"%llu\"",
            c->tests, c->failures, c->errors, c->skipped);
    put_time(j->out, "time", suite_time(c));
    for (size_t i = 0; attrs[i]; i += 2) {
        int skip = strcmp(attrs[i], "name") == 0;
        for (size_t k = 0; k < sizeof counted / sizeof counted[0]; k++)
            skip |= strcmp(attrs[i], counted[k]) == 0;
        if (!skip)
            put_attribute(j->out, attrs[i], attrs[i + 1]);
    }
    fputc('>', j->out);
}

/* ---- reading -------------------------------------------------------------------- */

/* A time attribute ("1.5", "1,234.5" as surefire writes it). @return 0 with
 * *v, or -1 if it is none. */
static int parse_time(const char *s, double *v)
{
    char digits[64];
    size_t n = 0;
    for (; *s && n + 1 < sizeof digits; s++)
        if (*s != ',')
            digits[n++] = *s;
    digits[n] = '\0';
    char *end;
    errno = 0;
    double x = strtod(digits, &end);
    if (n == 0 || *end != '\0' || errno != 0 || !(x >= 0) || x > 1e15)
        return -1;
    *v = x;
    return 0;
}

static const char *attribute(const XML_Char **attrs, const char *name)
{
    for (size_t i = 0; attrs[i]; i += 2)
        if (strcmp(attrs[i], name) == 0)
            return attrs[i + 1];
    return NULL;
}

static void stop(junit *j, const char *fmt, const char *what)
{
    snprintf(j->problem, sizeof j->problem, fmt, what);
    XML_StopParser(j->parser, XML_FALSE);
}

/* A testsuite begins: counted in pass one, written in pass two. */
static void suite_begins(junit *j, const XML_Char **attrs)
{
    if (j->nopen == MAX_DEPTH) {
        stop(j, "testsuites nested more than %s deep", "256");
        return;
    }
    if (!j->writing) {
        if (j->nsuites == j->cap) {
            size_t cap = j->cap ? j->cap * 2 : 64;
            counts *v = realloc(j->suites, cap * sizeof *v);
            if (v == NULL) {
                stop(j, "%s", "out of memory");
                return;
            }
            j->suites = v;
            j->cap = cap;
        }
        j->suites[j->nsuites] = (counts){0};
        counts *c = &j->suites[j->nsuites];
        const char *time = attribute(attrs, "time");
        c->has_time = time != NULL && parse_time(time, &c->time) == 0;
        c->top = j->nopen == 0;
        j->open[j->nopen++] = j->nsuites++;
        return;
    }
    size_t index = j->next++;
    if (index >= j->nsuites) { /* the file changed since pass one */
        stop(j, "%s", "changed while it was read");
        return;
    }
    j->open[j->nopen++] = index;
    if (j->nopen == 1)
        fputs("\n  ", j->out);
    put_suite_start(j, attrs, &j->suites[index]);
}

/* A testcase ends: it counts in every testsuite it is in. */
static void case_ends(junit *j, double time)
{
    for (size_t i = 0; i < j->nopen; i++) {
        counts *c = &j->suites[j->open[i]];
        c->tests++;
        c->errors += j->verdict == 3;
        c->failures += j->verdict == 2;
        c->skipped += j->verdict == 1;
        c->cases_time += time;
    }
}

static void XMLCALL on_start(void *ctx, const XML_Char *name, const XML_Char **attrs)
{
    junit *j = ctx;
    unsigned depth = ++j->depth;
    if (j->skip_from)
        return;
    if (depth == 1) { /* the root */
        j->root_is_suites = strcmp(name, "testsuites") == 0;
        if (j->root_is_suites)
            return; /* the merge writes its own */
        if (strcmp(name, "testsuite") != 0) {
            stop(j, "not a JUnit report: its root element is <%.100s>, not <testsuites> or "
                    "<testsuite>", name);
            return;
        }
    } else if (depth == 2 && j->root_is_suites && strcmp(name, "testsuite") != 0) {
        j->skip_from = depth; /* not in the schema there: left out */
        return;
    }
    if (strcmp(name, "testsuite") == 0) {
        suite_begins(j, attrs);
        return;
    }
    if (!j->in_case && strcmp(name, "testcase") == 0) {
        j->in_case = 1;
        j->case_depth = depth;
        j->verdict = 0;
        const char *time = attribute(attrs, "time");
        if (time == NULL || parse_time(time, &j->case_time) != 0)
            j->case_time = 0;
    } else if (j->in_case && depth == j->case_depth + 1) {
        int v = strcmp(name, "error") == 0 ? 3 : strcmp(name, "failure") == 0 ? 2
              : strcmp(name, "skipped") == 0 ? 1 : 0;
        if (v > j->verdict)
            j->verdict = v;
    }
    if (j->writing) {
        fprintf(j->out, "<%s", name);
        for (size_t i = 0; attrs[i]; i += 2)
            put_attribute(j->out, attrs[i], attrs[i + 1]);
        fputc('>', j->out);
    }
}

static void XMLCALL on_end(void *ctx, const XML_Char *name)
{
    junit *j = ctx;
    unsigned depth = j->depth--;
    if (j->skip_from) {
        if (depth == j->skip_from)
            j->skip_from = 0;
        return;
    }
    if (depth == 1 && j->root_is_suites)
        return;
    if (j->in_case && depth == j->case_depth) {
        j->in_case = 0;
        if (!j->writing)
            case_ends(j, j->case_time);
    }
    if (strcmp(name, "testsuite") == 0 && j->nopen > 0)
        j->nopen--;
    if (j->writing)
        fprintf(j->out, "</%s>", name);
}

static void XMLCALL on_text(void *ctx, const XML_Char *s, int len)
{
    junit *j = ctx;
    /* Text inside a testsuite, as it was; white space between the
     * testsuites is the merge's own. */
    if (j->writing && !j->skip_from && j->nopen > 0 && len > 0)
        rn_put_xml(j->out, s, (size_t)len, 0);
}

/* ---- the files ------------------------------------------------------------------ */

/* Read `path` with the handlers, counting (pass one) or writing (two).
 * @return 0, or 2 after a message naming it and what is wrong. */
static int read_file(junit *j, const char *path)
{
    j->depth = j->skip_from = 0;
    j->nopen = 0;
    j->in_case = 0;
    j->root_is_suites = 0;
    j->problem[0] = '\0';
    FILE *f = fopen(path, "rb");
    char *shown = rn_escape_name(path, strlen(path));
    const char *name = shown ? shown : "?";
    int status = 0;
    XML_Parser p = f ? XML_ParserCreate(NULL) : NULL;
    if (f == NULL) {
        rn_error("%s: %s", name, ct_errno_text(errno));
        status = RN_EXIT_USAGE;
    } else if (p == NULL) {
        rn_error("out of memory");
        status = RN_EXIT_USAGE;
    }
    j->parser = p;
    if (p != NULL) {
        XML_SetUserData(p, j);
        XML_SetElementHandler(p, on_start, on_end);
        XML_SetCharacterDataHandler(p, on_text);
    }
    /* Reads grow (64 KiB, 128 KiB, ... 64 MiB): expat scans an unfinished
     * token again from its start at each read, so a huge attribute read in
     * equal pieces would cost time quadratic in its size (a 50 MB name took
     * 52 s); growing pieces keep it linear. */
    size_t read_bytes = READ_BYTES;
    while (status == 0) {
        void *buf = XML_GetBuffer(p, (int)read_bytes);
        if (buf == NULL) {
            rn_error("out of memory");
            status = RN_EXIT_USAGE;
            break;
        }
        size_t got = fread(buf, 1, read_bytes, f);
        if (ferror(f)) {
            rn_error("%s: %s", name, ct_errno_text(errno ? errno : EIO));
            status = RN_EXIT_USAGE;
            break;
        }
        int last = got < read_bytes;
        if (XML_ParseBuffer(p, (int)got, last) != XML_STATUS_OK) {
            if (j->problem[0] != '\0')
                rn_error("%s: %s", name, j->problem);
            else
                rn_error("%s: not well-formed XML at line %lu, column %lu: %s", name,
                         (unsigned long)XML_GetCurrentLineNumber(p),
                         (unsigned long)XML_GetCurrentColumnNumber(p) + 1,
                         XML_ErrorString(XML_GetErrorCode(p)));
            status = RN_EXIT_USAGE;
            break;
        }
        if (read_bytes < MAX_READ_BYTES)
            read_bytes *= 2;
        if (last)
            break;
    }
    if (p != NULL)
        XML_ParserFree(p);
    if (f != NULL)
        fclose(f);
    free(shown);
    return status;
}

/* Pass two into `out`. @return 0, or 2 after a message. */
static int write_merged(junit *j, const char *out, char *const *files, size_t n)
{
    ct_outfile of;
    int fd = -1;
    char *shown = rn_escape_name(out, strlen(out));
    const char *name = shown ? shown : "?";
    if (ct_outfile_begin(&of, out) != 0) {
        rn_error("%s: %s", name, ct_outfile_error(errno));
        free(shown);
        return RN_EXIT_USAGE;
    }
    if ((fd = ct_outfile_open(&of)) < 0 || (j->out = fdopen(fd, "w")) == NULL) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        ct_outfile_discard(&of);
        ct_outfile_free(&of);
        rn_error("%s: %s", name, ct_outfile_error(e));
        free(shown);
        return RN_EXIT_USAGE;
    }
    counts all = {0};
    for (size_t i = 0; i < j->nsuites; i++) {
        const counts *c = &j->suites[i];
        if (!c->top)
            continue; /* counted in the one it is in */
        all.tests += c->tests;
        all.failures += c->failures;
        all.errors += c->errors;
        all.skipped += c->skipped;
        all.time += suite_time(c);
    }
    /* The schema allows no skipped here: each testsuite has its own. */
    fprintf(j->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ctest-trace\" "
                    "tests=\"%llu\" failures=\"%llu\" errors=\"%llu\"",
            all.tests, all.failures, all.errors);
    put_time(j->out, "time", all.time);
    fputc('>', j->out);
    j->writing = 1;
    j->next = 0;
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++)
        status = read_file(j, files[i]);
    fputs("\n</testsuites>\n", j->out);
    errno = 0;
    int bad = fflush(j->out) != 0 || ferror(j->out);
    int e = errno ? errno : EIO;
    if (fclose(j->out) != 0 && !bad)
        bad = 1, e = errno;
    j->out = NULL;
    if (status == 0 && !bad && ct_outfile_commit(&of) != 0)
        bad = 1, e = errno;
    if (status == 0 && bad) {
        rn_error("%s: %s", name, ct_outfile_error(e));
        status = RN_EXIT_USAGE;
    }
    if (status != 0)
        ct_outfile_discard(&of);
    ct_outfile_free(&of);
    free(shown);
    return status;
}

int rn_merge_junit(const char *out, char *const *files, size_t n)
{
    junit j = {0};
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++)
        status = read_file(&j, files[i]);
    if (status == 0)
        status = write_merged(&j, out, files, n);
    free(j.suites);
    return status;
}
