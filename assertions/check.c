/*
 * check.c - judge one trace assertion over the current test (check.h), and
 * word its failure the way DESIGN §3 asks: the offender, its measured value,
 * the limit, how many instances broke it, the thread, when in the test, and
 * for blocking the place in the program.
 */
#include "assertions/check.h"

#include <ctrace_cmocka.h> /* CT__CHECK_* */
#include <inttypes.h>      /* PRIu64 */
#include <stdarg.h>        /* va_list */
#include <stdio.h>         /* vsnprintf */
#include <string.h>        /* memchr, memcmp */

#include "common/human.h" /* ctv_format_duration, ctv_escape_text */
#include "assertions/place.h"
#include "format/wire.h"  /* CT_BLOCK_*, CT_MAX_NAME_BYTES */
#include "common/clock.h" /* ct__ticks */

void ct__msg_append(char *msg, size_t cap, const char *fmt, ...)
{
    size_t used = strnlen(msg, cap);
    if (used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + used, cap - used, fmt, ap);
    va_end(ap);
}

const char *ct__wait_kind_words(unsigned kind)
{
    switch (kind) {
    case CT_BLOCK_SYNC: return "sync blocking";
    case CT_BLOCK_SYSCALL: return "syscall blocking";
    case CT_BLOCK_NET: return "net blocking";
    case CT_BLOCK_SCHED: return "sched wait";
    default: return "blocking";
    }
}

void ct__quote(char *out, size_t cap, const char *name)
{
    if (cap < 16) {
        if (cap)
            out[0] = '\0';
        return;
    }
    const char *s = name ? name : "";
    size_t len = strnlen(s, CT_MAX_NAME_BYTES), n = 0, i = 0;
    cap -= 3; /* room kept for "..." should it be cut */
    out[n++] = '"';
    /* Runs between quotes and backslashes escaped for a terminal; those two
     * get a backslash, so the quotes around the name are unambiguous. */
    while (i < len && n + 2 < cap) {
        if (s[i] == '"' || s[i] == '\\') {
            if (n + 3 >= cap)
                break;
            out[n++] = '\\';
            out[n++] = s[i++];
            continue;
        }
        size_t run = i;
        while (run < len && s[run] != '"' && s[run] != '\\')
            run++;
        n += ctv_escape_text(out + n, cap - 1 - n, s + i, run - i);
        if (n + 8 >= cap) /* maybe cut (a piece is at most 6 bytes): stop here */
            break;
        i = run;
    }
    if (i < len || s[len] != '\0') { /* cut: say so */
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n++] = '"';
    out[n] = '\0';
}

static char *dur(char buf[CTV_HUMAN_BUF], uint64_t ns)
{
    return ctv_format_duration(buf, ns);
}

uint64_t ct__into_test_ns(uint64_t ticks)
{
    uint64_t start = __atomic_load_n(&ct__live_test_start, __ATOMIC_RELAXED);
    return ticks > start ? ct__live_ticks_to_ns(ticks - start) : 0;
}

void ct__describe_longest(char *out, size_t cap, const ct__live_sum *sum)
{
    uint64_t end = ct__into_test_ns(sum->max_end_ticks);
    uint64_t began = end > sum->max_ns ? end - sum->max_ns : 0;
    char b[CTV_HUMAN_BUF];
    snprintf(out, cap, ", thread %" PRIu32 " (tid %" PRId32 "), began %s into the test",
             sum->max_who.serial, sum->max_who.tid, dur(b, began));
}

void ct__describe_place(char *out, size_t cap, const ct__live_sum *sum)
{
    char place[512];
    ct__place_name(sum->max_pcs, sum->max_depth, place, sizeof place);
    if (place[0])
        snprintf(out, cap, " in %s", place);
    else if (cap)
        out[0] = '\0';
}

/* A quantile as people write it: 0.95 -> "p95", 0.999 -> "p99.9". */
static void quantile_name(char *out, size_t cap, double q)
{
    snprintf(out, cap, "p%.10g", q * 100.0);
}

void ct__describe_no_instance(char *msg, size_t cap, const char *what, const char *name)
{
    char quoted[CT_CHECK_MESSAGE / 2];
    ct__quote(quoted, sizeof quoted, name);
    ct__msg_append(msg, cap, "no instance of %s %s finished in this test", what, quoted);
    if (ct__live_series_full())
        ct__msg_append(msg, cap, " (or it was not counted: this process made more than "
                                 "16384 distinct names)");
}

void ct__describe_over(char *msg, size_t cap, ct__series *s, const ct__live_sum *sum,
                       uint64_t limit_ns, int waits)
{
    char limit[CTV_HUMAN_BUF], longest[CTV_HUMAN_BUF], place[600] = "", where[160];
    if (waits)
        ct__describe_place(place, sizeof place, sum);
    ct__describe_longest(where, sizeof where, sum);
    ct__msg_append(msg, cap, " (%" PRIu64 " of %" PRIu64 " %s%s over %s; longest %s%s%s)",
                   ct__live_count_over(s, sum, limit_ns), sum->count, waits ? "wait" : "instance",
                   sum->count == 1 ? "" : "s", dur(limit, limit_ns), dur(longest, sum->max_ns),
                   place, where);
}

static int no_instance(char *msg, size_t cap, const char *what, const char *name)
{
    ct__describe_no_instance(msg, cap, what, name);
    return 1;
}

/* region_max / task_max: every finished instance took <= limit. */
static int check_max(const ct__check_spec *c, unsigned kind, const char *what, char *msg, size_t cap)
{
    ct__series *s = ct__live_find(kind, c->name, 0);
    ct__live_sum sum;
    ct__live_sum_of(s, &sum);
    if (sum.count == 0)
        return no_instance(msg, cap, what, c->name);
    if (sum.max_ns <= c->a)
        return 0;
    char quoted[CT_CHECK_MESSAGE / 2], took[CTV_HUMAN_BUF], limit[CTV_HUMAN_BUF], where[160];
    ct__quote(quoted, sizeof quoted, c->name);
    ct__describe_longest(where, sizeof where, &sum);
    snprintf(msg, cap, "%s %s took %s > %s (%" PRIu64 " of %" PRIu64 " instance%s)%s", what, quoted,
             dur(took, sum.max_ns), dur(limit, c->a), ct__live_count_over(s, &sum, c->a),
             sum.count, sum.count == 1 ? "" : "s", where);
    return 1;
}

static int check_quantile(const ct__check_spec *c, char *msg, size_t cap)
{
    if (!(c->q > 0.0 && c->q <= 1.0)) {
        snprintf(msg, cap, "quantile %g is outside (0, 1]: write 0.95 for p95", c->q);
        return -1;
    }
    ct__series *s = ct__live_find(CT_SERIES_REGION, c->name, 0);
    ct__live_sum sum;
    ct__live_sum_of(s, &sum);
    if (sum.count == 0)
        return no_instance(msg, cap, "region", c->name);
    uint64_t v = ct__live_quantile(s, &sum, c->q);
    if (v <= c->a)
        return 0;
    char quoted[CT_CHECK_MESSAGE / 2], qn[32], value[CTV_HUMAN_BUF], limit[CTV_HUMAN_BUF];
    ct__quote(quoted, sizeof quoted, c->name);
    quantile_name(qn, sizeof qn, c->q);
    snprintf(msg, cap, "region %s %s %s > %s", quoted, qn, dur(value, v), dur(limit, c->a));
    ct__describe_over(msg, cap, s, &sum, c->a, 0);
    return 1;
}

static int check_count(const ct__check_spec *c, char *msg, size_t cap)
{
    ct__live_sum sum;
    ct__live_sum_of(ct__live_find(CT_SERIES_REGION, c->name, 0), &sum);
    if (sum.count >= c->a && sum.count <= c->b)
        return 0;
    char quoted[CT_CHECK_MESSAGE / 2], expected[96];
    ct__quote(quoted, sizeof quoted, c->name);
    if (c->a == c->b)
        snprintf(expected, sizeof expected, "exactly %" PRIu64, c->a);
    else if (c->b == UINT64_MAX)
        snprintf(expected, sizeof expected, "at least %" PRIu64, c->a);
    else
        snprintf(expected, sizeof expected, "%" PRIu64 " to %" PRIu64, c->a, c->b);
    snprintf(msg, cap, "region %s finished %" PRIu64 " time%s in this test, expected %s", quoted,
             sum.count, sum.count == 1 ? "" : "s", expected);
    return 1;
}

static int check_test_max(const ct__check_spec *c, int so_far, char *msg, size_t cap)
{
    uint64_t took = ct__into_test_ns(ct__ticks());
    if (took <= c->a)
        return 0;
    char a[CTV_HUMAN_BUF], b[CTV_HUMAN_BUF];
    snprintf(msg, cap, "test took %s > %s%s", dur(a, took), dur(b, c->a),
             so_far ? " so far" : "");
    return 1;
}

static int check_wait_over(unsigned kind, const ct__check_spec *c, char *msg, size_t cap)
{
    ct__series *s = ct__live_find(CT_SERIES_WAIT, NULL, kind);
    ct__live_sum sum;
    ct__live_sum_of(s, &sum);
    if (sum.max_ns <= c->a)
        return 0;
    char took[CTV_HUMAN_BUF], limit[CTV_HUMAN_BUF], place[600], where[160];
    ct__describe_place(place, sizeof place, &sum);
    ct__describe_longest(where, sizeof where, &sum);
    snprintf(msg, cap, "%s %s > %s%s%s (%" PRIu64 " of %" PRIu64 " wait%s over %s)",
             ct__wait_kind_words(kind), dur(took, sum.max_ns), dur(limit, c->a), place, where,
             ct__live_count_over(s, &sum, c->a), sum.count, sum.count == 1 ? "" : "s", limit);
    return 1;
}

static int check_sync_total(const ct__check_spec *c, char *msg, size_t cap)
{
    ct__live_sum sum;
    ct__live_sum_of(ct__live_find(CT_SERIES_WAIT, NULL, CT_BLOCK_SYNC), &sum);
    if (sum.total_ns <= c->a)
        return 0;
    char total[CTV_HUMAN_BUF], limit[CTV_HUMAN_BUF], longest[CTV_HUMAN_BUF], place[600],
        where[160];
    ct__describe_place(place, sizeof place, &sum);
    ct__describe_longest(where, sizeof where, &sum);
    snprintf(msg, cap, "sync blocking %s in total > %s (%" PRIu64 " wait%s; longest %s%s%s)",
             dur(total, sum.total_ns), dur(limit, c->a), sum.count, sum.count == 1 ? "" : "s",
             dur(longest, sum.max_ns), place, where);
    return 1;
}

struct log_search {
    const char *category, *text;
    size_t category_len, text_len;
    uint64_t seen;
};

/* needle in haystack. glibc's memmem prepares its search at every call,
 * which costs more than a log message is long: first byte, then the rest. */
static int contains(const char *hay, size_t len, const char *needle, size_t n)
{
    if (n == 0)
        return 1;
    for (const char *p = hay, *end = hay + len; (size_t)(end - p) >= n; p++) {
        p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (!p)
            return 0;
        if (memcmp(p + 1, needle + 1, n - 1) == 0)
            return 1;
    }
    return 0;
}

static int log_matches(void *arg, const char *category, size_t category_len, const char *message,
                       size_t len, uint64_t ticks, ct__live_who who)
{
    (void)ticks;
    (void)who;
    struct log_search *q = arg;
    q->seen++;
    if (q->category &&
        (category_len != q->category_len || memcmp(category, q->category, category_len) != 0))
        return 0;
    return contains(message, len, q->text, q->text_len);
}

static int check_log_seen(const ct__check_spec *c, char *msg, size_t cap)
{
    struct log_search q = {c->name, c->text ? c->text : "",
                           c->name ? strnlen(c->name, CT_MAX_NAME_BYTES) : 0, 0, 0};
    q.text_len = strnlen(q.text, CT_MAX_LOG_BYTES);
    uint64_t not_kept = 0;
    if (ct__live_logs_each(log_matches, &q, &not_kept))
        return 0;
    char category[CT_CHECK_MESSAGE / 3], text[CT_CHECK_MESSAGE / 3];
    ct__quote(text, sizeof text, q.text);
    if (c->name)
        ct__quote(category, sizeof category, c->name);
    snprintf(msg, cap, "no log%s%s containing %s in this test (%" PRIu64 " log%s)",
             c->name ? " in category " : "", c->name ? category : "", text, q.seen,
             q.seen == 1 ? "" : "s");
    if (not_kept)
        ct__msg_append(msg, cap, "; %" PRIu64 " later logs were not kept (256 KiB a thread "
                                 "a test)", not_kept);
    return 1;
}

static int check_one(const ct__check_spec *c, int so_far, char *msg, size_t cap)
{
    switch (c->what) {
    case CT__CHECK_REGION_MAX: return check_max(c, CT_SERIES_REGION, "region", msg, cap);
    case CT__CHECK_REGION_QUANTILE: return check_quantile(c, msg, cap);
    case CT__CHECK_REGION_COUNT: return check_count(c, msg, cap);
    case CT__CHECK_TASK_MAX: return check_max(c, CT_SERIES_TASK, "task", msg, cap);
    case CT__CHECK_TEST_MAX: return check_test_max(c, so_far, msg, cap);
    case CT__CHECK_SYNC_OVER: return check_wait_over(CT_BLOCK_SYNC, c, msg, cap);
    case CT__CHECK_SYSCALL_OVER: return check_wait_over(CT_BLOCK_SYSCALL, c, msg, cap);
    case CT__CHECK_NET_OVER: return check_wait_over(CT_BLOCK_NET, c, msg, cap);
    case CT__CHECK_SCHED_OVER: return check_wait_over(CT_BLOCK_SCHED, c, msg, cap);
    case CT__CHECK_SYNC_TOTAL: return check_sync_total(c, msg, cap);
    case CT__CHECK_LOG_SEEN: return check_log_seen(c, msg, cap);
    default:
        snprintf(msg, cap, "unknown trace assertion %d (libctrace older than the header?)",
                 c->what);
        return -1;
    }
}

void ct__describe_loss(char *msg, size_t cap, uint64_t lost, int judged_ok)
{
    if (judged_ok)
        ct__msg_append(msg, cap, "not judged: %" PRIu64 " event%s lost in this test (the tracer "
                                 "could not record %s; ctest-trace stats tells more)",
                       lost, lost == 1 ? " was" : "s were", lost == 1 ? "it" : "them");
    else
        ct__msg_append(msg, cap, "; %" PRIu64 " event%s lost in this test, so there may be more",
                       lost, lost == 1 ? " was" : "s were");
}

int ct__check_run(const ct__check_spec *c, int so_far, char *msg, size_t cap)
{
    msg[0] = '\0';
    if (ct__live_armed_late()) {
        snprintf(msg, cap, "not judged: the tracer began keeping what trace assertions read "
                           "during this test, at its first assertion (the binary reaches "
                           "ct__check other than through an import of libctrace, such as "
                           "dlsym): they are judged from the next test on");
        return 1;
    }
    int rc = check_one(c, so_far, msg, cap);
    uint64_t lost = rc < 0 ? 0 : ct__live_window_lost();
    if (lost) /* a pass over a window that lost events is no pass */
        ct__describe_loss(msg, cap, lost, rc == 0);
    return lost ? 1 : rc;
}
