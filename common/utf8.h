/*
 * utf8.h - decode untrusted bytes as UTF-8, one code point at a time.
 *
 * Names, categories and messages in a trace are whatever bytes the traced
 * program passed: the JSON writer and the text printer both walk them with
 * ctv_utf8_next() and replace what is not valid UTF-8 with U+FFFD.
 */
#ifndef CTV_UTF8_H
#define CTV_UTF8_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint32_t */

#define CTV_UTF8_REPLACEMENT 0xFFFDu

/* Decode the code point at the start of `s` (len >= 1 bytes).
 * @return the number of bytes consumed (1..4), with *cp the code point, or
 * with *cp = CTV_UTF8_REPLACEMENT when those bytes are the maximal invalid
 * subpart of a sequence (Unicode's "substitution of maximal subparts": an
 * overlong form, a surrogate, a value past U+10FFFF, a stray continuation byte
 * or a sequence cut short each become exactly one U+FFFD). */
size_t ctv_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/* @return the length of the valid UTF-8 that starts `s` (len bytes): len
 * when all of it is. */
size_t ctv_utf8_valid_prefix(const unsigned char *s, size_t len);

/* Copy `s` (len bytes) to `out`, each maximal invalid subpart as U+FFFD
 * (EF BF BD): `out` needs room for 3 * len bytes.
 * @return the length written. */
size_t ctv_utf8_repair(char *out, const unsigned char *s, size_t len);

#endif /* CTV_UTF8_H */
