/*
 * marker.c - marker lines, percent-decoding and safe test names (marker.h).
 */
#include "marker.h"

#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* malloc */
#include <string.h> /* memchr, memcmp, strchr, strspn */

#include <ctrace_collect.h> /* CT_MARKER_PREFIX */

/* CT_MARKER_PREFIX, the nonce, a space. */
static char prefix[sizeof CT_MARKER_PREFIX + CT_MARKER_NONCE_MAX + 1];
static size_t prefix_len;

int rn_marker_set_nonce(const char *nonce)
{
    size_t n = strspn(nonce, "0123456789abcdef");
    if (n == 0 || n > CT_MARKER_NONCE_MAX || nonce[n] != '\0')
        return -1;
    int k = snprintf(prefix, sizeof prefix, "%s%s ", CT_MARKER_PREFIX, nonce);
    prefix_len = (size_t)k;
    return 0;
}

const char *rn_marker_find(const char *line, size_t len)
{
    if (prefix_len == 0)
        return NULL;
    /* The prefix's first byte (RS) is rare in output: memchr finds it far
     * faster than memmem finds the whole prefix in every line. */
    const char *end = line + len;
    for (const char *p = line; (size_t)(end - p) >= prefix_len; p++) {
        p = memchr(p, prefix[0], (size_t)(end - p) - prefix_len + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, prefix, prefix_len) == 0)
            return p;
    }
    return NULL;
}

/* The next space-separated word of [*p, end): returns its length and moves
 * *p past it and one space. */
static size_t next_word(const char **p, const char *end, const char **word)
{
    /* Words are short: a plain loop beats memchr's call. */
    const char *q = *word = *p;
    while (q < end && *q != ' ')
        q++;
    size_t n = (size_t)(q - *p);
    *p = q < end ? q + 1 : end;
    return n;
}

/* A macro, so that the literal's length is a constant. */
#define word_is(w, n, lit) ((n) == sizeof(lit) - 1 && memcmp((w), (lit), (n)) == 0)

static int parse_u64(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/* Whether each of the n bytes of s (not NUL-terminated) is one of `set`. */
static int all_of(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || strchr(set, s[i]) == NULL)
            return 0;
    return 1;
}

int rn_marker_parse(const char *line, size_t len, rn_marker *m)
{
    *m = (rn_marker){0};
    if (prefix_len == 0 || len < prefix_len || memcmp(line, prefix, prefix_len) != 0)
        return 0;
    const char *p = line + prefix_len, *end = line + len;
    if (end > p && end[-1] == '\r')
        end--;
    const char *verb;
    size_t verb_len = next_word(&p, end, &verb);
    if (word_is(verb, verb_len, "run")) {
        m->kind = RN_MARK_RUN;
    } else if (word_is(verb, verb_len, "end")) {
        const char *status, *elapsed;
        size_t status_len = next_word(&p, end, &status);
        size_t elapsed_len = next_word(&p, end, &elapsed);
        if (status_len == 0 || parse_u64(elapsed, elapsed_len, &m->elapsed_ns) != 0)
            return 1; /* malformed: RN_MARK_OTHER */
        if (word_is(status, status_len, "pass"))
            m->status = RN_STATUS_PASS;
        else if (word_is(status, status_len, "fail"))
            m->status = RN_STATUS_FAIL;
        else if (word_is(status, status_len, "skip"))
            m->status = RN_STATUS_SKIP;
        else if (word_is(status, status_len, "error"))
            m->status = RN_STATUS_ERROR;
        else if (word_is(status, status_len, "crash"))
            m->status = RN_STATUS_CRASH;
        else
            m->status = RN_STATUS_UNKNOWN;
        m->kind = RN_MARK_END;
    } else if (word_is(verb, verb_len, "fixture")) {
        const char *what;
        size_t what_len = next_word(&p, end, &what);
        if (!word_is(what, what_len, "begin") && !word_is(what, what_len, "end"))
            return 1;
        m->kind = RN_MARK_FIXTURE;
        m->count = word_is(what, what_len, "begin");
        m->name_len = next_word(&p, end, &m->name);
        return 1;
    } else if (word_is(verb, verb_len, "plan")) {
        const char *count;
        size_t count_len = next_word(&p, end, &count);
        if (parse_u64(count, count_len, &m->count) != 0)
            return 1;
        m->kind = RN_MARK_PLAN;
        m->group_len = next_word(&p, end, &m->group);
        const char *ordinal;
        size_t ordinal_len = next_word(&p, end, &ordinal);
        m->has_ordinal = parse_u64(ordinal, ordinal_len, &m->ordinal) == 0;
        return 1;
    } else if (word_is(verb, verb_len, "list")) {
        m->name_len = next_word(&p, end, &m->name);
        if (m->name_len == 0)
            return 1;
        m->kind = RN_MARK_LIST;
        m->group_len = next_word(&p, end, &m->group);
        return 1;
    } else if (word_is(verb, verb_len, "lost")) {
        const char *count;
        size_t count_len = next_word(&p, end, &count);
        if (parse_u64(count, count_len, &m->count) != 0)
            return 1;
        m->kind = RN_MARK_LOST;
        return 1;
    } else if (word_is(verb, verb_len, "rules")) {
        const char *states;
        size_t states_len = next_word(&p, end, &states);
        if (states_len == 0 || !all_of(states, states_len, "-01"))
            return 1;
        m->kind = RN_MARK_RULES;
        m->states = states;
        m->states_len = states_len;
        return 1;
    } else {
        return 1; /* a marker of a later version: hidden */
    }
    m->name_len = next_word(&p, end, &m->name);
    /* Since 0.1: which process and task, and the group. */
    const char *pid, *task;
    size_t pid_len = next_word(&p, end, &pid), task_len = next_word(&p, end, &task);
    if (parse_u64(pid, pid_len, &m->pid) != 0 || parse_u64(task, task_len, &m->task) != 0) {
        m->pid = m->task = 0;
        return 1;
    }
    m->group_len = next_word(&p, end, &m->group);
    const char *ordinal;
    size_t ordinal_len = next_word(&p, end, &ordinal);
    m->has_ordinal = parse_u64(ordinal, ordinal_len, &m->ordinal) == 0;
    return 1;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t rn_percent_decode(const char *in, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '%' && i + 2 < len) {
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out[o++] = (char)(hi << 4 | lo);
                i += 2;
                continue;
            }
        }
        out[o++] = in[i];
    }
    return o;
}

/* Length of the valid UTF-8 sequence at s (with its code point), or 0. */
static size_t utf8_valid(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* Code points that reorder or hide text on a terminal (Trojan Source). */
static int is_bidi_control(unsigned cp)
{
    return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x061c;
}

char *rn_escape_name(const char *s, size_t len)
{
    /* Worst case: 2 bytes (U+0080..U+009F, U+061C) -> "\u{NNNN}", 4 a byte. */
    char *out = malloc(len * 4 + 1);
    if (out == NULL)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = utf8_valid(u + i, len - i, &cp);
        if (n == 0) {
            o += (size_t)sprintf(out + o, "\\x%02x", u[i]);
            i++;
            continue;
        }
        if (cp == '\t') {
            memcpy(out + o, "\\t", 2), o += 2;
        } else if (cp == '\n') {
            memcpy(out + o, "\\n", 2), o += 2;
        } else if (cp == '\r') {
            memcpy(out + o, "\\r", 2), o += 2;
        } else if (cp < 0x20 || cp == 0x7f) {
            o += (size_t)sprintf(out + o, "\\x%02x", cp);
        } else if ((cp >= 0x80 && cp < 0xa0) || is_bidi_control(cp)) {
            o += (size_t)sprintf(out + o, "\\u{%04x}", cp);
        } else {
            memcpy(out + o, s + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    return out;
}
