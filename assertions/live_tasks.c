/*
 * live_tasks.c - durations of user tasks by name, for task_max assertions.
 *
 * A task may end on another thread than the one that began it, so open
 * tasks are kept in one process-wide table behind a lock (tasks are few and
 * coarse next to regions). Only tasks begun in the current test count: the
 * table is emptied, lazily, when the first task of a new test begins.
 */
#include <string.h> /* memset */

#include "assertions/live.h"
#include "assertions/live_arena.h"
#include "format/wire.h" /* CT_MAX_NAME_BYTES */

#define OPEN_TASKS 1024u /* open at once in one test; more are not measured */

struct open_task {
    uint64_t id; /* 0: free */
    uint64_t begin_ticks;
    ct__shard *shard; /* its name's series, one shard for the process */
};

static int lock;
static struct open_task *table; /* OPEN_TASKS slots, linear probing */
static uint32_t table_used; /* never OPEN_TASKS: a free slot ends every probe run */
static uint32_t table_gen;

static uint32_t slot_of(uint64_t id)
{
    return (uint32_t)((id * 0x9E3779B97F4A7C15ull) >> 52) & (OPEN_TASKS - 1);
}

/* The table, emptied if it holds an older test's tasks. Under lock. */
static struct open_task *table_now(void)
{
    if (!table) {
        table = ct__arena_alloc(OPEN_TASKS * sizeof *table);
        if (!table)
            return NULL;
    }
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    if (table_gen != gen) {
        memset(table, 0, OPEN_TASKS * sizeof *table);
        table_used = 0;
        __atomic_store_n(&table_gen, gen, __ATOMIC_RELEASE);
    }
    return table;
}

void ct__live_task_begin(uint64_t id, const char *name, uint64_t ticks)
{
    if (id == 0)
        return;
    ct__spin_lock(&lock);
    struct open_task *t = table_now();
    ct__series *s = t ? ct__live_find(CT_SERIES_TASK, name, 0) : NULL;
    ct__shard *sh = NULL;
    if (s) {
        sh = ct__live_series_first_shard(s);
    } else if (t) {
        const char *n = name ? name : "";
        sh = ct__live_shard_take(CT_SERIES_TASK, n, strnlen(n, CT_MAX_NAME_BYTES));
    }
    if (sh && table_used + 1 < OPEN_TASKS) { /* past that, not measured */
        uint32_t i = slot_of(id);
        while (t[i].id != 0)
            i = (i + 1) & (OPEN_TASKS - 1);
        t[i].id = id;
        t[i].begin_ticks = ticks;
        t[i].shard = sh;
        table_used++;
    }
    ct__spin_unlock(&lock);
}

/* Remove slot i, shifting later entries of its probe run back (no tombstones). */
static void remove_slot(struct open_task *t, uint32_t i)
{
    uint32_t mask = OPEN_TASKS - 1;
    for (uint32_t j = (i + 1) & mask; t[j].id != 0; j = (j + 1) & mask) {
        uint32_t home = slot_of(t[j].id);
        /* t[j] may move to i if i lies cyclically in [home, j). */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t[i] = t[j];
            i = j;
        }
    }
    t[i].id = 0;
    table_used--;
}

void ct__live_task_end(uint64_t id, uint64_t ticks, ct__live_who who)
{
    /* Every task ends here, tests' too: most tests begin no task of their
     * own, and then the table is not touched (nor emptied, nor locked). */
    if (id == 0 || __atomic_load_n(&table_gen, __ATOMIC_ACQUIRE) !=
                       __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE))
        return;
    ct__spin_lock(&lock);
    struct open_task *t = table_now();
    if (t) {
        uint32_t i = slot_of(id);
        for (uint32_t probes = 0; probes < OPEN_TASKS && t[i].id != 0;
             probes++, i = (i + 1) & (OPEN_TASKS - 1)) {
            if (t[i].id != id)
                continue;
            uint64_t span = ticks > t[i].begin_ticks ? ticks - t[i].begin_ticks : 0;
            /* One shard for the process: the lock makes this thread its writer. */
            ct__live_add(t[i].shard, table_gen, ct__live_ticks_to_ns(span), ticks, who, NULL, 0);
            remove_slot(t, i);
            break;
        }
    }
    ct__spin_unlock(&lock);
}
