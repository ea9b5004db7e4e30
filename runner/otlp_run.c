/*
 * otlp_run.c - a run's trace context and its spans posted (otlp_run.h).
 */
#include "otlp_run.h"

#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* getenv, free, unsetenv */
#include <string.h> /* strdup, strlen */

#include <ctrace_reader.h>

#include "analysis/views/export_otlp.h" /* ctv_export_otlp */
#include "common/traceparent.h"         /* ct_traceparent_parse */

#include "cli.h"       /* rn_error, RN_EXIT_* */
#include "marker.h"    /* rn_escape_name */
#include "otlp_http.h" /* rn_otlp_http_* */

/* "ctest-trace: warning: NAME="VALUE" is not valid (WHY): ignored". */
static void warn_invalid(const char *name, const char *value, const char *why)
{
    char *shown = rn_escape_name(value, strlen(value));
    fprintf(stderr, "ctest-trace: warning: %s=\"%s\" is not valid (%s): ignored; the run's "
            "spans are not hung under it\n", name, shown ? shown : "?", why);
    free(shown);
}

int rn_trace_context_from_env(rn_trace_context *ctx, int unset)
{
    *ctx = (rn_trace_context){NULL, NULL};
    const char *tp = getenv("TRACEPARENT"), *ts = getenv("TRACESTATE"), *why = NULL;
    ct_traceparent parsed;
    if (tp == NULL)
        return 0;
    if (ct_traceparent_parse(tp, &parsed, &why) != 0) {
        warn_invalid("TRACEPARENT", tp, why);
        if (unset) {
            unsetenv("TRACEPARENT");
            unsetenv("TRACESTATE");
        }
        return 0;
    }
    if (ts != NULL && ct_tracestate_check(ts, &why) != 0) {
        char *shown = rn_escape_name(ts, strlen(ts));
        fprintf(stderr, "ctest-trace: warning: TRACESTATE=\"%s\" is not valid (%s): ignored\n",
                shown ? shown : "?", why);
        free(shown);
        if (unset)
            unsetenv("TRACESTATE");
        ts = NULL;
    }
    ctx->traceparent = strdup(tp);
    ctx->tracestate = ts ? strdup(ts) : NULL;
    if (!ctx->traceparent || (ts && !ctx->tracestate)) {
        rn_trace_context_free(ctx);
        rn_error("out of memory");
        return -1;
    }
    return 0;
}

int rn_trace_context_record(const rn_trace_context *ctx, ct_collector *c)
{
    if (!ctx->traceparent)
        return RN_EXIT_OK;
    int rc = ct_collector_set_context(c, ctx->traceparent, ctx->tracestate);
    return rc == 0 ? RN_EXIT_OK
                   : rn_error("cannot record TRACEPARENT in the trace: %s", ct_strerror(rc));
}

void rn_trace_context_free(rn_trace_context *ctx)
{
    free(ctx->traceparent);
    free(ctx->tracestate);
    *ctx = (rn_trace_context){NULL, NULL};
}

int rn_otlp_check_endpoint(const char *endpoint)
{
    char why[256];
    char *url = rn_otlp_url(endpoint, why, sizeof why);
    if (url != NULL) {
        free(url);
        return 0;
    }
    char *shown = rn_escape_name(endpoint, strlen(endpoint));
    rn_usage_error("invalid value \"%s\" for flag --otlp-endpoint: %s", shown ? shown : "?",
                   why);
    free(shown);
    return -1;
}

/* What the requests of one run share. */
typedef struct poster {
    rn_otlp_http *http;
    uint64_t posted;   /* spans the collector took */
    uint64_t refused;  /* spans it answered it refused (partialSuccess) */
    char why[1024];    /* why the last post failed */
    char refusal[1024]; /* the last refusal's errorMessage */
} poster;

/* One request. Spans the collector refused are not posted, and the run is
 * told (rn_otlp_post()), but the next requests still go. */
static int send_request(void *ctx, const char *body, size_t len, uint64_t spans)
{
    poster *p = ctx;
    uint64_t rejected;
    char message[sizeof p->why];
    if (rn_otlp_http_post(p->http, body, len, &rejected, message, sizeof message) != 0) {
        snprintf(p->why, sizeof p->why, "%s", message);
        return -1;
    }
    if (rejected > spans) /* a collector's mistake: no more than were sent */
        rejected = spans;
    if (rejected && message[0])
        snprintf(p->refusal, sizeof p->refusal, "%s", message);
    p->refused += rejected;
    p->posted += spans - rejected;
    return 0;
}

/* Post one trace's spans with the run's trace id (`trace_id`; set from the
 * first trace when `have_id` is 0). @return 0, or -1 (said). */
static int post_trace(poster *p, const char *path, uint8_t trace_id[16], int *have_id)
{
    ctr_reader *r = NULL;
    int rc = ctr_open(&r, path);
    if (rc != 0) {
        rn_error("--otlp-endpoint: cannot read the run's trace %s: %s", path, ct_strerror(rc));
        return -1;
    }
    if (!*have_id) {
        ctr_info info;
        ctr_get_info(r, &info);
        ctv_otlp_trace_id(&info, trace_id);
        *have_id = 1;
    }
    ctv_otlp_sink sink = {.batch_bytes = RN_OTLP_BATCH_BYTES, .send = send_request, .ctx = p,
                          .trace_id = trace_id, .err = stderr, .trace_path = path};
    ctv_otlp_result res;
    rc = ctv_export_otlp(r, &sink, &res);
    if (!res.stopped && rc == CT_EDAMAGED) /* what came before the damage went */
        fprintf(stderr, "ctest-trace: warning: --otlp-endpoint: the run's trace %s is "
                "damaged: %s: the spans after it were not posted\n", path, ctr_damage(r));
    else if (!res.stopped && rc != 0)
        rn_error("--otlp-endpoint: reading %s: %s", path, ct_strerror(rc));
    ctr_close(r);
    return res.stopped || (rc != 0 && rc != CT_EDAMAGED) ? -1 : 0;
}

int rn_otlp_post(const char *endpoint, char *const *traces, size_t n, int status)
{
    poster p = {.http = NULL, .posted = 0};
    p.http = rn_otlp_http_open(endpoint, p.why, sizeof p.why);
    int failed = p.http == NULL;
    uint8_t trace_id[16];
    int have_id = 0;
    for (size_t i = 0; i < n && !failed; i++) {
        p.why[0] = '\0';
        failed = post_trace(&p, traces[i], trace_id, &have_id) != 0;
    }
    const char *url = p.http ? rn_otlp_http_url(p.http) : endpoint;
    char *shown = rn_escape_name(url, strlen(url));
    if (failed && p.why[0])
        fprintf(stderr, "ctest-trace: --otlp-endpoint %s: cannot post the run's spans: %s "
                "(%llu spans were posted)\n", shown ? shown : "?", p.why,
                (unsigned long long)p.posted);
    if (p.refused) /* spans that went nowhere: not "ok" */
        fprintf(stderr, "ctest-trace: --otlp-endpoint %s: the collector refused %llu of the "
                "run's spans%s%s (%llu spans were posted)\n", shown ? shown : "?",
                (unsigned long long)p.refused, p.refusal[0] ? ": " : "", p.refusal,
                (unsigned long long)p.posted);
    free(shown);
    rn_otlp_http_close(p.http);
    failed = failed || p.refused;
    return failed && (status == RN_EXIT_OK || status == 77) ? RN_EXIT_USAGE : status;
}
