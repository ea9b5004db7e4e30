/*
 * duration.h - durations written the way Go writes them (the runner's
 * --timeout takes this syntax, see runner/flags.h), for messages that quote
 * one back: "10m0s", "1h2m3s", "1.5s", "250ms", "800ns".
 */
#ifndef CT_FORMAT_DURATION_H
#define CT_FORMAT_DURATION_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

/* `ns` as Go prints a duration, into buf (cap bytes, NUL-terminated). */
void ct_format_go_duration(char *buf, size_t cap, uint64_t ns);

#endif /* CT_FORMAT_DURATION_H */
