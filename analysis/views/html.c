/*
 * html.c - escaping untrusted bytes for HTML text and attribute values.
 */
#include "html.h"

#include <string.h> /* strlen */

#include "common/utf8.h"

/* Bytes that go out unchanged: printable ASCII the parser does not act on. */
static int is_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7F && c != '&' && c != '<' && c != '>' && c != '"' &&
           c != '\'';
}

static void put_ascii(FILE *out, unsigned char c)
{
    switch (c) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    case '\'': fputs("&#39;", out); break;
    case '\t':
    case '\n':
    case '\r': putc(c, out); break;
    default: fputs("\xEF\xBF\xBD", out); break; /* NUL, other C0, DEL */
    }
}

void ctv_html_text(FILE *out, const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && is_plain(s[run]))
            run++;
        if (run > i) {
            fwrite(s + i, 1, run - i, out);
            i = run;
            continue;
        }
        if (s[i] < 0x80) {
            put_ascii(out, s[i]);
            i++;
            continue;
        }
        uint32_t cp;
        size_t used = ctv_utf8_next(s + i, len - i, &cp);
        if (cp == CTV_UTF8_REPLACEMENT)
            fputs("\xEF\xBF\xBD", out);
        else
            fwrite(s + i, 1, used, out);
        i += used;
    }
}

void ctv_html_ctext(FILE *out, const char *s)
{
    if (s)
        ctv_html_text(out, s, strlen(s));
}
