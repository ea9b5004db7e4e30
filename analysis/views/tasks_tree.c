/*
 * tasks_tree.c - `ctest-trace tasks` for people: each task under its parent,
 * children in the order of their begin, depth first, in bounded memory.
 *
 * The tasks come from the join in print order (start, first mention); their
 * position in it is their rank. Roots are the tasks without a parent, with a
 * parent not in the trace, or their own parent; a parent cycle leaves tasks
 * that no root reaches, printed last, each the root of what it reaches.
 * Linking a task to its parent needs the parent's rank from its id: sorts,
 * not a table in memory.
 *   1. Rows by rank into a spill (fixed size: read back by rank); (parent id,
 *      rank) and (id, rank) into two sorts.
 *   2. Both read by id side by side: each task's parent rank, into a sort of
 *      (parent rank + 1, rank); 0 for a root.
 *   3. Read back, that is every parent's children in order: a child's
 *      parent and next sibling, a parent's first child, into a sort by rank.
 *   4. Read back by rank: a spill of links, three ranks a task.
 *   5. The walk follows the links (first child, next sibling, up to the
 *      parent when a subtree is done): no stack, so a hostile chain of
 *      nested tasks cannot overflow one. A bit a task says it was printed.
 */
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* calloc, free */
#include <string.h> /* memcpy */

#include "format/wire.h" /* ct_put_uvarint, ct_get_uvarint */
#include "tasks_model.h"

#define NONE UINT32_MAX
#define RANDOM_READ_BUFFER (16u * 1024u) /* the walk jumps about: small reads */

typedef struct links {
    uint32_t parent, first_child, next_sibling; /* ranks, NONE for none */
} links;

typedef struct tree {
    task_store *st;
    FILE *out;
    uint32_t n;
    ctv_spill rows, roots, links;
    ctv_sort by_parent, by_id, children, updates;
    /* walking */
    ctv_spill_cursor rows_c, links_c;
    task_items items;
    unsigned char *printed; /* a bit a rank */
} tree;

static int put_rank(ctv_spill *s, uint32_t rank)
{
    unsigned char b[4] = {(unsigned char)rank, (unsigned char)(rank >> 8),
                          (unsigned char)(rank >> 16), (unsigned char)(rank >> 24)};
    return ctv_spill_append(s, b, 4);
}

static uint32_t get_rank(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* 1. Ranks, rows by rank, and what linking needs. */
static int rank_tasks(tree *t)
{
    ctv_sort_rec rec;
    int rc;
    uint32_t rank = 0;
    while ((rc = ctv_sort_next(&t->st->order, &rec)) == 1) {
        task_row row;
        if (rec.len != sizeof row)
            return CT_EIO;
        memcpy(&row, rec.payload, sizeof row);
        rc = ctv_spill_append(&t->rows, &row, sizeof row);
        if (rc == 0 && (row.parent == 0 || row.parent == row.id))
            rc = ctv_sort_add(&t->children, 0, rank, 0, NULL, 0); /* a root */
        else if (rc == 0)
            rc = ctv_sort_add(&t->by_parent, row.parent, rank, 0, NULL, 0);
        if (rc == 0)
            rc = ctv_sort_add(&t->by_id, row.id, rank, 0, NULL, 0);
        if (rc != 0)
            return rc;
        rank++;
    }
    if (rc == 0 && rank != t->n)
        rc = CT_EIO;
    if (rc == 0)
        rc = ctv_spill_seal(&t->rows);
    if (rc == 0)
        rc = ctv_sort_finish(&t->by_parent);
    return rc == 0 ? ctv_sort_finish(&t->by_id) : rc;
}

/* 2. Each task's parent rank, from its parent id. */
static int find_parents(tree *t)
{
    ctv_sort_rec child, task;
    int crc, trc = ctv_sort_next(&t->by_id, &task);
    while ((crc = ctv_sort_next(&t->by_parent, &child)) == 1) {
        while (trc == 1 && task.k[0] < child.k[0])
            trc = ctv_sort_next(&t->by_id, &task);
        if (trc < 0)
            return trc;
        /* A parent not in the trace makes a root. */
        uint64_t parent = trc == 1 && task.k[0] == child.k[0] ? task.k[1] + 1 : 0;
        int rc = ctv_sort_add(&t->children, parent, child.k[1], 0, NULL, 0);
        if (rc != 0)
            return rc;
    }
    if (crc < 0)
        return crc;
    if (trc < 0)
        return trc;
    return ctv_sort_finish(&t->children);
}

static int add_update(tree *t, uint32_t rank, uint64_t field, uint32_t a, uint32_t b)
{
    unsigned char buf[2 * CT_UVARINT_MAX], *p = buf;
    p = ct_put_uvarint(p, a);
    p = ct_put_uvarint(p, b);
    return ctv_sort_add(&t->updates, rank, field, 0, buf, (size_t)(p - buf));
}

/* 3. Roots in rank order; the links each child list makes. */
static int list_children(tree *t)
{
    ctv_sort_rec rec;
    int rc;
    uint64_t group = 0;    /* parent rank + 1 of the list being read */
    uint32_t last = NONE;  /* its last child so far */
    while ((rc = ctv_sort_next(&t->children, &rec)) == 1) {
        uint32_t child = (uint32_t)rec.k[1];
        if (rec.k[0] == 0) {
            rc = put_rank(&t->roots, child);
        } else {
            uint32_t parent = (uint32_t)(rec.k[0] - 1);
            if (rec.k[0] != group) { /* a new list: the previous one is over */
                if (last != NONE && (rc = add_update(t, last, 0, (uint32_t)(group - 1), NONE)))
                    return rc;
                group = rec.k[0];
                rc = add_update(t, parent, 1, child, 0);
            } else {
                rc = add_update(t, last, 0, parent, child);
            }
            last = child;
        }
        if (rc != 0)
            return rc;
    }
    if (rc == 0 && last != NONE)
        rc = add_update(t, last, 0, (uint32_t)(group - 1), NONE);
    if (rc == 0)
        rc = ctv_spill_seal(&t->roots);
    return rc == 0 ? ctv_sort_finish(&t->updates) : rc;
}

/* 4. The links of every rank, in order. */
static int write_links(tree *t)
{
    ctv_sort_rec rec;
    int rc = ctv_sort_next(&t->updates, &rec);
    for (uint32_t rank = 0; rank < t->n && rc >= 0; rank++) {
        links l = {NONE, NONE, NONE};
        for (; rc == 1 && rec.k[0] == rank; rc = ctv_sort_next(&t->updates, &rec)) {
            uint64_t a, b;
            unsigned n = ct_get_uvarint(rec.payload, rec.payload + rec.len, &a);
            if (!n || !ct_get_uvarint(rec.payload + n, rec.payload + rec.len, &b))
                return CT_EIO;
            if (rec.k[1] == 0) {
                l.parent = (uint32_t)a;
                l.next_sibling = (uint32_t)b;
            } else {
                l.first_child = (uint32_t)a;
            }
        }
        int wrc = ctv_spill_append(&t->links, &l, sizeof l);
        if (wrc != 0)
            return wrc;
    }
    return rc < 0 ? rc : ctv_spill_seal(&t->links);
}

/* ---- 5. the walk ------------------------------------------------------------------ */

static int is_printed(const tree *t, uint32_t rank)
{
    return t->printed[rank / 8] >> (rank % 8) & 1;
}

static int links_of(tree *t, uint32_t rank, links *l)
{
    ctv_spill_cursor_seek(&t->links_c, (uint64_t)rank * sizeof *l);
    const unsigned char *p = ctv_spill_cursor_get(&t->links_c, sizeof *l);
    if (!p)
        return CT_EIO;
    memcpy(l, p, sizeof *l);
    return 0;
}

/* The first of `rank` and its next siblings not printed yet, or NONE. */
static int unprinted(tree *t, uint32_t rank, uint32_t *found)
{
    links l;
    while (rank != NONE && rank < t->n && is_printed(t, rank)) {
        int rc = links_of(t, rank, &l);
        if (rc != 0)
            return rc;
        rank = l.next_sibling;
    }
    *found = rank < t->n ? rank : NONE;
    return 0;
}

static int print_rank(tree *t, uint32_t rank, uint64_t depth)
{
    ctv_spill_cursor_seek(&t->rows_c, (uint64_t)rank * sizeof(task_row));
    const unsigned char *p = ctv_spill_cursor_get(&t->rows_c, sizeof(task_row));
    if (!p)
        return CT_EIO;
    task_row row;
    memcpy(&row, p, sizeof row);
    t->printed[rank / 8] |= (unsigned char)(1u << (rank % 8));
    return task_print_tree_row(t->st, &row, depth, &t->items, t->out);
}

/* Print `top` and what it reaches, depth first, children in rank order. */
static int walk(tree *t, uint32_t top)
{
    uint32_t at = top;
    uint64_t depth = 0;
    int rc = print_rank(t, at, depth);
    while (rc == 0) {
        links l;
        uint32_t next;
        if ((rc = links_of(t, at, &l)) != 0 || (rc = unprinted(t, l.first_child, &next)) != 0)
            break;
        if (next != NONE) { /* down */
            at = next;
            rc = print_rank(t, at, ++depth);
            continue;
        }
        for (;;) { /* along, or up until there is a sibling to go to */
            if (at == top)
                return 0;
            if ((rc = links_of(t, at, &l)) != 0 || (rc = unprinted(t, l.next_sibling, &next)))
                return rc;
            if (next != NONE) {
                at = next;
                rc = print_rank(t, at, depth);
                break;
            }
            if (l.parent >= t->n)
                return CT_EIO;
            at = l.parent;
            depth--;
        }
    }
    return rc;
}

static int walk_all(tree *t)
{
    int rc = ctv_spill_cursor_init(&t->rows_c, &t->rows, 0, t->rows.size, RANDOM_READ_BUFFER);
    if (rc == 0)
        rc = ctv_spill_cursor_init(&t->links_c, &t->links, 0, t->links.size, RANDOM_READ_BUFFER);
    if (rc == 0)
        rc = task_items_open(&t->items, &t->st->items);
    t->printed = rc == 0 ? calloc((size_t)t->n / 8 + 1, 1) : NULL;
    if (!t->printed)
        return rc ? rc : CT_ENOMEM;

    ctv_spill_cursor roots;
    rc = ctv_spill_cursor_init(&roots, &t->roots, 0, t->roots.size, 0);
    for (uint64_t k = 0; rc == 0 && k < t->roots.size / 4; k++) {
        const unsigned char *p = ctv_spill_cursor_get(&roots, 4);
        rc = p ? walk(t, get_rank(p)) : CT_EIO;
    }
    ctv_spill_cursor_free(&roots);
    for (uint32_t rank = 0; rc == 0 && rank < t->n; rank++) /* what a cycle left */
        if (!is_printed(t, rank))
            rc = walk(t, rank);
    return rc;
}

int task_write_tree(task_store *st, FILE *out)
{
    if (st->count == 0) {
        fprintf(out, "no tasks in this trace\n");
        return 0;
    }
    if (st->count >= NONE)
        return CT_ENOMEM;
    tree t = {.st = st, .out = out, .n = (uint32_t)st->count};
    size_t quarter = st->budget / 4;
    ctv_spill_init(&t.rows, &st->tmp, "tasks", quarter);
    ctv_spill_init(&t.roots, &st->tmp, "tasks", quarter);
    ctv_spill_init(&t.links, &st->tmp, "tasks", quarter);
    ctv_sort_init(&t.by_parent, &st->tmp, "tasks", quarter);
    ctv_sort_init(&t.by_id, &st->tmp, "tasks", quarter);
    ctv_sort_init(&t.children, &st->tmp, "tasks", quarter);
    ctv_sort_init(&t.updates, &st->tmp, "tasks", quarter);

    int rc = rank_tasks(&t);
    if (rc == 0)
        rc = find_parents(&t);
    ctv_sort_free(&t.by_parent);
    ctv_sort_free(&t.by_id);
    if (rc == 0)
        rc = list_children(&t);
    ctv_sort_free(&t.children);
    if (rc == 0)
        rc = write_links(&t);
    ctv_sort_free(&t.updates);
    if (rc == 0)
        rc = walk_all(&t);

    ctv_spill_cursor_free(&t.rows_c);
    ctv_spill_cursor_free(&t.links_c);
    task_items_close(&t.items);
    free(t.printed);
    ctv_spill_free(&t.rows);
    ctv_spill_free(&t.roots);
    ctv_spill_free(&t.links);
    return rc;
}
