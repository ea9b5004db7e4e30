/*
 * human.h - numbers and untrusted text, written for people.
 */
#ifndef CTV_HUMAN_H
#define CTV_HUMAN_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

#define CTV_HUMAN_BUF 32 /* fits every string written below */

/* A duration with a unit, three significant digits, trailing zeros dropped:
 * "0 ns", "850 ns", "12.4 us", "30.2 ms", "1.5 s", "86400 s". Writes into
 * buf (CTV_HUMAN_BUF bytes) and returns it. */
char *ctv_format_duration(char buf[CTV_HUMAN_BUF], uint64_t ns);

/* A wall-clock time in ns since 1970 as "2026-12-06 18:06:12 UTC"; NULL
 * (buf untouched) for 0, which traces use for "not known". */
char *ctv_format_utc(char buf[CTV_HUMAN_BUF], uint64_t realtime_ns);

/* A size in binary units: "512 B", "1.21 KiB", "64 MiB". */
char *ctv_format_bytes(char buf[CTV_HUMAN_BUF], uint64_t bytes);

/* Print untrusted bytes for a terminal: valid UTF-8 passes, control bytes
 * (C0, DEL, C1) are shown as \n, \t, \xNN or \u0085, and invalid UTF-8 as
 * U+FFFD, so no byte of a trace can drive the terminal. */
void ctv_print_text(FILE *out, const char *bytes, size_t len);

/* The same into out (cap bytes, NUL-terminated), whole pieces only: what
 * does not fit is left out. @return the bytes written, without the NUL. */
size_t ctv_escape_text(char *out, size_t cap, const char *bytes, size_t len);

#endif /* CTV_HUMAN_H */
