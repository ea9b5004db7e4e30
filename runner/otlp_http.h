/*
 * otlp_http.h - OTLP/HTTP requests with libcurl (--otlp-endpoint): POSTs of
 * OTLP/JSON to a collector, as OpenTelemetry's SDKs send them.
 *
 * The endpoint is taken as OTel SDKs take OTEL_EXPORTER_OTLP_ENDPOINT: a URL
 * with no path (or "/") gets "/v1/traces"; one with a path is used as it
 * is. Headers from OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_EXPORTER_OTLP_TRACES_HEADERS ("key=value,key2=value2", values
 * percent-decoded; a key in both is sent once, with the TRACES value, as
 * the OTel spec has it) go with each request (an API key, an auth token).
 * Each request is bounded in time: RN_OTLP_TIMEOUT_MS to connect and send
 * it; one the collector answers 429, 502, 503 or 504 (busy, restarting) is
 * sent again, twice at most, after 1 s and 2 s.
 */
#ifndef RN_OTLP_HTTP_H
#define RN_OTLP_HTTP_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#define RN_OTLP_TIMEOUT_MS 10000

typedef struct rn_otlp_http rn_otlp_http;

/*! rn_otlp_url() : the URL requests of `endpoint` go to (malloc'd), or
 *  NULL with `why` saying what is wrong with it (not http:// or https://,
 *  no host, not a URL). */
char *rn_otlp_url(const char *endpoint, char *why, size_t why_size);

/*! rn_otlp_http_open() : ready to post to rn_otlp_url(endpoint), with the
 *  headers of the environment (one that cannot be sent is warned about and
 *  left out). @return it, or NULL with `why`. */
rn_otlp_http *rn_otlp_http_open(const char *endpoint, char *why, size_t why_size);

/*! rn_otlp_http_post() : POST `body` (OTLP/JSON) and wait for the answer.
 *  @return 0 when the collector answered 2xx, with *rejected the spans its
 *  answer's partialSuccess says it refused (rejectedSpans; 0 when none or
 *  not JSON) and `why` its errorMessage (escaped; "" if none); else -1 with
 *  `why` (the connection's error, or the HTTP status and the start of its
 *  body). */
int rn_otlp_http_post(rn_otlp_http *h, const char *body, size_t len, uint64_t *rejected,
                      char *why, size_t why_size);

/*! rn_otlp_http_url() : where h posts. */
const char *rn_otlp_http_url(const rn_otlp_http *h);

void rn_otlp_http_close(rn_otlp_http *h);

#endif /* RN_OTLP_HTTP_H */
