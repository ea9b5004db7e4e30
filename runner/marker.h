/*
 * marker.h - the marker lines a traced child prints (ctrace_collect.h,
 * CT_MARKER_PREFIX), and how untrusted test names are decoded and shown.
 *
 *     "\036CTRACE NONCE run NAME PID TASK GROUP ORDINAL"
 *     "\036CTRACE NONCE end STATUS ELAPSED_NS NAME PID TASK GROUP"
 *     "\036CTRACE NONCE plan COUNT GROUP END"   a group is about to run COUNT tests
 *     "\036CTRACE NONCE fixture begin|end NAME"  a group's setup or teardown
 *     "\036CTRACE NONCE rules STATES"  how far each --assert rule got
 *     "\036CTRACE NONCE lost COUNT"  the test ending next lost COUNT events
 *     "\036CTRACE NONCE list NAME GROUP"  -list: a test that matches
 *
 * ORDINAL numbers the selected test runs of the process over all its groups
 * (-count repeats included) from 0; END is the ordinal after the group's
 * last. CTRACE_RESUME takes such an ordinal.
 *
 * STATUS: pass fail skip error crash. NAME and GROUP are percent-encoded by
 * the child; PID and TASK (its id in that process's trace) are decimal.
 * PID, TASK and GROUP may be missing (0, 0, ""). STATES is a ct_rule_state
 * (assertions/rules.h: '-', '0' or '1') a rule, in the order of the rules
 * the runner passed. NONCE is the run's, so a test's output never passes for
 * a marker. Pure functions but for the nonce.
 */
#ifndef RN_MARKER_H
#define RN_MARKER_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

typedef enum rn_marker_kind {
    RN_MARK_OTHER = 0, /* a marker we do not know or cannot read: hide it */
    RN_MARK_RUN,
    RN_MARK_END,
    RN_MARK_PLAN, /* a group is about to run `count` tests */
    RN_MARK_FIXTURE, /* a group fixture begins (count 1) or is over (count 0) */
    RN_MARK_RULES, /* how far each --assert rule got in the process (states) */
    RN_MARK_LOST,  /* the test that ends next lost `count` events */
    RN_MARK_LIST,  /* -list: a test that matches (name, group), not run */
} rn_marker_kind;

typedef enum rn_test_status {
    RN_STATUS_PASS = 0,
    RN_STATUS_FAIL,
    RN_STATUS_SKIP,
    RN_STATUS_ERROR,   /* a fixture failed: shown as FAIL */
    RN_STATUS_CRASH,   /* cmocka caught a signal in the test: shown as FAIL */
    RN_STATUS_UNKNOWN, /* a status this runner does not know: shown as FAIL */
    RN_STATUS_TIMEOUT, /* the runner killed the binary in this test */
} rn_test_status;

typedef struct rn_marker {
    rn_marker_kind kind;
    rn_test_status status; /* RN_MARK_END */
    uint64_t elapsed_ns;   /* RN_MARK_END */
    const char *name;      /* percent-encoded, points into the line */
    size_t name_len;
    uint64_t pid, task;    /* the test's task in the trace; 0 if not said */
    const char *group;     /* percent-encoded, points into the line */
    size_t group_len;
    uint64_t count;        /* RN_MARK_PLAN; RN_MARK_LOST: events lost */
    uint64_t ordinal;      /* RUN: which selected run of the process this is;
                              PLAN: the one after the group's last */
    int has_ordinal;
    const char *states;    /* RN_MARK_RULES: a ct_rule_state a rule, points into the line */
    size_t states_len;
} rn_marker;

/*! rn_marker_set_nonce() : the nonce markers of this run carry (what the
 *  child gets in CTRACE_MARKERS). Until it is set nothing is a marker.
 *  @return 0, or -1 if it is not 1 to 32 lowercase hex digits. */
int rn_marker_set_nonce(const char *nonce);

/*! rn_marker_find() : where a marker starts in `line` (a marker may follow
 *  output that had no newline), or NULL. */
const char *rn_marker_find(const char *line, size_t len);

/*! rn_marker_parse() : read `line` (without its '\n'; a trailing '\r' is
 *  ignored). @return 1 if it is a marker line (*m filled; kind RN_MARK_OTHER
 *  for a malformed or unknown one, which is hidden, never printed), 0 if it
 *  is ordinary output. */
int rn_marker_parse(const char *line, size_t len, rn_marker *m);

/*! rn_percent_decode() : decode %XX (either case) into `out`, which holds at
 *  least `len` bytes; a '%' not followed by two hex digits is kept as is.
 *  @return the decoded length (may contain NUL bytes). */
size_t rn_percent_decode(const char *in, size_t len, char *out);

/*! rn_escape_name() : `s` made safe to print: control characters (C0, DEL,
 *  C1), bytes that are not UTF-8, and bidirectional-override code points
 *  become \t \n \r \xNN or \u{NNNN}; the rest is kept.
 *  @return a malloc'd NUL-terminated string, or NULL when out of memory. */
char *rn_escape_name(const char *s, size_t len);

#endif /* RN_MARKER_H */
