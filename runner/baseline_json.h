/*
 * baseline_json.h - a baseline as a file: versioned JSON, docs/BASELINE.md.
 */
#ifndef RN_BASELINE_JSON_H
#define RN_BASELINE_JSON_H

#include <stddef.h> /* size_t */

#include "baseline.h"

/*! rn_baseline_write() : write `b` to `path` (replaced only when complete).
 *  @return 0, or -1 with `err` saying why ("no space left on device"). */
int rn_baseline_write(const rn_baseline *b, const char *path, char *err, size_t err_size);

/*! rn_baseline_read() : read the baseline at `path` into `b` (initialised
 *  here). @return 0, or -1 with `err` saying what is wrong (without the
 *  path: the caller names it), `b` then empty. */
int rn_baseline_read(rn_baseline *b, const char *path, char *err, size_t err_size);

#endif /* RN_BASELINE_JSON_H */
