/*
 * test_report_pages.c - the pure parts of the report's pages: a histogram
 * cut into log-scale bars (hist_bars.h), and folded stacks merged into a
 * flame graph's tree with narrow frames summed (flame_tree.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h> /* UINT64_MAX */
#include <stdio.h>  /* snprintf */
#include <stdlib.h> /* free */
#include <string.h> /* strlen, memcmp */

#include <ctrace.h> /* CT_US, CT_MS */

#include "analysis/views/flame_tree.h"
#include "analysis/views/hist_bars.h"

/* Bars hold every value once: counts sum to the histogram's, ranges follow
 * each other without gap from min's octave to max's. */
static void check_bars(const ctv_hist *h, const ctv_bar *bars, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(bars[i].lo <= bars[i].hi);
        if (i > 0)
            assert_int_equal(bars[i].lo, bars[i - 1].hi + 1);
        sum += bars[i].count;
    }
    assert_int_equal(sum, h->count);
    assert_true(bars[0].lo <= h->min && h->max <= bars[n - 1].hi);
    for (size_t i = 0; i < n; i++) /* a value's bar holds it */
        if (bars[i].lo <= h->min && h->min <= bars[i].hi)
            assert_true(bars[i].count > 0);
}

static void test_bars_of_an_empty_histogram(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    ctv_bar bars[CTV_BARS_MAX];
    assert_int_equal(ctv_hist_bars(&h, bars), 0);
}

static void test_one_value_shows_its_octave(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    assert_int_equal(ctv_hist_add(&h, CT_MS(20)), 0);
    ctv_bar bars[CTV_BARS_MAX];
    size_t n = ctv_hist_bars(&h, bars); /* its octave, in fine bars */
    assert_int_equal(n, 32);
    check_bars(&h, bars, n);
    size_t filled = 0;
    for (size_t i = 0; i < n; i++)
        filled += bars[i].count != 0;
    assert_int_equal(filled, 1);
    ctv_hist_free(&h);
}

/* Within one octave the bars are fine: 20 ms and 30 ms fall apart. */
static void test_one_octave_is_split_finely(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    for (int i = 0; i < 10; i++)
        assert_int_equal(ctv_hist_add(&h, CT_MS(20)), 0);
    assert_int_equal(ctv_hist_add(&h, CT_MS(30)), 0);
    ctv_bar bars[CTV_BARS_MAX];
    size_t n = ctv_hist_bars(&h, bars);
    check_bars(&h, bars, n);
    assert_true(n > 2 && n <= CTV_BARS_WANTED);
    size_t first = 0, last = n - 1;
    while (bars[first].count == 0)
        first++;
    while (bars[last].count == 0)
        last--;
    assert_true(last > first); /* apart */
    assert_int_equal(bars[first].count, 10);
    assert_int_equal(bars[last].count, 1);
    ctv_hist_free(&h);
}

/* Values from 1 ns to 10 s: one bar an octave at most, empty ones between,
 * the exact small values on the same log scale. */
static void test_wide_spans_keep_every_value(void **state)
{
    (void)state;
    ctv_hist h;
    ctv_hist_init(&h);
    uint64_t values[] = {0, 1, 7, 63, 64, 100, CT_US(3), CT_MS(1), CT_MS(1), 10000000000ull};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        assert_int_equal(ctv_hist_add(&h, values[i]), 0);
    ctv_bar bars[CTV_BARS_MAX];
    size_t n = ctv_hist_bars(&h, bars);
    check_bars(&h, bars, n);
    assert_true(n <= CTV_BARS_MAX);
    assert_int_equal(bars[0].lo, 0);
    ctv_hist_free(&h);

    ctv_hist_init(&h); /* the largest values: no overflow past UINT64_MAX */
    assert_int_equal(ctv_hist_add(&h, 1), 0);
    assert_int_equal(ctv_hist_add(&h, UINT64_MAX), 0);
    n = ctv_hist_bars(&h, bars);
    check_bars(&h, bars, n);
    assert_int_equal(bars[n - 1].hi, UINT64_MAX);
    ctv_hist_free(&h);
}

/* ---- flame tree ------------------------------------------------------------ */

static const char *label_of(const ctv_flame *f, uint32_t node)
{
    return f->labels.names[f->nodes[node].label].bytes;
}

static uint32_t child_named(const ctv_flame *f, uint32_t node, const char *name)
{
    for (uint32_t c = f->nodes[node].first_child; c; c = f->nodes[c].next_sibling)
        if (strcmp(label_of(f, c), name) == 0)
            return c;
    return 0;
}

static void add(ctv_flame *f, const char *stack, uint64_t value)
{
    assert_int_equal(ctv_flame_add(f, stack, strlen(stack), value), 0);
}

static void test_stacks_merge_by_path(void **state)
{
    (void)state;
    ctv_flame f;
    assert_int_equal(ctv_flame_init(&f), 0);
    add(&f, "main;work;lock", 300);
    add(&f, "main;work;read", 100);
    add(&f, "main;idle", 600);
    add(&f, "thread;work;lock", 50); /* work under another root is its own node */
    assert_int_equal(f.nodes[CTV_FLAME_ROOT].total, 1050);
    uint32_t main_ = child_named(&f, CTV_FLAME_ROOT, "main");
    uint32_t work = child_named(&f, main_, "work");
    assert_int_equal(f.nodes[main_].total, 1000);
    assert_int_equal(f.nodes[work].total, 400);
    assert_int_equal(f.nodes[child_named(&f, work, "lock")].total, 300);
    uint32_t other = child_named(&f, child_named(&f, CTV_FLAME_ROOT, "thread"), "work");
    assert_true(other != work);
    assert_int_equal(f.nodes[other].total, 50);
    assert_int_equal(f.count, 1 + 8); /* the root and eight distinct paths */

    ctv_flame_kids kids;
    assert_int_equal(ctv_flame_children(&f, main_, 0, &kids), 0);
    assert_int_equal(kids.count, 2);
    assert_string_equal(label_of(&f, kids.nodes[0]), "idle"); /* largest first */
    assert_string_equal(label_of(&f, kids.nodes[1]), "work");
    assert_int_equal(kids.small_count, 0);
    free(kids.nodes);
    ctv_flame_free(&f);
}

/* Children under the cut are summed into one, and said how many. */
static void test_narrow_frames_are_summed(void **state)
{
    (void)state;
    ctv_flame f;
    assert_int_equal(ctv_flame_init(&f), 0);
    add(&f, "main;big", 100000);
    char stack[32];
    for (int i = 0; i < 50; i++) {
        snprintf(stack, sizeof stack, "main;tiny%d", i);
        add(&f, stack, 10);
    }
    uint64_t cut = f.nodes[CTV_FLAME_ROOT].total / 1000; /* 0.1 % */
    ctv_flame_kids kids;
    assert_int_equal(ctv_flame_children(&f, child_named(&f, CTV_FLAME_ROOT, "main"), cut, &kids),
                     0);
    assert_int_equal(kids.count, 1);
    assert_string_equal(label_of(&f, kids.nodes[0]), "big");
    assert_int_equal(kids.small_count, 50);
    assert_int_equal(kids.small_total, 500);
    free(kids.nodes);
    ctv_flame_free(&f);
}

/* Frames are bytes: empty ones, and any bytes but ';', are names. */
static void test_frames_are_bytes(void **state)
{
    (void)state;
    ctv_flame f;
    assert_int_equal(ctv_flame_init(&f), 0);
    add(&f, "", 5);        /* one empty frame */
    add(&f, "a;;b", 7);    /* an empty frame between */
    add(&f, "</script>", 1);
    assert_int_equal(f.nodes[CTV_FLAME_ROOT].total, 13);
    uint32_t empty = child_named(&f, CTV_FLAME_ROOT, "");
    assert_int_equal(f.nodes[empty].total, 5);
    uint32_t a = child_named(&f, CTV_FLAME_ROOT, "a");
    assert_int_equal(f.nodes[child_named(&f, child_named(&f, a, ""), "b")].total, 7);
    assert_int_equal(f.nodes[child_named(&f, CTV_FLAME_ROOT, "</script>")].total, 1);
    ctv_flame_free(&f);
}

/* A stack of `frames` frames "f;f;...;f" (malloc'ed), its length in *len. */
static char *deep_stack(size_t frames, size_t *len)
{
    char *stack = malloc(frames * 2);
    assert_non_null(stack);
    for (size_t i = 0; i < frames; i++) {
        stack[2 * i] = 'f';
        stack[2 * i + 1] = ';';
    }
    *len = frames * 2 - 1;
    return stack;
}

/* The levels below `node`, itself included (0 for none). */
static unsigned depth_below(const ctv_flame *f, uint32_t node)
{
    unsigned deepest = 0;
    for (uint32_t c = f->nodes[node].first_child; c; c = f->nodes[c].next_sibling) {
        unsigned d = depth_below(f, c);
        deepest = d > deepest ? d : deepest;
    }
    return deepest + 1;
}

/* A stack deeper than the bound keeps its first CTV_FLAME_MAX_DEPTH frames
 * and sums the rest into one "(deeper frames)" node, its value kept, said
 * in the tree's counts; one exactly at the bound has none. */
static void test_depth_is_bounded(void **state)
{
    (void)state;
    ctv_flame f;
    assert_int_equal(ctv_flame_init(&f), 0);
    size_t len;
    char *stack = deep_stack(CTV_FLAME_MAX_DEPTH, &len);
    assert_int_equal(ctv_flame_add(&f, stack, len, 4), 0);
    free(stack);
    assert_int_equal(f.count, 1 + CTV_FLAME_MAX_DEPTH);
    assert_int_equal(f.deeper_stacks, 0);

    stack = deep_stack(CTV_FLAME_MAX_DEPTH + 2000, &len);
    assert_int_equal(ctv_flame_add(&f, stack, len, 9), 0);
    assert_int_equal(ctv_flame_add(&f, stack, len, 1), 0);
    free(stack);
    assert_int_equal(f.count, 1 + CTV_FLAME_MAX_DEPTH + 1); /* the frames, and one more */
    assert_int_equal(depth_below(&f, CTV_FLAME_ROOT), 1 + CTV_FLAME_MAX_DEPTH + 1);
    const ctv_flame_node *deeper = &f.nodes[f.count - 1];
    assert_true(deeper->deeper);
    assert_string_equal(label_of(&f, (uint32_t)(f.count - 1)), CTV_FLAME_DEEPER);
    assert_int_equal(deeper->total, 10);
    assert_int_equal(deeper->first_child, 0);
    assert_int_equal(f.nodes[CTV_FLAME_ROOT].total, 14);
    assert_int_equal(f.deeper_stacks, 2);
    assert_int_equal(f.deeper_total, 10);
    ctv_flame_free(&f);
}

/* A frame named "(deeper frames)" is a frame, not the node of what is
 * below the bound, even as that node's parent. */
static void test_a_frame_named_deeper_is_a_frame(void **state)
{
    (void)state;
    ctv_flame f;
    assert_int_equal(ctv_flame_init(&f), 0);
    size_t len;
    char *stack = deep_stack(CTV_FLAME_MAX_DEPTH - 1, &len);
    static const char tail[] = ";" CTV_FLAME_DEEPER ";g";
    char *named = malloc(len + sizeof tail);
    assert_non_null(named);
    memcpy(named, stack, len);
    memcpy(named + len, tail, sizeof tail);
    assert_int_equal(ctv_flame_add(&f, named, strlen(named), 3), 0);
    free(named);
    free(stack);
    assert_int_equal(f.count, 1 + CTV_FLAME_MAX_DEPTH + 1);
    uint32_t frame = (uint32_t)f.count - 2, node = (uint32_t)f.count - 1;
    assert_string_equal(label_of(&f, frame), CTV_FLAME_DEEPER);
    assert_string_equal(label_of(&f, node), CTV_FLAME_DEEPER);
    assert_false(f.nodes[frame].deeper);
    assert_true(f.nodes[node].deeper);
    assert_int_equal(f.nodes[frame].first_child, node);
    assert_int_equal(f.nodes[node].total, 3);
    assert_int_equal(f.deeper_stacks, 1);
    ctv_flame_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bars_of_an_empty_histogram),
        cmocka_unit_test(test_one_value_shows_its_octave),
        cmocka_unit_test(test_one_octave_is_split_finely),
        cmocka_unit_test(test_wide_spans_keep_every_value),
        cmocka_unit_test(test_stacks_merge_by_path),
        cmocka_unit_test(test_narrow_frames_are_summed),
        cmocka_unit_test(test_frames_are_bytes),
        cmocka_unit_test(test_depth_is_bounded),
        cmocka_unit_test(test_a_frame_named_deeper_is_a_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
