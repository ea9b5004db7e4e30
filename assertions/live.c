/*
 * live.c - series, shards and what threads add to them (see live.h).
 */
#include "assertions/live.h"

#include <stdlib.h> /* calloc, free */
#include <string.h> /* memcmp, memcpy, memmove */

#include "assertions/live_arena.h"
#include "format/wire.h" /* CT_CLOCK_*, CT_MAX_NAME_BYTES */
#include "plugin/thread.h" /* ct__hash_bytes */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

uint32_t ct__live_gen = 1;
uint64_t ct__live_test_start;

/* ---- clock ------------------------------------------------------------------ */

uint64_t ct__live_ns_per_tick_q32;
static uint64_t ticks_per_ns_q32;

void ct__live_session_begin(uint32_t clock_kind, uint64_t hz)
{
    if (clock_kind == CT_CLOCK_MONOTONIC || hz == 0 || hz == 1000000000u) {
        STORE(ct__live_ns_per_tick_q32, 0);
        return;
    }
    STORE(ticks_per_ns_q32, (uint64_t)(((unsigned __int128)hz << 32) / 1000000000u));
    STORE(ct__live_ns_per_tick_q32, (uint64_t)(((unsigned __int128)1000000000u << 32) / hz));
}

uint64_t ct__live_ns_to_ticks(uint64_t ns)
{
    if (!LOAD(ct__live_ns_per_tick_q32))
        return ns;
    unsigned __int128 t = ((unsigned __int128)ns * LOAD(ticks_per_ns_q32)) >> 32;
    return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

static uint64_t lost_at_test_start; /* atomic: what the pool counted then */

/* Events the session's process lost so far (0 without a session). */
static uint64_t lost_now(void)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    return pool ? ct_pool_dropped(pool) : 0;
}

uint64_t ct__live_window_lost(void)
{
    uint64_t now = lost_now(), then = __atomic_load_n(&lost_at_test_start, __ATOMIC_RELAXED);
    return now > then ? now - then : 0;
}

uint8_t ct__live_armed;
/* Atomic: the tests (generations) under way while it was armed late; 0:
 * none. A range: another thread may begin a test meanwhile. */
static uint32_t late_from, late_to;

void ct__live_arm(int late)
{
    if (ct__live_is_armed())
        return;
    uint32_t from = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    __atomic_store_n(&ct__live_armed, 1, __ATOMIC_SEQ_CST);
    if (!late)
        return;
    __atomic_store_n(&late_from, from, __ATOMIC_RELAXED);
    __atomic_store_n(&late_to, __atomic_load_n(&ct__live_gen, __ATOMIC_SEQ_CST),
                     __ATOMIC_RELEASE);
}

int ct__live_armed_late(void)
{
    uint32_t to = __atomic_load_n(&late_to, __ATOMIC_ACQUIRE);
    uint32_t from = __atomic_load_n(&late_from, __ATOMIC_RELAXED);
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    return to != 0 && gen >= from && gen <= to;
}

void ct__live_test_begin(uint64_t ticks)
{
    __atomic_store_n(&lost_at_test_start, lost_now(), __ATOMIC_RELAXED);
    __atomic_store_n(&ct__live_test_start, ticks, __ATOMIC_RELAXED);
    __atomic_add_fetch(&ct__live_gen, 1, __ATOMIC_RELEASE);
}

/* ---- series ----------------------------------------------------------------- */

struct ct__series {
    ct__series *chain; /* in its hash bucket: never unlinked */
    ct__shard *shards; /* atomic head; never unlinked */
    ct__shard *free;   /* under registry_lock */
    uint64_t hash;
    uint32_t kind, len;
    char name[];
};

#define SERIES_BUCKETS 1024u

#define MAX_SERIES 16384u /* names past this many distinct ones are not tracked */

static ct__series *buckets[SERIES_BUCKETS]; /* atomic heads */
static int registry_lock;
static uint32_t n_series; /* atomic */

static uint64_t hash_name(unsigned kind, const char *name, size_t len)
{
    return ct__hash_bytes(name, len) ^ ((uint64_t)kind << 56);
}

static size_t name_len(const char *name)
{
    return name ? strnlen(name, CT_MAX_NAME_BYTES) : 0;
}

static ct__series *find(unsigned kind, const char *name, size_t len, uint64_t h)
{
    for (ct__series *s = __atomic_load_n(&buckets[h % SERIES_BUCKETS], __ATOMIC_ACQUIRE); s;
         s = s->chain)
        if (s->hash == h && s->kind == kind && s->len == len && memcmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

ct__series *ct__live_find(unsigned kind, const char *name, unsigned wait_kind)
{
    char kind_name[2] = {(char)wait_kind, 0};
    if (kind == CT_SERIES_WAIT)
        name = kind_name;
    size_t len = kind == CT_SERIES_WAIT ? 1 : name_len(name);
    return find(kind, name ? name : "", len, hash_name(kind, name ? name : "", len));
}

/* The series, made if new. Called under registry_lock. */
static ct__series *series_get_locked(unsigned kind, const char *name, size_t len)
{
    uint64_t h = hash_name(kind, name, len);
    ct__series *s = find(kind, name, len, h);
    if (s)
        return s;
    if (n_series >= MAX_SERIES)
        return NULL; /* names made at run time without end: not tracked past this */
    s = ct__arena_alloc(sizeof *s + len + 1);
    if (!s)
        return NULL;
    __atomic_store_n(&n_series, n_series + 1, __ATOMIC_RELAXED);
    s->hash = h;
    s->kind = kind;
    s->len = (uint32_t)len;
    memcpy(s->name, name, len);
    s->chain = buckets[h % SERIES_BUCKETS];
    __atomic_store_n(&buckets[h % SERIES_BUCKETS], s, __ATOMIC_RELEASE);
    return s;
}

/* A shard of s for one thread: a free one, or a new one. Under registry_lock. */
static ct__shard *shard_take_locked(ct__series *s)
{
    ct__shard *sh = s->free;
    if (sh) {
        s->free = sh->next_free;
        sh->next_free = NULL;
        return sh;
    }
    sh = ct__arena_alloc(sizeof *sh);
    if (!sh)
        return NULL;
    sh->series = s;
    sh->min_ns = UINT64_MAX;
    sh->next = s->shards;
    __atomic_store_n(&s->shards, sh, __ATOMIC_RELEASE);
    return sh;
}

ct__shard *ct__live_shard_take(unsigned kind, const char *name, size_t len)
{
    ct__spin_lock(&registry_lock);
    ct__series *s = series_get_locked(kind, name, len);
    ct__shard *sh = s ? shard_take_locked(s) : NULL;
    ct__spin_unlock(&registry_lock);
    return sh;
}

int ct__live_series_full(void)
{
    return __atomic_load_n(&n_series, __ATOMIC_RELAXED) >= MAX_SERIES;
}

/* The thread's own shard of series (kind, name): one it holds already, else
 * a new one. A new string id is a name new to the thread, unless its ids
 * started over (lt->forgot): only then can it hold a shard of it already. */
static ct__shard *owned_shard(ct__live_thread *lt, unsigned kind, const char *name, size_t len)
{
    if (lt->forgot || kind != CT_SERIES_REGION) {
        ct__series *s = find(kind, name, len, hash_name(kind, name, len));
        for (ct__shard *sh = lt->owned; s && sh; sh = sh->next_owned)
            if (sh->series == s)
                return sh;
    }
    ct__shard *sh = ct__live_shard_take(kind, name, len);
    if (sh) {
        sh->next_owned = lt->owned;
        lt->owned = sh;
    }
    return sh;
}

ct__shard *ct__live_series_first_shard(ct__series *s)
{
    return __atomic_load_n(&s->shards, __ATOMIC_ACQUIRE);
}

/* ---- adding ------------------------------------------------------------------- */

/* The shard's numbers are of an older test: start over. */
static void shard_reset(ct__shard *s, uint32_t gen)
{
    uint64_t used = LOAD(s->groups_used);
    for (unsigned g = 0; used; g++, used >>= 1) {
        if (!(used & 1))
            continue;
        uint32_t *row = LOAD(s->groups[g]);
        for (unsigned b = 0; b < CTV_HIST_SUB; b++)
            STORE(row[b], 0);
        STORE(s->group_count[g], 0);
    }
    STORE(s->behind, 0); /* an instance of the older test */
    STORE(s->groups_used, 0);
    STORE(s->count, 0);
    STORE(s->total_ns, 0);
    STORE(s->min_ns, UINT64_MAX);
    STORE(s->max_ns, 0);
    __atomic_store_n(&s->gen, gen, __ATOMIC_RELEASE);
}

void ct__live_add(ct__shard *s, uint32_t gen, uint64_t ns, uint64_t end_ticks,
                  ct__live_who who, const uint64_t *pcs, unsigned n)
{
    if (LOAD(s->gen) != gen)
        shard_reset(s, gen);
    unsigned g, b;
    ctv_hist_locate(ns, &g, &b);
    uint32_t *row = s->groups[g]; /* only this thread writes the pointer */
    if (!row) {
        row = ct__arena_alloc(CTV_HIST_SUB * sizeof *row);
        if (!row)
            return;
        __atomic_store_n(&s->groups[g], row, __ATOMIC_RELEASE);
    }
    uint64_t used = LOAD(s->groups_used);
    if (!(used >> g & 1))
        STORE(s->groups_used, used | (uint64_t)1 << g);
    ct__live_count(s, row, g, b, ns);
    uint64_t count = LOAD(s->count);
    if (ns < LOAD(s->min_ns))
        STORE(s->min_ns, ns);
    if (ns > LOAD(s->max_ns) || count == 1) {
        STORE(s->max_ns, ns);
        STORE(s->max_end_ticks, end_ticks);
        STORE(s->max_serial, who.serial);
        STORE(s->max_tid, who.tid);
        unsigned depth = n < CT_LIVE_PCS ? n : CT_LIVE_PCS;
        for (unsigned i = 0; i < depth; i++)
            STORE(s->max_pcs[i], pcs[i]);
        STORE(s->max_depth, depth);
    }
}

/* ---- per thread -------------------------------------------------------------- */

/* Grow the id -> shard map. malloc, as interning a new name does next to it. */
static int map_grow(ct__live_thread *lt)
{
    uint32_t cap = lt->by_name_cap ? lt->by_name_cap * 2 : 64;
    struct ct__live_map_slot *m = calloc(cap, sizeof *m);
    if (!m)
        return -1;
    for (uint32_t i = 0; i < lt->by_name_cap; i++) {
        struct ct__live_map_slot *e = &lt->by_name[i];
        if (e->id == 0)
            continue;
        uint32_t j = ct__live_map_home(e->id, cap - 1);
        while (m[j].id != 0)
            j = (j + 1) & (cap - 1);
        m[j] = *e;
    }
    free(lt->by_name);
    lt->by_name = m;
    lt->by_name_cap = cap;
    return 0;
}

ct__shard *ct__live_region_shard_slow(ct__live_thread *lt, uint32_t id, const char *name)
{
    if (id == 0) /* a name the thread could not intern */
        return NULL;
    if ((lt->by_name_used + 1) * 2 > lt->by_name_cap && map_grow(lt) != 0)
        return NULL;
    const char *n = name ? name : "";
    ct__shard *sh = owned_shard(lt, CT_SERIES_REGION, n, name_len(n));
    if (!sh)
        return NULL;
    uint32_t mask = lt->by_name_cap - 1;
    uint32_t i = ct__live_map_home(id, mask);
    while (lt->by_name[i].id != 0)
        i = (i + 1) & mask;
    lt->by_name[i].id = id;
    lt->by_name[i].shard = sh;
    lt->by_name_used++;
    return sh;
}

int ct__live_open_make_room(ct__live_thread *lt)
{
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE), kept = 0;
    for (uint32_t i = 0; i < lt->n_open; i++)
        if (lt->open[i].gen == gen)
            lt->open[kept++] = lt->open[i];
    lt->n_open = kept;
    return kept < CT_LIVE_OPEN;
}

void ct__live_region_end_slow(ct__live_thread *lt, uint64_t serial, uint64_t ticks,
                              ct__live_who who)
{
    for (uint32_t i = lt->n_open; i-- > 0;) {
        if (lt->open[i].serial != serial)
            continue;
        struct ct__live_open o = lt->open[i];
        memmove(&lt->open[i], &lt->open[i + 1], (lt->n_open - i - 1) * sizeof o);
        lt->n_open--;
        if (o.gen == __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE))
            ct__live_add(o.shard, o.gen, ct__live_ticks_to_ns(ticks > o.begin ? ticks - o.begin : 0),
                         ticks, who, NULL, 0);
        return;
    }
}

ct__shard *ct__live_wait_shard(ct__live_thread *lt, unsigned kind)
{
    if (kind >= CT_LIVE_WAIT_KINDS)
        return NULL;
    if (!lt->wait[kind]) {
        char name = (char)kind;
        lt->wait[kind] = owned_shard(lt, CT_SERIES_WAIT, &name, 1);
    }
    return lt->wait[kind];
}

void ct__live_thread_forget_names(ct__live_thread *lt)
{
    for (uint32_t i = 0; i < lt->by_name_cap; i++)
        lt->by_name[i].id = 0;
    lt->by_name_used = 0;
    lt->forgot = 1;
}

void ct__live_thread_release(ct__live_thread *lt)
{
    ct__spin_lock(&registry_lock);
    for (ct__shard *sh = lt->owned, *next; sh; sh = next) {
        next = sh->next_owned;
        sh->next_owned = NULL;
        sh->next_free = sh->series->free;
        sh->series->free = sh;
    }
    ct__spin_unlock(&registry_lock);
    lt->owned = NULL;
    for (unsigned k = 0; k < CT_LIVE_WAIT_KINDS; k++)
        lt->wait[k] = NULL;
    ct__live_log_release(lt);
    free(lt->by_name);
    lt->by_name = NULL;
    lt->by_name_cap = lt->by_name_used = 0;
    lt->n_open = 0;
    lt->forgot = 0;
}

/* ---- reading ------------------------------------------------------------------ */

static int current(const ct__shard *sh, uint32_t gen)
{
    return __atomic_load_n(&sh->gen, __ATOMIC_ACQUIRE) == gen && LOAD(sh->count) > 0;
}

void ct__live_sum_of(ct__series *s, ct__live_sum *out)
{
    memset(out, 0, sizeof *out);
    out->min_ns = 0;
    if (!s)
        return;
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    uint64_t min = UINT64_MAX;
    for (ct__shard *sh = __atomic_load_n(&s->shards, __ATOMIC_ACQUIRE); sh; sh = sh->next) {
        if (!current(sh, gen))
            continue;
        out->count += LOAD(sh->count);
        out->total_ns += LOAD(sh->total_ns);
        uint64_t lo = LOAD(sh->min_ns), hi = LOAD(sh->max_ns);
        if (lo < min)
            min = lo;
        if (hi >= out->max_ns) {
            out->max_ns = hi;
            out->max_end_ticks = LOAD(sh->max_end_ticks);
            out->max_who.serial = LOAD(sh->max_serial);
            out->max_who.tid = LOAD(sh->max_tid);
            unsigned depth = LOAD(sh->max_depth);
            out->max_depth = depth <= CT_LIVE_PCS ? depth : CT_LIVE_PCS;
            for (unsigned i = 0; i < out->max_depth; i++)
                out->max_pcs[i] = LOAD(sh->max_pcs[i]);
        }
    }
    out->min_ns = out->count ? min : 0;
}

/* The instance sh's last quick add left behind (live.h), 0 if none: read
 * after its buckets, with acquire loads, so that one the writer has since
 * counted in its bucket is not counted twice (it may be missed instead, as
 * an instance added while a sum is taken may be). */
static uint32_t behind_of(const ct__shard *sh, unsigned *g, unsigned *b)
{
    uint32_t behind = __atomic_load_n(&sh->behind, __ATOMIC_ACQUIRE);
    if (behind) {
        *g = (behind - 1) >> CTV_HIST_SUB_BITS;
        *b = (behind - 1) & (CTV_HIST_SUB - 1);
    }
    return behind;
}

/* Group g's buckets summed over the current shards, into sums. */
static void group_sum(ct__series *s, uint32_t gen, unsigned g, uint64_t sums[CTV_HIST_SUB])
{
    memset(sums, 0, CTV_HIST_SUB * sizeof *sums);
    for (ct__shard *sh = __atomic_load_n(&s->shards, __ATOMIC_ACQUIRE); sh; sh = sh->next) {
        if (!current(sh, gen) || !(LOAD(sh->groups_used) >> g & 1))
            continue;
        uint32_t *row = __atomic_load_n(&sh->groups[g], __ATOMIC_ACQUIRE);
        if (row)
            for (unsigned b = 0; b < CTV_HIST_SUB; b++)
                sums[b] += __atomic_load_n(&row[b], __ATOMIC_ACQUIRE);
        unsigned bg, bb;
        if (behind_of(sh, &bg, &bb) && bg == g)
            sums[bb]++;
    }
}

/* Instances in each group, summed over the current shards. */
static void group_counts(ct__series *s, uint32_t gen, uint64_t counts[CTV_HIST_GROUPS])
{
    memset(counts, 0, CTV_HIST_GROUPS * sizeof *counts);
    for (ct__shard *sh = __atomic_load_n(&s->shards, __ATOMIC_ACQUIRE); sh; sh = sh->next) {
        if (!current(sh, gen))
            continue;
        uint64_t used = LOAD(sh->groups_used);
        for (unsigned g = 0; used; g++, used >>= 1)
            if (used & 1)
                counts[g] += __atomic_load_n(&sh->group_count[g], __ATOMIC_ACQUIRE);
        unsigned bg, bb;
        if (behind_of(sh, &bg, &bb))
            counts[bg]++;
    }
}

uint64_t ct__live_count_over(ct__series *s, const ct__live_sum *sum, uint64_t limit_ns)
{
    if (!s || sum->max_ns <= limit_ns)
        return 0;
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    unsigned lg, lb;
    ctv_hist_locate(limit_ns, &lg, &lb);
    uint64_t n = 0, counts[CTV_HIST_GROUPS], sums[CTV_HIST_SUB];
    group_counts(s, gen, counts);
    for (unsigned g = lg + 1; g < CTV_HIST_GROUPS; g++)
        n += counts[g];
    if (counts[lg]) { /* the limit's own octave, bucket by bucket */
        group_sum(s, gen, lg, sums);
        for (unsigned b = lb + 1; b < CTV_HIST_SUB; b++)
            n += sums[b];
    }
    return n ? n : 1;
}

uint64_t ct__live_quantile(ct__series *s, const ct__live_sum *sum, double q)
{
    if (!s || sum->count == 0)
        return 0;
    if (!(q > 0.0))
        return sum->min_ns;
    if (q >= 1.0)
        return sum->max_ns;
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    uint64_t rank = ctv_hist_rank(q, sum->count), seen = 0;
    uint64_t counts[CTV_HIST_GROUPS], sums[CTV_HIST_SUB];
    group_counts(s, gen, counts);
    for (unsigned g = 0; g < CTV_HIST_GROUPS; g++) {
        if (seen + counts[g] < rank) { /* the rank is past this octave */
            seen += counts[g];
            continue;
        }
        group_sum(s, gen, g, sums);
        for (unsigned b = 0; b < CTV_HIST_SUB; b++) {
            seen += sums[b];
            if (seen >= rank) {
                uint64_t v = ctv_hist_midpoint(g, b);
                return v < sum->min_ns ? sum->min_ns : v > sum->max_ns ? sum->max_ns : v;
            }
        }
    }
    return sum->max_ns; /* threads still adding: the counts ran ahead of the sum */
}
