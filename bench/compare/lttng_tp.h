/*
 * lttng_tp.h - the LTTng-UST tracepoints of bench/compare/workload.c's LTTng
 * build: a region begin and end carrying the region's name, and a log
 * carrying its category and message (what a ctrace event carries).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER compare

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./lttng_tp.h"

#if !defined(COMPARE_LTTNG_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define COMPARE_LTTNG_TP_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(compare, region_begin,
    LTTNG_UST_TP_ARGS(const char *, name),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_string(name, name)))

LTTNG_UST_TRACEPOINT_EVENT(compare, region_end,
    LTTNG_UST_TP_ARGS(const char *, name),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_string(name, name)))

LTTNG_UST_TRACEPOINT_EVENT(compare, log,
    LTTNG_UST_TP_ARGS(const char *, category, const char *, message),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_string(category, category)
                        lttng_ust_field_string(message, message)))

#endif /* COMPARE_LTTNG_TP_H */

#include <lttng/tracepoint-event.h>
