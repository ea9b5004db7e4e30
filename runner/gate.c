/*
 * gate.c - compare a run's metrics with a baseline's, and say it (gate.h).
 */
#include "gate.h"

#include <math.h>   /* isinf */
#include <stdlib.h> /* malloc, free, qsort */
#include <string.h> /* strcmp, strlen */

#include "cli.h"          /* rn_usage_error */
#include "common/human.h" /* ctv_format_duration */
#include "marker.h"       /* rn_escape_name */

/* A flag's number: the whole value (a '%' may end --max-regression's). */
static int parse_number(const char *s, int percent_ok, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    if (percent_ok && *end == '%')
        end++;
    if (*end != '\0' || v != v)
        return -1;
    *out = v;
    return 0;
}

int rn_gate_parse_flags(const char *max_regression, const char *alpha, double *max_pct,
                        double *alpha_out)
{
    *max_pct = RN_GATE_MAX_REGRESSION;
    *alpha_out = RN_GATE_ALPHA;
    if (max_regression != NULL &&
        (parse_number(max_regression, 1, max_pct) != 0 || *max_pct < 0 || isinf(*max_pct)))
        return rn_usage_error("invalid value \"%s\" for flag --max-regression: want a "
                              "percentage >= 0 (10, 10%%, 2.5%%)", max_regression);
    if (alpha != NULL && (parse_number(alpha, 0, alpha_out) != 0 || *alpha_out <= 0 ||
                          *alpha_out >= 1))
        return rn_usage_error("invalid value \"%s\" for flag --alpha: want a probability "
                              "between 0 and 1 (0.05)", alpha);
    return 0;
}

static int judged_kind(rn_metric_kind kind)
{
    return kind != RN_METRIC_SCHED;
}

/* The rows of samples sorted in place need copies: the baselines stay as
 * they are (the run's is written afterwards). */
static double *copy_samples(const rn_metric *m)
{
    double *c = malloc((m->n ? m->n : 1) * sizeof *c);
    if (c != NULL && m->n)
        memcpy(c, m->samples, m->n * sizeof *c);
    return c;
}

static int rank(const rn_gate_row *r)
{
    if (!r->judged)
        return 5;
    switch (r->r.verdict) {
    case CT_GATE_REGRESSED: return 0;
    case CT_GATE_SLOWER: return 1;
    case CT_GATE_FASTER: return 2;
    case CT_GATE_TOO_FEW: return 3;
    default: return 4;
    }
}

static int by_rank(const void *pa, const void *pb)
{
    const rn_gate_row *a = pa, *b = pb;
    int ra = rank(a), rb = rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra <= 2 && a->r.delta_pct != b->r.delta_pct) /* biggest changes first */
        return fabs(a->r.delta_pct) > fabs(b->r.delta_pct) ? -1 : 1;
    return a->new_ < b->new_ ? -1 : a->new_ > b->new_; /* the run's order */
}

int rn_gate_compare(rn_gate *g, const rn_baseline *old, const rn_baseline *new_,
                    const char *binary, double alpha, double max_regression_pct)
{
    *g = (rn_gate){.alpha = alpha, .max_regression_pct = max_regression_pct};
    g->rows = malloc((new_->nmetrics ? new_->nmetrics : 1) * sizeof *g->rows);
    if (g->rows == NULL)
        return -1;
    int rc = 0;
    size_t matched = 0;
    for (size_t i = 0; i < new_->nmetrics; i++) {
        const rn_metric *m = &new_->metrics[i];
        if (binary && strcmp(m->binary, binary) != 0)
            continue;
        const rn_metric *o = rn_baseline_find(old, m);
        if (o == NULL) { /* not in the baseline */
            g->only_new++;
            continue;
        }
        double *a = copy_samples(o), *b = copy_samples(m);
        if (a == NULL || b == NULL) {
            free(a);
            free(b);
            rc = -1;
            break;
        }
        rn_gate_row *row = &g->rows[g->n++];
        *row = (rn_gate_row){.old = o, .new_ = m, .judged = judged_kind(m->kind)};
        int often_zero = m->kind == RN_METRIC_SYNC || m->kind == RN_METRIC_SYSCALL ||
                         m->kind == RN_METRIC_NET;
        ct_gate_compare_floor(a, o->n, b, m->n, alpha, max_regression_pct,
                              often_zero ? RN_GATE_BLOCK_FLOOR_NS : 0, &row->r);
        free(a);
        free(b);
        matched++;
        g->regressions += row->judged && row->r.verdict == CT_GATE_REGRESSED;
        g->too_few += row->judged && row->r.verdict == CT_GATE_TOO_FEW;
    }
    size_t old_in_scope = 0;
    for (size_t i = 0; i < old->nmetrics; i++)
        old_in_scope += !binary || strcmp(old->metrics[i].binary, binary) == 0;
    g->only_old = old_in_scope - matched;
    if (rc != 0) {
        rn_gate_free(g);
        return -1;
    }
    qsort(g->rows, g->n, sizeof *g->rows, by_rank);
    return 0;
}

void rn_gate_free(rn_gate *g)
{
    free(g->rows);
    memset(g, 0, sizeof *g);
}

/* ---- text ----------------------------------------------------------------- */

/* "1.02ms ± 2%": a median and its interval's half-width in % (benchstat's
 * "± ∞" when there are too few samples for an interval). */
static void put_summary(char *out, size_t size, const ct_gate_summary *s)
{
    char d[CTV_HUMAN_BUF];
    ctv_format_duration(d, s->median > 0 ? (uint64_t)(s->median + 0.5) : 0);
    if (!s->ci_ok) {
        snprintf(out, size, "%s ± ∞", d);
        return;
    }
    double up = s->hi - s->median, down = s->median - s->lo;
    double half = up > down ? up : down;
    if (s->median <= 0)
        snprintf(out, size, "%s ± 0%%", d);
    else
        snprintf(out, size, "%s ± %.0f%%", d, half / s->median * 100);
}

/* p as benchstat prints it (3 decimals), with more when 3 would round it
 * across alpha: "p=0.050" must not read as significant or not at random. */
static const char *p_text(char buf[32], double p, double alpha)
{
    snprintf(buf, 32, "%.3f", p);
    if ((p < alpha) != (strtod(buf, NULL) < alpha))
        snprintf(buf, 32, "%.3g", p);
    if ((p < alpha) != (strtod(buf, NULL) < alpha))
        snprintf(buf, 32, "%.6g", p);
    return buf;
}

static void put_delta(char *out, size_t size, const rn_gate *g, const rn_gate_row *row)
{
    const ct_gate_result *r = &row->r;
    char pb[32];
    char n[64];
    snprintf(n, sizeof n, "n=%zu+%zu", r->old.n, r->new_.n);
    if (r->verdict == CT_GATE_TOO_FEW)
        snprintf(out, size, "? (%s: too few samples)", n);
    else if (r->p >= g->alpha)
        snprintf(out, size, "~ (p=%s %s)", p_text(pb, r->p, g->alpha), n);
    else if (isinf(r->delta_pct))
        snprintf(out, size, "+inf%% (p=%s %s)", p_text(pb, r->p, g->alpha), n);
    else
        snprintf(out, size, "%+.2f%% (p=%s %s)", r->delta_pct, p_text(pb, r->p, g->alpha), n);
}

static const char *verdict_word(const rn_gate *g, const rn_gate_row *row)
{
    if (!row->judged)
        return "(not judged)";
    switch (row->r.verdict) {
    case CT_GATE_REGRESSED: return "REGRESSION";
    case CT_GATE_SLOWER:
        return row->r.delta_pct > g->max_regression_pct ? "slower, not clearly past the limit"
                                                         : "slower, within the limit";
    case CT_GATE_FASTER: return "faster";
    default: return "";
    }
}

/* What a row measures: "test.duration", "region \"parse\"" (escaped). */
static char *metric_text(const rn_metric *m)
{
    if (m->kind != RN_METRIC_REGION)
        return strdup(rn_metric_kind_name(m->kind));
    char *name = rn_escape_name(m->region, m->region_len);
    char *out = NULL;
    if (name == NULL || asprintf(&out, "region \"%s\"", name) < 0)
        out = NULL;
    free(name);
    return out;
}

static char *test_text(const rn_metric *m, int with_binary)
{
    char *test = rn_escape_name(m->test, m->test_len);
    char *out = NULL;
    if (test != NULL && with_binary) {
        char *bin = rn_escape_name(m->binary, strlen(m->binary));
        if (bin == NULL || asprintf(&out, "%s/%s", bin, test) < 0)
            out = NULL;
        free(bin);
        free(test);
        return out;
    }
    return test;
}

/* Printed width of UTF-8 text: its code points ("±" is one column). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

static void pad(FILE *f, const char *s, size_t to)
{
    fputs(s, f);
    for (size_t w = width(s); w < to; w++)
        fputc(' ', f);
}

enum { COL_TEST, COL_METRIC, COL_OLD, COL_NEW, COL_DELTA, NCOLS };

static int shown(const rn_gate_row *row, int all)
{
    return all || (row->judged && row->r.verdict != CT_GATE_SAME &&
                   row->r.verdict != CT_GATE_TOO_FEW);
}

char *rn_gate_table(const rn_gate *g, int all, int with_binary, const char *indent)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    char *(*cells)[NCOLS] = calloc(g->n ? g->n : 1, sizeof *cells);
    static const char *const head[NCOLS] = {"test", "metric", "old", "new", "delta"};
    size_t w[NCOLS];
    for (int c = 0; c < NCOLS; c++)
        w[c] = strlen(head[c]);
    size_t nshown = 0, unchanged = 0;
    for (size_t i = 0; cells && i < g->n; i++) {
        const rn_gate_row *row = &g->rows[i];
        if (!shown(row, all)) {
            unchanged += row->judged && row->r.verdict == CT_GATE_SAME;
            continue;
        }
        char buf[160];
        cells[i][COL_TEST] = test_text(row->new_, with_binary);
        cells[i][COL_METRIC] = metric_text(row->new_);
        put_summary(buf, sizeof buf, &row->r.old);
        cells[i][COL_OLD] = strdup(buf);
        put_summary(buf, sizeof buf, &row->r.new_);
        cells[i][COL_NEW] = strdup(buf);
        put_delta(buf, sizeof buf, g, row);
        cells[i][COL_DELTA] = strdup(buf);
        for (int c = 0; c < NCOLS; c++) {
            size_t cw = cells[i][c] ? width(cells[i][c]) : 1;
            if (cw > w[c])
                w[c] = cw;
        }
        nshown++;
    }
    if (nshown > 0) {
        fputs(indent, f);
        for (int c = 0; c < NCOLS; c++) {
            pad(f, head[c], c + 1 < NCOLS ? w[c] + 2 : 0);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; cells && i < g->n; i++) {
        if (!shown(&g->rows[i], all))
            continue;
        fputs(indent, f);
        const char *word = verdict_word(g, &g->rows[i]);
        for (int c = 0; c < NCOLS; c++) /* no spaces at a line's end */
            pad(f, cells[i][c] ? cells[i][c] : "?", c + 1 < NCOLS || *word ? w[c] + 2 : 0);
        fputs(word, f);
        fputc('\n', f);
        for (int c = 0; c < NCOLS; c++)
            free(cells[i][c]);
    }
    if (!all && (unchanged || g->too_few)) {
        fprintf(f, "%s%s%zu metric%s unchanged", indent, nshown ? "and " : "", unchanged,
                unchanged == 1 ? "" : "s");
        if (g->too_few)
            fprintf(f, ", %zu with too few samples to judge (run more: -count 6 or more)",
                    g->too_few);
        fputs(" (-v shows them all)\n", f);
    }
    if (g->only_new) /* new tests or regions: nothing to compare them with yet */
        fprintf(f, "%s%zu metric%s not in the baseline (new tests or regions?): not judged\n",
                indent, g->only_new, g->only_new == 1 ? " is" : "s are");
    free(cells);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *rn_gate_row_text(const rn_gate *g, const rn_gate_row *row)
{
    char *metric = metric_text(row->new_);
    char old[96], new_[96], delta[160];
    put_summary(old, sizeof old, &row->r.old);
    put_summary(new_, sizeof new_, &row->r.new_);
    put_delta(delta, sizeof delta, g, row);
    char *out = NULL;
    if (metric == NULL ||
        asprintf(&out, "%s %s -> %s: %s, over the %g%% limit (p=%.3f)", metric, old, new_,
                 delta, g->max_regression_pct, row->r.p_limit) < 0)
        out = NULL;
    free(metric);
    return out;
}

char *rn_gate_too_few_warning(const rn_gate *g, const char *what)
{
    if (g->too_few == 0)
        return NULL;
    char *shown = rn_escape_name(what, strlen(what)), *out = NULL;
    if (asprintf(&out, "warning: %s: %zu metric%s with too few samples to be judged (3 "
                       "against 3 can never reach alpha %g): run with -count 6 or more, on "
                       "both sides", shown ? shown : "?", g->too_few,
                 g->too_few == 1 ? "" : "s", g->alpha) < 0)
        out = NULL;
    free(shown);
    return out;
}

static int differ(const char *a, const char *b)
{
    return a && b && strcmp(a, b) != 0;
}

char *rn_gate_machine_warning(const rn_baseline *old, const rn_baseline *new_)
{
    const rn_facts *a = &old->facts, *b = &new_->facts;
    if (!differ(a->arch, b->arch) && !differ(a->cpu, b->cpu) &&
        !(a->cpus && b->cpus && a->cpus != b->cpus))
        return NULL;
    /* A baseline file is anybody's: its facts are shown escaped. */
    const char *facts[4] = {a->arch, a->cpu, b->arch, b->cpu};
    char *shown[4];
    for (int i = 0; i < 4; i++)
        shown[i] = facts[i] ? rn_escape_name(facts[i], strlen(facts[i])) : NULL;
    char *out = NULL;
    if (asprintf(&out, "warning: the baseline comes from another machine (%s, %s, %ld CPUs; "
                       "this one: %s, %s, %ld CPUs): a change may be the machine's, not "
                       "the code's",
                 shown[0] ? shown[0] : "?", shown[1] ? shown[1] : "?", a->cpus,
                 shown[2] ? shown[2] : "?", shown[3] ? shown[3] : "?", b->cpus) < 0)
        out = NULL;
    for (int i = 0; i < 4; i++)
        free(shown[i]);
    return out;
}
