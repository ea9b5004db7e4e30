/* tsc_cache.c - the TSC's rate, measured once per boot (tsc_cache.h). */
#include "recorder/tsc_cache.h"

#include <stdio.h>    /* fopen, fscanf, fprintf, rename */
#include <stdlib.h>   /* getenv */
#include <string.h>   /* strcmp, strrchr */
#include <sys/stat.h> /* mkdir */
#include <unistd.h>   /* getpid, unlink */

#include "format/wire.h" /* CT_CLOCK_MONOTONIC */
#include "common/clock.h"

#define FULL_WINDOW_NS 20000000  /* a fresh measurement */
#define CHECK_WINDOW_NS 1000000  /* the shortest run that checks a cached one */
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

/* The cache file's path, with the boot's id; -1 if there is none. */
static int cache_path(char path[4200], char boot[64])
{
    char dir[4096];
    if (boot_id(boot) != 0 || cache_dir(dir, sizeof dir) != 0)
        return -1;
    snprintf(path, 4200, "%s/tsc-hz", dir);
    return 0;
}

uint64_t ct__tsc_hz_cached(uint32_t kind, int *cached)
{
    *cached = 0;
    if (kind == CT_CLOCK_MONOTONIC)
        return 1000000000u;
    char boot[64], path[4200];
    if (cache_path(path, boot) != 0)
        return ct__clock_calibrate(kind, FULL_WINDOW_NS);
    uint64_t hz = read_cached(path, boot);
    if (hz) {
        *cached = 1; /* checked at the run's end: ct__tsc_hz_verify() */
        return hz;
    }
    hz = ct__clock_calibrate(kind, FULL_WINDOW_NS);
    if (hz)
        write_cached(path, boot, hz);
    return hz;
}

int ct__tsc_hz_verify(uint32_t kind, uint64_t hz, uint64_t t0, uint64_t n0)
{
    uint64_t t1, n1;
    ct__clock_pair(kind, &t1, &n1);
    if (n1 < n0 + CHECK_WINDOW_NS || t1 <= t0)
        return 0; /* too short to tell */
    double window = (double)(n1 - n0);
    double measured = (double)(t1 - t0) * 1e9 / window;
    double off = (measured - (double)hz) / (double)hz;
    if (off <= CHECK_TOLERANCE && off >= -CHECK_TOLERANCE)
        return 0;
    char boot[64], path[4200];
    if (cache_path(path, boot) != 0)
        return 1;
    int keep = window >= FULL_WINDOW_NS;
    if (keep)
        write_cached(path, boot, (uint64_t)(measured + 0.5));
    else
        unlink(path);
    fprintf(stderr,
            "ctrace: the TSC rate cached in %s (%llu Hz) was %.2f%% off over this run's "
            "%.0f ms: times within a trace chunk are off by as much; %s\n",
            path, (unsigned long long)hz, off * 100, window / 1e6,
            keep ? "the cache now holds the run's measurement"
                 : "removed, for the next run to measure again");
    return 1;
}
