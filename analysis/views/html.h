/*
 * html.h - untrusted trace text written into an HTML page.
 *
 * Test, task and region names, log text and failure messages are whatever
 * bytes the traced program passed. In the report they are text in the page
 * (searchable, read by screen readers), so every one goes through here:
 * '&', '<', '>', '"' and '\'' become character references, control bytes
 * other than tab, CR and newline become U+FFFD, and so does invalid UTF-8
 * (common/utf8.h). The same escaping serves element content and quoted
 * attribute values. JSON for the page's scripts goes through
 * ctv_json_init_html() (json.h) instead.
 */
#ifndef CTV_HTML_H
#define CTV_HTML_H

#include <stddef.h> /* size_t */
#include <stdio.h>  /* FILE */

/* Write `len` bytes as HTML text (or a quoted attribute's value). */
void ctv_html_text(FILE *out, const char *bytes, size_t len);

/* The same for a NUL-terminated string (NULL writes nothing). */
void ctv_html_ctext(FILE *out, const char *s);

#endif /* CTV_HTML_H */
