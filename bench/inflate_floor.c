/*
 * inflate_floor.c - what decompressing a trace costs alone: its zstd frames
 * inflated as the reader inflates them (streaming, into a 256 KiB buffer
 * that stays in cache; analysis/reader_inflate.c), nothing parsed. No view
 * reads a trace faster than this on one core, and with read-ahead (zstd on
 * a thread of its own) no faster than this either: bench/views.sh prints it
 * beside the views as their ceiling.
 *
 *   inflate_floor TRACE    prints "SECONDS RAW_BYTES" (best of 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zstd.h>

#include "format/wire.h" /* CT_FILE_HEADER_LEN */
#define IN_CAP (128u << 10)       /* as the reader's */
#define OUT_CAP (256u << 10)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Inflate the whole file once. @return raw bytes, or -1 on damage. */
static long long inflate_all(FILE *f, ZSTD_DCtx *dctx, void *in_buf, void *out_buf)
{
    long long raw = 0;
    if (fseek(f, CT_FILE_HEADER_LEN, SEEK_SET) != 0)
        return -1;
    ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
    size_t got;
    while ((got = fread(in_buf, 1, IN_CAP, f)) > 0) {
        ZSTD_inBuffer in = {in_buf, got, 0};
        while (in.pos < in.size) {
            ZSTD_outBuffer out = {out_buf, OUT_CAP, 0};
            size_t rc = ZSTD_decompressStream(dctx, &out, &in);
            if (ZSTD_isError(rc)) {
                fprintf(stderr, "inflate_floor: zstd: %s\n", ZSTD_getErrorName(rc));
                return -1;
            }
            raw += (long long)out.pos;
        }
    }
    return raw;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: inflate_floor TRACE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    void *in_buf = malloc(IN_CAP), *out_buf = malloc(OUT_CAP);
    if (!dctx || !in_buf || !out_buf)
        return 1;
    double best = 1e30;
    long long raw = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now_s();
        raw = inflate_all(f, dctx, in_buf, out_buf);
        if (raw < 0)
            return 1;
        double s = now_s() - t0;
        best = s < best ? s : best;
    }
    printf("%.3f %lld\n", best, raw);
    fclose(f);
    ZSTD_freeDCtx(dctx);
    free(in_buf);
    free(out_buf);
    return 0;
}
