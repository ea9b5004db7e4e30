/*
 * cmocka_markers.c - the marker lines for the runner (cmocka_markers.h).
 * Formatted by hand, and a test's end held back to share a write with the
 * next marker: a tiny test's tracing costs one write(2).
 */
#include "plugin/cmocka_markers.h"

#include <inttypes.h> /* PRIu64 */
#include <stdio.h>    /* fflush, snprintf */
#include <stdio_ext.h> /* __fpending */
#include <stdlib.h>   /* malloc, free */
#include <string.h>   /* memcpy, strlen */
#include <unistd.h>   /* write, getpid */

#include <ctrace_collect.h> /* CT_MARKER_PREFIX */

#include "assertions/rules_eval.h" /* ct__rules_changed, ct__rules_report */
#include "format/wire.h"           /* CT_MAX_NAME_BYTES */
#include "plugin/api_internal.h"   /* CT__STATUS_* */
#include "common/clock.h"          /* ct__mono_coarse_ns */
#include "common/decimal.h"        /* ct_decimal */
#include "plugin/children.h"       /* ct__proc_slot */
#include "plugin/session.h"        /* ct__markers, ct__marker_nonce */
#include "plugin/thread.h"         /* ct__untraced_begin */

/* A name of CT_MAX_NAME_BYTES percent-encoded (3 bytes a byte at worst). */
#define NAME_ENC_MAX (3 * 1024 + 1)
#define GROUP_ENC_MAX (3 * 512 + 1)

/* What a marker says, as the pool counts it (pool.h). */
enum progress { TEST_BEGUN, TEST_ENDED, FIXTURE_BEGUN, FIXTURE_ENDED };

/* A marker is about to go out: count it in the pool, where the runner finds
 * it even if the marker is lost (a test that closed its stdout), and note
 * when. */
static void count(enum progress what)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (!pool || ct__proc_slot) /* a forked child that runs on in its parent's group */
        return;
    uint32_t *counter = what == TEST_BEGUN      ? &pool->tests_begun
                        : what == TEST_ENDED    ? &pool->tests_ended
                        : what == FIXTURE_BEGUN ? &pool->fixtures_begun
                                                : &pool->fixtures_ended;
    /* Read against timeouts of seconds: the coarse clock will do. */
    __atomic_store_n(&pool->progress_ns, ct__mono_coarse_ns(), __ATOMIC_RELAXED);
    __atomic_add_fetch(counter, 1, __ATOMIC_RELEASE);
}

/* Where the tests the markers name run, and what every marker starts with:
 * formatted once a group, not twice a test. */
static struct {
    char head[sizeof CT_MARKER_PREFIX + CT_MARKER_NONCE_MAX]; /* prefix and nonce */
    size_t head_len;
    char pid[CT_DECIMAL_MAX + 3]; /* " PID " */
    size_t pid_len;
    char group_enc[1 + GROUP_ENC_MAX]; /* " GROUP", percent-encoded */
    size_t group_len;
} where;

/* The head every marker begins with: the prefix and the run's nonce. */
static void head_init(void)
{
    size_t n = strlen(ct__marker_nonce);
    memcpy(where.head, CT_MARKER_PREFIX, sizeof CT_MARKER_PREFIX - 1);
    memcpy(where.head + sizeof CT_MARKER_PREFIX - 1, ct__marker_nonce, n);
    where.head_len = sizeof CT_MARKER_PREFIX - 1 + n;
}

/* The name of the test running, encoded by its run marker for its end
 * marker too: the two always carry the same name. */
static struct {
    const char *name; /* NULL: none */
    char enc[NAME_ENC_MAX + 4];
    size_t len;
} running;

/* Percent-encode name into out (see CT_MARKER_PREFIX). */
static size_t encode_name(const char *name, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    /* At most the bytes the trace keeps of a name, whatever room is left:
     * every marker of a test must carry the same name. */
    const unsigned char *end = (const unsigned char *)name + strnlen(name, CT_MAX_NAME_BYTES);
    for (const unsigned char *p = (const unsigned char *)name; p < end && n + 4 < cap; p++) {
        if (*p <= 0x20 || *p == '%' || *p >= 0x7f) {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
    return n;
}

/* A test's end marker waits here for the next marker, so that the two go
 * out in one write: a tiny test then costs one write(2), not two. Nothing
 * of the test can print in between (cmocka's own messages flush it first:
 * note_message() and vprint_message()), and the group's end and exit flush
 * it. */
static char pending_end[2 * (NAME_ENC_MAX + GROUP_ENC_MAX + 160)];
static size_t pending_end_len;

/* Untraced: a marker that waits for the runner to read the pipe is the
 * tracer's wait, not the test's. */
static void write_all(const char *line, size_t len)
{
    uint8_t was = ct__untraced_begin();
    while (len > 0) {
        ssize_t k = write(1, line, len);
        if (k <= 0)
            break;
        line += k;
        len -= (size_t)k;
    }
    ct__untraced_end(was);
}

void ct__markers_flush(void)
{
    if (pending_end_len == 0)
        return;
    size_t n = pending_end_len;
    pending_end_len = 0;
    write_all(pending_end, n);
}

/* What the test printed through stdio goes out before the marker that
 * follows it. Asked first: a flush of an empty stream still takes its lock,
 * four times a test. */
static void flush_stdio(void)
{
    if (__fpending(stdout) > 0)
        fflush(stdout);
    if (__fpending(stderr) > 0)
        fflush(stderr);
}

static void write_marker(const char *line, size_t len)
{
    /* In order with what the test printed: flush stdio, then write(2). */
    flush_stdio();
    if (pending_end_len && pending_end_len + len <= sizeof pending_end) {
        memcpy(pending_end + pending_end_len, line, len);
        len += pending_end_len;
        pending_end_len = 0;
        write_all(pending_end, len);
        return;
    }
    ct__markers_flush();
    write_all(line, len);
}

/* The end marker of a test, held back until the next marker or output. */
static void defer_marker(const char *line, size_t len)
{
    flush_stdio();
    ct__markers_flush();
    if (len > sizeof pending_end) {
        write_all(line, len);
        return;
    }
    memcpy(pending_end, line, len);
    pending_end_len = len;
}

/* A marker line being built. Formatted by hand: snprintf costs as much as
 * the rest of the tracing of a tiny test. */
typedef struct marker_line {
    char text[NAME_ENC_MAX + GROUP_ENC_MAX + 160];
    size_t len;
} marker_line;

static void ml_bytes(marker_line *m, const char *s, size_t n)
{
    if (n > sizeof m->text - 1 - m->len)
        n = sizeof m->text - 1 - m->len;
    memcpy(m->text + m->len, s, n);
    m->len += n;
}

static void ml_str(marker_line *m, const char *s)
{
    ml_bytes(m, s, strlen(s));
}

/* A string literal, its length known. */
#define ML_LIT(m, s) ml_bytes((m), "" s, sizeof(s) - 1)

static void ml_u64(marker_line *m, uint64_t v)
{
    if (sizeof m->text - 1 - m->len >= CT_DECIMAL_MAX)
        m->len += ct_decimal(m->text + m->len, v);
}

/* The head (prefix and nonce: set by ct__markers_group(), which every
 * group's markers follow), then the verb (a literal). */
#define ML_BEGIN(m, verb)                                                                        \
    do {                                                                                         \
        (m)->len = 0;                                                                            \
        ml_bytes((m), where.head, where.head_len);                                               \
        ML_LIT((m), verb);                                                                       \
    } while (0)

static void ml_name(marker_line *m, const char *name)
{
    /* Room for a whole name (encode_name stops at CT_MAX_NAME_BYTES), and
     * for what follows it. */
    m->len += encode_name(name, m->text + m->len, NAME_ENC_MAX + 4);
}

/* The running test's name, as its run marker encoded it. */
static void ml_running_name(marker_line *m, const char *name)
{
    if (running.name != name) {
        ml_name(m, name);
        return;
    }
    memcpy(m->text + m->len, running.enc, running.len); /* room: as ml_name */
    m->len += running.len;
}

/* " PID TASK GROUP": where the runner finds the test in the trace. */
static void ml_where(marker_line *m, uint64_t task)
{
    ml_bytes(m, where.pid, where.pid_len);
    ml_u64(m, task);
    ml_bytes(m, where.group_enc, where.group_len);
}

void ct__marker_run(const char *name, uint64_t task, unsigned long ordinal)
{
    if (!ct__markers)
        return;
    count(TEST_BEGUN);
    marker_line m;
    ML_BEGIN(&m, " run ");
    size_t at = m.len;
    ml_name(&m, name);
    running.len = m.len - at;
    memcpy(running.enc, m.text + at, running.len);
    running.name = name;
    ml_where(&m, task);
    ML_LIT(&m, " ");
    ml_u64(&m, ordinal);
    ML_LIT(&m, "\n");
    write_marker(m.text, m.len);
}

void ct__marker_list(const char *name)
{
    if (!ct__markers)
        return;
    marker_line m;
    ML_BEGIN(&m, " list ");
    ml_name(&m, name);
    ml_bytes(&m, where.group_enc, where.group_len);
    ML_LIT(&m, "\n");
    write_marker(m.text, m.len);
}

static const char *status_word(int status)
{
    switch (status) {
    case CT__STATUS_PASS: return "pass";
    case CT__STATUS_SKIP: return "skip";
    case CT__STATUS_ERROR: return "error";
    case CT__STATUS_CRASH: return "crash";
    default: return "fail";
    }
}

/* A group fixture begins (1) or is over (0): a process that ends inside one
 * ended there, whatever its exit status. */
void ct__marker_fixture(int begins, const char *name)
{
    if (!ct__markers)
        return;
    count(begins ? FIXTURE_BEGUN : FIXTURE_ENDED);
    marker_line m;
    if (begins)
        ML_BEGIN(&m, " fixture begin ");
    else
        ML_BEGIN(&m, " fixture end ");
    ml_name(&m, name);
    ML_LIT(&m, "\n");
    write_marker(m.text, m.len);
}

/* The group is about to run `count` tests; `end` is the ordinal after its
 * last (what CTRACE_RESUME skips to, should the process die outside them). */
void ct__marker_plan(size_t count, unsigned long end)
{
    if (!ct__markers)
        return;
    char line[GROUP_ENC_MAX + 128];
    int n = snprintf(line, sizeof line, "%s%s plan %zu%s %lu\n", CT_MARKER_PREFIX,
                     ct__marker_nonce, count, where.group_enc, end);
    write_marker(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

/* How far each --assert rule got, when one got further: said as they change
 * rather than once at the group's end, so that a process dying in a later
 * test loses none of it (the next process says its own). Rides in the write
 * of the end marker it follows. */
void ct__marker_rules(void)
{
    if (!ct__markers || !ct__rules_changed())
        return;
    size_t n = ct__rules_report(NULL, 0);
    char head[sizeof CT_MARKER_PREFIX + CT_MARKER_NONCE_MAX + 8];
    int k = snprintf(head, sizeof head, "%s%s rules ", CT_MARKER_PREFIX, ct__marker_nonce);
    char *line = k > 0 && (size_t)k < sizeof head ? malloc((size_t)k + n + 1) : NULL;
    if (!line)
        return;
    memcpy(line, head, (size_t)k);
    ct__rules_report(line + k, n);
    line[(size_t)k + n] = '\n';
    write_marker(line, (size_t)k + n + 1);
    free(line);
}

/* Events lost while the test whose end marker comes next ran, when some were. */
void ct__marker_lost(uint64_t lost)
{
    if (!ct__markers || lost == 0)
        return;
    char line[CT_MARKER_NONCE_MAX + 64];
    int n = snprintf(line, sizeof line, "%s%s lost %" PRIu64 "\n", CT_MARKER_PREFIX,
                     ct__marker_nonce, lost);
    write_marker(line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

void ct__marker_end(const char *name, int status, uint64_t elapsed_ns, uint64_t task)
{
    if (!ct__markers)
        return;
    count(TEST_ENDED);
    marker_line m;
    ML_BEGIN(&m, " end ");
    ml_str(&m, status_word(status));
    ML_LIT(&m, " ");
    ml_u64(&m, elapsed_ns);
    ML_LIT(&m, " ");
    ml_running_name(&m, name);
    running.name = NULL;
    ml_where(&m, task);
    ML_LIT(&m, "\n");
    defer_marker(m.text, m.len);
}

void ct__markers_group(const char *group_name)
{
    head_init();
    where.pid[0] = ' ';
    where.pid_len = 1 + ct_decimal(where.pid + 1, (uint64_t)getpid());
    where.pid[where.pid_len++] = ' ';
    /* " GROUP", or a lone " " for none (an empty last field). */
    where.group_enc[0] = ' ';
    where.group_len = 1;
    if (group_name)
        where.group_len += encode_name(group_name, where.group_enc + 1, GROUP_ENC_MAX);
    where.group_enc[where.group_len] = '\0'; /* the plan marker prints it with %s */
    running.name = NULL;
}
