/*
 * test_stack_table.c - a thread defines each stack once (one STACK event),
 * however many waits name it, and defines it again after its table starts
 * over in a new session.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>  /* open_memstream */
#include <stdlib.h> /* free */
#include <string.h> /* strncmp */
#include <unistd.h> /* unlink */
#include <cmocka.h>

#include <ctrace.h>
#include <ctrace_reader.h>

#include "events.h"
#include "format/wire.h"          /* CT_BLOCK_SYNC */
#include "plugin/api_internal.h"  /* ct__block_end */
#include "common/clock.h"         /* ct__ticks */

static char path[512];

/* A recorded wait of 2 ms ending now, called from two sites. */
static __attribute__((noinline)) void wait_here(void)
{
    ct__block_end(CT_BLOCK_SYNC, ct__ticks() - 2000000, 1,
                  (uint64_t)(uintptr_t)__builtin_return_address(0));
}

static __attribute__((noinline, no_icf)) void site_a(void)
{
    wait_here();
    __asm__ volatile("" ::: "memory"); /* not a tail call: the site stays on the stack */
}

static __attribute__((noinline, no_icf)) void site_b(void)
{
    wait_here();
    __asm__ volatile("" ::: "memory");
}

/* Lines of the text form that start with `prefix` and hold `part` (NULL:
 * any). */
static int count_lines_with(const char *prefix, const char *part)
{
    char *text = trace_text(path);
    assert_non_null(text);
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (strncmp(line, prefix, strlen(prefix)) == 0 &&
            (!part || memmem(line, len, part, strlen(part))))
            n++;
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return n;
}

static int count_lines(const char *prefix)
{
    return count_lines_with(prefix, NULL);
}

/* The lock waits (kind 1): a loaded machine adds waits for a CPU of its
 * own, without stacks. */
#define SYNC_WAITS() count_lines_with("  wait ", " kind=1 ")

static void test_each_stack_defined_once(void **state)
{
    (void)state;
    temp_trace_path(path, sizeof path, "stacks");
    assert_int_equal(ct_start(path), 0);
    for (volatile int i = 0; i < 3; i++) { /* one call site each, not unrolled */
        site_a();
        site_b();
    }
    assert_int_equal(ct_stop(), 0);
    assert_int_equal(SYNC_WAITS(), 6);
    assert_int_equal(count_lines("  stack "), 2); /* two sites, each defined once */

    /* A new session starts the table over: defined again, once. */
    assert_int_equal(ct_start(path), 0);
    for (volatile int i = 0; i < 2; i++)
        site_a();
    assert_int_equal(ct_stop(), 0);
    assert_int_equal(SYNC_WAITS(), 2);
    assert_int_equal(count_lines("  stack "), 1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_stack_defined_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
