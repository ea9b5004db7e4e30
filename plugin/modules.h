/*
 * modules.h - the modules (executable, shared libraries) loaded in the
 * process, written into the trace as MODULE events so that an analysis can
 * turn stack addresses and start routines into function, file and line.
 */
#ifndef CT_PLUGIN_MODULES_H
#define CT_PLUGIN_MODULES_H

#include <stdint.h>

#include "plugin/thread.h"

/* Take a snapshot of the loaded modules (at a session's start). */
void ct__modules_scan(void);

/* Make sure the trace holds the modules that contain pcs[0..n): scan again
 * if one lies outside every known module (a dlopen since), at most every
 * few milliseconds; write the snapshot's MODULE events into t's stream if
 * this session has not seen them yet. Call outside an event. */
void ct__modules_note(ct__thread *t, const uint64_t *pcs, unsigned n);

/* How many of pcs[0..n), from the first, lie in a known module. */
unsigned ct__modules_known(const uint64_t *pcs, unsigned n);

#endif /* CT_PLUGIN_MODULES_H */
