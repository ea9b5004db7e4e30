/*
 * duration.h - durations written the way Go writes them: "10m0s", "1h2m3s",
 * "1.5s", "250ms", "800ns". The runner's --timeout and the --assert rules
 * (assertions/rules.h) read this syntax; messages quote durations back in it.
 */
#ifndef CT_FORMAT_DURATION_H
#define CT_FORMAT_DURATION_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */

/* `ns` as Go prints a duration, into buf (cap bytes, NUL-terminated). */
void ct_format_go_duration(char *buf, size_t cap, uint64_t ns);

/*! ct_parse_go_duration() : a Go duration ("500ms", "10s", "1m30s", "1.5h",
 *  "850ns", "12us", "12µs", "0"), not negative: numbers (fractions allowed),
 *  each with a unit (ns us µs ms s m h), summed; a bare "0" needs none.
 *  @return 0 with *ns, or -1 with *ns untouched and a reason in `why` (a
 *  static string that reads after "invalid duration \"25xs\": ", e.g.
 *  "unknown unit (ns, us, ms, s, m, h)"). `why` may be NULL. */
int ct_parse_go_duration(const char *s, uint64_t *ns, const char **why);

/*! ct_parse_go_duration_n() : the same for the `len` bytes at s (no NUL
 *  needed), also saying where it goes wrong: on -1, *at (if `at` is not
 *  NULL) is the offset in s of what is refused: the unit not known, where a
 *  missing unit should be, the '-' of a negative duration. */
int ct_parse_go_duration_n(const char *s, size_t len, uint64_t *ns, const char **why,
                           size_t *at);

#endif /* CT_FORMAT_DURATION_H */
