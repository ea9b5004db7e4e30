/* tsc_cache.c - the TSC's rate, measured once per boot (tsc_cache.h). */
#include "recorder/tsc_cache.h"

#include <stdio.h>    /* fopen, fscanf, fprintf, rename */
#include <stdlib.h>   /* getenv */
#include <string.h>   /* strcmp, strlen */
#include <sys/stat.h> /* mkdir */
#include <unistd.h>   /* getpid, unlink */

#include "format/wire.h" /* CT_CLOCK_MONOTONIC */
#include "common/clock.h"

#define FULL_WINDOW_NS 20000000  /* a fresh measurement */
#define CHECK_WINDOW_NS 1000000  /* checking a cached one */
#define CHECK_TOLERANCE 0.002    /* what 1 ms of jitter allows, with room */

static int boot_id(char out[64])
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%63s", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* The cache directory's path (made if missing), or -1. */
static int cache_dir(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, cap, "%s/ctest-trace", xdg);
    else if (home && home[0] == '/')
        n = snprintf(out, cap, "%s/.cache/ctest-trace", home);
    else
        return -1;
    if (n < 0 || (size_t)n >= cap)
        return -1;
    char parent[4096];
    snprintf(parent, sizeof parent, "%.*s", (int)(strrchr(out, '/') - out), out);
    mkdir(parent, 0700); /* ~/.cache may not exist yet */
    mkdir(out, 0700);
    return 0;
}

static uint64_t read_cached(const char *path, const char *boot)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char id[64];
    unsigned long long hz = 0;
    int ok = fscanf(f, "%63s %llu", id, &hz) == 2 && strcmp(id, boot) == 0;
    fclose(f);
    /* Any rate outside 100 MHz..100 GHz is not a TSC's: ignore the file. */
    return ok && hz >= 100000000ull && hz <= 100000000000ull ? (uint64_t)hz : 0;
}

static void write_cached(const char *path, const char *boot, uint64_t hz)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    int ok = fprintf(f, "%s %llu\n", boot, (unsigned long long)hz) > 0;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0)
        unlink(tmp);
}

uint64_t ct__tsc_hz_cached(uint32_t kind)
{
    if (kind == CT_CLOCK_MONOTONIC)
        return 1000000000u;
    char boot[64], dir[4096], path[4200];
    if (boot_id(boot) != 0 || cache_dir(dir, sizeof dir) != 0)
        return ct__clock_calibrate(kind, FULL_WINDOW_NS);
    snprintf(path, sizeof path, "%s/tsc-hz", dir);
    uint64_t cached = read_cached(path, boot);
    if (cached) {
        uint64_t quick = ct__clock_calibrate(kind, CHECK_WINDOW_NS);
        double off = quick > cached ? (double)(quick - cached) : (double)(cached - quick);
        if (quick && off <= CHECK_TOLERANCE * (double)cached)
            return cached;
    }
    uint64_t hz = ct__clock_calibrate(kind, FULL_WINDOW_NS);
    if (hz)
        write_cached(path, boot, hz);
    return hz;
}
