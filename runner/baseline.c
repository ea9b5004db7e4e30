/*
 * baseline.c - the metrics of a baseline and their samples (baseline.h).
 */
#include "baseline.h"

#include <stdio.h>       /* FILE, fopen, snprintf */
#include <stdlib.h>      /* malloc, realloc, free */
#include <string.h>      /* memcpy, strcmp, strdup */
#include <sys/utsname.h> /* uname */
#include <time.h>        /* time, gmtime_r, strftime */
#include <unistd.h>      /* sysconf, gethostname */

#include "common/utf8.h" /* ctv_utf8_next */

static const char *const kind_names[RN_METRIC_KINDS] = {
    "test.duration", "region", "sync.total", "syscall.total", "net.total", "sched.total",
};

const char *rn_metric_kind_name(rn_metric_kind kind)
{
    return (unsigned)kind < RN_METRIC_KINDS ? kind_names[kind] : "?";
}

int rn_metric_kind_parse(const char *name)
{
    for (int k = 0; k < RN_METRIC_KINDS; k++) {
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    }
    return -1;
}

const char *rn_binary_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

void rn_baseline_init(rn_baseline *b)
{
    memset(b, 0, sizeof *b);
    ctv_names_init(&b->keys);
    b->facts.cpu_pressure = -1;
}

void rn_facts_free(rn_facts *f)
{
    free(f->host);
    free(f->arch);
    free(f->kernel);
    free(f->cpu);
    free(f->created);
    free(f->writer);
    memset(f, 0, sizeof *f);
}

void rn_baseline_free(rn_baseline *b)
{
    for (size_t i = 0; i < b->nmetrics; i++) {
        rn_metric *m = &b->metrics[i];
        free(m->binary);
        free(m->test);
        free(m->region);
        free(m->samples);
    }
    free(b->metrics);
    for (size_t i = 0; i < b->nbuilds; i++) {
        free(b->builds[i].binary);
        free(b->builds[i].build_id);
    }
    free(b->builds);
    rn_facts_free(&b->facts);
    ctv_names_free(&b->keys);
    memset(b, 0, sizeof *b);
}

char *rn_utf8_clean(const char *s, size_t len, size_t *out_len)
{
    char *out = malloc(len * 3 + 1); /* a bad byte (1) becomes 3 */
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = ctv_utf8_next((const unsigned char *)s + i, len - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT && !(n == 3 && memcmp(s + i, "\xef\xbf\xbd", 3) == 0)) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
        } else {
            memcpy(out + o, s + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* A metric's key: its parts, each preceded by its length, so no name can
 * pass for another whatever bytes it holds. */
static char *metric_key(const char *binary, size_t binary_len, const char *test,
                        size_t test_len, rn_metric_kind kind, const char *region,
                        size_t region_len, size_t *key_len)
{
    size_t n = 3 * sizeof(size_t) + binary_len + test_len + region_len + 1;
    char *key = malloc(n), *p = key;
    if (key == NULL)
        return NULL;
    const struct { const char *s; size_t n; } parts[] = {
        {binary, binary_len}, {test, test_len}, {region, region_len}};
    for (size_t i = 0; i < 3; i++) {
        memcpy(p, &parts[i].n, sizeof(size_t));
        p += sizeof(size_t);
        memcpy(p, parts[i].s, parts[i].n);
        p += parts[i].n;
    }
    *p++ = (char)kind;
    *key_len = (size_t)(p - key);
    return key;
}

/* splitmix64: the reservoir's generator; seeded from the key, so the same
 * samples give the same baseline. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

rn_metric *rn_baseline_metric(rn_baseline *b, const char *binary, size_t binary_len,
                              const char *test, size_t test_len, rn_metric_kind kind,
                              const char *region, size_t region_len)
{
    size_t bl, tl, rl, key_len;
    char *cb = rn_utf8_clean(binary, binary_len, &bl);
    char *ct = rn_utf8_clean(test, test_len, &tl);
    char *cr = rn_utf8_clean(region ? region : "", region ? region_len : 0, &rl);
    char *key = cb && ct && cr ? metric_key(cb, bl, ct, tl, kind, cr, rl, &key_len) : NULL;
    uint32_t index;
    if (key == NULL || ctv_names_intern(&b->keys, key, key_len, &index) != 0)
        goto fail;
    free(key);
    if (index < b->nmetrics) { /* known */
        free(cb);
        free(ct);
        free(cr);
        return &b->metrics[index];
    }
    rn_metric *grown = ctv_reserve(b->metrics, &b->cap, b->nmetrics, sizeof *grown);
    if (grown == NULL)
        goto fail_interned;
    b->metrics = grown;
    rn_metric *m = &b->metrics[b->nmetrics++];
    *m = (rn_metric){.kind = kind, .binary = cb, .test = ct, .test_len = tl, .region = cr,
                     .region_len = rl, .rng = ctv_hash_id(b->keys.hashes[index] | 1)};
    return m;
fail_interned:
    /* The key is interned with no metric behind it: no later call can use
     * it either, so the baseline is unusable; the caller stops on NULL. */
fail:
    free(key);
    free(cb);
    free(ct);
    free(cr);
    return NULL;
}

const rn_metric *rn_baseline_find(const rn_baseline *b, const rn_metric *like)
{
    size_t key_len;
    char *key = metric_key(like->binary, strlen(like->binary), like->test, like->test_len,
                           like->kind, like->region, like->region_len, &key_len);
    uint32_t index;
    int found = key && ctv_names_find(&b->keys, key, key_len, &index) && index < b->nmetrics;
    free(key);
    return found ? &b->metrics[index] : NULL;
}

int rn_metric_add(rn_metric *m, double ns)
{
    if (m->count == 0 || ns < m->min)
        m->min = ns;
    if (m->count == 0 || ns > m->max)
        m->max = ns;
    m->sum += ns;
    m->count++;
    if (m->n < RN_BASELINE_SAMPLES) {
        double *grown = ctv_reserve(m->samples, &m->cap, m->n, sizeof *grown);
        if (grown == NULL)
            return -1;
        m->samples = grown;
        m->samples[m->n++] = ns;
        return 0;
    }
    /* Algorithm R: the count-th sample replaces a kept one with probability
     * n / count, which keeps every sample seen equally likely to be kept. */
    uint64_t j = next_random(&m->rng) % m->count;
    if (j < m->n)
        m->samples[j] = ns;
    return 0;
}

/* Keep `k` of a[0..n) at random (a partial Fisher-Yates shuffle): they end
 * up in a[0..k). */
static void keep_random(double *a, size_t n, size_t k, uint64_t *rng)
{
    for (size_t i = 0; i < k && i < n; i++) {
        size_t j = i + (size_t)(next_random(rng) % (n - i));
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* a + b, at most RN_BASELINE_MAX_COUNT: counts read from files are bounded
 * there, and merging many must not wrap. */
static uint64_t add_counts(uint64_t a, uint64_t b)
{
    return a > RN_BASELINE_MAX_COUNT - b ? RN_BASELINE_MAX_COUNT : a + b;
}

int rn_metric_take(rn_metric *m, const rn_metric *from)
{
    if (from->count == 0)
        return 0;
    uint64_t count = add_counts(m->count, from->count);
    size_t total = m->n + from->n;
    size_t keep_m = m->n, keep_f = from->n;
    if (total > RN_BASELINE_SAMPLES) {
        /* Both pools are uniform samples of their own: take from each in
         * proportion to how many samples it stands for. */
        double share = (double)m->count / (double)count;
        keep_m = (size_t)(share * RN_BASELINE_SAMPLES + 0.5);
        if (keep_m > m->n)
            keep_m = m->n;
        keep_f = RN_BASELINE_SAMPLES - keep_m;
        if (keep_f > from->n) {
            keep_f = from->n;
            keep_m = RN_BASELINE_SAMPLES - keep_f;
        }
    }
    double *pool = malloc((total ? total : 1) * sizeof *pool);
    if (pool == NULL)
        return -1;
    if (m->n) /* a new metric has no array yet */
        memcpy(pool, m->samples, m->n * sizeof *pool);
    memcpy(pool + m->n, from->samples, from->n * sizeof *pool);
    keep_random(pool, m->n, keep_m, &m->rng);
    keep_random(pool + m->n, from->n, keep_f, &m->rng);
    memmove(pool + keep_m, pool + m->n, keep_f * sizeof *pool);
    free(m->samples);
    m->samples = pool;
    m->n = keep_m + keep_f;
    m->cap = total ? total : 1;
    m->min = m->count ? (m->min < from->min ? m->min : from->min) : from->min;
    m->max = m->count ? (m->max > from->max ? m->max : from->max) : from->max;
    m->sum += from->sum;
    m->count = count;
    return 0;
}

int rn_baseline_note_build(rn_baseline *b, const char *name, const char *build_id)
{
    for (size_t i = 0; i < b->nbuilds; i++) {
        if (strcmp(b->builds[i].binary, name) == 0)
            return 0;
    }
    rn_build *grown = ctv_reserve(b->builds, &b->builds_cap, b->nbuilds, sizeof *grown);
    if (grown == NULL)
        return -1;
    b->builds = grown;
    rn_build *nb = &b->builds[b->nbuilds];
    nb->binary = strdup(name);
    nb->build_id = strdup(build_id ? build_id : "");
    if (nb->binary == NULL || nb->build_id == NULL) {
        free(nb->binary);
        free(nb->build_id);
        return -1;
    }
    b->nbuilds++;
    return 0;
}

int rn_baseline_merge(rn_baseline *into, const rn_baseline *from)
{
    for (size_t i = 0; i < from->nmetrics; i++) {
        const rn_metric *f = &from->metrics[i];
        rn_metric *m = rn_baseline_metric(into, f->binary, strlen(f->binary), f->test,
                                          f->test_len, f->kind, f->region, f->region_len);
        if (m == NULL || rn_metric_take(m, f) != 0)
            return -1;
    }
    for (size_t i = 0; i < from->nbuilds; i++) {
        if (rn_baseline_note_build(into, from->builds[i].binary, from->builds[i].build_id) != 0)
            return -1;
    }
    into->tests = add_counts(into->tests, from->tests);
    return 0;
}

/* The CPU's model name from /proc/cpuinfo, or NULL. */
static char *cpu_model(void)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return NULL;
    char line[512];
    char *model = NULL;
    while (model == NULL && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0 && strncmp(line, "Processor", 9) != 0)
            continue;
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\n")] = '\0';
        model = strdup(v);
    }
    fclose(f);
    return model;
}

int rn_facts_of_machine(rn_facts *f, long count)
{
    memset(f, 0, sizeof *f);
    struct utsname u;
    if (uname(&u) == 0) {
        char kernel[2 * sizeof u.release + 2];
        snprintf(kernel, sizeof kernel, "%s %s", u.sysname, u.release);
        f->arch = strdup(u.machine);
        f->kernel = strdup(kernel);
        f->host = strdup(u.nodename);
    }
    f->cpu = cpu_model();
    f->cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (f->cpus < 0)
        f->cpus = 0;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    f->created = strdup(when);
    f->writer = strdup("ctest-trace " CT_VERSION);
    f->count = count;
    f->cpu_pressure = -1; /* measured as the run goes (run_gate.c) */
    return f->created && f->writer ? 0 : -1;
}
