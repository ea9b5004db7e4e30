/*
 * serve_http.h - the HTTP/1.x a live-capture server speaks: finding the end
 * of a request's head, judging it, and the head of a response. Pure
 * functions over bytes a client sent (untrusted), for serve.c and tests.
 */
#ifndef CT_PLUGIN_SERVE_HTTP_H
#define CT_PLUGIN_SERVE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define CT_HTTP_HEAD_MAX 8192 /* a request's head, bytes: 431 beyond */
#define CT_HTTP_PATH "/debug/pprof/trace"
#define CT_HTTP_SECONDS_DEFAULT 1
#define CT_HTTP_SECONDS_MAX 60

/* The length of the request head in buf[0..len) through the empty line that
 * ends it (CRLF or bare LF), or 0 when it has not all come yet. */
size_t ct__http_head_end(const char *buf, size_t len);

/* Judge the request head `head` (len bytes, as ct__http_head_end measured).
 * @return 200 with *capture_ns the capture asked for (?seconds=N, default 1,
 * up to 60, decimals allowed), or the error status (400, 404, 405, 505) with
 * *why saying what was wrong (a static string). */
int ct__http_judge(const char *head, size_t len, uint64_t *capture_ns, const char **why);

/* The request head's Host field names this machine whatever DNS says:
 * absent (HTTP/1.0), an IP literal or localhost, with or without a port.
 * A TCP listener answers 403 otherwise: a web page whose name was rebound
 * to 127.0.0.1 must not read traces. */
int ct__http_host_ok(const char *head, size_t len);

/* The reason phrase of `status` ("Not Found"). */
const char *ct__http_reason(int status);

/* A trace cut short at the capture's size cap: its response says so. */
#define CT_HTTP_TRACE_CUT 2
#define CT_HTTP_CUT_HEADER "X-Ctrace-Capture-Cut"

/* Write a response head into buf: the status line, Content-Type
 * (application/octet-stream with Content-Disposition: attachment;
 * filename="trace.out" when `attachment`, else text/plain; attachment
 * CT_HTTP_TRACE_CUT adds the CT_HTTP_CUT_HEADER field), Content-Length
 * and Connection: close. @return its length, or 0 when it does not fit. */
size_t ct__http_response_head(char *buf, size_t size, int status, uint64_t length,
                              int attachment);

#endif /* CT_PLUGIN_SERVE_HTTP_H */
