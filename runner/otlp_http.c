/*
 * otlp_http.c - OTLP/HTTP requests with libcurl (otlp_http.h), opened on first
 * use (curl_lazy.h).
 */
#include "otlp_http.h"

#include <ctype.h>  /* isxdigit */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* getenv, free, strtol */
#include <string.h> /* strcmp, strlen, strchr */
#include <strings.h> /* strcasecmp */
#include <unistd.h> /* sleep */

#include <jansson.h>

#include "cli.h"    /* rn_error, CT_VERSION */
#include "curl_lazy.h" /* rn_curl_load */
#include "marker.h" /* rn_escape_name */

#define ANSWER_KEPT 65536 /* bytes of a collector's answer read (partialSuccess) */
#define ANSWER_SHOWN 512  /* of them, in a message */

static const rn_curl *cu; /* libcurl, once loaded */

struct rn_otlp_http {
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    char error[CURL_ERROR_SIZE];
    char answer[ANSWER_KEPT + 1]; /* the start of the last answer's body */
    size_t answer_len;
};

char *rn_otlp_url(const char *endpoint, char *why, size_t why_size)
{
    if (!cu && !(cu = rn_curl_load(why, why_size)))
        return NULL;
    CURLU *u = cu->url();
    char *scheme = NULL, *host = NULL, *path = NULL, *url = NULL;
    CURLUcode rc = u ? cu->url_set(u, CURLUPART_URL, endpoint, 0) : CURLUE_OUT_OF_MEMORY;
    if (rc == CURLUE_OK)
        rc = cu->url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (rc == CURLUE_OK && strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        snprintf(why, why_size, "not an http:// or https:// URL");
        goto out;
    }
    if (rc == CURLUE_OK)
        rc = cu->url_get(u, CURLUPART_HOST, &host, 0);
    if (rc == CURLUE_OK && cu->url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
        (path[0] == '\0' || strcmp(path, "/") == 0)) /* a base endpoint, as OTel SDKs take it */
        rc = cu->url_set(u, CURLUPART_PATH, "/v1/traces", 0);
    if (rc == CURLUE_OK)
        rc = cu->url_get(u, CURLUPART_URL, &url, 0);
    if (rc != CURLUE_OK)
        snprintf(why, why_size, "not a URL like http://HOST:PORT (%s)", cu->url_strerror(rc));
out:
    cu->free(scheme);
    cu->free(host);
    cu->free(path);
    cu->url_cleanup(u);
    if (url == NULL)
        return NULL;
    char *copy = strdup(url); /* the caller frees it with free() */
    cu->free(url);
    if (copy == NULL)
        snprintf(why, why_size, "out of memory");
    return copy;
}

/* %XX sequences of `s` decoded in place (W3C Baggage values, as the OTel
 * spec has OTEL_EXPORTER_OTLP_HEADERS). */
static void percent_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(hex, NULL, 16);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static char *trimmed(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Whether the list "key=value,..." has `key` (as HTTP compares them: case
 * aside, blanks around it aside). */
static int list_has_key(const char *list, const char *key)
{
    size_t n = strlen(key);
    for (const char *item = list; item;) {
        item += strspn(item, " \t");
        if (strncasecmp(item, key, n) == 0 && item[n + strspn(item + n, " \t")] == '=')
            return 1;
        const char *comma = strchr(item, ',');
        item = comma ? comma + 1 : NULL;
    }
    return 0;
}

/* "key=value,..." of the variable `name` as headers of h, but for keys that
 * the variable `overridden_by` has (the OTel spec: the signal's own
 * variable wins). One that cannot be a header (no '=', an empty key, a byte
 * a header cannot hold) is warned about and left out.
 * @return 0, or -1 out of memory. */
static int env_headers(rn_otlp_http *h, const char *name, const char *overridden_by)
{
    const char *value = getenv(name);
    const char *override = overridden_by ? getenv(overridden_by) : NULL;
    char *list = value ? strdup(value) : NULL;
    if (value && !list)
        return -1;
    int rc = 0;
    char *save = NULL;
    for (char *item = list ? strtok_r(list, ",", &save) : NULL; item && rc == 0;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (eq)
            *eq = '\0';
        char *key = trimmed(item), *val = eq ? trimmed(eq + 1) : NULL;
        if (val)
            percent_decode(val);
        int bad = !val || !*key || strcasecmp(key, "Content-Type") == 0;
        for (const char *c = key; !bad && *c; c++)
            bad = *c <= ' ' || *c >= 0x7f || *c == ':';
        for (const char *c = val; !bad && *c; c++)
            bad = (*c < ' ' && *c != '\t') || *c == 0x7f;
        if (bad) {
            char *shown = rn_escape_name(key, strlen(key));
            fprintf(stderr, "ctest-trace: warning: %s: header \"%s\" left out: not "
                    "key=value, or not a header HTTP can send\n", name, shown ? shown : "?");
            free(shown);
            continue;
        }
        if (override && list_has_key(override, key))
            continue;
        char *line = NULL;
        struct curl_slist *more = NULL;
        if (asprintf(&line, "%s: %s", key, val) < 0 ||
            (more = cu->slist_append(h->headers, line)) == NULL)
            rc = -1;
        else
            h->headers = more;
        free(line);
    }
    free(list);
    return rc;
}

static size_t keep_answer(char *data, size_t size, size_t n, void *ctx)
{
    rn_otlp_http *h = ctx;
    size_t len = size * n, room = ANSWER_KEPT - h->answer_len;
    size_t take = len < room ? len : room;
    memcpy(h->answer + h->answer_len, data, take);
    h->answer_len += take;
    h->answer[h->answer_len] = '\0';
    return len;
}

rn_otlp_http *rn_otlp_http_open(const char *endpoint, char *why, size_t why_size)
{
    static int initialised;
    if (!cu && !(cu = rn_curl_load(why, why_size)))
        return NULL;
    if (!initialised && cu->global_init(CURL_GLOBAL_DEFAULT) != 0) {
        snprintf(why, why_size, "libcurl could not start");
        return NULL;
    }
    initialised = 1;
    rn_otlp_http *h = calloc(1, sizeof *h);
    if (!h || !(h->url = rn_otlp_url(endpoint, why, why_size))) {
        free(h);
        return NULL;
    }
    h->curl = cu->easy_init();
    /* No "Expect: 100-continue" (curl's for bodies past 1 MiB): a collector
     * that does not answer it would cost each request a second. */
    struct curl_slist *ct = cu->slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *expect = ct ? cu->slist_append(ct, "Expect:") : NULL;
    h->headers = ct;
    if (!h->curl || !ct || !expect ||
        env_headers(h, "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS") != 0 ||
        env_headers(h, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", NULL) != 0) {
        snprintf(why, why_size, "out of memory");
        rn_otlp_http_close(h);
        return NULL;
    }
    CURL *c = h->curl;
    cu->easy_setopt(c, CURLOPT_URL, h->url);
    cu->easy_setopt(c, CURLOPT_POST, 1L);
    cu->easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    cu->easy_setopt(c, CURLOPT_USERAGENT, "ctest-trace/" CT_VERSION);
    cu->easy_setopt(c, CURLOPT_ERRORBUFFER, h->error);
    cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)RN_OTLP_TIMEOUT_MS);
    cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)RN_OTLP_TIMEOUT_MS);
    cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for name lookups */
    cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
    cu->easy_setopt(c, CURLOPT_WRITEDATA, h);
    cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    return h;
}

/* The answer's start, for a message: escaped, on one line. */
static void say_answer(const rn_otlp_http *h, char *out, size_t out_size)
{
    size_t len = h->answer_len < ANSWER_SHOWN ? h->answer_len : ANSWER_SHOWN;
    char *shown = len ? rn_escape_name(h->answer, len) : NULL;
    if (shown)
        snprintf(out, out_size, ": %s", shown);
    else
        out[0] = '\0';
    free(shown);
}

/* The spans a 2xx answer says were refused: its partialSuccess's
 * rejectedSpans (an int64: a decimal string in proto3's JSON, or a number),
 * with its errorMessage (escaped, cut) in `why`. An answer that is not
 * JSON (or no partialSuccess) took everything: 0. */
static uint64_t rejected_spans(const rn_otlp_http *h, char *why, size_t why_size)
{
    json_t *doc = json_loadb(h->answer, h->answer_len, 0, NULL);
    json_t *partial = json_object_get(doc, "partialSuccess");
    json_t *count = json_object_get(partial, "rejectedSpans");
    json_t *message = json_object_get(partial, "errorMessage");
    uint64_t n = 0;
    if (json_is_integer(count) && json_integer_value(count) > 0) {
        n = (uint64_t)json_integer_value(count);
    } else if (json_is_string(count)) {
        const char *digits = json_string_value(count);
        char *end = NULL;
        unsigned long long v = strtoull(digits, &end, 10);
        n = digits[0] >= '0' && digits[0] <= '9' && *end == '\0' ? v : 0;
    }
    why[0] = '\0';
    if (n && json_is_string(message) && json_string_length(message)) {
        size_t len = json_string_length(message);
        char *shown = rn_escape_name(json_string_value(message),
                                     len < ANSWER_SHOWN ? len : ANSWER_SHOWN);
        snprintf(why, why_size, "%s", shown ? shown : "?");
        free(shown);
    }
    json_decref(doc);
    return n;
}

int rn_otlp_http_post(rn_otlp_http *h, const char *body, size_t len, uint64_t *rejected,
                      char *why, size_t why_size)
{
    *rejected = 0;
    cu->easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
    cu->easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    long code = 0;
    char answer[ANSWER_SHOWN * 4 + 8];
    for (unsigned attempt = 0;; attempt++) {
        h->error[0] = '\0';
        h->answer_len = 0;
        CURLcode rc = cu->easy_perform(h->curl);
        if (rc != CURLE_OK) {
            snprintf(why, why_size, "%s", h->error[0] ? h->error : cu->easy_strerror(rc));
            return -1;
        }
        cu->easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
        int busy = code == 429 || code == 502 || code == 503 || code == 504;
        if (!busy || attempt == 2)
            break;
        sleep(attempt + 1); /* as OTLP asks: again, after a while */
    }
    if (code < 200 || code > 299) {
        say_answer(h, answer, sizeof answer);
        snprintf(why, why_size, "HTTP %ld%s", code, answer);
        return -1;
    }
    *rejected = rejected_spans(h, why, why_size);
    return 0;
}

const char *rn_otlp_http_url(const rn_otlp_http *h)
{
    return h->url;
}

void rn_otlp_http_close(rn_otlp_http *h)
{
    if (!h)
        return;
    if (h->curl)
        cu->easy_cleanup(h->curl);
    cu->slist_free_all(h->headers);
    free(h->url);
    free(h);
}
