/*
 * flame_tree.c - folded stacks into a flame graph's tree (flame_tree.h).
 */
#include "flame_tree.h"

#include <stdlib.h> /* malloc, free, qsort_r */
#include <string.h> /* memcpy, memchr, memcmp */

#include <ctrace.h> /* CT_ENOMEM */

static uint64_t add_saturated(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int ctv_flame_init(ctv_flame *f)
{
    *f = (ctv_flame){0};
    ctv_names_init(&f->labels);
    ctv_names_init(&f->edges);
    f->nodes = ctv_reserve(NULL, &f->cap, 0, sizeof *f->nodes);
    if (!f->nodes)
        return CT_ENOMEM;
    f->nodes[0] = (ctv_flame_node){0};
    f->count = 1;
    return 0;
}

/* The child of `parent` named `name` (or its "(deeper frames)" node:
 * `deeper`), made when new; 0 out of memory. */
static uint32_t child(ctv_flame *f, uint32_t parent, const char *name, size_t len, int deeper)
{
    /* Room for one more node first, so a new edge always has its node. */
    ctv_flame_node *nodes = ctv_reserve(f->nodes, &f->cap, f->count, sizeof *nodes);
    if (!nodes)
        return 0;
    f->nodes = nodes;
    uint32_t label;
    if (ctv_names_intern(&f->labels, name, len, &label) != 0)
        return 0;
    /* The deeper node's edge has a label no frame has. */
    uint32_t key[2] = {parent, deeper ? UINT32_MAX : label};
    uint32_t edge;
    uint32_t known = f->edges.count;
    if (ctv_names_intern(&f->edges, (const char *)key, sizeof key, &edge) != 0)
        return 0;
    if (f->edges.count == known) /* edge k holds node k + 1 */
        return edge + 1;
    uint32_t index = (uint32_t)f->count++;
    nodes[index] = (ctv_flame_node){.label = label, .deeper = deeper != 0,
                                    .next_sibling = nodes[parent].first_child};
    nodes[parent].first_child = index;
    return index;
}

/* Add value to a node child() gave (0: none, out of memory); @return it. */
static uint32_t add_to(ctv_flame *f, uint32_t node, uint64_t value)
{
    if (node)
        f->nodes[node].total = add_saturated(f->nodes[node].total, value);
    return node;
}

int ctv_flame_add(ctv_flame *f, const char *stack, size_t len, uint64_t value)
{
    uint32_t node = CTV_FLAME_ROOT;
    f->nodes[node].total = add_saturated(f->nodes[node].total, value);
    size_t at = 0;
    for (unsigned depth = 0; at <= len && depth < CTV_FLAME_MAX_DEPTH; depth++) {
        const char *semi = memchr(stack + at, ';', len - at);
        size_t end = semi ? (size_t)(semi - stack) : len;
        if (!(node = add_to(f, child(f, node, stack + at, end - at, 0), value)))
            return CT_ENOMEM;
        at = end + 1;
    }
    if (at <= len) { /* frames left past the bound: summed into one */
        if (!add_to(f, child(f, node, CTV_FLAME_DEEPER, strlen(CTV_FLAME_DEEPER), 1), value))
            return CT_ENOMEM;
        f->deeper_stacks++;
        f->deeper_total = add_saturated(f->deeper_total, value);
    }
    return 0;
}

/* Largest first; equal values by name, so a page is the same for a trace. */
static int by_total(const void *a, const void *b, void *arg)
{
    const ctv_flame *f = arg;
    const ctv_flame_node *x = &f->nodes[*(const uint32_t *)a];
    const ctv_flame_node *y = &f->nodes[*(const uint32_t *)b];
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    if (x->deeper != y->deeper) /* and a frame named "(deeper frames)" before the node */
        return x->deeper ? 1 : -1;
    const ctv_name *nx = &f->labels.names[x->label], *ny = &f->labels.names[y->label];
    size_t n = nx->len < ny->len ? nx->len : ny->len;
    int c = n ? memcmp(nx->bytes, ny->bytes, n) : 0;
    return c ? c : (nx->len > ny->len) - (nx->len < ny->len);
}

int ctv_flame_children(const ctv_flame *f, uint32_t node, uint64_t min_value,
                       ctv_flame_kids *kids)
{
    *kids = (ctv_flame_kids){0};
    size_t n = 0;
    for (uint32_t c = f->nodes[node].first_child; c; c = f->nodes[c].next_sibling)
        n++;
    kids->nodes = malloc((n ? n : 1) * sizeof *kids->nodes);
    if (!kids->nodes)
        return CT_ENOMEM;
    for (uint32_t c = f->nodes[node].first_child; c; c = f->nodes[c].next_sibling) {
        if (f->nodes[c].total >= min_value) {
            kids->nodes[kids->count++] = c;
        } else {
            kids->small_total = add_saturated(kids->small_total, f->nodes[c].total);
            kids->small_count++;
        }
    }
    qsort_r(kids->nodes, kids->count, sizeof *kids->nodes, by_total, (void *)f);
    return 0;
}

void ctv_flame_free(ctv_flame *f)
{
    ctv_names_free(&f->labels);
    ctv_names_free(&f->edges);
    free(f->nodes);
    *f = (ctv_flame){0};
}
