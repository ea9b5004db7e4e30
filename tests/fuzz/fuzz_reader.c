/*
 * fuzz_reader.c - any bytes given to the reader as a file: it reads to the
 * end or to the damage, and never crashes, hangs or leaks. Most mutations
 * break the zstd checksum, so fuzz_records.c goes past it.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read_trace(data, size);
    return 0;
}
