/*
 * modules.h - the modules (executable, shared libraries) loaded in the
 * process, written into the trace as MODULE events so that an analysis can
 * turn stack addresses and start routines into function, file and line.
 */
#ifndef CT_PLUGIN_MODULES_H
#define CT_PLUGIN_MODULES_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include "plugin/thread.h"

/* Take a snapshot of the loaded modules (at a session's start). */
void ct__modules_scan(void);

/* Write the snapshot's MODULE events into t's stream if this session has
 * not seen them yet; if one of pcs[0..n) lies outside every known module
 * (a dlopen since), ask for a scan at the next safe point. Safe in a signal
 * handler: it allocates nothing. Call outside an event. */
void ct__modules_note(ct__thread *t, const uint64_t *pcs, unsigned n);

/* A safe point (a task begins or ends, a thread attaches: not in a signal
 * handler the tracer can see): scan again if a stack asked for it, at most
 * every few milliseconds, and write the new snapshot. */
void ct__modules_settle(ct__thread *t);

/* How many of pcs[0..n), from the first, lie in a known module. */
unsigned ct__modules_known(const uint64_t *pcs, unsigned n);

/* Each module of the latest snapshot (for naming a place in this process). */
void ct__modules_each(void (*fn)(void *arg, const char *path, const uint8_t *build_id,
                                 size_t build_id_len, uint64_t bias, uint64_t lo, uint64_t hi),
                      void *arg);

#endif /* CT_PLUGIN_MODULES_H */
