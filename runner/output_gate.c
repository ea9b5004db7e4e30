/*
 * output_gate.c - what the CI latency gate says of a binary (output.h): it
 * judges once the binary's processes ended, so its lines come after the
 * tests' and before the binary's last lines.
 */
#include <string.h> /* strlen, memcmp */
#include <stdlib.h> /* free */

#include "baseline.h" /* rn_utf8_clean */
#include "output_internal.h"

void rn_out_gate_table(rn_out *o, const char *table)
{
    rn_out_lines(o, table);
}

/* The last run of the test `name` of this binary among the kept results.
 * The gate names tests as baselines key them (valid UTF-8, baseline.h); a
 * result keeps the name as the test gave it. */
static rn_result *last_result(rn_out *o, const char *name, size_t len)
{
    for (size_t i = o->results ? o->results->n : 0; i-- > 0;) {
        rn_result *r = &o->results->v[i];
        if (r->binary != o->binary)
            continue;
        size_t clean_len;
        char *clean = rn_utf8_clean(r->name, r->name_len, &clean_len);
        int same = clean && clean_len == len && memcmp(clean, name, len) == 0;
        free(clean);
        if (same)
            return r;
    }
    return NULL;
}

void rn_out_gate_failed(rn_out *o, const char *name, size_t len, const char *why,
                        const char *report)
{
    rn__out_counter_clear(o);
    rn__out_end_line(o);
    rn__out_set_failed(o);
    /* As the test's own lines: in --json, output events of the test. */
    char *was = o->test;
    size_t was_len = o->test_len;
    int was_in = o->in_test;
    o->test = (char *)name, o->test_len = len, o->in_test = 1;
    rn__out_put(o, "--- FAIL: ", 10);
    rn__out_put_name(o, name, len);
    rn__out_put(o, " (gate)\n", 8);
    for (const char *line = why; *line;) { /* each line indented under it */
        size_t n = strcspn(line, "\n");
        rn__out_put(o, "    ", 4);
        rn__out_put(o, line, n);
        rn__out_put(o, "\n", 1);
        line += n + (line[n] == '\n');
    }
    if (o->json_package != NULL) {
        rn__out_json_flush_line(o);
        /* The test passed, then the gate failed it: a "fail" of the test
         * after its "pass", so that tools which keep a test's last action
         * (gotestsum, go-junit-report) count it failed. */
        rn__out_json_event(o, "fail", 1, 0, NULL, 0);
    }
    o->test = was, o->test_len = was_len, o->in_test = was_in;
    if (o->counts.passed > 0) /* its last run passed, and now fails (as in --junit) */
        o->counts.passed--;
    o->counts.failed++;
    rn_result *r = last_result(o, name, len);
    if (r != NULL && r->gate == NULL)
        r->gate = strdup(report);
}
