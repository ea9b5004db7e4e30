/*
 * test_reader_records.c - records the reader must take whole, whatever
 * their size: one BATCH far bigger than the reader's decompression buffer.
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

#include "events.h"

#define PAIRS 150000 /* 9 bytes a pair: 1.35 MB of events in one record */

static void test_record_bigger_than_the_buffer_is_read(void **state)
{
    (void)state;
    char txt[512], trace[512], err[512];
    temp_trace_path(txt, sizeof txt, "big-record-txt");
    temp_trace_path(trace, sizeof trace, "big-record");
    FILE *f = fopen(txt, "w");
    assert_non_null(f);
    fputs("ctrace 1.0\n"
          "trace_begin major=1 minor=0 writer=\"test\" mono_ns=1000 realtime_ns=0\n"
          "schema\n"
          "process_begin proc=0 pid=7 exe=\"/t\" clock=0 hz=1000000000 tsc0=1000 ns0=1000\n"
          "batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000\n"
          "  thread_begin +0 tid=7 ptid=0 task=0 fn=0 rserial=0\n"
          "  string id=1 bytes=\"step\"\n",
          f);
    for (int i = 0; i < PAIRS; i++)
        fputs("  region_begin +1000 task=0 name=1\n  region_end +2000 back=0\n", f);
    fputs("process_end proc=0 how=0 code=0 dropped=0\n"
          "trace_end batches=1 event_bytes=0\n",
          f);
    fclose(f);
    assert_int_equal(ctr_text_assemble(txt, trace, err, sizeof err), 0);

    tevs t;
    assert_int_equal(tevs_read(&t, trace), 0);
    assert_int_equal(t.rc, 0);
    assert_int_equal(tevs_count(&t, CTR_REGION, "step"), PAIRS);
    const tev *last = tevs_find(&t, CTR_REGION, "step", PAIRS - 1);
    assert_non_null(last);
    /* Time 0 is the first tick; each pair takes 3000 ns. */
    assert_int_equal(last->ev.ts_ns, (uint64_t)PAIRS * 3000);
    assert_int_equal(last->ev.ts_ns - last->ev.begin_ns, 2000);
    tevs_free(&t);
    unlink(txt);
    unlink(trace);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_bigger_than_the_buffer_is_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
