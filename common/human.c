/*
 * human.c - durations, sizes and untrusted text for people.
 */
#include "common/human.h"

#include <inttypes.h> /* PRIu64 */
#include <string.h>   /* strchr, strlen, memcpy */
#include <time.h>     /* gmtime_r, strftime */

#include "common/decimal.h" /* ct_put_decimal */
#include "common/utf8.h"

/* Digits for three significant ones of v, 1 <= v < 1000 after rounding. */
static int decimals_of(double v)
{
    return v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
}

/* After the number [buf, p): trailing zeros and a bare '.' removed (1.50 ->
 * "1.5", 30.0 -> "30"), then " unit" (at most "999.99 KiB": the buffer
 * holds it). */
static void end_number(char *p, int decimals, const char *unit)
{
    if (decimals) {
        while (p[-1] == '0')
            p--;
        if (p[-1] == '.')
            p--;
    }
    *p++ = ' ';
    memcpy(p, unit, strlen(unit) + 1);
}

/* Three significant digits of v, printf's "%.*f". */
static void format_3_digits(char buf[CTV_HUMAN_BUF], double v, const char *unit)
{
    int decimals = decimals_of(v);
    int n = snprintf(buf, CTV_HUMAN_BUF, "%.*f", decimals, v);
    end_number(buf + n, decimals, unit);
}

/* format_3_digits() of v = ns / unit_ns (a double), the same text made with
 * integer arithmetic on ns: v is within a part in 10^13 of the quotient,
 * and the quotient lies at least 10^-6 away from any halfway point it does
 * not sit on, so both round alike. On a halfway point printf rounds v
 * itself, which may sit either side of it: printf is asked then. Views
 * print millions of durations, and glibc's floating-point formatting was a
 * fifth of `tasks`. */
static void format_3_digits_ns(char buf[CTV_HUMAN_BUF], uint64_t ns, uint64_t unit_ns, double v,
                               const char *unit)
{
    int decimals = decimals_of(v);
    uint64_t scale = decimals == 2 ? 100 : decimals == 1 ? 10 : 1;
    uint64_t step = unit_ns / scale; /* ns of the last digit */
    uint64_t q = ns / step, rem = ns % step;
    if (2 * rem == step) {
        format_3_digits(buf, v, unit);
        return;
    }
    q += 2 * rem > step;
    char *p = ct_put_decimal(buf, q / scale);
    if (decimals) {
        *p++ = '.';
        if (decimals == 2)
            *p++ = (char)('0' + q % 100 / 10);
        *p++ = (char)('0' + q % 10);
    }
    end_number(p, decimals, unit);
}

char *ctv_format_duration(char buf[CTV_HUMAN_BUF], uint64_t ns)
{
    static const struct { const char *name; uint64_t ns; } units[] = {
        {"us", 1000}, {"ms", 1000000}, {"s", 1000000000},
    };
    if (ns < 1000) {
        memcpy(ct_put_decimal(buf, ns), " ns", 4);
        return buf;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        double v = (double)ns / (double)units[i].ns;
        int last = i + 1 == sizeof units / sizeof units[0];
        if (v < 999.5) { /* would round to 1000: say it in the next unit */
            format_3_digits_ns(buf, ns, units[i].ns, v, units[i].name);
            return buf;
        }
        if (last) {
            snprintf(buf, CTV_HUMAN_BUF, "%.0f s", v);
            return buf;
        }
    }
    return buf; /* not reached */
}

char *ctv_format_utc(char buf[CTV_HUMAN_BUF], uint64_t realtime_ns)
{
    time_t seconds = (time_t)(realtime_ns / 1000000000u);
    struct tm tm;
    if (!realtime_ns || !gmtime_r(&seconds, &tm) ||
        !strftime(buf, CTV_HUMAN_BUF, "%Y-%m-%d %H:%M:%S UTC", &tm))
        return NULL;
    return buf;
}

char *ctv_format_bytes(char buf[CTV_HUMAN_BUF], uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, CTV_HUMAN_BUF, "%" PRIu64 " B", bytes);
        return buf;
    }
    double v = (double)bytes / 1024.0;
    size_t i = 0;
    while (v >= 999.5 && i + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        i++;
    }
    if (v >= 999.5) /* only past 1000 EiB, which a uint64_t cannot reach */
        snprintf(buf, CTV_HUMAN_BUF, "%.0f %s", v, units[i]);
    else
        format_3_digits(buf, v, units[i]);
    return buf;
}

size_t ctv_escape_text(char *out, size_t cap, const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t n = 0;
    char piece[8];
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t used = 1, piece_len;
        const char *text = piece;
        if (c >= 0x20 && c < 0x7F) {
            piece[0] = (char)c;
            piece_len = 1;
        } else if (c < 0x80) {
            piece_len = c == '\n' ? 2 : c == '\t' ? 2 : 4;
            if (c == '\n')
                text = "\\n";
            else if (c == '\t')
                text = "\\t";
            else
                snprintf(piece, sizeof piece, "\\x%02x", (unsigned)c);
        } else {
            uint32_t cp;
            used = ctv_utf8_next(s + i, len - i, &cp);
            if (cp == CTV_UTF8_REPLACEMENT) {
                text = "\xEF\xBF\xBD";
                piece_len = 3;
            } else if (cp < 0xA0) { /* C1 controls: 0x9B is a terminal's CSI */
                snprintf(piece, sizeof piece, "\\u%04x", (unsigned)cp);
                piece_len = 6;
            } else {
                text = (const char *)s + i;
                piece_len = used;
            }
        }
        if (n + piece_len >= cap)
            break; /* whole pieces only: never half a sequence */
        memcpy(out + n, text, piece_len);
        n += piece_len;
        i += used;
    }
    if (cap)
        out[n] = '\0';
    return n;
}

void ctv_print_text(FILE *out, const char *bytes, size_t len)
{
    /* A piece at most 4 bytes a byte of input (\xNN), in runs that fit. */
    char buf[4 * 256 + 1];
    while (len > 0) {
        size_t run = len < 256 ? len : 256;
        /* Do not cut a UTF-8 sequence: back up over continuation bytes. */
        for (int back = 0; back < 3 && run < len && run > 1 &&
                           ((unsigned char)bytes[run] & 0xC0) == 0x80;
             back++)
            run--;
        size_t n = ctv_escape_text(buf, sizeof buf, bytes, run);
        fwrite(buf, 1, n, out);
        bytes += run;
        len -= run;
    }
}
