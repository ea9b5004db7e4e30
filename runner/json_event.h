/*
 * json_event.h - one event of go test -json's stream (`go doc test2json`):
 * {"Time","Action","Package","Test","Elapsed","Output"}, a line.
 */
#ifndef RN_JSON_EVENT_H
#define RN_JSON_EVENT_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */

/*! rn_json_event() : write the event `action` of `package` to `out`, now,
 *  with "Test" when `test` is not NULL (`test_len` bytes), "Elapsed" (s)
 *  when `elapsed` >= 0, "Output" when `output` is not NULL. Strings may hold
 *  any bytes (ctv_json_write_string escapes them). */
void rn_json_event(FILE *out, const char *package, const char *test, size_t test_len,
                   const char *action, double elapsed, const char *output, size_t output_len);

#endif /* RN_JSON_EVENT_H */
