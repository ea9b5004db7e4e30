/*
 * stack.c - what a wait's stack costs: ct__stack_capture at about 10 and 30
 * frames with libgcc's _Unwind_Backtrace, our cached-rule unwinder cold
 * (rules cleared before each call) and warm, and frame pointers; then one
 * contended wait recorded with its stack through the tracer's real path
 * (ct__block_end, as the pthread_mutex_lock interposer calls it once the
 * lock was held, tracing into a file). Goal (issue 4): a wait with its
 * stack in at most 500 ns. Best of 9 runs, the modes interleaved.
 *
 *     build/bench/stack
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h> /* unlink */

#include <ctrace.h>

#include "format/wire.h"         /* CT_BLOCK_SYNC */
#include "plugin/api_internal.h" /* ct__block_end */
#include "common/clock.h"        /* ct__ticks */
#include "plugin/stack.h"
#include "plugin/unwind.h"

#define CALLS 20000   /* warm captures or waits per run */
#define COLD_CALLS 2000
#define RUNS 9
#define GOAL_NS 500.0

enum job_kind { CAPTURE, CAPTURE_COLD, WAIT };

struct job {
    enum job_kind kind;
    int mode;        /* ct__stack_mode for the job */
    double ns;       /* per call */
    unsigned frames; /* in the last stack taken */
};

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Where the program "blocks": its caller's frame is the stack's first, as
 * for a call the interposers take. */
static __attribute__((noinline)) void wait_site(struct job *j)
{
    uint64_t caller = (uint64_t)(uintptr_t)__builtin_return_address(0);
    uint64_t pcs[CT_MAX_STACK_DEPTH];
    ct__stack_mode = j->mode;
    if (j->kind == CAPTURE_COLD) {
        /* One at a time: clearing the rules is not part of the cost. */
        double total = 0;
        for (int i = 0; i < COLD_CALLS; i++) {
            ct__unwind_cache_clear();
            double t0 = now_ns();
            j->frames = ct__stack_capture(caller, pcs, CT_MAX_STACK_DEPTH);
            total += now_ns() - t0;
        }
        j->ns = total / COLD_CALLS;
    } else if (j->kind == CAPTURE) {
        double t0 = now_ns();
        for (int i = 0; i < CALLS; i++)
            j->frames = ct__stack_capture(caller, pcs, CT_MAX_STACK_DEPTH);
        j->ns = (now_ns() - t0) / CALLS;
    } else {
        uint64_t begin = ct__ticks(); /* every wait began a while ago */
        double t0 = now_ns();
        for (int i = 0; i < CALLS; i++)
            ct__block_end(CT_BLOCK_SYNC, begin, (uint64_t)(uintptr_t)j, caller);
        j->ns = (now_ns() - t0) / CALLS;
        j->frames = ct__stack_capture(caller, pcs, CT_MAX_STACK_DEPTH);
    }
    ct__stack_mode = CT__STACKS_UNWIND;
}

/* Frames of the program above main: built with frame pointers (meson.build)
 * so that the fp walk has something to follow. */
static __attribute__((noinline)) int descend(int depth, struct job *j)
{
    if (depth == 0) {
        wait_site(j);
        return 0;
    }
    int r = descend(depth - 1, j);
    __asm__ volatile("" : "+r"(r)); /* not a tail call */
    return r + 1;
}

struct row {
    const char *name;
    enum job_kind kind;
    int mode;
    double best[2];
    unsigned frames[2];
};

static const int depths[2] = {5, 25}; /* + main and below: about 10 and 30 frames */

static void run(struct row *r)
{
    for (int d = 0; d < 2; d++) {
        struct job j = {r->kind, r->mode, 0, 0};
        descend(depths[d], &j);
        if (j.ns < r->best[d])
            r->best[d] = j.ns;
        r->frames[d] = j.frames;
    }
}

int main(void)
{
    ct__stack_init();
    struct row captures[] = {
        {"_Unwind_Backtrace (libgcc)", CAPTURE, CT__STACKS_LIBGCC, {1e30, 1e30}, {0, 0}},
        {"unwind, cold (no rules)", CAPTURE_COLD, CT__STACKS_UNWIND, {1e30, 1e30}, {0, 0}},
        {"unwind, warm", CAPTURE, CT__STACKS_UNWIND, {1e30, 1e30}, {0, 0}},
        {"frame pointers", CAPTURE, CT__STACKS_FP, {1e30, 1e30}, {0, 0}},
    };
    struct row waits[] = {
        {"stacks off", WAIT, CT__STACKS_OFF, {1e30, 1e30}, {0, 0}},
        {"CTRACE_STACKS=libgcc", WAIT, CT__STACKS_LIBGCC, {1e30, 1e30}, {0, 0}},
        {"CTRACE_STACKS=unwind", WAIT, CT__STACKS_UNWIND, {1e30, 1e30}, {0, 0}},
    };
    const size_t ncaptures = sizeof captures / sizeof captures[0];
    const size_t nwaits = sizeof waits / sizeof waits[0];
    const char *trace = "/tmp/ctrace-bench-stack.trace";
    for (int r = 0; r < RUNS; r++) {
        for (size_t i = 0; i < ncaptures; i++)
            run(&captures[i]);
        if (ct_start(trace) != 0) {
            fprintf(stderr, "stack: ct_start failed\n");
            return 2;
        }
        for (size_t i = 0; i < nwaits; i++)
            run(&waits[i]);
        ct_stop();
    }
    unlink(trace);

    printf("ct__stack_capture, ns per stack (frames taken), best of %d runs\n", RUNS);
    for (size_t i = 0; i < ncaptures; i++) {
        struct row *c = &captures[i];
        printf("  %-28s %7.0f ns (%2u)  %7.0f ns (%2u)", c->name, c->best[0], c->frames[0],
               c->best[1], c->frames[1]);
        if (c->kind == CAPTURE && c->frames[1] > c->frames[0])
            printf("  %5.1f ns/frame", (c->best[1] - c->best[0]) / (c->frames[1] - c->frames[0]));
        printf("\n");
    }
    printf("  (cold: each return address costs its first lookup once; the deeper stack\n"
           "   repeats the recursion's, whose rule is cached after its first frame)\n");
    printf("one contended wait recorded with its stack (ct__block_end, tracing), ns per wait\n");
    for (size_t i = 0; i < nwaits; i++) {
        struct row *w = &waits[i];
        printf("  %-28s %7.0f ns (%2u)  %7.0f ns (%2u)", w->name, w->best[0], w->frames[0],
               w->best[1], w->frames[1]);
        if (w->mode == CT__STACKS_UNWIND)
            printf("  goal <= %.0f ns: %s", GOAL_NS,
                   w->best[0] <= GOAL_NS && w->best[1] <= GOAL_NS ? "meets" : "misses");
        printf("\n");
    }
    return 0;
}
