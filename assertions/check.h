/*
 * check.h - one trace assertion, judged over the current test so far, and
 * the message that says why it failed.
 */
#ifndef CT_ASSERTIONS_CHECK_H
#define CT_ASSERTIONS_CHECK_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "assertions/live.h"

#define CT_CHECK_MESSAGE 1024 /* room for any message below */

/* What a check looks at; the numbers of ctrace_cmocka.h's CT__CHECK_*. */
typedef struct ct__check_spec {
    int what;
    const char *name; /* region or task name; a log's category (NULL: any) */
    const char *text; /* the substring a log must hold */
    double q;         /* quantile */
    uint64_t a, b;    /* the limit (ns); or a count's bounds */
} ct__check_spec;

/* @return 0 when c holds over the current test so far, 1 with the reason in
 * msg (cap bytes), -1 when c itself is wrong (a quantile outside (0, 1]),
 * also with a reason. `so_far`: the test is still running (ct_assert_*),
 * which the wording of test durations says. Called inside the tracer
 * (ct__judge_enter); naming a wait's place reads ELF files, untraced. */
int ct__check_run(const ct__check_spec *c, int so_far, char *msg, size_t cap);

/* ---- shared with rules ------------------------------------------------------ */

/* Kind of wait (CT_BLOCK_*) as DESIGN §3 names it: "sync blocking". */
const char *ct__wait_kind_words(unsigned kind);

/* `"name"` with untrusted bytes escaped (control bytes as \n, \xNN; `"`
 * and `\` with a backslash), into out; cut to fit. */
void ct__quote(char *out, size_t cap, const char *name);

/* ", thread 2 (tid 4711), began 5.1 ms into the test" for the longest of sum. */
void ct__describe_longest(char *out, size_t cap, const ct__live_sum *sum);

/* Append to msg: "no instance of region "x" finished in this test". */
void ct__describe_no_instance(char *msg, size_t cap, const char *what, const char *name);

/* Append to msg: " (3 of 40 instances over 25 ms; longest 31.2 ms, thread
 * ...)", with the place of the longest for waits. */
void ct__describe_over(char *msg, size_t cap, ct__series *s, const ct__live_sum *sum,
                       uint64_t limit_ns, int waits);

/* " in cache_get (cache.c:88)" for a wait's stack, or "" without one. */
void ct__describe_place(char *out, size_t cap, const ct__live_sum *sum);

/* Append to msg that `lost` events were lost in this test: the whole
 * message when the check itself held (`judged_ok`), else a clause after
 * why it failed. */
void ct__describe_loss(char *msg, size_t cap, uint64_t lost, int judged_ok);

/* Nanoseconds from the current test's start to `ticks`. */
uint64_t ct__into_test_ns(uint64_t ticks);

/* Append to msg (cap bytes) what fits of the printf-style text. */
void ct__msg_append(char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* CT_ASSERTIONS_CHECK_H */
