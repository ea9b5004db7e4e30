/*
 * regions.c - `ctest-trace regions`: latency distribution per region name.
 *
 * One pass over the events; per distinct name a histogram (name_hist.h), so
 * memory follows the number of names, never the number of events. Regions
 * the trace had to close (CTR_F_UNENDED) have no real duration: they are
 * counted apart, not mixed into the distribution.
 */
#include <stdlib.h> /* free */

#include "common/human.h"
#include "json.h"
#include "name_hist.h"
#include "view_io.h"
#include "views.h"

static void write_json(const ctv_name_hists *t, const uint32_t *order, FILE *out)
{
    ctv_json j;
    ctv_json_init(&j, out);
    ctv_json_object_begin(&j);
    ctv_json_key(&j, "regions");
    ctv_json_array_lines_begin(&j);
    for (uint32_t k = 0; k < t->names.count; k++) {
        const ctv_name *name = &t->names.names[order[k]];
        const ctv_name_stats *s = &t->stats[order[k]];
        const ctv_hist *h = &s->hist;
        ctv_json_object_begin(&j);
        ctv_json_kv_str(&j, "name", name->bytes, name->len);
        ctv_json_kv_u64(&j, "count", h->count);
        ctv_json_kv_u64(&j, "total_ns", h->total);
        if (h->count == 0) { /* only unended instances: no latency to give */
            static const char *const keys[] = {"min_ns", "p50_ns", "p95_ns",
                                               "p99_ns", "max_ns"};
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                ctv_json_kv_null(&j, keys[i]);
        } else {
            ctv_json_kv_u64(&j, "min_ns", h->min);
            ctv_json_kv_u64(&j, "p50_ns", ctv_hist_quantile(h, 0.50));
            ctv_json_kv_u64(&j, "p95_ns", ctv_hist_quantile(h, 0.95));
            ctv_json_kv_u64(&j, "p99_ns", ctv_hist_quantile(h, 0.99));
            ctv_json_kv_u64(&j, "max_ns", h->max);
        }
        ctv_json_kv_u64(&j, "unended", s->unended);
        ctv_json_object_end(&j);
    }
    ctv_json_array_end(&j);
    ctv_json_object_end(&j);
    fputc('\n', out);
}

static void print_cell(FILE *out, const ctv_hist *h, uint64_t v)
{
    char buf[CTV_HUMAN_BUF];
    fprintf(out, " %10s", h->count ? ctv_format_duration(buf, v) : "-");
}

static void write_table(const ctv_name_hists *t, const uint32_t *order, FILE *out)
{
    if (t->names.count == 0) {
        fprintf(out, "no regions in this trace\n");
        return;
    }
    fprintf(out, "%10s %10s %10s %10s %10s %10s %10s %8s  %s\n", "count", "total",
            "min", "p50", "p95", "p99", "max", "unended", "region");
    for (uint32_t k = 0; k < t->names.count; k++) {
        const ctv_name *name = &t->names.names[order[k]];
        const ctv_name_stats *s = &t->stats[order[k]];
        const ctv_hist *h = &s->hist;
        char buf[CTV_HUMAN_BUF];
        fprintf(out, "%10llu %10s", (unsigned long long)h->count,
                ctv_format_duration(buf, h->total));
        print_cell(out, h, h->min);
        print_cell(out, h, ctv_hist_quantile(h, 0.50));
        print_cell(out, h, ctv_hist_quantile(h, 0.95));
        print_cell(out, h, ctv_hist_quantile(h, 0.99));
        print_cell(out, h, h->max);
        fprintf(out, " %8llu  ", (unsigned long long)s->unended);
        ctv_print_text(out, name->bytes, name->len);
        fputc('\n', out);
    }
}

/* Spans in a call: a few pages, kept in L1 while counted. */
#define SPAN_BATCH 128

/* Count every region of r into t. @return how reading ended (0,
 * CT_EDAMAGED, CT_ENOMEM: ctv_end_status()); CT_ENOMEM too if counting ran
 * out of memory. */
static int count_regions(ctr_reader *r, ctv_name_hists *t)
{
    ctr_span spans[SPAN_BATCH];
    size_t n;
    int rc;
    while ((rc = ctr_next_spans(r, spans, SPAN_BATCH, &n)) == 1) {
        for (size_t i = 0; i < n; i++) {
            const ctr_span *s = &spans[i];
            if (ctv_name_hists_add(t, s->name, s->name_len,
                                   s->end_ns >= s->begin_ns ? s->end_ns - s->begin_ns : 0,
                                   (s->flags & CTR_F_UNENDED) != 0) != 0)
                return CT_ENOMEM;
        }
    }
    return rc;
}

int ctv_regions(const char *trace_path, int json, FILE *out, FILE *err)
{
    ctr_reader *r;
    if (ctv_open_trace(trace_path, err, &r) != 0)
        return CTV_EXIT_FAILED;

    ctv_name_hists t;
    ctv_name_hists_init(&t);
    int rc = count_regions(r, &t);
    int status = ctv_end_status(r, rc, trace_path, err);
    if (status != CTV_EXIT_FAILED) {
        uint32_t *order = ctv_name_hists_order(&t);
        if (!order) {
            status = ctv_fail(trace_path, CT_ENOMEM, err);
        } else {
            if (json)
                write_json(&t, order, out);
            else
                write_table(&t, order, out);
            free(order);
            status = ctv_finish_output(out, "output", err, status);
        }
    }

    ctv_name_hists_free(&t);
    ctr_close(r);
    return status;
}
