/*
 * cmocka_markers.h - the marker lines the tracer prints for the runner on
 * stdout (include/ctrace_collect.h, CT_MARKER_PREFIX), in order with what the
 * tests print. Every call prints nothing unless the runner asked for markers
 * (CTRACE_MARKERS). Called on cmocka's thread only.
 */
#ifndef CT_PLUGIN_CMOCKA_MARKERS_H
#define CT_PLUGIN_CMOCKA_MARKERS_H

#include <stddef.h> /* size_t */
#include <stdint.h>

/* The group whose tests the markers name now (NULL: none), and the process
 * they run in (read once a group, not a syscall per marker). */
void ct__markers_group(const char *group_name);

/* A test begins: its name, its task in the trace, its ordinal (CTRACE_RESUME). */
void ct__marker_run(const char *name, uint64_t task, unsigned long ordinal);
/* A test ends with `status` (CT__STATUS_*). Held back until the next marker
 * or output, so that the two go out in one write. */
void ct__marker_end(const char *name, int status, uint64_t elapsed_ns, uint64_t task);
/* The test ending next lost `lost` events (nothing when 0). */
void ct__marker_lost(uint64_t lost);
/* A group fixture begins (1) or is over (0). */
void ct__marker_fixture(int begins, const char *name);
/* The group is about to run `count` tests; `end`: the ordinal after its last. */
void ct__marker_plan(size_t count, unsigned long end);
/* -list (CTRACE_LIST): a test of the group that matches, not run. */
void ct__marker_list(const char *name);
/* How far each --assert rule got, when one got further. */
void ct__marker_rules(void);
/* Write a held-back end marker now (before output that follows the test). */
void ct__markers_flush(void);

#endif /* CT_PLUGIN_CMOCKA_MARKERS_H */
