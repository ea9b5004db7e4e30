/*
 * live.h - per-test aggregates kept as events happen, so that a trace
 * assertion never reads the trace back.
 *
 * A series is what one assertion looks at: the regions of one name, the
 * tasks of one name, the waits of one kind. Each thread adds to its own
 * shards (one writer per shard: no lock, no atomic read-modify-write, no
 * shared cache line on the hot path); an assertion sums a series' shards.
 * A shard outlives its thread: when a thread exits its shards go on their
 * series' free list with their numbers, still summed, and the next thread to
 * need that series takes one over. Numbers are of one test, the generation
 * (gen) bumped as each test begins: a shard of an older generation is reset
 * when next written, skipped when read.
 *
 * A region is timed from a per-thread stack of open regions (its begin tick,
 * shard and generation), so ct_region stays two words. A region ended on
 * another thread than the one that began it (misuse, which the trace warns
 * about) is not counted.
 *
 * Histograms have the layout of the views' (common/hist.h), in
 * nanoseconds, so an in-test p95 and `ctest-trace regions` agree.
 *
 * Shard fields are written with relaxed atomic stores by their one writer
 * and read by the asserting thread with relaxed atomic loads: a sum taken
 * while other threads still record is of some moment close to the call,
 * never torn memory.
 */
#ifndef CT_ASSERTIONS_LIVE_H
#define CT_ASSERTIONS_LIVE_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "common/hist.h" /* CTV_HIST_SUB, CTV_HIST_GROUPS */

enum ct__series_kind {
    CT_SERIES_REGION = 0, /* named: regions of a name */
    CT_SERIES_TASK = 1,   /* named: user tasks of a name */
    CT_SERIES_WAIT = 2,   /* unnamed: waits of one CT_BLOCK_* kind (the name is the kind) */
};

#define CT_LIVE_PCS 16 /* frames kept of the longest wait: enough to name where */
#define CT_LIVE_WAIT_KINDS 5 /* CT_BLOCK_* are 1..4 */

typedef struct ct__series ct__series;

typedef struct ct__shard {
    struct ct__shard *next;      /* in its series' list: never unlinked */
    struct ct__shard *next_free; /* on its series' free list */
    struct ct__shard *next_owned; /* in its thread's list of shards */
    ct__series *series;
    uint32_t gen;           /* the test these numbers are of */
    uint32_t max_serial;    /* thread serial (ct__thread) of the longest */
    int32_t max_tid;        /* its OS thread id */
    uint32_t max_depth;     /* frames in max_pcs */
    uint64_t count, total_ns, min_ns, max_ns;
    uint64_t max_end_ticks; /* when the longest ended */
    uint64_t max_pcs[CT_LIVE_PCS];
    uint32_t behind;        /* the last quick add's bucket, 1 + (g << CTV_HIST_SUB_BITS | b),
                               counted in groups[g] and group_count[g] at the next quick
                               add; 0: none (see ct__live_add_quick) */
    uint64_t groups_used;   /* bit g: groups[g] was written in this gen */
    uint32_t group_count[CTV_HIST_GROUPS]; /* instances in each group: a quantile
                                              skips whole octaves by them */
    uint32_t *groups[CTV_HIST_GROUPS]; /* CTV_HIST_SUB counters each; kept once made */
} ct__shard;

/* Who recorded an instance: for messages. */
typedef struct ct__live_who {
    uint32_t serial;
    int32_t tid;
} ct__live_who;

/* The current test: its generation and the tick it began at. */
extern uint32_t ct__live_gen;          /* atomic */
extern uint64_t ct__live_test_start;   /* atomic */

/* A test begins now (ticks): numbers start over. */
void ct__live_test_begin(uint64_t ticks);

/* Whether the aggregates are kept: only once something in the process can
 * read them (--assert rules, or a module that calls the trace assertions:
 * plugin/test_program.c), so that a program that asserts nothing pays
 * nothing for them on its regions, waits, logs and tasks. Never unset. */
extern uint8_t ct__live_armed; /* atomic */

static inline int ct__live_is_armed(void)
{
    return __atomic_load_n(&ct__live_armed, __ATOMIC_RELAXED);
}

/* Keep the aggregates from now on. `late`: a test may be under way whose
 * numbers so far were not kept (ct__live_armed_late()). */
void ct__live_arm(int late);

/* Whether the current test began before the aggregates were kept: its
 * assertions cannot be judged. */
int ct__live_armed_late(void);

/* Events the process lost (every thread) since the current test began:
 * a window that lost events cannot vouch for what it did not see. */
uint64_t ct__live_window_lost(void);

/* Ticks to nanoseconds at the session's clock rate (set at session begin). */
void ct__live_session_begin(uint32_t clock_kind, uint64_t hz);
extern uint64_t ct__live_ns_per_tick_q32; /* 0: ticks are nanoseconds */
static inline uint64_t ct__live_ticks_to_ns(uint64_t ticks)
{
    uint64_t m = __atomic_load_n(&ct__live_ns_per_tick_q32, __ATOMIC_RELAXED);
    return m ? (uint64_t)(((unsigned __int128)ticks * m) >> 32) : ticks;
}
uint64_t ct__live_ns_to_ticks(uint64_t ns);

/* Add one instance of `ns` that ended at `end_ticks` to shard s, as of
 * generation `gen` (read before the instance was judged to be in the test).
 * Only s's writer calls this. pcs[0..n): its stack (waits), may be NULL. */
void ct__live_add(ct__shard *s, uint32_t gen, uint64_t ns, uint64_t end_ticks,
                  ct__live_who who, const uint64_t *pcs, unsigned n);

/* Count one instance of `ns` in bucket (g, b) of s, whose row is `row`.
 * One writer: plain increments, stored atomically for the readers. */
static inline void ct__live_count(ct__shard *s, uint32_t *row, unsigned g, unsigned b,
                                  uint64_t ns)
{
    __atomic_store_n(&row[b], __atomic_load_n(&row[b], __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&s->group_count[g], __atomic_load_n(&s->group_count[g], __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&s->count, __atomic_load_n(&s->count, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&s->total_ns, __atomic_load_n(&s->total_ns, __ATOMIC_RELAXED) + ns,
                     __ATOMIC_RELAXED);
}

/* Count in s's histogram the instance a quick add left behind, if any. */
static inline void ct__live_count_behind(ct__shard *s, uint32_t behind)
{
    if (!behind)
        return;
    unsigned g = (behind - 1) >> CTV_HIST_SUB_BITS, b = (behind - 1) & (CTV_HIST_SUB - 1);
    uint32_t *row = s->groups[g];
    /* Release: a reader that sees the bucket counted sees `behind` moved on
     * (assertions/live.c reads buckets first), so never counts it twice. */
    __atomic_store_n(&s->group_count[g],
                     __atomic_load_n(&s->group_count[g], __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&row[b], __atomic_load_n(&row[b], __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
}

/* ct__live_add() for an instance that is neither the shard's first of the
 * test, nor its longest or shortest, in an octave it has seen: the common
 * case of a region, inline.
 *
 * Its bucket is counted one add late (`behind`): the bucket's address comes
 * from the duration, so from the clock read that just ended the region, and
 * a store to it would hold the thread's next loads until that read is done
 * (about 6 ns of a 30 ns region pair). The previous instance's bucket is
 * known long before: counting it instead costs nothing. count and total_ns
 * are at fixed addresses: counted now. Readers add `behind` in. */
static inline void ct__live_add_quick(ct__shard *s, uint32_t gen, uint64_t ns,
                                      uint64_t end_ticks, ct__live_who who)
{
    unsigned g, b;
    ctv_hist_locate(ns, &g, &b);
    uint32_t *row = s->groups[g];
    if (__builtin_expect(__atomic_load_n(&s->gen, __ATOMIC_RELAXED) != gen || !row ||
                             !(__atomic_load_n(&s->groups_used, __ATOMIC_RELAXED) >> g & 1) ||
                             ns > __atomic_load_n(&s->max_ns, __ATOMIC_RELAXED) ||
                             ns < __atomic_load_n(&s->min_ns, __ATOMIC_RELAXED),
                         0)) {
        ct__live_add(s, gen, ns, end_ticks, who, NULL, 0);
        return;
    }
    uint32_t behind = __atomic_load_n(&s->behind, __ATOMIC_RELAXED);
    __atomic_store_n(&s->behind, 1 + (g << CTV_HIST_SUB_BITS | b), __ATOMIC_RELAXED);
    __atomic_store_n(&s->count, __atomic_load_n(&s->count, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
    __atomic_store_n(&s->total_ns, __atomic_load_n(&s->total_ns, __ATOMIC_RELAXED) + ns,
                     __ATOMIC_RELAXED);
    ct__live_count_behind(s, behind);
}

/* A shard of series (kind, name[0..len)) for one writer, the series made if
 * new; NULL when out of memory. */
ct__shard *ct__live_shard_take(unsigned kind, const char *name, size_t len);

/* The series' most recent shard (tasks keep one, written under their lock). */
ct__shard *ct__live_series_first_shard(ct__series *s);

/* ---- per thread ------------------------------------------------------------ */

#define CT_LIVE_OPEN 64 /* open regions timed at once on a thread (nesting depth) */

struct ct__live_map_slot {
    uint32_t id; /* the thread's string id of the name; 0: free */
    ct__shard *shard;
};

struct ct__live_open {
    uint64_t serial; /* the region's serial on its thread */
    uint64_t begin;  /* tick it began at */
    ct__shard *shard;
    uint32_t gen;    /* the test it began in */
};

typedef struct ct__live_thread {
    struct ct__live_map_slot *by_name; /* region shards by string id (open addressing) */
    uint32_t by_name_cap, by_name_used;
    uint32_t n_open;
    uint32_t forgot; /* its string ids started over once: names may come back */
    ct__shard *owned; /* every shard this thread writes, until it exits */
    ct__shard *wait[CT_LIVE_WAIT_KINDS];
    struct ct__log_history *log; /* live_logs.c: its logs of the test */
    struct ct__live_open open[CT_LIVE_OPEN]; /* its open regions, innermost last */
} ct__live_thread;

/* This thread's shard for regions named `name` (its string id `id`), taken
 * on first use. NULL when out of memory: the region is then not counted. */
ct__shard *ct__live_region_shard_slow(ct__live_thread *lt, uint32_t id, const char *name);

/* Where string id `id` goes first in a map of mask + 1 slots. */
static inline uint32_t ct__live_map_home(uint32_t id, uint32_t mask)
{
    return (id * 0x9E3779B1u) & mask;
}

static inline ct__shard *ct__live_region_shard(ct__live_thread *lt, uint32_t id,
                                               const char *name)
{
    if (__builtin_expect(lt->by_name_cap != 0 && id != 0, 1)) {
        uint32_t mask = lt->by_name_cap - 1;
        for (uint32_t i = ct__live_map_home(id, mask);; i = (i + 1) & mask) {
            struct ct__live_map_slot *e = &lt->by_name[i];
            if (e->id == id)
                return e->shard;
            if (e->id == 0)
                break;
        }
    }
    return ct__live_region_shard_slow(lt, id, name);
}

/* The stack is full: drop what began before the current test (regions left
 * open). @return 1 if there is room now. */
int ct__live_open_make_room(ct__live_thread *lt);

/* Region `serial` began at `ticks` on this thread, timed in shard s (from
 * ct__live_region_shard(); NULL: not timed). */
static inline void ct__live_region_begin(ct__live_thread *lt, uint64_t serial, uint64_t ticks,
                                         ct__shard *s)
{
    if (!s)
        return;
    if (__builtin_expect(lt->n_open == CT_LIVE_OPEN, 0) && !ct__live_open_make_room(lt))
        return; /* nested deeper than anyone times: not counted */
    struct ct__live_open *o = &lt->open[lt->n_open++];
    o->serial = serial;
    o->begin = ticks;
    o->shard = s;
    o->gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
}

/* Region `serial`, begun on this thread, ended at `ticks`: counted if it
 * began in the current test. */
void ct__live_region_end_slow(ct__live_thread *lt, uint64_t serial, uint64_t ticks,
                              ct__live_who who);

static inline void ct__live_region_end(ct__live_thread *lt, uint64_t serial, uint64_t ticks,
                                       ct__live_who who)
{
    if (__builtin_expect(lt->n_open == 0 || lt->open[lt->n_open - 1].serial != serial, 0)) {
        ct__live_region_end_slow(lt, serial, ticks, who); /* out of LIFO order, or untimed */
        return;
    }
    struct ct__live_open *o = &lt->open[--lt->n_open];
    if (o->gen == __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE))
        ct__live_add_quick(o->shard, o->gen,
                           ct__live_ticks_to_ns(ticks > o->begin ? ticks - o->begin : 0), ticks, who);
}

/* This thread's shard for waits of `kind` (CT_BLOCK_*), or NULL. */
ct__shard *ct__live_wait_shard(ct__live_thread *lt, unsigned kind);

/* The thread's string ids start over (a drop, a new session): forget the
 * map from ids; its shards stay its own. */
void ct__live_thread_forget_names(ct__live_thread *lt);

/* The thread exits: hand its shards back and free its map. */
void ct__live_thread_release(ct__live_thread *lt);

/* ---- tasks (process-wide, behind a lock: they are few) and logs ------------- */

void ct__live_task_begin(uint64_t id, const char *name, uint64_t ticks);
void ct__live_task_end(uint64_t id, uint64_t ticks, ct__live_who who);

/* This thread logged `message` (len bytes) under `category` (may be NULL). */
void ct__live_log(ct__live_thread *lt, const char *category, const char *message, size_t len,
                  uint64_t ticks, ct__live_who who);

/* The thread exits: its log history goes back, still read in its test. */
void ct__live_log_release(ct__live_thread *lt);

/* ---- reading: what assertions use ------------------------------------------- */

/* The series' numbers in the current test, summed over threads. */
typedef struct ct__live_sum {
    uint64_t count, total_ns, min_ns, max_ns;
    uint64_t max_end_ticks;
    ct__live_who max_who;
    unsigned max_depth;
    uint64_t max_pcs[CT_LIVE_PCS];
} ct__live_sum;

/* 1 when names past the tracked number of distinct ones go uncounted. */
int ct__live_series_full(void);

/* The series (kind, name) or NULL when it never had an instance. For waits,
 * name is NULL and `wait_kind` says which. */
ct__series *ct__live_find(unsigned kind, const char *name, unsigned wait_kind);

/* Sum s (NULL: all zero) over its shards of the current test. */
void ct__live_sum_of(ct__series *s, ct__live_sum *out);

/* How many instances of the current test took more than `limit_ns`: exact
 * but for those in limit's histogram bucket (within 1/128 of it), which
 * count as within. At least 1 when max > limit. */
uint64_t ct__live_count_over(ct__series *s, const ct__live_sum *sum, uint64_t limit_ns);

/* The value at quantile q (0..1] of the current test, as `regions` computes
 * it (ctv_hist_quantile: nearest rank, bucket midpoint clamped to min..max). */
uint64_t ct__live_quantile(ct__series *s, const ct__live_sum *sum, double q);

/* Logs of the current test: calls fn for each (in order of recording per
 * process) until it returns nonzero. @return that value, or 0; *kept_all 0
 * when some logs of the test were not kept (the history is bounded). */
int ct__live_logs_each(int (*fn)(void *arg, const char *category, size_t category_len,
                                 const char *message, size_t len, uint64_t ticks,
                                 ct__live_who who),
                       void *arg, uint64_t *not_kept);

#endif /* CT_ASSERTIONS_LIVE_H */
