/*
 * fuzz_records.c - any bytes as the record stream of a trace: compressed
 * here behind a valid prefix, so mutations reach the record and event
 * decoders instead of stopping at zstd's checksum.
 */
#include "fuzz_common.h"

#include <stdlib.h> /* malloc, free */
#include <string.h> /* memcpy */
#include <zstd.h>

/* The file prefix of format 1 (FORMAT.md): magic, then version. */
static const uint8_t prefix[16] = {0x89, 'C', 'T', 'R', 'A', 'C', 'E', '\n', 1};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap = sizeof prefix + ZSTD_compressBound(size);
    uint8_t *file = malloc(cap);
    if (!file)
        return 0;
    memcpy(file, prefix, sizeof prefix);
    size_t n = ZSTD_compress(file + sizeof prefix, cap - sizeof prefix, data, size, 1);
    if (!ZSTD_isError(n))
        fuzz_read_trace(file, sizeof prefix + n);
    free(file);
    return 0;
}
