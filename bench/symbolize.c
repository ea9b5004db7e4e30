/*
 * symbolize.c - the symbolizer's speed on a large file:
 *
 *     build/bench/symbolize [-n ADDRESSES] [-r ROUNDS] FILE
 *
 * FILE (an ELF executable or library: build/runner/ctest-trace, libctrace.so)
 * is registered as loaded at a fixed bias, and ADDRESSES distinct addresses
 * spread evenly over its executable segments are looked up: once from a new
 * symbolizer (the first lookups open the file and read its tables), then
 * ROUNDS more times (warm). Prints the time of each, lookups per second, and
 * how many addresses got a function, a file:line and (where the symbolizer
 * reports them) inlined frames. Uses only the symbolizer's stable calls, so
 * bench/symbolize_vs.sh builds it against an older revision too.
 */
#include <elf.h>      /* Elf64_Ehdr, Elf64_Phdr, PT_LOAD, PF_X */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>   /* strtoul */
#include <string.h>   /* memcmp */
#include <time.h>     /* clock_gettime */
#include <unistd.h>   /* getopt */

#include "common/symbolize.h"

#define BIAS 0x7f0000000000ull

typedef struct segment {
    uint64_t lo, hi; /* file vaddrs */
} segment;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The executable PT_LOAD segments of `path`, and the range of all of them. */
static int read_segments(const char *path, segment *exec, size_t *nexec, segment *all)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    Elf64_Ehdr eh;
    int rc = fread(&eh, sizeof eh, 1, f) == 1 && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 ? 0 : -1;
    *all = (segment){UINT64_MAX, 0};
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (fseek(f, (long)(eh.e_phoff + i * sizeof ph), SEEK_SET) != 0 || fread(&ph, sizeof ph, 1, f) != 1) {
            rc = -1;
            break;
        }
        if (ph.p_type != PT_LOAD)
            continue;
        all->lo = ph.p_vaddr < all->lo ? ph.p_vaddr : all->lo;
        all->hi = ph.p_vaddr + ph.p_memsz > all->hi ? ph.p_vaddr + ph.p_memsz : all->hi;
        if ((ph.p_flags & PF_X) && n < 8)
            exec[n++] = (segment){ph.p_vaddr, ph.p_vaddr + ph.p_memsz};
    }
    fclose(f);
    *nexec = n;
    return rc == 0 && n > 0 ? 0 : -1;
}

typedef struct tally {
    size_t named, lined, inlined;
} tally;

static tally pass(ct_symbolizer *s, const uint64_t *pcs, size_t n)
{
    tally t = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        ct_symbol sym;
        ct_symbolizer_lookup(s, pcs[i], 0, &sym);
        t.named += sym.function != NULL;
        t.lined += sym.file != NULL && sym.line != 0;
#ifdef CT_SYMBOL_MAX_FRAMES /* the libdw symbolizer: inlined frames */
        t.inlined += sym.nframes > 1;
#endif
    }
    return t;
}

int main(int argc, char **argv)
{
    size_t n = 20000, rounds = 3;
    int opt;
    while ((opt = getopt(argc, argv, "n:r:")) != -1) {
        if (opt == 'n')
            n = strtoul(optarg, NULL, 10);
        else if (opt == 'r')
            rounds = strtoul(optarg, NULL, 10);
        else
            return 2;
    }
    if (optind + 1 != argc || n == 0) {
        fprintf(stderr, "usage: symbolize [-n ADDRESSES] [-r ROUNDS] FILE\n");
        return 2;
    }
    const char *path = argv[optind];
    segment exec[8], all;
    size_t nexec;
    if (read_segments(path, exec, &nexec, &all) != 0) {
        fprintf(stderr, "symbolize: %s: not a readable ELF file with code\n", path);
        return 2;
    }
    uint64_t code = 0;
    for (size_t i = 0; i < nexec; i++)
        code += exec[i].hi - exec[i].lo;
    uint64_t *pcs = malloc(n * sizeof *pcs);
    if (!pcs)
        return 1;
    for (size_t i = 0; i < n; i++) { /* evenly over the code, segment by segment */
        uint64_t at = code * i / n;
        size_t k = 0;
        for (; at >= exec[k].hi - exec[k].lo; k++)
            at -= exec[k].hi - exec[k].lo;
        pcs[i] = BIAS + exec[k].lo + at;
    }

    double t0 = now_s();
    ct_symbolizer *s = ct_symbolizer_new();
    if (!s || ct_symbolizer_add_module(s, path, NULL, 0, BIAS, BIAS + all.lo, BIAS + all.hi) != 0)
        return 1;
    tally t = pass(s, pcs, n);
    double first = now_s() - t0;
    t0 = now_s();
    for (size_t r = 0; r < rounds; r++)
        pass(s, pcs, n);
    double warm = rounds ? (now_s() - t0) / (double)rounds : 0;
    const char *w;
    while ((w = ct_symbolizer_next_warning(s)) != NULL)
        fprintf(stderr, "symbolize: warning: %s\n", w);
    ct_symbolizer_free(s);
    free(pcs);

    printf("%s: %zu addresses over %.1f MiB of code\n", path, n, (double)code / (1 << 20));
    printf("  first pass (file read): %8.1f ms  %8.0f lookups/s\n", first * 1e3, (double)n / first);
    if (rounds)
        printf("  warm pass (mean of %zu): %7.1f ms  %8.0f lookups/s\n", rounds, warm * 1e3,
               (double)n / warm);
    printf("  named %.1f%%, with file:line %.1f%%, inlined frames %.1f%%\n",
           100.0 * (double)t.named / (double)n, 100.0 * (double)t.lined / (double)n,
           100.0 * (double)t.inlined / (double)n);
    printf("RESULT first_ms=%.3f warm_ms=%.3f\n", first * 1e3, warm * 1e3);
    return 0;
}
