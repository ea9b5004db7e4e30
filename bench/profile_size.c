/*
 * profile_size.c - how small the pprof writer's gzip gets a realistic
 * profile, and how fast: STACKS stacks of DEPTH frames drawn from a few
 * dozen functions in a dozen files of two modules (a test binary and libc),
 * as `ctest-trace profile` sees them. Prints the cost of adding a frame,
 * the protobuf size (the gzip trailer's ISIZE), the gzipped size, their
 * ratio and the time to write, for 200 and for 20 000 stacks.
 *
 *     build/bench/profile_size [out.pb.gz]
 */
#include <inttypes.h> /* PRIu64 */
#include <stdio.h>
#include <stdlib.h>   /* tmpfile */
#include <time.h>     /* clock_gettime */

#include "analysis/views/profile_out.h"

#define DEPTH 10
#define FUNCTIONS 60
#define FILES 12

static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 33;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char function_names[FUNCTIONS][64];
static char file_names[FILES][64];

static void frame_of(ct_prof_frame *f, unsigned function, unsigned line)
{
    int in_libc = function < 6;
    f->address = (in_libc ? 0x7f3a12000000ull : 0x555555554000ull) + function * 0x400 + line * 4;
    f->function = function_names[function];
    f->file = file_names[function % FILES];
    f->line = line;
    f->module = in_libc ? "/usr/lib/x86_64-linux-gnu/libc.so.6" : "/home/ci/build/tests/unit/test_queue_concurrency";
    f->module_lo = in_libc ? 0x7f3a12000000ull : 0x555555554000ull;
    f->module_hi = f->module_lo + 0x200000;
    f->module_offset = 0;
    f->build_id = in_libc ? "4a1c3c2a6bd9f1e0b5a8c7d6e5f4a3b2c1d0e9f8" : "9d8c7b6a5f4e3d2c1b0a99887766554433221100";
}

/* Stacks share their roots (main, cmocka's runner), like real ones. */
static void build_stack(ct_prof_frame *frames, uint64_t *seed)
{
    static const unsigned roots[] = {6, 7, 8}; /* main, _cmocka_run_group_tests, cmocka_run_one_test */
    for (unsigned d = 0; d < DEPTH; d++) {
        unsigned depth_from_root = DEPTH - 1 - d;
        unsigned function;
        if (depth_from_root < 3)
            function = roots[depth_from_root];
        else if (d == 0)
            function = (unsigned)(next_random(seed) % 6); /* the blocking libc call */
        else
            function = 9 + (unsigned)(next_random(seed) % (FUNCTIONS - 9));
        frame_of(&frames[d], function, 10 + (unsigned)(next_random(seed) % 40));
    }
}

static void measure(unsigned stacks, const char *keep)
{
    ct_prof *p = ct_prof_new("contentions", "count", "delay", "nanoseconds");
    uint64_t seed = 42;
    ct_prof_frame frames[DEPTH];
    double start = now_s();
    for (unsigned i = 0; i < stacks; i++) {
        build_stack(frames, &seed);
        ct_prof_add(p, frames, DEPTH, 1 + next_random(&seed) % 100, next_random(&seed) % 50000000);
    }
    double add_ns = (now_s() - start) * 1e9 / ((double)stacks * DEPTH);
    FILE *f = keep ? fopen(keep, "w+b") : tmpfile();
    if (!f) {
        perror("profile_size");
        exit(1);
    }
    double t0 = now_s();
    if (ct_prof_write_pprof(p, f) != 0) {
        perror("profile_size: write");
        exit(1);
    }
    double seconds = now_s() - t0;
    long gzipped = ftell(f);
    unsigned char isize[4];
    fseek(f, -4, SEEK_END);
    if (fread(isize, 1, 4, f) != 4) {
        perror("profile_size: read back");
        exit(1);
    }
    uint32_t raw = isize[0] | isize[1] << 8 | isize[2] << 16 | (uint32_t)isize[3] << 24;
    printf("%6u stacks x %d frames: add %.0f ns/frame; protobuf %8" PRIu32
           " B, gzipped %7ld B, ratio %.2f; write %.1f ms (%.1f MB/s)\n",
           stacks, DEPTH, add_ns, raw, gzipped, (double)raw / (double)gzipped, seconds * 1e3,
           (double)raw / seconds / 1e6);
    fclose(f);
    ct_prof_free(p);
}

int main(int argc, char **argv)
{
    static const char *roots[] = {"main", "_cmocka_run_group_tests", "cmocka_run_one_test"};
    static const char *libc[] = {"__futex_abstimed_wait_common", "__lll_lock_wait", "read",
                                 "pthread_cond_wait", "nanosleep", "poll"};
    for (unsigned i = 0; i < FUNCTIONS; i++) {
        if (i < 6)
            snprintf(function_names[i], sizeof function_names[i], "%s", libc[i]);
        else if (i < 9)
            snprintf(function_names[i], sizeof function_names[i], "%s", roots[i - 6]);
        else
            snprintf(function_names[i], sizeof function_names[i], "queue_worker_stage_%u_process_batch", i);
    }
    for (unsigned i = 0; i < FILES; i++)
        snprintf(file_names[i], sizeof file_names[i], "/home/ci/src/ctest-trace/examples/queue/stage_%u.c", i);
    measure(200, argc > 1 ? argv[1] : NULL);
    measure(20000, NULL);
    return 0;
}
