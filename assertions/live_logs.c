/*
 * live_logs.c - the logs of the current test, for log_seen assertions.
 *
 * A bounded history behind a lock: logs cost a formatted copy already, and
 * an assertion looks for a substring, which needs the text. Past the bound
 * the later logs of the test are counted, not kept, and an assertion that
 * finds nothing says so.
 */
#include <string.h> /* memcpy */

#include "assertions/live.h"
#include "assertions/live_arena.h"
#include "format/wire.h" /* CT_MAX_NAME_BYTES */

#define HISTORY_BYTES (1024u * 1024u) /* per test */

struct entry {
    uint32_t category_len, len;
    uint64_t ticks;
    ct__live_who who;
    /* category bytes, then message bytes, then padding to 8 */
};

static int lock;
static unsigned char *history;
static size_t used;
static uint64_t dropped;
static uint32_t history_gen;

/* Under lock. */
static int history_now(void)
{
    if (!history && !(history = ct__arena_alloc(HISTORY_BYTES)))
        return 0;
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    if (history_gen != gen) {
        used = 0;
        dropped = 0;
        history_gen = gen;
    }
    return 1;
}

static size_t entry_bytes(size_t category_len, size_t len)
{
    return (sizeof(struct entry) + category_len + len + 7u) & ~(size_t)7u;
}

void ct__live_log(const char *category, const char *message, size_t len, uint64_t ticks,
                  ct__live_who who)
{
    size_t category_len = category ? strnlen(category, CT_MAX_NAME_BYTES) : 0;
    ct__spin_lock(&lock);
    if (history_now()) {
        size_t need = entry_bytes(category_len, len);
        if (need > HISTORY_BYTES - used) {
            dropped++;
        } else {
            struct entry e = {(uint32_t)category_len, (uint32_t)len, ticks, who};
            memcpy(history + used, &e, sizeof e);
            if (category_len)
                memcpy(history + used + sizeof e, category, category_len);
            memcpy(history + used + sizeof e + category_len, message, len);
            used += need;
        }
    }
    ct__spin_unlock(&lock);
}

int ct__live_logs_each(int (*fn)(void *arg, const char *category, size_t category_len,
                                 const char *message, size_t len, uint64_t ticks,
                                 ct__live_who who),
                       void *arg, uint64_t *not_kept)
{
    int found = 0;
    ct__spin_lock(&lock);
    *not_kept = 0;
    if (history_now()) {
        *not_kept = dropped;
        for (size_t at = 0; at < used && !found;) {
            struct entry e;
            memcpy(&e, history + at, sizeof e);
            const char *category = (const char *)history + at + sizeof e;
            found = fn(arg, category, e.category_len, category + e.category_len, e.len, e.ticks,
                       e.who);
            at += entry_bytes(e.category_len, e.len);
        }
    }
    ct__spin_unlock(&lock);
    return found;
}
