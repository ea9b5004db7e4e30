/*
 * test_trace_merge.c - traces of unrelated machines merged into one
 * (analysis/trace_merge.h): each process keeps its own, every time lines up
 * on the wall clock through each input's TRACE_BEGIN, whatever order the
 * inputs are given in, and durations do not change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace_reader.h>

#include "analysis/trace_merge.h"
#include "events.h"

/* A trace of one process running test `name` for 1 ms, on a machine whose
 * CLOCK_MONOTONIC read `mono` when the wall clock read `real`. Its process
 * begins 5 us into the trace, its test 10 ns after, and it ends 2 ms in. */
static void write_trace(const char *path, const char *name, uint64_t mono, uint64_t real)
{
    char txt[512], err[512];
    snprintf(txt, sizeof txt, "%s.txt", path);
    FILE *f = fopen(txt, "w");
    assert_non_null(f);
    uint64_t t0 = mono + 5000;
    fprintf(f,
            "ctrace 1.4\n"
            "trace_begin major=1 minor=4 writer=\"test\" mono_ns=%llu realtime_ns=%llu\n"
            "schema\n"
            "process_begin proc=0 pid=7 exe=\"/t\" clock=0 hz=1000000000 tsc0=%llu ns0=%llu\n"
            "batch proc=0 thread=1 seq=0 offset=0 tsc=%llu ns=%llu\n"
            "  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0\n"
            "  string id=1 bytes=\"%s\"\n"
            "  task_begin +10 task=1 parent=0 name=1 kind=1\n"
            "  task_status +1000000 task=1 status=1 message=\"\"\n"
            "  task_end +0 task=1\n"
            "process_end proc=0 how=0 code=0 dropped=0 end_ns=%llu\n"
            "trace_end batches=1 event_bytes=0\n",
            (unsigned long long)mono, (unsigned long long)real, (unsigned long long)t0,
            (unsigned long long)t0, (unsigned long long)t0, (unsigned long long)t0, name,
            (unsigned long long)(mono + 2000000));
    fclose(f);
    assert_int_equal(ctr_text_assemble(txt, path, err, sizeof err), 0);
    unlink(txt);
}

static void test_traces_of_two_machines_line_up_on_wall_time(void **state)
{
    (void)state;
    char a[512], b[512], ab[512], ba[512];
    temp_trace_path(a, sizeof a, "merge-a");
    temp_trace_path(b, sizeof b, "merge-b");
    temp_trace_path(ab, sizeof ab, "merge-ab");
    temp_trace_path(ba, sizeof ba, "merge-ba");
    /* B's machine booted long before A's; its run began 3 ms later by the wall. */
    write_trace(a, "TestA", 1000000, 1700000000000000000ull);
    write_trace(b, "TestB", 900000000000ull, 1700000000003000000ull);
    char *ab_in[] = {a, b}, *ba_in[] = {b, a};
    assert_int_equal(ctr__merge_traces(ab, ab_in, 2, stderr), 0);
    assert_int_equal(ctr__merge_traces(ba, ba_in, 2, stderr), 0);

    for (int order = 0; order < 2; order++) {
        tevs t;
        assert_int_equal(tevs_read(&t, order == 0 ? ab : ba), 0);
        assert_int_equal(t.rc, 0); /* whole: it has its end record */
        const tev *ta = tevs_find(&t, CTR_TASK_END, "TestA", 0);
        const tev *tb = tevs_find(&t, CTR_TASK_END, "TestB", 0);
        assert_non_null(ta);
        assert_non_null(tb);
        /* Time 0 is A's start, the earlier by the wall, whatever the order. */
        assert_int_equal(ta->ev.begin_ns, 5010);
        assert_int_equal(tb->ev.begin_ns, 3000000 + 5010);
        assert_int_equal(ta->ev.ts_ns - ta->ev.begin_ns, 1000000); /* durations kept */
        assert_int_equal(tb->ev.ts_ns - tb->ev.begin_ns, 1000000);
        /* Each process its own: B's is numbered after A's when it comes second. */
        assert_int_equal(ta->ev.process, order == 0 ? 0 : 1);
        assert_int_equal(tb->ev.process, order == 0 ? 1 : 0);
        assert_true(ta->ev.task != tb->ev.task);
        assert_int_equal(tevs_count(&t, CTR_PROCESS_END, NULL), 2);
        for (size_t i = 0; i < 2; i++) { /* end_ns moved with the rest */
            const tev *end = tevs_find(&t, CTR_PROCESS_END, NULL, i);
            uint64_t expect = end->ev.process == ta->ev.process ? 2000000 : 3000000 + 2000000;
            assert_int_equal(end->ev.ts_ns, expect);
        }
        tevs_free(&t);
    }
    unlink(a), unlink(b), unlink(ab), unlink(ba);
}

static void test_one_input_is_a_copy(void **state)
{
    (void)state;
    char a[512], out[512];
    temp_trace_path(a, sizeof a, "merge-one");
    temp_trace_path(out, sizeof out, "merge-one-out");
    write_trace(a, "TestA", 777, 1700000000000000000ull);
    char *in[] = {a};
    assert_int_equal(ctr__merge_traces(out, in, 1, stderr), 0);
    tevs t, u;
    assert_int_equal(tevs_read(&t, a), 0);
    assert_int_equal(tevs_read(&u, out), 0);
    assert_int_equal(t.n, u.n);
    for (size_t i = 0; i < t.n; i++) {
        assert_int_equal(t.v[i].ev.kind, u.v[i].ev.kind);
        assert_int_equal(t.v[i].ev.ts_ns, u.v[i].ev.ts_ns);
        assert_string_equal(t.v[i].name, u.v[i].name);
    }
    tevs_free(&t);
    tevs_free(&u);
    unlink(a), unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traces_of_two_machines_line_up_on_wall_time),
        cmocka_unit_test(test_one_input_is_a_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
