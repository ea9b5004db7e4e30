/*
 * human.c - durations, sizes and untrusted text for people.
 */
#include "human.h"

#include <inttypes.h> /* PRIu64 */
#include <string.h>   /* strchr, strlen */

#include "utf8.h"

/* Three significant digits of v (1 <= v < 1000 after rounding), with trailing
 * zeros and a bare '.' removed: 1.50 -> "1.5", 30.0 -> "30". */
static void format_3_digits(char *buf, size_t size, double v, const char *unit)
{
    int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
    char number[24];
    snprintf(number, sizeof number, "%.*f", decimals, v);
    if (strchr(number, '.')) {
        size_t n = strlen(number);
        while (number[n - 1] == '0')
            number[--n] = '\0';
        if (number[n - 1] == '.')
            number[--n] = '\0';
    }
    snprintf(buf, size, "%s %s", number, unit);
}

char *ctv_format_duration(char buf[CTV_HUMAN_BUF], uint64_t ns)
{
    static const struct { const char *name; double ns; } units[] = {
        {"us", 1e3}, {"ms", 1e6}, {"s", 1e9},
    };
    if (ns < 1000) {
        snprintf(buf, CTV_HUMAN_BUF, "%" PRIu64 " ns", ns);
        return buf;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        double v = (double)ns / units[i].ns;
        int last = i + 1 == sizeof units / sizeof units[0];
        if (v < 999.5) { /* would round to 1000: say it in the next unit */
            format_3_digits(buf, CTV_HUMAN_BUF, v, units[i].name);
            return buf;
        }
        if (last) {
            snprintf(buf, CTV_HUMAN_BUF, "%.0f s", v);
            return buf;
        }
    }
    return buf; /* not reached */
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
        format_3_digits(buf, CTV_HUMAN_BUF, v, units[i]);
    return buf;
}

void ctv_print_text(FILE *out, const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7F) {
            size_t run = i + 1;
            while (run < len && s[run] >= 0x20 && s[run] < 0x7F)
                run++;
            fwrite(s + i, 1, run - i, out);
            i = run;
            continue;
        }
        if (c < 0x80) {
            if (c == '\n')
                fputs("\\n", out);
            else if (c == '\t')
                fputs("\\t", out);
            else
                fprintf(out, "\\x%02x", (unsigned)c);
            i++;
            continue;
        }
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, len - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT)
            fputs("\xEF\xBF\xBD", out);
        else if (cp < 0xA0) /* C1 controls: 0x9B is a terminal's CSI */
            fprintf(out, "\\u%04x", (unsigned)cp);
        else
            fwrite(s + i, 1, used, out);
        i += used;
    }
}
