/*
 * report_pages.h - the report's pages after Go's trace viewer: latency
 * histograms per task and region name, the thread analysis table, and the
 * four blocking profiles as flame graphs. Each is a section of report.h
 * (one pass over the trace of its own, memory bounded by distinct names,
 * threads and stacks), drawn with report/pages.css, sort.js, latency.js
 * and flame.js.
 */
#ifndef CTV_REPORT_PAGES_H
#define CTV_REPORT_PAGES_H

#include <stddef.h> /* size_t */
#include <stdint.h> /* uint64_t */
#include <stdio.h>  /* FILE */

/*! ctv_report_latency() : per task name and per region name: count,
 *  unended, min, p50, p90, p99, max, total, and a histogram of durations
 *  on log-scale buckets (inline SVG, its bars in data- attributes for the
 *  hover of report/latency.js); sortable tables of the 200 names with the
 *  most total time, tests and fixtures that ran once left to the tests
 *  section (report_latency.c). */
int ctv_report_latency(const char *trace_path, FILE *out, FILE *err);

/*! ctv_report_threads() : per start routine and per thread: running, sync
 *  block, syscall block, net block and sched wait (absolute and share of
 *  its life), with a stacked bar per row; the numbers of `threads --json`,
 *  the 500 rows with the most time a table (report_threads.c). */
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

/* Tables of many rows show the largest (report_cells.c). ctv_report_top():
 * of `n` rows of `totals`, the `keep` largest (equal ones: the first), as
 * a malloc'ed array of n flags (1: shown), or NULL when out of memory;
 * *more_ns is the total of the others. ctv_report_cut_note(): below such a
 * table, <p id="ID-more"> with data-names (all), data-more (left out),
 * data-more-ns and data-all-ns, saying which view lists them all. */
unsigned char *ctv_report_top(const uint64_t *totals, size_t n, size_t keep, uint64_t *more_ns);
void ctv_report_cut_note(FILE *out, const char *id, const char *what, size_t shown, size_t all,
                         uint64_t more_ns, uint64_t all_ns, const char *view);

/* A table's <thead>: n column heads, those from `first_number` up to (not
 * including) `end_number` right-aligned as their numbers are. */
void ctv_report_heads(FILE *out, const char *const *heads, size_t n, size_t first_number,
                      size_t end_number);

/* `part` as a percentage of `whole` (0 when whole is 0): shares and widths. */
static inline double ctv_report_percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

#endif /* CTV_REPORT_PAGES_H */
