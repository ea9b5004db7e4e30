/*
 * flame_tree.h - folded stacks ("root;f;g" and a value, as
 * ct_prof_each_folded() gives them) merged into the tree a flame graph
 * draws: a node per distinct path of frame names, holding the value of
 * the stacks through it. Memory grows with distinct paths, never with the
 * waits summed into them.
 *
 * For drawing, a node's children come sorted by value, the largest first;
 * those narrower than a given share of the whole tree are handed back as
 * one sum ("(smaller frames)"), so a page stays small however many
 * distinct stacks a profile has. Depth is bounded too: the frames of a
 * stack past CTV_FLAME_MAX_DEPTH are summed into one "(deeper frames)"
 * node at that depth, since a browser stops nesting elements past a few
 * hundred levels (Chromium's parser at 512: 255 levels of <ul><li>).
 */
#ifndef CTV_FLAME_TREE_H
#define CTV_FLAME_TREE_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "maps.h"

#define CTV_FLAME_ROOT 0u        /* the node of all stacks, named by no frame */
#define CTV_FLAME_MAX_DEPTH 200u /* frames kept; those below: one "(deeper frames)" */
#define CTV_FLAME_DEEPER "(deeper frames)"

typedef struct ctv_flame_node {
    uint32_t label;        /* index into labels; the root's is unused */
    uint32_t first_child;  /* 0: none (the root is no one's child) */
    uint32_t next_sibling; /* 0: none */
    uint32_t deeper;       /* 1: no frame but CTV_FLAME_DEEPER, the frames below the bound */
    uint64_t total;        /* the value of the stacks through this frame */
} ctv_flame_node;

typedef struct ctv_flame {
    ctv_names labels; /* frame names */
    ctv_names edges;  /* (parent node, label) -> node index - 1 */
    ctv_flame_node *nodes;
    size_t count, cap;
    uint64_t deeper_stacks; /* stacks deeper than CTV_FLAME_MAX_DEPTH frames */
    uint64_t deeper_total;  /* their value (saturated) */
} ctv_flame;

/*! ctv_flame_init() : an empty tree (its root only). @return 0 or CT_ENOMEM;
 *  the tree can be freed either way. */
int ctv_flame_init(ctv_flame *f);

/*! ctv_flame_add() : add `value` along the frames of `stack` (len bytes,
 *  root first, ';' between frames; empty frames are kept as ""); past
 *  CTV_FLAME_MAX_DEPTH frames, to the "(deeper frames)" node under the
 *  last one kept (never confused with a frame of that name). Sums
 *  saturate. @return 0 or CT_ENOMEM (the tree may then hold part of it). */
int ctv_flame_add(ctv_flame *f, const char *stack, size_t len, uint64_t value);

/* The children of a node as drawn. */
typedef struct ctv_flame_kids {
    uint32_t *nodes;      /* shown: largest first (equal: by name bytes) */
    size_t count;
    uint64_t small_total; /* the children narrower than the cut, summed */
    size_t small_count;   /* how many they are */
} ctv_flame_kids;

/*! ctv_flame_children() : the children of `node`; those whose value is
 *  below `min_value` (a share of the root's, chosen by the caller) are
 *  summed into small_total. kids->nodes is malloc'ed (free it).
 *  @return 0 or CT_ENOMEM. */
int ctv_flame_children(const ctv_flame *f, uint32_t node, uint64_t min_value,
                       ctv_flame_kids *kids);

void ctv_flame_free(ctv_flame *f);

#endif /* CTV_FLAME_TREE_H */
