/*
 * name_hist.h - a latency histogram (common/hist.h) per distinct name: the
 * regions view's table, and the report's per region and per task name.
 * Memory grows with distinct names, never with the values counted. Those
 * the trace had to close (unended) have no real duration: they are counted
 * apart, not mixed into the distribution.
 */
#ifndef CTV_NAME_HIST_H
#define CTV_NAME_HIST_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "common/hist.h"
#include "maps.h"

typedef struct ctv_name_stats {
    ctv_hist hist;    /* those that ended */
    uint64_t unended; /* those the trace closed */
} ctv_name_stats;

typedef struct ctv_name_hists {
    ctv_names names;
    ctv_name_stats *stats; /* by name index */
    size_t capacity;
    /* The index of each name by its address (the reader's, stable until
     * ctr_close()): instances are found without hashing their bytes. One
     * entry per string of the trace the reader holds anyway. */
    ctv_ids by_address;
} ctv_name_hists;

void ctv_name_hists_init(ctv_name_hists *t);

static inline int ctv_name_stats_add(ctv_name_stats *s, uint64_t duration_ns, int unended)
{
    if (unended) {
        s->unended++;
        return 0;
    }
    return ctv_hist_add(&s->hist, duration_ns);
}

/* ctv_name_hists_add() of a name not met at this address before. */
int ctv_name_hists_add_first_here(ctv_name_hists *t, const char *name, size_t len,
                                  uint64_t duration_ns, int unended);

/*! ctv_name_hists_add() : count one instance of `name` (len bytes), of
 *  `duration_ns`, or unended (then its duration is not counted). The bytes
 *  at `name` must not change while t is used: the reader's names of regions
 *  and tasks stay until ctr_close() (ctrace_reader.h). Inline: a view
 *  counts one an event.
 *  @return 0, or CT_ENOMEM. */
static inline int ctv_name_hists_add(ctv_name_hists *t, const char *name, size_t len,
                                     uint64_t duration_ns, int unended)
{
    uint32_t index;
    /* The length is checked too: the same address is the same name only
     * while the bytes there stay, which is the caller's part. */
    if (__builtin_expect(!ctv_ids_find(&t->by_address, (uintptr_t)name, &index) ||
                             t->names.names[index].len != len, 0))
        return ctv_name_hists_add_first_here(t, name, len, duration_ns, unended);
    return ctv_name_stats_add(&t->stats[index], duration_ns, unended);
}

/*! ctv_name_hists_order() : the name indexes sorted by name bytes, so that
 *  output is the same for the same trace. @return a malloc'ed array of
 *  t->names.count indexes (never NULL on success, even when empty), or NULL
 *  when out of memory. */
uint32_t *ctv_name_hists_order(const ctv_name_hists *t);

void ctv_name_hists_free(ctv_name_hists *t);

#endif /* CTV_NAME_HIST_H */
