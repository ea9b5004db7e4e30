/* tsc_cache.c - the TSC's rate, measured once per boot (tsc_cache.h). */
#include "recorder/tsc_cache.h"

#include <errno.h>    /* errno, ENOENT */
#include <stdio.h>    /* fopen, fscanf, fprintf, rename */
#include <stdlib.h>   /* getenv */
#include <string.h>   /* strcmp, strrchr */
#include <sys/stat.h> /* mkdir */
#include <time.h>     /* clock_gettime, CLOCK_BOOTTIME */
#include <unistd.h>   /* getpid, unlink */

#include "format/wire.h" /* CT_CLOCK_MONOTONIC */
#include "common/clock.h"

#define FULL_WINDOW_NS 20000000  /* a fresh measurement */
#define CHECK_WINDOW_NS 1000000  /* the shortest run that checks a cached one */
#define CHECK_TOLERANCE 0.002    /* what 1 ms of jitter allows, with room */
/* CLOCK_BOOTTIME runs with CLOCK_MONOTONIC but for a suspend (the TSC runs
 * on through suspend-to-idle), so their progress differs only by the time
 * suspended, plus preemption between reads, which can only skip a check. */
#define SUSPEND_SLACK_NS 1000000

static int boot_id(char out[64])
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%63s", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* The cache directory's path (made if missing and `make`), or -1. */
static int cache_dir(char *out, size_t cap, int make)
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
    if (!make)
        return 0;
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

/* The cache file's path (its directory made if `make`), with the boot's
 * id; -1 if there is none. */
static int cache_path(char path[4200], char boot[64], int make)
{
    char dir[4096];
    if (boot_id(boot) != 0 || cache_dir(dir, sizeof dir, make) != 0)
        return -1;
    snprintf(path, 4200, "%s/tsc-hz", dir);
    return 0;
}

uint64_t ct__tsc_hz_from_cache(uint32_t kind)
{
    char boot[64], path[4200];
    if (kind == CT_CLOCK_MONOTONIC || cache_path(path, boot, 0) != 0)
        return 0;
    return read_cached(path, boot);
}

uint64_t ct__tsc_hz_cached(uint32_t kind, int *cached)
{
    *cached = 0;
    if (kind == CT_CLOCK_MONOTONIC)
        return 1000000000u;
    char boot[64], path[4200];
    if (cache_path(path, boot, 1) != 0)
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

void ct__tsc_mark(uint32_t kind, ct_tsc_mark *m)
{
    ct__clock_pair(kind, &m->ticks, &m->mono_ns);
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    m->boot_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

ct_tsc_verdict ct__tsc_hz_judge(uint64_t hz, const ct_tsc_mark *start, const ct_tsc_mark *end,
                                double *off)
{
    *off = 0;
    if (end->mono_ns < start->mono_ns + CHECK_WINDOW_NS || end->ticks <= start->ticks ||
        end->boot_ns < start->boot_ns)
        return CT_TSC_UNTOLD; /* too short to tell */
    uint64_t mono = end->mono_ns - start->mono_ns, boot = end->boot_ns - start->boot_ns;
    if (boot > mono + SUSPEND_SLACK_NS || mono > boot + SUSPEND_SLACK_NS)
        return CT_TSC_SUSPENDED;
    double measured = (double)(end->ticks - start->ticks) * 1e9 / (double)mono;
    *off = (measured - (double)hz) / (double)hz;
    return *off <= CHECK_TOLERANCE && *off >= -CHECK_TOLERANCE ? CT_TSC_RIGHT : CT_TSC_WRONG;
}

int ct__tsc_hz_verify(uint32_t kind, uint64_t hz, const ct_tsc_mark *start)
{
    ct_tsc_mark end;
    ct__tsc_mark(kind, &end);
    double off;
    if (ct__tsc_hz_judge(hz, start, &end, &off) != CT_TSC_WRONG)
        return 0; /* right, too short to tell, or across a suspend: kept */
    /* Removed, not rewritten with this run's figure: the run may hide what
     * made it wrong (a VM paused, a clock stepped), where the next run's
     * 20 ms nap is a window seen whole. That costs one run 20 ms. */
    char dir[4096], path[4200];
    const char *done = "removed, for the next run to measure again";
    if (cache_dir(dir, sizeof dir, 0) != 0) {
        snprintf(path, sizeof path, "$XDG_CACHE_HOME/ctest-trace/tsc-hz (or ~/.cache/...)");
        done = "remove it: its directory is not known now";
    } else {
        snprintf(path, sizeof path, "%s/tsc-hz", dir);
        if (unlink(path) != 0 && errno != ENOENT)
            done = "remove it: it could not be removed";
    }
    fprintf(stderr,
            "ctrace: the TSC rate cached in %s (%llu Hz) was %.2f%% off over this run's "
            "%.0f ms: times within a trace chunk are off by as much; %s\n",
            path, (unsigned long long)hz, off * 100, (double)(end.mono_ns - start->mono_ns) / 1e6,
            done);
    return 1;
}
