/*
 * export_chrome.h - `export --format=chrome`: Chrome's trace event JSON.
 */
#ifndef CTV_EXPORT_CHROME_H
#define CTV_EXPORT_CHROME_H

#include <stdio.h> /* FILE */

#include <ctrace_reader.h>

/*! ctv_export_chrome() : every event `r` reads, as {"traceEvents":[...]}
 *  into `out`, streamed. @return ctr_next()'s last: 0 at the clean end, or
 *  its error. */
int ctv_export_chrome(ctr_reader *r, FILE *out);

#endif /* CTV_EXPORT_CHROME_H */
