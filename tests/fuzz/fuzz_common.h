/* fuzz_common.h - what every reader fuzz target does with its file. */
#ifndef CT_TESTS_FUZZ_COMMON_H
#define CT_TESTS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read the trace in `bytes` every way a tool does: event by event, touching
 * every byte handed out, and as text. */
void fuzz_read_trace(const uint8_t *bytes, size_t size);

#endif /* CT_TESTS_FUZZ_COMMON_H */
