/*
 * baseline_json.c - a baseline as a file (docs/BASELINE.md): written with the
 * views' JSON writer, read back with jansson.
 */
#include "baseline_json.h"

#include <errno.h>  /* errno */
#include <math.h>   /* llround */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* fdopen, fclose, vsnprintf */
#include <stdlib.h> /* free */
#include <string.h> /* strlen, strdup */
#include <sys/stat.h> /* fstat */
#include <unistd.h> /* close */

#include <jansson.h>

#include "analysis/views/json.h" /* ctv_json */
#include "marker.h"                /* rn_escape_name */
#include "recorder/outfile.h"    /* ct_outfile_*: replaced only when complete */

/* ---- writing ------------------------------------------------------------ */

static uint64_t as_ns(double v)
{
    return v <= 0 ? 0 : (uint64_t)llround(v);
}

static void write_facts(ctv_json *j, const rn_baseline *b)
{
    const rn_facts *f = &b->facts;
    ctv_json_kv_cstr(j, "writer", f->writer);
    ctv_json_kv_cstr(j, "created", f->created);
    ctv_json_key(j, "machine");
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "host", f->host);
    ctv_json_kv_cstr(j, "arch", f->arch);
    ctv_json_kv_cstr(j, "kernel", f->kernel);
    ctv_json_kv_cstr(j, "cpu", f->cpu);
    ctv_json_kv_u64(j, "cpus", f->cpus > 0 ? (uint64_t)f->cpus : 0);
    ctv_json_object_end(j);
    ctv_json_key(j, "run");
    ctv_json_object_begin(j);
    ctv_json_kv_u64(j, "count", f->count > 0 ? (uint64_t)f->count : 0);
    ctv_json_kv_u64(j, "test_runs", b->tests);
    if (f->cpu_pressure >= 0)
        ctv_json_kv_u64(j, "cpu_pressure_permille", (uint64_t)f->cpu_pressure);
    ctv_json_object_end(j);
    ctv_json_key(j, "binaries");
    ctv_json_array_lines_begin(j);
    for (size_t i = 0; i < b->nbuilds; i++) {
        ctv_json_object_begin(j);
        ctv_json_kv_cstr(j, "name", b->builds[i].binary);
        ctv_json_kv_cstr(j, "build_id", b->builds[i].build_id);
        ctv_json_object_end(j);
    }
    ctv_json_array_end(j);
}

static void write_metric(ctv_json *j, const rn_metric *m)
{
    ctv_json_object_begin(j);
    ctv_json_kv_cstr(j, "binary", m->binary);
    ctv_json_kv_str(j, "test", m->test, m->test_len);
    ctv_json_kv_cstr(j, "metric", rn_metric_kind_name(m->kind));
    if (m->kind == RN_METRIC_REGION)
        ctv_json_kv_str(j, "region", m->region, m->region_len);
    ctv_json_kv_u64(j, "count", m->count);
    ctv_json_kv_u64(j, "sum_ns", as_ns(m->sum));
    ctv_json_kv_u64(j, "min_ns", as_ns(m->min));
    ctv_json_kv_u64(j, "max_ns", as_ns(m->max));
    ctv_json_key(j, "samples_ns");
    ctv_json_array_begin(j);
    for (size_t i = 0; i < m->n; i++)
        ctv_json_u64(j, as_ns(m->samples[i]));
    ctv_json_array_end(j);
    ctv_json_object_end(j);
}

int rn_baseline_write(const rn_baseline *b, const char *path, char *err, size_t err_size)
{
    ct_outfile of;
    if (ct_outfile_begin(&of, path) != 0) {
        snprintf(err, err_size, "%s", ct_outfile_error(errno));
        return -1;
    }
    int fd = ct_outfile_open(&of);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        ct_outfile_discard(&of);
        ct_outfile_free(&of);
        snprintf(err, err_size, "%s", ct_outfile_error(e));
        return -1;
    }
    ctv_json j;
    ctv_json_init(&j, f);
    ctv_json_object_begin(&j);
    ctv_json_kv_u64(&j, "ctest_trace_baseline", RN_BASELINE_VERSION);
    write_facts(&j, b);
    ctv_json_key(&j, "metrics");
    ctv_json_array_lines_begin(&j);
    for (size_t i = 0; i < b->nmetrics; i++)
        write_metric(&j, &b->metrics[i]);
    ctv_json_array_end(&j);
    ctv_json_object_end(&j);
    fputc('\n', f);
    int failed = ferror(f) != 0;
    int e = errno;
    if (fclose(f) != 0 && !failed)
        failed = 1, e = errno;
    if (failed || ct_outfile_commit(&of) != 0) {
        e = failed ? e : errno;
        ct_outfile_discard(&of);
        ct_outfile_free(&of);
        snprintf(err, err_size, "%s", ct_outfile_error(e));
        return -1;
    }
    ct_outfile_free(&of);
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

static int bad(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* An optional string member as a malloc'd copy (NULL when absent). */
static char *opt_string(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static void read_facts(json_t *root, rn_baseline *b)
{
    rn_facts *f = &b->facts;
    f->cpu_pressure = -1;
    f->writer = opt_string(root, "writer");
    f->created = opt_string(root, "created");
    json_t *machine = json_object_get(root, "machine");
    if (json_is_object(machine)) {
        f->host = opt_string(machine, "host");
        f->arch = opt_string(machine, "arch");
        f->kernel = opt_string(machine, "kernel");
        f->cpu = opt_string(machine, "cpu");
        json_t *cpus = json_object_get(machine, "cpus");
        f->cpus = json_is_integer(cpus) && json_integer_value(cpus) > 0 &&
                  json_integer_value(cpus) < 1 << 24 ? (long)json_integer_value(cpus) : 0;
    }
    json_t *run = json_object_get(root, "run");
    if (json_is_object(run)) {
        json_t *pressure = json_object_get(run, "cpu_pressure_permille");
        f->cpu_pressure = json_is_integer(pressure) && json_integer_value(pressure) >= 0 &&
                          json_integer_value(pressure) <= 1000
                              ? (int)json_integer_value(pressure) : -1;
        json_t *count = json_object_get(run, "count");
        json_t *runs = json_object_get(run, "test_runs");
        f->count = json_is_integer(count) && json_integer_value(count) > 0 &&
                   json_integer_value(count) < 1 << 30 ? (long)json_integer_value(count) : 0;
        b->tests = json_is_integer(runs) && json_integer_value(runs) > 0 &&
                   (uint64_t)json_integer_value(runs) <= RN_BASELINE_MAX_COUNT
                       ? (uint64_t)json_integer_value(runs) : 0;
    }
}

static int read_builds(json_t *root, rn_baseline *b, char *err, size_t err_size)
{
    json_t *list = json_object_get(root, "binaries");
    if (list == NULL)
        return 0;
    if (!json_is_array(list))
        return bad(err, err_size, "\"binaries\" is not an array");
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        json_t *name = json_object_get(item, "name");
        json_t *id = json_object_get(item, "build_id");
        if (!json_is_string(name))
            return bad(err, err_size, "binaries[%zu]: \"name\" is missing or not a string", i);
        if (rn_baseline_note_build(b, json_string_value(name),
                                   json_is_string(id) ? json_string_value(id) : "") != 0)
            return bad(err, err_size, "out of memory");
    }
    return 0;
}

/* A member that must be a whole number >= 0. */
static int get_count(json_t *obj, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > RN_BASELINE_MAX_COUNT)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int read_metric(json_t *item, size_t i, rn_baseline *b, char *err, size_t err_size)
{
    if (!json_is_object(item))
        return bad(err, err_size, "metrics[%zu] is not an object", i);
    json_t *binary = json_object_get(item, "binary");
    json_t *test = json_object_get(item, "test");
    json_t *metric = json_object_get(item, "metric");
    json_t *region = json_object_get(item, "region");
    json_t *samples = json_object_get(item, "samples_ns");
    const char *missing = !json_is_string(binary) ? "binary"
                        : !json_is_string(test)   ? "test"
                        : !json_is_string(metric) ? "metric"
                        : !json_is_array(samples) ? "samples_ns"
                                                  : NULL;
    if (missing)
        return bad(err, err_size, "metrics[%zu]: \"%s\" is missing or of the wrong type", i,
                   missing);
    int kind = rn_metric_kind_parse(json_string_value(metric));
    if (kind < 0) {
        const char *what = json_string_value(metric);
        char *shown = rn_escape_name(what, strlen(what));
        bad(err, err_size, "metrics[%zu]: unknown metric \"%.80s\"", i, shown ? shown : "?");
        free(shown);
        return -1;
    }
    if (kind == RN_METRIC_REGION && !json_is_string(region))
        return bad(err, err_size, "metrics[%zu]: a region metric needs \"region\"", i);
    const char *bn = json_string_value(binary);
    size_t before = b->nmetrics;
    rn_metric *m = rn_baseline_metric(
        b, bn, strlen(bn), json_string_value(test), json_string_length(test),
        (rn_metric_kind)kind, kind == RN_METRIC_REGION ? json_string_value(region) : NULL,
        kind == RN_METRIC_REGION ? json_string_length(region) : 0);
    if (m == NULL)
        return bad(err, err_size, "out of memory");
    if (b->nmetrics == before)
        return bad(err, err_size, "metrics[%zu]: the same metric as an earlier one", i);
    size_t n = json_array_size(samples);
    if (n > RN_BASELINE_SAMPLES)
        return bad(err, err_size, "metrics[%zu]: %zu samples, more than %d", i, n,
                   RN_BASELINE_SAMPLES);
    size_t k;
    json_t *s;
    json_array_foreach(samples, k, s) {
        if (!json_is_integer(s) || json_integer_value(s) < 0 ||
            (uint64_t)json_integer_value(s) > RN_BASELINE_MAX_COUNT)
            return bad(err, err_size, "metrics[%zu].samples_ns[%zu]: not a duration in ns "
                                      "(a whole number >= 0)", i, k);
        if (rn_metric_add(m, (double)json_integer_value(s)) != 0)
            return bad(err, err_size, "out of memory");
    }
    uint64_t count, sum, min, max;
    if (get_count(item, "count", &count) != 0 || get_count(item, "sum_ns", &sum) != 0 ||
        get_count(item, "min_ns", &min) != 0 || get_count(item, "max_ns", &max) != 0)
        return bad(err, err_size, "metrics[%zu]: \"count\", \"sum_ns\", \"min_ns\" and "
                                  "\"max_ns\" must be whole numbers from 0 to 2^53", i);
    if (count < n || (count > n && n < RN_BASELINE_SAMPLES))
        return bad(err, err_size, "metrics[%zu]: \"count\" %llu does not fit %zu samples "
                                  "(all are kept up to %d)", i, (unsigned long long)count, n,
                   RN_BASELINE_SAMPLES);
    m->count = count; /* the exact figures, not those of the kept samples */
    m->sum = (double)sum, m->min = (double)min, m->max = (double)max;
    return 0;
}

int rn_baseline_read(rn_baseline *b, const char *path, char *err, size_t err_size)
{
    rn_baseline_init(b);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return bad(err, err_size, "%s", ct_errno_text(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return bad(err, err_size, "is a directory");
    }
    json_error_t je;
    json_t *root = json_loadf(f, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (root == NULL)
        return bad(err, err_size, "not a baseline: line %d, column %d: %s", je.line,
                   je.column, je.text);
    int rc = -1;
    json_t *version = json_object_get(root, "ctest_trace_baseline");
    json_t *metrics = json_object_get(root, "metrics");
    if (!json_is_object(root) || !json_is_integer(version))
        bad(err, err_size, "not a baseline (no \"ctest_trace_baseline\" version: is it a "
                           "file --save-baseline wrote?)");
    else if (json_integer_value(version) > RN_BASELINE_VERSION ||
             json_integer_value(version) < 1)
        bad(err, err_size, "baseline version %lld: this ctest-trace reads version %d",
            (long long)json_integer_value(version), RN_BASELINE_VERSION);
    else if (!json_is_array(metrics))
        bad(err, err_size, "\"metrics\" is missing or not an array");
    else if (read_builds(root, b, err, err_size) == 0) {
        read_facts(root, b);
        rc = 0;
        size_t i;
        json_t *item;
        json_array_foreach(metrics, i, item) {
            if ((rc = read_metric(item, i, b, err, err_size)) != 0)
                break;
        }
    }
    json_decref(root);
    if (rc != 0)
        rn_baseline_free(b);
    return rc;
}
