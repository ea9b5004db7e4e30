/*
 * live_logs.c - the logs of the current test, for log_seen assertions.
 *
 * Each thread appends to its own history (one writer, no lock): an entry is
 * written, then published by a release store of the history's length, and a
 * reader scans up to the length it loaded. An assertion looks for a
 * substring, which needs the text. A history is bounded: past it the later
 * logs of the thread's test are counted, not kept, and an assertion that
 * finds nothing says so. Like shards, a history outlives its thread (on a
 * free list, still read) and starts over when its thread logs in a new test.
 */
#include <string.h> /* memcpy */

#include "assertions/live.h"
#include "assertions/live_arena.h"
#include "format/wire.h" /* CT_MAX_NAME_BYTES */

#define HISTORY_BYTES (256u * 1024u) /* a thread's, per test; pages are touched as used */

struct entry {
    uint32_t category_len, len;
    uint64_t ticks;
    ct__live_who who;
    /* category bytes, then message bytes, then padding to 8 */
};

struct ct__log_history {
    struct ct__log_history *next;      /* in `all`: never unlinked */
    struct ct__log_history *next_free; /* under free_lock */
    uint32_t gen;     /* atomic: the test its entries are of */
    size_t used;      /* atomic: bytes published */
    uint64_t dropped; /* atomic: logs of the test not kept */
    unsigned char bytes[HISTORY_BYTES];
};

static struct ct__log_history *all; /* atomic head */
static struct ct__log_history *free_histories;
static int free_lock;

static size_t entry_bytes(size_t category_len, size_t len)
{
    return (sizeof(struct entry) + category_len + len + 7u) & ~(size_t)7u;
}

static struct ct__log_history *history_take(void)
{
    ct__spin_lock(&free_lock);
    struct ct__log_history *h = free_histories;
    if (h)
        free_histories = h->next_free;
    ct__spin_unlock(&free_lock);
    if (h)
        return h;
    if (!(h = ct__arena_alloc(sizeof *h)))
        return NULL;
    h->next = __atomic_load_n(&all, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&all, &h->next, h, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
    }
    return h;
}

void ct__live_log_release(ct__live_thread *lt)
{
    struct ct__log_history *h = lt->log;
    if (!h)
        return;
    lt->log = NULL;
    ct__spin_lock(&free_lock);
    h->next_free = free_histories;
    free_histories = h;
    ct__spin_unlock(&free_lock);
}

void ct__live_log(ct__live_thread *lt, const char *category, const char *message, size_t len,
                  uint64_t ticks, ct__live_who who)
{
    struct ct__log_history *h = lt->log;
    if (!h && !(h = lt->log = history_take()))
        return;
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    size_t used = __atomic_load_n(&h->used, __ATOMIC_RELAXED);
    if (__atomic_load_n(&h->gen, __ATOMIC_RELAXED) != gen) { /* a new test: start over */
        __atomic_store_n(&h->used, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&h->dropped, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&h->gen, gen, __ATOMIC_RELEASE);
        used = 0;
    }
    size_t category_len = category ? strnlen(category, CT_MAX_NAME_BYTES) : 0;
    size_t need = entry_bytes(category_len, len);
    if (need > HISTORY_BYTES - used) {
        __atomic_store_n(&h->dropped, __atomic_load_n(&h->dropped, __ATOMIC_RELAXED) + 1,
                         __ATOMIC_RELAXED);
        return;
    }
    struct entry e = {(uint32_t)category_len, (uint32_t)len, ticks, who};
    memcpy(h->bytes + used, &e, sizeof e);
    if (category_len)
        memcpy(h->bytes + used + sizeof e, category, category_len);
    memcpy(h->bytes + used + sizeof e + category_len, message, len);
    __atomic_store_n(&h->used, used + need, __ATOMIC_RELEASE);
}

int ct__live_logs_each(int (*fn)(void *arg, const char *category, size_t category_len,
                                 const char *message, size_t len, uint64_t ticks,
                                 ct__live_who who),
                       void *arg, uint64_t *not_kept)
{
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    *not_kept = 0;
    for (struct ct__log_history *h = __atomic_load_n(&all, __ATOMIC_ACQUIRE); h; h = h->next) {
        if (__atomic_load_n(&h->gen, __ATOMIC_ACQUIRE) != gen)
            continue;
        size_t used = __atomic_load_n(&h->used, __ATOMIC_ACQUIRE);
        *not_kept += __atomic_load_n(&h->dropped, __ATOMIC_RELAXED);
        for (size_t at = 0; at + sizeof(struct entry) <= used;) {
            struct entry e;
            memcpy(&e, h->bytes + at, sizeof e);
            const char *category = (const char *)h->bytes + at + sizeof e;
            if (fn(arg, category, e.category_len, category + e.category_len, e.len, e.ticks,
                   e.who))
                return 1;
            at += entry_bytes(e.category_len, e.len);
        }
    }
    return 0;
}
