/*
 * test_runner_baseline.c - a baseline's samples (runner/baseline.c) and its
 * file (runner/baseline_json.c): every sample kept up to the cap, a uniform
 * reservoir past it with exact count, sum, min and max; merging pools in
 * proportion; names of any bytes survive a write and a read; bad files are
 * refused with a message naming what is wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "baseline.h"
#include "baseline_json.h"

static char tmpdir[] = "/tmp/ctrace-baseline-XXXXXX";

static int make_dir(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_all_samples_kept_up_to_the_cap(void **state)
{
    (void)state;
    rn_baseline b;
    rn_baseline_init(&b);
    rn_metric *m = rn_baseline_metric(&b, "suite", 5, "test_a", 6, RN_METRIC_DURATION, NULL, 0);
    assert_non_null(m);
    for (int i = 1; i <= 100; i++)
        assert_int_equal(rn_metric_add(m, i * 10.0), 0);
    assert_int_equal(m->n, 100);
    assert_int_equal(m->count, 100);
    assert_true(m->min == 10.0 && m->max == 1000.0 && m->sum == 50500.0);
    /* The same key is the same metric. */
    assert_ptr_equal(rn_baseline_metric(&b, "suite", 5, "test_a", 6, RN_METRIC_DURATION,
                                        NULL, 0), m);
    assert_int_equal(b.nmetrics, 1);
    rn_baseline_free(&b);
}

static void test_reservoir_is_uniform_and_exact_figures_stay(void **state)
{
    (void)state;
    rn_baseline b;
    rn_baseline_init(&b);
    rn_metric *m = rn_baseline_metric(&b, "s", 1, "t", 1, RN_METRIC_REGION, "r", 1);
    const int n = 100000;
    for (int i = 0; i < n; i++)
        assert_int_equal(rn_metric_add(m, (double)i), 0);
    assert_int_equal(m->n, RN_BASELINE_SAMPLES);
    assert_int_equal(m->count, n);
    assert_true(m->min == 0 && m->max == n - 1);
    assert_true(m->sum == (double)n * (n - 1) / 2);
    /* Uniform: the kept samples' mean is near the stream's (n/2), and each
     * tenth of the stream holds about a tenth of them. */
    double mean = 0;
    size_t tenths[10] = {0};
    for (size_t i = 0; i < m->n; i++) {
        mean += m->samples[i];
        tenths[(size_t)m->samples[i] * 10 / n]++;
    }
    mean /= (double)m->n;
    assert_true(mean > 0.47 * n && mean < 0.53 * n);
    for (int t = 0; t < 10; t++)
        assert_true(tenths[t] > 300 && tenths[t] < 520);
    rn_baseline_free(&b);
}

static void test_merge_pools_in_proportion(void **state)
{
    (void)state;
    rn_baseline a, b;
    rn_baseline_init(&a);
    rn_baseline_init(&b);
    rn_metric *ma = rn_baseline_metric(&a, "s", 1, "t", 1, RN_METRIC_REGION, "r", 1);
    rn_metric *mb = rn_baseline_metric(&b, "s", 1, "t", 1, RN_METRIC_REGION, "r", 1);
    rn_metric *only_b = rn_baseline_metric(&b, "s", 1, "u", 1, RN_METRIC_DURATION, NULL, 0);
    for (int i = 0; i < 30000; i++) /* 3/4 of the samples are 1 */
        rn_metric_add(ma, 1.0);
    for (int i = 0; i < 10000; i++)
        rn_metric_add(mb, 2.0);
    rn_metric_add(only_b, 5.0);
    assert_int_equal(rn_baseline_merge(&a, &b), 0);
    assert_int_equal(a.nmetrics, 2);
    rn_metric *m = &a.metrics[0];
    assert_int_equal(m->count, 40000);
    assert_int_equal(m->n, RN_BASELINE_SAMPLES);
    assert_true(m->sum == 50000.0 && m->min == 1.0 && m->max == 2.0);
    size_t ones = 0;
    for (size_t i = 0; i < m->n; i++)
        ones += m->samples[i] == 1.0;
    assert_true(ones > 0.72 * m->n && ones < 0.78 * m->n);
    assert_int_equal(a.metrics[1].count, 1);
    /* Small ones are simply pooled. */
    rn_baseline c;
    rn_baseline_init(&c);
    rn_metric *mc = rn_baseline_metric(&c, "s", 1, "u", 1, RN_METRIC_DURATION, NULL, 0);
    rn_metric_add(mc, 7.0);
    assert_int_equal(rn_baseline_merge(&a, &c), 0);
    assert_int_equal(a.metrics[1].n, 2);
    rn_baseline_free(&a);
    rn_baseline_free(&b);
    rn_baseline_free(&c);
}

static void test_written_and_read_back(void **state)
{
    (void)state;
    rn_baseline b;
    rn_baseline_init(&b);
    assert_int_equal(rn_facts_of_machine(&b.facts, 8), 0);
    /* A test name of any bytes: a NUL, a quote, invalid UTF-8. */
    static const char odd[] = "odd\0\"name\xff";
    rn_metric *m = rn_baseline_metric(&b, "suite", 5, odd, sizeof odd - 1, RN_METRIC_REGION,
                                      "db.query", 8);
    rn_metric_add(m, 1500);
    rn_metric_add(m, 2500);
    rn_metric *d = rn_baseline_metric(&b, "suite", 5, "t", 1, RN_METRIC_SYNC, NULL, 0);
    for (int i = 0; i < 5000; i++)
        rn_metric_add(d, i);
    assert_int_equal(rn_baseline_note_build(&b, "suite", "abcd"), 0);
    char err[256];
    assert_int_equal(rn_baseline_write(&b, path_of("b.json"), err, sizeof err), 0);

    rn_baseline r;
    assert_int_equal(rn_baseline_read(&r, path_of("b.json"), err, sizeof err), 0);
    assert_int_equal(r.nmetrics, 2);
    assert_int_equal(r.facts.count, 8);
    assert_string_equal(r.facts.cpu ? r.facts.cpu : "", b.facts.cpu ? b.facts.cpu : "");
    assert_int_equal(r.nbuilds, 1);
    assert_string_equal(r.builds[0].build_id, "abcd");
    /* The name reads back as it was kept: the bad byte as U+FFFD. */
    assert_int_equal(r.metrics[0].test_len, b.metrics[0].test_len);
    assert_memory_equal(r.metrics[0].test, b.metrics[0].test, b.metrics[0].test_len);
    assert_memory_equal(r.metrics[0].test + 9, "\xef\xbf\xbd", 3);
    assert_string_equal(r.metrics[0].region, "db.query");
    assert_int_equal(r.metrics[0].n, 2);
    /* Past the cap: the exact figures, not the kept samples'. */
    assert_int_equal(r.metrics[1].count, 5000);
    assert_int_equal(r.metrics[1].n, RN_BASELINE_SAMPLES);
    assert_true(r.metrics[1].sum == 5000.0 * 4999 / 2 && r.metrics[1].max == 4999);
    /* Looking it up by the same raw bytes finds it. */
    size_t before = r.nmetrics;
    rn_baseline_metric(&r, "suite", 5, odd, sizeof odd - 1, RN_METRIC_REGION, "db.query", 8);
    assert_int_equal(r.nmetrics, before);
    rn_baseline_free(&r);
    rn_baseline_free(&b);
}

static void expect_refused(const char *text, const char *why)
{
    write_file(path_of("bad.json"), text);
    rn_baseline b;
    char err[256] = "";
    assert_int_equal(rn_baseline_read(&b, path_of("bad.json"), err, sizeof err), -1);
    if (strstr(err, why) == NULL)
        fail_msg("refused with \"%s\", not \"%s\"", err, why);
    assert_int_equal(b.nmetrics, 0);
}

static void test_bad_files_refused(void **state)
{
    (void)state;
    expect_refused("", "not a baseline");
    expect_refused("[1,2]", "no \"ctest_trace_baseline\"");
    expect_refused("{\"ctest_trace_baseline\":9,\"metrics\":[]}", "version 9");
    expect_refused("{\"ctest_trace_baseline\":1}", "\"metrics\" is missing");
    expect_refused("{\"ctest_trace_baseline\":1,\"metrics\":[{\"binary\":\"s\"}]}",
                   "metrics[0]: \"test\"");
    expect_refused("{\"ctest_trace_baseline\":1,\"metrics\":[{\"binary\":\"s\",\"test\":\"t\","
                   "\"metric\":\"speed\",\"samples_ns\":[]}]}", "unknown metric \"speed\"");
    expect_refused("{\"ctest_trace_baseline\":1,\"metrics\":[{\"binary\":\"s\",\"test\":\"t\","
                   "\"metric\":\"region\",\"samples_ns\":[]}]}", "needs \"region\"");
    expect_refused("{\"ctest_trace_baseline\":1,\"metrics\":[{\"binary\":\"s\",\"test\":\"t\","
                   "\"metric\":\"test.duration\",\"samples_ns\":[-1]}]}", "samples_ns[0]");
    expect_refused("{\"ctest_trace_baseline\":1,\"metrics\":[{\"binary\":\"s\",\"test\":\"t\","
                   "\"metric\":\"test.duration\",\"samples_ns\":[1],\"count\":5,\"sum_ns\":1,"
                   "\"min_ns\":1,\"max_ns\":1}]}", "does not fit");
    expect_refused("{\"ctest_trace_baseline\":1,\"metrics\":[{\"binary\":\"s\",\"test\":\"t\","
                   "\"metric\":\"test.duration\",\"samples_ns\":[1],\"count\":1,\"sum_ns\":1,"
                   "\"min_ns\":1,\"max_ns\":1},{\"binary\":\"s\",\"test\":\"t\",\"metric\":"
                   "\"test.duration\",\"samples_ns\":[1],\"count\":1,\"sum_ns\":1,\"min_ns\":1,"
                   "\"max_ns\":1}]}", "the same metric");
    rn_baseline b;
    char err[256];
    assert_int_equal(rn_baseline_read(&b, path_of("absent.json"), err, sizeof err), -1);
    assert_string_equal(err, "no such file");
}

static void test_write_failure_leaves_the_old_file(void **state)
{
    (void)state;
    rn_baseline b;
    rn_baseline_init(&b);
    char err[256];
    assert_int_equal(rn_baseline_write(&b, "/nonexistent-dir/b.json", err, sizeof err), -1);
    assert_string_equal(err, "no such directory");
    rn_baseline_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_samples_kept_up_to_the_cap),
        cmocka_unit_test(test_reservoir_is_uniform_and_exact_figures_stay),
        cmocka_unit_test(test_merge_pools_in_proportion),
        cmocka_unit_test(test_written_and_read_back),
        cmocka_unit_test(test_bad_files_refused),
        cmocka_unit_test(test_write_failure_leaves_the_old_file),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
