/*
 * profile_scope.c - the filters of `ctest-trace profile` (profile_scope.h).
 */
#include "profile_scope.h"

#include <stdlib.h> /* calloc, malloc, free, strtoull */
#include <string.h> /* memcmp, memcpy, strlen */

#include <ctrace.h> /* CT_ENOMEM, CT_EIO */

#define MAX_ANCESTORS 4096 /* a bound on the walk up: a damaged trace may loop */
#define GALLOP 8           /* intervals stepped over before a binary search */

struct scope_task {
    uint64_t id, parent;
    uint8_t kind;   /* ctr_task_kind */
    uint8_t self;   /* SELF_* */
    uint8_t answer; /* ANSWER_*: the walk from this task, once made */
};

#define SELF_TEST 0x1u /* a test or fixture whose name --test matches */
#define SELF_TASK 0x2u /* the task --task names */
#define ANSWER_NO 1
#define ANSWER_YES 2

struct scope_thread {
    uint64_t first, count; /* its merged intervals */
    uint64_t hint;         /* where its last lookup ended */
};

typedef struct interval {
    uint64_t key, begin, end; /* key: process and tid */
} interval;

static uint64_t thread_key(uint32_t process, int32_t tid)
{
    return (uint64_t)process << 32 | (uint32_t)tid;
}

int profile_scope_init(profile_scope *s, const ctv_profile_opts *opts, FILE *err)
{
    memset(s, 0, sizeof *s);
    s->opts = opts;
    ctv_tmp_init(&s->tmp);
    ctv_sort_init(&s->spans, &s->tmp, "profile: regions", s->tmp.budget);
    ctv_spill_init(&s->merged, &s->tmp, "profile: regions", s->tmp.budget / 2);
    ctv_ids_init(&s->thread_index);
    if (opts->task) {
        char *end;
        s->want_id = strtoull(opts->task, &end, 10);
        s->task_by_id = *opts->task && *end == '\0';
    }
    if (opts->test && regcomp(&s->test_re, opts->test, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(err, "ctest-trace: profile: --test: not a valid regular expression: %s\n",
                opts->test);
        return 2;
    }
    s->have_test_re = opts->test != NULL;
    return 0;
}

int profile_scope_needed(const profile_scope *s)
{
    return s->opts->test || s->opts->task || s->opts->region;
}

/* ---- tasks ------------------------------------------------------------------------ */

static scope_task *task_of(const profile_scope *s, uint64_t id)
{
    if (!id || !s->slot_count)
        return NULL;
    size_t mask = s->slot_count - 1;
    for (size_t i = (size_t)ctv_hash_id(id) & mask; s->slots[i]; i = (i + 1) & mask)
        if (s->tasks[s->slots[i] - 1].id == id)
            return &s->tasks[s->slots[i] - 1];
    return NULL;
}

static int grow_slots(profile_scope *s)
{
    size_t count = s->slot_count ? s->slot_count * 2 : 1024;
    uint32_t *slots = calloc(count, sizeof *slots);
    if (!slots)
        return CT_ENOMEM;
    for (uint32_t t = 0; t < s->ntasks; t++) {
        size_t i = (size_t)ctv_hash_id(s->tasks[t].id) & (count - 1);
        while (slots[i])
            i = (i + 1) & (count - 1);
        slots[i] = t + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->slot_count = count;
    return 0;
}

/* Whether a task's own name matches: decided once, so names need not be kept. */
static uint8_t self_match(const profile_scope *s, const ctr_event *ev)
{
    uint8_t self = 0;
    const char *want = s->opts->task;
    if (want && (s->task_by_id ? ev->task == s->want_id
                               : strlen(want) == ev->name_len &&
                                     memcmp(want, ev->name, ev->name_len) == 0))
        self |= SELF_TASK;
    if (s->have_test_re && ev->task_kind != CTR_TASK_USER) {
        char small[256], *name = ev->name_len < sizeof small ? small : malloc(ev->name_len + 1);
        if (!name)
            return 0xff; /* out of memory */
        if (ev->name_len)
            memcpy(name, ev->name, ev->name_len);
        name[ev->name_len] = '\0'; /* a NUL inside ends it for regexec, as it always did */
        if (regexec(&s->test_re, name, 0, NULL, 0) == 0)
            self |= SELF_TEST;
        if (name != small)
            free(name);
    }
    return self;
}

static int add_task(profile_scope *s, const ctr_event *ev)
{
    if (!ev->task || task_of(s, ev->task)) /* a second begin for one id: the first counts */
        return 0;
    if (s->ntasks == UINT32_MAX - 1)
        return CT_ENOMEM;
    if ((size_t)(s->ntasks + 1) * 2 > s->slot_count && grow_slots(s) != 0)
        return CT_ENOMEM;
    scope_task *grown = ctv_reserve(s->tasks, &s->tasks_cap, s->ntasks, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    s->tasks = grown;
    uint8_t self = self_match(s, ev);
    if (self == 0xff)
        return CT_ENOMEM;
    s->tasks[s->ntasks] = (scope_task){ev->task, ev->parent, (uint8_t)ev->task_kind, self, 0};
    size_t mask = s->slot_count - 1, i = (size_t)ctv_hash_id(ev->task) & mask;
    while (s->slots[i])
        i = (i + 1) & mask;
    s->slots[i] = ++s->ntasks;
    return 0;
}

/* The wait's task, or one above it, is what --task names, and one above it
 * (or itself) is a test or fixture that --test matches. */
static int task_matches(const profile_scope *s, uint64_t id)
{
    scope_task *start = task_of(s, id);
    if (start && start->answer)
        return start->answer == ANSWER_YES;
    int test_ok = !s->have_test_re, task_ok = s->opts->task == NULL;
    for (int depth = 0; id && depth < MAX_ANCESTORS && !(test_ok && task_ok); depth++) {
        const scope_task *k = task_of(s, id);
        if (!k)
            break;
        task_ok |= (k->self & SELF_TASK) != 0;
        if (k->kind != CTR_TASK_USER)
            test_ok |= (k->self & SELF_TEST) != 0;
        id = k->parent;
    }
    if (start)
        start->answer = test_ok && task_ok ? ANSWER_YES : ANSWER_NO;
    return test_ok && task_ok;
}

/* ---- regions ---------------------------------------------------------------------- */

static int add_thread(profile_scope *s, uint64_t key, uint64_t first)
{
    scope_thread *grown = ctv_reserve(s->threads, &s->threads_cap, s->nthreads, sizeof *grown);
    if (!grown)
        return CT_ENOMEM;
    s->threads = grown;
    if (ctv_ids_put(&s->thread_index, key + 1, s->nthreads) != 0)
        return CT_ENOMEM;
    s->threads[s->nthreads++] = (scope_thread){first, 0, first};
    return 0;
}

static int put_interval(profile_scope *s, const interval *iv)
{
    if (!s->nthreads || ctv_ids_find(&s->thread_index, iv->key + 1, &(uint32_t){0}) == 0) {
        int rc = add_thread(s, iv->key, s->merged.size / sizeof *iv);
        if (rc != 0)
            return rc;
    }
    s->threads[s->nthreads - 1].count++;
    return ctv_spill_append(&s->merged, iv, sizeof *iv);
}

/* The regions of --region's name, sorted by thread and begin, with those of
 * a thread that nest or overlap merged: a wait's lookup is then one search. */
static int merge_spans(profile_scope *s)
{
    int rc = ctv_sort_finish(&s->spans);
    ctv_sort_rec rec;
    interval last = {0, 0, 0};
    int have = 0;
    while (rc == 0 && (rc = ctv_sort_next(&s->spans, &rec)) == 1) {
        rc = 0;
        if (have && rec.k[0] == last.key && rec.k[1] <= last.end) {
            if (rec.k[2] > last.end)
                last.end = rec.k[2];
            continue;
        }
        if (have)
            rc = put_interval(s, &last);
        last = (interval){rec.k[0], rec.k[1], rec.k[2]};
        have = 1;
    }
    if (rc == 0 && have)
        rc = put_interval(s, &last);
    if (rc == 0)
        rc = ctv_spill_seal(&s->merged);
    ctv_sort_free(&s->spans);
    return rc;
}

static int get_interval(profile_scope *s, uint64_t index, interval *iv)
{
    const unsigned char *mem = ctv_spill_memory(&s->merged);
    if (mem) {
        memcpy(iv, mem + index * sizeof *iv, sizeof *iv);
        return 0;
    }
    return ctv_spill_read(&s->merged, index * sizeof *iv, iv, sizeof *iv);
}

/* How many of [lo, hi) begin at or before `begin` (they are sorted). */
static int count_begun(profile_scope *s, uint64_t lo, uint64_t hi, uint64_t begin,
                       uint64_t *found)
{
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        interval iv;
        if (get_interval(s, mid, &iv) != 0)
            return CT_EIO;
        if (iv.begin <= begin)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo;
    return 0;
}

/* 1 when the wait lies inside a (merged) region of its thread. */
static int in_region(profile_scope *s, const ctr_event *ev)
{
    uint32_t index;
    if (!ctv_ids_find(&s->thread_index, thread_key(ev->process, ev->tid) + 1, &index))
        return 0;
    scope_thread *t = &s->threads[index];
    uint64_t end = t->first + t->count, at = t->hint, n;
    interval iv;
    if (get_interval(s, at, &iv) != 0)
        return CT_EIO;
    if (iv.begin > ev->begin_ns) { /* before the last lookup: search what came before */
        if (count_begun(s, t->first, at, ev->begin_ns, &n) != 0)
            return CT_EIO;
    } else { /* at or after it: step forward a few, then search */
        int step = 0;
        while (at + 1 < end && step++ < GALLOP) {
            if (get_interval(s, at + 1, &iv) != 0)
                return CT_EIO;
            if (iv.begin > ev->begin_ns)
                break;
            at++;
        }
        n = at + 1;
        if (step > GALLOP && count_begun(s, at + 1, end, ev->begin_ns, &n) != 0)
            return CT_EIO;
    }
    if (n == t->first)
        return 0;
    t->hint = n - 1;
    if (get_interval(s, n - 1, &iv) != 0)
        return CT_EIO;
    return ev->begin_ns >= iv.begin && ev->ts_ns <= iv.end;
}

/* ---- the passes --------------------------------------------------------------------- */

int profile_scope_event(profile_scope *s, const ctr_event *ev)
{
    switch (ev->kind) {
    case CTR_TASK_BEGIN:
        return s->opts->test || s->opts->task ? add_task(s, ev) : 0;
    case CTR_REGION: {
        const char *want = s->opts->region;
        if (!want || strlen(want) != ev->name_len || memcmp(want, ev->name, ev->name_len) != 0)
            return 0;
        return ctv_sort_add(&s->spans, thread_key(ev->process, ev->tid), ev->begin_ns,
                            ev->ts_ns, NULL, 0);
    }
    default:
        return 0;
    }
}

int profile_scope_finish(profile_scope *s)
{
    return s->opts->region ? merge_spans(s) : 0;
}

int profile_scope_wants(profile_scope *s, const ctr_event *ev)
{
    if ((s->have_test_re || s->opts->task) && !task_matches(s, ev->task))
        return 0;
    return !s->opts->region ? 1 : in_region(s, ev);
}

void profile_scope_free(profile_scope *s)
{
    if (s->have_test_re)
        regfree(&s->test_re);
    free(s->tasks);
    free(s->slots);
    free(s->threads);
    ctv_ids_free(&s->thread_index);
    ctv_sort_free(&s->spans);
    ctv_spill_free(&s->merged);
}
