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
    ctv_ids_init(&t->by_address);
}

int ctv_name_hists_add_first_here(ctv_name_hists *t, const char *name, size_t len,
                                  uint64_t duration_ns, int unended)
{
    /* Room for one more name first, so a new name always has its slot. */
    ctv_name_stats *stats = ctv_reserve(t->stats, &t->capacity, t->names.count, sizeof *stats);
    if (!stats)
        return CT_ENOMEM;
    t->stats = stats;
    uint32_t known = t->names.count, index;
    int rc = ctv_names_intern(&t->names, name, len, &index);
    if (rc != 0)
        return rc;
    if (t->names.count > known) {
        ctv_hist_init(&t->stats[index].hist);
        t->stats[index].unended = 0;
    }
    if (name && (rc = ctv_ids_put(&t->by_address, (uintptr_t)name, index)) != 0)
        return rc;
    return ctv_name_stats_add(&t->stats[index], duration_ns, unended);
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
    ctv_ids_free(&t->by_address);
    ctv_name_hists_init(t);
}
