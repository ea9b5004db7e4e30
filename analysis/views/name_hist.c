/*
 * name_hist.c - a latency histogram per distinct name (name_hist.h).
 */
#include "name_hist.h"

#include <stdint.h> /* uintptr_t */
#include <stdlib.h> /* malloc, free, qsort_r */
#include <string.h> /* memcmp, memset */

#include <ctrace.h> /* CT_ENOMEM */

void ctv_name_hists_init(ctv_name_hists *t)
{
    ctv_names_init(&t->names);
    t->stats = NULL;
    t->capacity = 0;
    memset(t->seen, 0, sizeof t->seen);
}

/* Where `name` is remembered, if it was added lately. */
static size_t seen_slot(const char *name)
{
    return ((uintptr_t)name >> 3 ^ (uintptr_t)name >> 9) & (CTV_NAMES_SEEN - 1);
}

int ctv_name_hists_add(ctv_name_hists *t, const char *name, size_t len, uint64_t duration_ns,
                       int unended)
{
    size_t slot = seen_slot(name);
    uint32_t index;
    if (t->seen[slot].bytes == name && t->seen[slot].len == len && name) {
        index = t->seen[slot].index;
    } else {
        /* Room for one more name first, so a new name always has its slot. */
        ctv_name_stats *stats = ctv_reserve(t->stats, &t->capacity, t->names.count,
                                            sizeof *stats);
        if (!stats)
            return CT_ENOMEM;
        t->stats = stats;
        uint32_t known = t->names.count;
        int rc = ctv_names_intern(&t->names, name, len, &index);
        if (rc != 0)
            return rc;
        if (t->names.count > known) {
            ctv_hist_init(&t->stats[index].hist);
            t->stats[index].unended = 0;
        }
        t->seen[slot].bytes = name;
        t->seen[slot].len = len;
        t->seen[slot].index = index;
    }
    ctv_name_stats *s = &t->stats[index];
    if (unended) {
        s->unended++;
        return 0;
    }
    return ctv_hist_add(&s->hist, duration_ns);
}

static int by_name(const void *a, const void *b, void *names)
{
    const ctv_name *x = &((const ctv_name *)names)[*(const uint32_t *)a];
    const ctv_name *y = &((const ctv_name *)names)[*(const uint32_t *)b];
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->bytes, y->bytes, n) : 0;
    if (c != 0)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

uint32_t *ctv_name_hists_order(const ctv_name_hists *t)
{
    uint32_t *order = malloc((t->names.count ? t->names.count : 1) * sizeof *order);
    if (!order)
        return NULL;
    for (uint32_t k = 0; k < t->names.count; k++)
        order[k] = k;
    qsort_r(order, t->names.count, sizeof *order, by_name, t->names.names);
    return order;
}

void ctv_name_hists_free(ctv_name_hists *t)
{
    for (uint32_t k = 0; k < t->names.count; k++)
        ctv_hist_free(&t->stats[k].hist);
    free(t->stats);
    ctv_names_free(&t->names);
    ctv_name_hists_init(t);
}
