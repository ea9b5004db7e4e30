/*
 * test_serve_http.c - a live capture's request judge and address parser
 * (plugin/serve_http.h, plugin/serve_addr.h): what starts a capture, every
 * way a request is refused and with which status, bytes a client sends in
 * pieces, and which addresses are served without public:.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>  /* ntohs */
#include <netinet/in.h> /* sockaddr_in */
#include <stdio.h>      /* snprintf */
#include <string.h>     /* strlen, strstr */
#include <sys/un.h>     /* sockaddr_un */

#include <ctrace.h>

#include "plugin/serve_addr.h"
#include "plugin/serve_http.h"

/* Judge `head` whole; *ns set on 200. */
static int judge(const char *head, uint64_t *ns, const char **why)
{
    size_t len = strlen(head);
    assert_int_equal(ct__http_head_end(head, len), len); /* every case is one whole head */
    *ns = 0;
    *why = NULL;
    return ct__http_judge(head, len, ns, why);
}

static void test_captures_what_go_tool_trace_asks(void **state)
{
    (void)state;
    static const struct { const char *head; uint64_t ns; } ok[] = {
        {"GET /debug/pprof/trace HTTP/1.1\r\nHost: x\r\n\r\n", 1000000000u},
        {"GET /debug/pprof/trace?seconds=2 HTTP/1.1\r\nHost: x\r\n\r\n", 2000000000u},
        {"GET /debug/pprof/trace?seconds=60 HTTP/1.0\r\n\r\n", 60000000000u},
        {"GET /debug/pprof/trace?seconds=0.5 HTTP/1.1\n\n", 500000000u},
        {"GET /debug/pprof/trace?seconds=.25 HTTP/1.1\r\n\r\n", 250000000u},
        {"GET /debug/pprof/trace?seconds=0.000000001 HTTP/1.1\r\n\r\n", 1u},
        {"GET /debug/pprof/trace?debug=1&seconds=3&seconds=9 HTTP/1.1\r\n\r\n", 3000000000u},
        {"GET /debug/pprof/trace?seconds= HTTP/1.1\r\n\r\n", 1000000000u},
        {"\r\nGET /debug/pprof/trace?x HTTP/1.1\r\nUser-Agent: curl/7.88.1\r\n"
         "Accept: */*\r\n\r\n", 1000000000u},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t ns;
        const char *why;
        assert_int_equal(judge(ok[i].head, &ns, &why), 200);
        assert_true(ns == ok[i].ns);
    }
}

static void test_refuses_with_the_status_that_says_why(void **state)
{
    (void)state;
    static const struct { const char *head; int status; const char *why; } bad[] = {
        {"GET /debug/pprof/ HTTP/1.1\r\n\r\n", 404, "not found"},
        {"GET /debug/pprof/trace/ HTTP/1.1\r\n\r\n", 404, "not found"},
        {"GET / HTTP/1.1\r\n\r\n", 404, "not found"},
        {"GET /debug/pprof/profile?seconds=1 HTTP/1.1\r\n\r\n", 404, "not found"},
        {"GET http://x/debug/pprof/trace HTTP/1.1\r\n\r\n", 404, "not found"},
        {"POST /debug/pprof/trace HTTP/1.1\r\n\r\n", 405, "method"},
        {"HEAD /debug/pprof/trace HTTP/1.1\r\n\r\n", 405, "method"},
        {"get /debug/pprof/trace HTTP/1.1\r\n\r\n", 405, "method"},
        {"GET /debug/pprof/trace?seconds=0 HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=61 HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=60.5 HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=-1 HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=abc HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=1e3 HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=. HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=99999999999999999999 HTTP/1.1\r\n\r\n", 400,
         "seconds"},
        {"GET /debug/pprof/trace?seconds=0.0000000001 HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace?seconds=%32 HTTP/1.1\r\n\r\n", 400, "seconds"},
        {"GET /debug/pprof/trace HTTP/2.0\r\n\r\n", 505, "HTTP/1.0"},
        {"GET /debug/pprof/trace HTTP/1.10\r\n\r\n", 505, "HTTP/1.0"},
        {"GET /debug/pprof/trace\r\n\r\n", 400, "request line"},
        {"GET  /debug/pprof/trace HTTP/1.1\r\n\r\n", 400, "request line"},
        {"GET /debug/pprof/trace HTTP/1.1 x\r\n\r\n", 400, "request line"},
        {"\x16\x03\x01\x02\x01\x01\n\n", 400, "request line"}, /* TLS to a plain port */
        {"GET /debug/pprof/\x7ftrace HTTP/1.1\r\n\r\n", 400, "printable"},
        {"GET /debug/pprof/trace HTTP/1.1\r\nno colon here\r\n\r\n", 400, "header"},
        {"GET /debug/pprof/trace HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400, "header"},
        {"GET /debug/pprof/trace HTTP/1.1\r\n: empty name\r\n\r\n", 400, "header"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ns;
        const char *why;
        int status = judge(bad[i].head, &ns, &why);
        if (status != bad[i].status || !why || !strstr(why, bad[i].why))
            fail_msg("case %zu: %d (%s), wanted %d (%s)", i, status, why ? why : "-",
                     bad[i].status, bad[i].why);
    }
}

/* A head comes in pieces: it ends at its empty line, not before. */
static void test_head_ends_at_its_empty_line(void **state)
{
    (void)state;
    static const char head[] = "GET /debug/pprof/trace HTTP/1.1\r\nHost: x\r\n\r\nEXTRA";
    size_t whole = strlen(head) - strlen("EXTRA");
    for (size_t n = 0; n < whole; n++)
        assert_int_equal(ct__http_head_end(head, n), 0);
    assert_int_equal(ct__http_head_end(head, whole), whole);
    assert_int_equal(ct__http_head_end(head, strlen(head)), whole);
    assert_int_equal(ct__http_head_end("\r\n\r\n", 4), 0); /* empty lines alone: not yet */
    assert_int_equal(ct__http_head_end("A\n\n", 3), 3);
    assert_int_equal(ct__http_head_end("A\n\r", 3), 0);
}

static void test_response_heads(void **state)
{
    (void)state;
    char buf[512];
    size_t n = ct__http_response_head(buf, sizeof buf, 200, 12345, 1);
    assert_true(n > 0 && n == strlen(buf));
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(buf, "Content-Type: application/octet-stream\r\n"));
    assert_non_null(strstr(buf, "Content-Disposition: attachment; filename=\"trace.out\"\r\n"));
    assert_non_null(strstr(buf, "Content-Length: 12345\r\n"));
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_string_equal(buf + n - 4, "\r\n\r\n");
    n = ct__http_response_head(buf, sizeof buf, 405, 3, 0);
    assert_non_null(strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strstr(buf, "Allow: GET\r\n"));
    assert_non_null(strstr(buf, "Content-Type: text/plain; charset=utf-8\r\n"));
    assert_null(strstr(buf, "Content-Disposition"));
    assert_int_equal(ct__http_response_head(buf, 40, 200, 1, 1), 0); /* does not fit */
    assert_null(strstr(buf, CT_HTTP_CUT_HEADER));
    n = ct__http_response_head(buf, sizeof buf, 200, 7, CT_HTTP_TRACE_CUT);
    assert_non_null(strstr(buf, "Content-Disposition: attachment"));
    assert_non_null(strstr(buf, CT_HTTP_CUT_HEADER ": "));
}

static int host_ok(const char *host_lines)
{
    char head[512];
    snprintf(head, sizeof head, "GET /debug/pprof/trace HTTP/1.1\r\n%s\r\n", host_lines);
    return ct__http_host_ok(head, strlen(head));
}

/* DNS rebinding: a name that resolves to 127.0.0.1 today is not served. */
static void test_host_names_this_machine_or_is_refused(void **state)
{
    (void)state;
    static const char *const good[] = {
        "",                       /* HTTP/1.0: no Host */
        "Host: localhost\r\n",   "host:LocalHost:6060\r\n", "Host: 127.0.0.1:80\r\n",
        "Host: 10.1.2.3\r\n",     "Host: [::1]:6060\r\n",    "HOST: [::1]\r\n",
        "Host:\t127.0.0.1 \r\n", "X-Host: evil.example\r\n",
    };
    static const char *const bad[] = {
        "Host: evil.example\r\n",           "Host: evil.example:6060\r\n",
        "Host: localhost.evil.example\r\n", "Host: 127.0.0.1.evil.example\r\n",
        "Host: \r\n",                       "Host: localhost:\r\n",
        "Host: localhost:123456\r\n",       "Host: localhost:80x\r\n",
        "Host: [::1\r\n",                   "Host: [evil]:80\r\n",
        "Host: [::1]x\r\n",                 "Host: 1.2.3\r\n",
        "Host: localhost\r\nHost: evil.example\r\n",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!host_ok(good[i]))
            fail_msg("refused: %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (host_ok(bad[i]))
            fail_msg("served: %s", bad[i]);
}

static void test_addresses_served_without_public(void **state)
{
    (void)state;
    static const struct { const char *text, *formatted; } ok[] = {
        {"127.0.0.1:6060", "127.0.0.1:6060"}, {"127.1.2.3:0", "127.1.2.3:0"},
        {"localhost:80", "127.0.0.1:80"},     {"[::1]:65535", "[::1]:65535"},
        {"unix:/tmp/x.sock", "unix:/tmp/x.sock"}, {"unix:rel.sock", "unix:rel.sock"},
        {"public:0.0.0.0:6060", "0.0.0.0:6060"},  {"public:[::]:1", "[::]:1"},
        {"public:10.1.2.3:0", "10.1.2.3:0"},      {"public:127.0.0.1:7", "127.0.0.1:7"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ct_serve_addr a;
        const char *why = NULL;
        char buf[160];
        if (ct__serve_addr_parse(ok[i].text, &a, &why) != 0)
            fail_msg("%s: %s", ok[i].text, why);
        ct__serve_addr_format((struct sockaddr *)&a.sa, a.len, buf, sizeof buf);
        assert_string_equal(buf, ok[i].formatted);
    }
}

static void test_addresses_refused(void **state)
{
    (void)state;
    char long_path[200] = "unix:/";
    memset(long_path + 6, 'a', 120);
    static const struct { const char *text, *why; } bad[] = {
        {"0.0.0.0:6060", "not a loopback"}, {"10.0.0.1:80", "not a loopback"},
        {"[::]:6060", "not a loopback"},    {"[::ffff:127.0.0.1]:1", "not a loopback"},
        {":6060", "no host"},               {"127.0.0.1", "no port"},
        {"127.0.0.1:", "port"},             {"127.0.0.1:65536", "port"},
        {"127.0.0.1:-1", "port"},           {"127.0.0.1:6060x", "port"},
        {"127.0.0.1:000000", "port"},       {"example.com:80", "not an IP address"},
        {"[::1:80", "[ADDR]:PORT"},         {"[::1]80", "[ADDR]:PORT"},
        {"::1:80", "[ADDR]:PORT"}     ,    {"unix:", "needs a path"},
        {"public:", "no port"},             {"public:example.com:1", "not an IP address"},
        {"", "no port"},                    {NULL, "no address"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ct_serve_addr a;
        const char *why = NULL;
        int rc = ct__serve_addr_parse(bad[i].text, &a, &why);
        if (rc != CT_EINVAL || !why || !strstr(why, bad[i].why))
            fail_msg("%s: %d (%s), wanted %s", bad[i].text ? bad[i].text : "NULL", rc,
                     why ? why : "-", bad[i].why);
    }
    ct_serve_addr a;
    const char *why = NULL;
    assert_int_equal(ct__serve_addr_parse(long_path, &a, &why), CT_EINVAL);
    assert_non_null(strstr(why, "longer than"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captures_what_go_tool_trace_asks),
        cmocka_unit_test(test_refuses_with_the_status_that_says_why),
        cmocka_unit_test(test_head_ends_at_its_empty_line),
        cmocka_unit_test(test_response_heads),
        cmocka_unit_test(test_host_names_this_machine_or_is_refused),
        cmocka_unit_test(test_addresses_served_without_public),
        cmocka_unit_test(test_addresses_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
