/*
 * baseline.h - what a run measured, kept to compare later runs against: the
 * samples of every metric of every test (docs/BASELINE.md is the file's
 * contract).
 *
 * A metric is one of a test's: its duration (a sample per run of the test:
 * -count N gives N), a region name's instance durations (every instance of
 * every run), and its blocking totals by kind (a sample per run). Samples
 * are nanoseconds. A metric keeps every sample up to RN_BASELINE_SAMPLES;
 * past that, a uniform random sample of that many (reservoir sampling,
 * seeded from the metric's key, so the same run keeps the same ones), while
 * its count, sum, min and max stay exact. The median and the Mann-Whitney
 * test read the kept samples: a random sample of 4096 gives the median within
 * about 1.6% of the distribution's mass (95%), far inside any useful limit.
 *
 * Tests are keyed by binary (its file name, not its path: CI machines check
 * out to different places) and test name. Names are kept as valid UTF-8
 * (invalid bytes become U+FFFD, as every JSON output of ours writes them), so
 * a baseline read back keys the same as the run that wrote it.
 */
#ifndef RN_BASELINE_H
#define RN_BASELINE_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

#include "analysis/views/maps.h" /* ctv_names */

#define RN_BASELINE_VERSION 1
#define RN_BASELINE_SAMPLES 4096
/* The largest count or sum a baseline holds: 2^53, exact in a double and in
 * any JSON reader; a file's larger ones are refused, merges saturate. */
#define RN_BASELINE_MAX_COUNT (1ull << 53)

typedef enum rn_metric_kind {
    RN_METRIC_DURATION = 0, /* the test's duration, a sample per run */
    RN_METRIC_REGION,       /* a region name's instances */
    RN_METRIC_SYNC,         /* blocking totals by kind, a sample per run */
    RN_METRIC_SYSCALL,
    RN_METRIC_NET,
    RN_METRIC_SCHED,
    RN_METRIC_KINDS
} rn_metric_kind;

/* "test.duration", "region", "sync.total", ...; and back (-1: unknown). */
const char *rn_metric_kind_name(rn_metric_kind kind);
int rn_metric_kind_parse(const char *name);

typedef struct rn_metric {
    rn_metric_kind kind;
    char *binary, *test, *region; /* valid UTF-8, NUL-terminated copies; */
    size_t test_len, region_len;  /* test and region may hold NULs: lengths */
    uint64_t count;         /* samples seen */
    double sum, min, max;   /* of all of them, exact */
    double *samples;        /* what is kept: all, or a uniform sample */
    size_t n, cap;
    uint64_t rng;           /* the reservoir's generator */
} rn_metric;

/* The machine and build facts a baseline carries, to warn when two runs
 * differ in more than the code. Strings are malloc'd; NULL: unknown. */
typedef struct rn_facts {
    char *host, *arch, *kernel, *cpu;
    long cpus;              /* online CPUs, 0 if unknown */
    char *created;          /* UTC, RFC 3339 */
    char *writer;           /* "ctest-trace VERSION" */
    long count;             /* -count of the run, 0 if unknown */
    int cpu_pressure;       /* per mille of the run's time during which some
                               task of the machine waited for a CPU (Linux
                               PSI, /proc/pressure/cpu "some"); -1 unknown */
} rn_facts;

/* A binary of the run, by name, with its executable's GNU build-id (hex). */
typedef struct rn_build {
    char *binary, *build_id;
} rn_build;

typedef struct rn_baseline {
    ctv_names keys;         /* the metric's key (metric_key()) -> index */
    rn_metric *metrics;     /* by index */
    size_t nmetrics, cap;
    rn_facts facts;
    rn_build *builds;
    size_t nbuilds, builds_cap;
    uint64_t tests;         /* test runs taken in */
} rn_baseline;

void rn_baseline_init(rn_baseline *b);
void rn_baseline_free(rn_baseline *b);

/*! rn_baseline_metric() : the metric of that key, made when new. Names are
 *  untrusted bytes (made valid UTF-8 here). @return NULL when out of memory. */
rn_metric *rn_baseline_metric(rn_baseline *b, const char *binary, size_t binary_len,
                              const char *test, size_t test_len, rn_metric_kind kind,
                              const char *region, size_t region_len);

/*! rn_baseline_find() : the metric of `b` with the key of `like` (a metric
 *  of another baseline), or NULL when `b` has none. */
const rn_metric *rn_baseline_find(const rn_baseline *b, const rn_metric *like);

/*! rn_metric_add() : take in one sample. @return 0, or -1 out of memory. */
int rn_metric_add(rn_metric *m, double ns);

/*! rn_metric_take() : take in `from`'s samples as if they had been added
 *  one by one after m's (what merging baselines does). @return 0 or -1. */
int rn_metric_take(rn_metric *m, const rn_metric *from);

/*! rn_baseline_note_build() : the binary `name` ran with `build_id` (hex;
 *  "" when it has none). Kept once per binary. @return 0 or -1. */
int rn_baseline_note_build(rn_baseline *b, const char *name, const char *build_id);

/*! rn_facts_of_machine() : the facts of this machine, now. @return 0 or -1. */
int rn_facts_of_machine(rn_facts *f, long count);
void rn_facts_free(rn_facts *f);

/*! rn_baseline_merge() : take `from`'s metrics and builds into `into`
 *  (samples of a metric both have are pooled). @return 0 or -1. */
int rn_baseline_merge(rn_baseline *into, const rn_baseline *from);

/*! rn_utf8_clean() : `len` untrusted bytes as valid UTF-8 (what is not
 *  becomes U+FFFD, as our JSON writer writes it), NUL-terminated, malloc'd;
 *  its length in *out_len. NULL when out of memory. How names are keyed. */
char *rn_utf8_clean(const char *s, size_t len, size_t *out_len);

/* The file name of a binary given as a path ("./build/suite" -> "suite"). */
const char *rn_binary_name(const char *path);

#endif /* RN_BASELINE_H */
