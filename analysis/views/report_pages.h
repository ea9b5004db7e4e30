/*
 * report_pages.h - the report's pages after Go's trace viewer: latency
 * histograms per task and region name, the thread analysis table, and the
 * four blocking profiles as flame graphs. Each is a section of report.h
 * (one pass over the trace of its own, memory bounded by distinct names,
 * threads and stacks), drawn with report/pages.css, sort.js and flame.js.
 */
#ifndef CTV_REPORT_PAGES_H
#define CTV_REPORT_PAGES_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

/*! ctv_report_latency() : per task name and per region name: count,
 *  unended, min, p50, p90, p99, max, total, and a histogram of durations
 *  on log-scale buckets (inline SVG, a <title> per bar); sortable tables
 *  (report_latency.c). */
int ctv_report_latency(const char *trace_path, FILE *out, FILE *err);

/*! ctv_report_threads() : per start routine and per thread: running, sync
 *  block, syscall block, net block and sched wait (absolute and share of
 *  its life), with a stacked bar per row; the numbers of `threads --json`
 *  (report_threads.c). */
int ctv_report_threads(const char *trace_path, FILE *out, FILE *err);

/*! ctv_report_profiles() : the sync, syscall, net and sched profiles of
 *  `ctest-trace profile` as flame graphs of nested elements, widths in % of
 *  the parent, frames narrower than 0.1 % of a profile summed per parent;
 *  zoom and search by report/flame.js (report_profiles.c). */
int ctv_report_profiles(const char *trace_path, FILE *out, FILE *err);

/* Table cells of the pages' sortable tables (report_cells.c): the exact
 * value in data-v, which report/sort.js sorts by, and text for people. */
void ctv_report_duration_cell(FILE *out, uint64_t ns); /* "12.4 ms" */
void ctv_report_count_cell(FILE *out, uint64_t n);
void ctv_report_empty_cell(FILE *out);                 /* no value: "-" */

/* A table's <thead>: n column heads, those from `first_number` up to (not
 * including) `end_number` right-aligned as their numbers are. */
void ctv_report_heads(FILE *out, const char *const *heads, size_t n, size_t first_number,
                      size_t end_number);

#endif /* CTV_REPORT_PAGES_H */
