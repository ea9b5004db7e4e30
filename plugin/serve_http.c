/*
 * serve_http.c - judging a live capture's HTTP request (serve_http.h).
 * Strict about what it serves, lenient about how lines end: only
 * GET /debug/pprof/trace[?seconds=N] starts a capture; any other path is
 * 404, another method 405, a bad query 400. Of the header fields only Host
 * is looked at (ct__http_host_ok).
 */
#include "plugin/serve_http.h"

#include <arpa/inet.h> /* inet_pton */
#include <stdio.h>     /* snprintf */
#include <string.h>    /* memchr, memcmp */
#include <strings.h>   /* strncasecmp */

size_t ct__http_head_end(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n')) /* empty lines first: skipped */
        i++;
    for (; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* A byte that may appear in a request target: printable ASCII, no space. */
static int target_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* "seconds=" value: a decimal number of seconds, up to 9 digits after a
 * point, more than 0 and at most CT_HTTP_SECONDS_MAX. Empty: the default. */
static int parse_seconds(const char *v, size_t n, uint64_t *ns)
{
    if (n == 0) {
        *ns = (uint64_t)CT_HTTP_SECONDS_DEFAULT * 1000000000u;
        return 0;
    }
    uint64_t whole = 0, frac = 0, scale = 1000000000u;
    size_t i = 0, digits = 0;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++)
        if ((whole = whole * 10 + (uint64_t)(v[i] - '0')) > CT_HTTP_SECONDS_MAX)
            return -1;
    if (i < n && v[i] == '.') {
        for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++) {
            if (scale == 1)
                return -1; /* finer than a nanosecond */
            scale /= 10;
            frac += (uint64_t)(v[i] - '0') * scale;
        }
    }
    if (i != n || digits == 0)
        return -1;
    *ns = whole * 1000000000u + frac;
    if (*ns == 0 || *ns > (uint64_t)CT_HTTP_SECONDS_MAX * 1000000000u)
        return -1;
    return 0;
}

/* The query after '?': seconds=N, the first one counts; other keys are
 * ignored, as Go's handler ignores them. */
static int judge_query(const char *q, size_t n, uint64_t *ns, const char **why)
{
    *ns = (uint64_t)CT_HTTP_SECONDS_DEFAULT * 1000000000u;
    while (n > 0) {
        const char *amp = memchr(q, '&', n);
        size_t part = amp ? (size_t)(amp - q) : n;
        if (part >= 8 && memcmp(q, "seconds=", 8) == 0) {
            if (parse_seconds(q + 8, part - 8, ns) != 0) {
                *why = "seconds must be a number of seconds more than 0 and at most 60 "
                       "(seconds=2, seconds=0.5)";
                return 400;
            }
            return 200;
        }
        if (!amp)
            break;
        n -= part + 1;
        q = amp + 1;
    }
    return 200;
}

/* Header lines: NAME ":" VALUE each; a line folded onto the previous one
 * (starting with a space) is refused, as RFC 9112 lets a server do. */
static int judge_fields(const char *p, const char *end, const char **why)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break; /* the empty line that ends the head */
        const char *colon = memchr(p, ':', n);
        if (p[0] == ' ' || p[0] == '\t' || !colon || colon == p) {
            *why = "a header line is not NAME: VALUE";
            return 400;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return 200;
}

int ct__http_judge(const char *head, size_t len, uint64_t *capture_ns, const char **why)
{
    const char *p = head, *end = head + len;
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) {
        *why = "no request line";
        return 400;
    }
    const char *line_end = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
    /* METHOD SP TARGET SP HTTP/1.x, single spaces. */
    const char *sp1 = memchr(p, ' ', (size_t)(line_end - p));
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1)) : NULL;
    if (!sp1 || !sp2 || sp1 == p || sp2 == sp1 + 1) {
        *why = "the request line is not METHOD TARGET HTTP/1.1";
        return 400;
    }
    const char *version = sp2 + 1;
    size_t version_n = (size_t)(line_end - version);
    if (memchr(version, ' ', version_n)) {
        *why = "the request line is not METHOD TARGET HTTP/1.1";
        return 400;
    }
    if (version_n != 8 || memcmp(version, "HTTP/1.", 7) != 0 ||
        (version[7] != '0' && version[7] != '1')) {
        *why = version_n >= 5 && memcmp(version, "HTTP/", 5) == 0
                   ? "only HTTP/1.0 and HTTP/1.1 are served"
                   : "the request line is not METHOD TARGET HTTP/1.1";
        return version_n >= 5 && memcmp(version, "HTTP/", 5) == 0 ? 505 : 400;
    }
    for (const char *t = sp1 + 1; t < sp2; t++)
        if (!target_byte((unsigned char)*t)) {
            *why = "the request target has a byte that is not printable ASCII";
            return 400;
        }
    int fields = judge_fields(nl + 1, end, why);
    if (fields != 200)
        return fields;
    const char *target = sp1 + 1;
    const char *query = memchr(target, '?', (size_t)(sp2 - target));
    size_t path_n = (size_t)((query ? query : sp2) - target);
    if (path_n != strlen(CT_HTTP_PATH) || memcmp(target, CT_HTTP_PATH, path_n) != 0) {
        *why = "not found: this server answers only GET " CT_HTTP_PATH "?seconds=N";
        return 404;
    }
    if (sp1 - p != 3 || memcmp(p, "GET", 3) != 0) {
        *why = "method not allowed: only GET " CT_HTTP_PATH "?seconds=N";
        return 405;
    }
    if (!query)
        query = sp2;
    else
        query++;
    return judge_query(query, (size_t)(sp2 - query), capture_ns, why);
}

/* ":PORT" (1 to 5 digits) from p to end, or nothing. */
static int port_ok(const char *p, const char *end)
{
    if (p == end)
        return 1;
    if (*p++ != ':' || p == end || end - p > 5)
        return 0;
    for (; p < end; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* A Host value naming this machine whatever DNS says: localhost or an IP
 * literal, with or without a port. */
static int host_value_ok(const char *v, size_t n)
{
    char text[64];
    const char *end = v + n, *name = v, *name_end;
    int family = AF_INET;
    if (n > 0 && v[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(v, ']', n);
        if (!close)
            return 0;
        name = v + 1;
        name_end = close;
        family = AF_INET6;
        if (!port_ok(close + 1, end))
            return 0;
    } else {
        const char *colon = memchr(v, ':', n);
        name_end = colon ? colon : end;
        if (!port_ok(name_end, end))
            return 0;
    }
    size_t len = (size_t)(name_end - name);
    if (len == 0 || len >= sizeof text)
        return 0;
    memcpy(text, name, len);
    text[len] = '\0';
    unsigned char addr[16];
    return inet_pton(family, text, addr) == 1 ||
           (family == AF_INET && strcasecmp(text, "localhost") == 0);
}

int ct__http_host_ok(const char *head, size_t len)
{
    const char *p = head, *end = head + len;
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;
    const char *nl = memchr(p, '\n', (size_t)(end - p)); /* past the request line */
    int seen = 0;
    while (nl && (p = nl + 1) < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n < 5 || strncasecmp(p, "host:", 5) != 0)
            continue;
        const char *v = p + 5, *ve = p + n;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (seen++ || !host_value_ok(v, (size_t)(ve - v)))
            return 0; /* two Host fields are a bad request too */
    }
    return 1;
}

const char *ct__http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

size_t ct__http_response_head(char *buf, size_t size, int status, uint64_t length,
                              int attachment)
{
    int n = snprintf(buf, size,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "%s"
                     "%s"
                     "%s"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Content-Length: %llu\r\n"
                     "Connection: close\r\n"
                     "\r\n",
                     status, ct__http_reason(status),
                     attachment ? "application/octet-stream" : "text/plain; charset=utf-8",
                     attachment ? "Content-Disposition: attachment; filename=\"trace.out\"\r\n"
                                : "",
                     attachment == CT_HTTP_TRACE_CUT ? CT_HTTP_CUT_HEADER ": the capture "
                                                       "reached its size cap and ended early\r\n"
                                                     : "",
                     status == 405 ? "Allow: GET\r\n" : "", (unsigned long long)length);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
