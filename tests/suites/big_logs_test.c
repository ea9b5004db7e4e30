/*
 * big_logs_test.c - a test whose span would be huge in OTLP/JSON: 128 logs
 * (OTel's events a span) of 4096 control bytes each (the longest a log
 * keeps), which JSON escapes to 6 bytes each (\u0001): 3 MiB of events.
 * --otlp-endpoint must still post requests under its limit
 * (tests/harness/test_export_otlp.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h> /* memset */
#include <cmocka.h>

#include <ctrace.h>

static void TestBigLogs(void **state)
{
    (void)state;
    static char message[4097];
    memset(message, '\x01', sizeof message - 1);
    for (int i = 0; i < 128; i++)
        ct_log(NULL, "control", message);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(TestBigLogs)};
    return cmocka_run_group_tests_name("big_logs", tests, NULL, NULL);
}
