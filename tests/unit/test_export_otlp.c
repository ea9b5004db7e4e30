/*
 * test_export_otlp.c - W3C traceparent checks (common/traceparent.h), what
 * the reader tells of a region's parent, and the OTLP export's requests
 * (analysis/views/export_otlp.h): cut at span boundaries when asked, each a
 * whole document, parents named before they are written.
 *
 *   test_export_otlp GOLDEN_DIR/context.txt
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

#include <ctrace_reader.h>

#include "analysis/views/export_otlp.h"
#include "common/traceparent.h"

static const char *context_txt; /* tests/golden/context.txt */

static void traceparent_valid(void **state)
{
    (void)state;
    ct_traceparent tp;
    const char *why = NULL;
    assert_int_equal(ct_traceparent_parse("00-0af7651916cd43dd8448eb211c80319c-"
                                          "b7ad6b7169203331-01", &tp, &why), 0);
    assert_int_equal(tp.trace_id[0], 0x0a);
    assert_int_equal(tp.trace_id[15], 0x9c);
    assert_int_equal(tp.parent_id[7], 0x31);
    assert_int_equal(tp.flags, 1);
    /* a later version may carry more after a '-': a 00 reader keeps the rest */
    assert_int_equal(ct_traceparent_parse("cc-0af7651916cd43dd8448eb211c80319c-"
                                          "b7ad6b7169203331-00-what-comes", &tp, &why), 0);
    assert_int_equal(tp.flags, 0);
}

static void traceparent_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "00",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
        "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333g-01",
        "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ct_traceparent tp;
        const char *why = NULL;
        if (ct_traceparent_parse(bad[i], &tp, &why) != -1 || why == NULL)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    const char *why;
    assert_int_equal(ct_tracestate_check("ci=1,vendor=abc", &why), 0);
    assert_int_equal(ct_tracestate_check("ci=\n1", &why), -1);
    char long_state[600];
    memset(long_state, 'a', sizeof long_state - 1);
    long_state[sizeof long_state - 1] = '\0';
    assert_int_equal(ct_tracestate_check(long_state, &why), -1);
}

/* The golden trace assembled into a file of its own. @return its path. */
static char *assemble(void)
{
    static char path[] = "/tmp/test_export_otlp_XXXXXX";
    char *copy = strdup(path);
    int fd = mkstemp(copy);
    assert_true(fd >= 0);
    close(fd);
    char err[512];
    if (ctr_text_assemble(context_txt, copy, err, sizeof err) != 0)
        fail_msg("%s", err);
    return copy;
}

static void reader_names_a_regions_parent(void **state)
{
    (void)state;
    char *path = assemble();
    ctr_reader *r;
    assert_int_equal(ctr_open(&r, path), 0);
    ctr_event ev;
    int regions = 0;
    while (ctr_next(r, &ev) == 1) {
        if (ev.kind != CTR_REGION)
            continue;
        regions++;
        assert_int_equal(ev.thread, 1);
        if (ev.name_len == 5 && memcmp(ev.name, "inner", 5) == 0) {
            assert_int_equal(ev.serial, 3);
            assert_int_equal(ev.parent_serial, 1); /* outer: the same task's */
        } else if (ev.name_len == 3 && memcmp(ev.name, "job", 3) == 0) {
            assert_int_equal(ev.serial, 2);
            assert_int_equal(ev.parent_serial, 0); /* outer is another task's */
        } else {
            assert_int_equal(ev.serial, 1);
            assert_int_equal(ev.parent_serial, 0);
        }
    }
    assert_int_equal(regions, 3);
    ctr_info info;
    ctr_get_info(r, &info);
    assert_string_equal(info.traceparent,
                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    assert_string_equal(info.tracestate, "ci=1");
    ctr_close(r);
    unlink(path);
    free(path);
}

#define MAX_REQUESTS 16
typedef struct requests {
    int n;
    char *body[MAX_REQUESTS];
    uint64_t spans[MAX_REQUESTS];
} requests;

static int keep(void *ctx, const char *body, size_t len, uint64_t spans)
{
    requests *q = ctx;
    assert_true(q->n < MAX_REQUESTS);
    q->body[q->n] = strndup(body, len);
    q->spans[q->n++] = spans;
    return 0;
}

/* The value of "key":"..." in `json` (a one-span request), or "". */
static const char *field(const char *json, const char *key, char *out, size_t cap)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = strstr(json, pattern);
    out[0] = '\0';
    if (at) {
        at += strlen(pattern);
        size_t n = strcspn(at, "\"");
        snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), at);
    }
    return out;
}

/* The request holding the span named `name`. */
static const char *span_named(const requests *q, const char *name)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"name\":\"%s\",\"kind\"", name);
    for (int i = 0; i < q->n; i++)
        if (strstr(q->body[i], pattern))
            return q->body[i];
    fail_msg("no span %s", name);
    return NULL;
}

static void requests_cut_at_spans_and_parents_named(void **state)
{
    (void)state;
    char *path = assemble();
    ctr_reader *r;
    assert_int_equal(ctr_open(&r, path), 0);
    requests q = {0};
    ctv_otlp_sink sink = {.batch_bytes = 1, .send = keep, .ctx = &q, .err = stderr,
                          .trace_path = path};
    ctv_otlp_result res;
    assert_int_equal(ctv_export_otlp(r, &sink, &res), 0);
    ctr_close(r);
    assert_int_equal(res.spans, 5); /* inner, job, pool, outer, TestA */
    assert_int_equal(q.n, 5);       /* one a request: each past 1 byte */
    for (int i = 0; i < q.n; i++) {
        assert_int_equal(q.spans[i], 1);
        assert_memory_equal(q.body[i], "{\"resourceSpans\":[", 18);
        assert_string_equal(q.body[i] + strlen(q.body[i]) - 3, "]}\n");
        assert_non_null(strstr(q.body[i], "\"traceId\":\"0af7651916cd43dd8448eb211c80319c\""));
        assert_non_null(strstr(q.body[i], "\"stringValue\":\"suite\"")); /* service.name */
    }
    char a[40], b[40];
    const char *test = span_named(&q, "TestA"), *outer = span_named(&q, "outer");
    const char *pool = span_named(&q, "pool"), *job = span_named(&q, "job");
    const char *inner = span_named(&q, "inner");
    assert_string_equal(field(test, "parentSpanId", a, sizeof a), "b7ad6b7169203331");
    assert_string_equal(field(outer, "parentSpanId", a, sizeof a), field(test, "spanId", b, sizeof b));
    assert_string_equal(field(pool, "parentSpanId", a, sizeof a), field(test, "spanId", b, sizeof b));
    assert_string_equal(field(job, "parentSpanId", a, sizeof a), field(pool, "spanId", b, sizeof b));
    assert_string_equal(field(inner, "parentSpanId", a, sizeof a), field(outer, "spanId", b, sizeof b));
    assert_non_null(strstr(test, "\"status\":{\"message\":\"boom\",\"code\":2}"));
    assert_non_null(strstr(pool, "\"stringValue\":\"hi\"")); /* its log, an event */
    assert_non_null(strstr(test, "\"traceState\":\"ci=1\""));
    for (int i = 0; i < q.n; i++)
        free(q.body[i]);
    unlink(path);
    free(path);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s GOLDEN_DIR/context.txt\n", argv[0]);
        return 2;
    }
    context_txt = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(traceparent_valid),
        cmocka_unit_test(traceparent_invalid),
        cmocka_unit_test(reader_names_a_regions_parent),
        cmocka_unit_test(requests_cut_at_spans_and_parents_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
