/*
 * export_chrome.h - `export --format=chrome`: Chrome's trace event JSON.
 */
#ifndef CTV_EXPORT_CHROME_H
#define CTV_EXPORT_CHROME_H

#include <stdio.h> /* FILE */

#include <ctrace_reader.h>

/*! ctv_export_chrome() : every event `r` reads, as {"traceEvents":[...]}
 *  into `out` (slices of threads last, by begin: slice_order.h); a failure
 *  is told to `err`, naming `trace_path`. @return the exit status. */
int ctv_export_chrome(ctr_reader *r, FILE *out, const char *trace_path, FILE *err);

#endif /* CTV_EXPORT_CHROME_H */
