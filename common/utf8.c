/*
 * utf8.c - strict UTF-8 decoding (RFC 3629) with maximal-subpart replacement.
 */
#include "common/utf8.h"

#include <string.h> /* memcpy */

size_t ctv_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char lead = s[0];
    if (lead < 0x80) {
        *cp = lead;
        return 1;
    }

    /* Expected length, first bits, and the allowed range of the second byte:
     * the range is what rules out overlong forms, surrogates (ED A0..BF) and
     * values past U+10FFFF (F4 90..BF). */
    size_t need;
    uint32_t value;
    unsigned char lo = 0x80, hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        need = 2;
        value = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        need = 3;
        value = lead & 0x0Fu;
        if (lead == 0xE0)
            lo = 0xA0;
        else if (lead == 0xED)
            hi = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        need = 4;
        value = lead & 0x07u;
        if (lead == 0xF0)
            lo = 0x90;
        else if (lead == 0xF4)
            hi = 0x8F;
    } else {
        /* 80..BF (stray continuation), C0, C1, F5..FF: never valid. */
        *cp = CTV_UTF8_REPLACEMENT;
        return 1;
    }

    size_t used = 1;
    while (used < need) {
        if (used >= len) {
            *cp = CTV_UTF8_REPLACEMENT; /* cut short by the end of the bytes */
            return used;
        }
        unsigned char c = s[used];
        unsigned char min = used == 1 ? lo : 0x80;
        unsigned char max = used == 1 ? hi : 0xBF;
        if (c < min || c > max) {
            *cp = CTV_UTF8_REPLACEMENT; /* c starts the next character */
            return used;
        }
        value = (value << 6) | (c & 0x3Fu);
        used++;
    }
    *cp = value;
    return used;
}

size_t ctv_utf8_valid_prefix(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) { /* most names are ASCII: no decoding */
            i++;
            continue;
        }
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, len - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT)
            return i;
        i += used;
    }
    return len;
}

size_t ctv_utf8_repair(char *out, const unsigned char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t valid = ctv_utf8_valid_prefix(s + i, len - i);
        memcpy(out + n, s + i, valid);
        n += valid;
        i += valid;
        if (i < len) {
            uint32_t cp;
            i += ctv_utf8_next(s + i, len - i, &cp);
            memcpy(out + n, "\xEF\xBF\xBD", 3);
            n += 3;
        }
    }
    return n;
}
