/*
 * maps.h - the process's file mappings, from /proc/self/maps.
 */
#ifndef CT_PLUGIN_MAPS_H
#define CT_PLUGIN_MAPS_H

#include <stdint.h>

/* Call fn(arg, lo, hi, path) for each mapping [lo, hi) of a file, in the
 * file's order, its path NUL-terminated with a " (deleted)" taken off, until
 * fn returns nonzero. Plain open and read (untraced: the tracer's own) into
 * a buffer it allocates: no stdio, whose list lock another thread may hold
 * while it waits for a stream this one holds. Not in a signal handler.
 * @return 0, or -1 if the file could not be read. */
int ct__maps_each(int (*fn)(void *arg, uint64_t lo, uint64_t hi, const char *path), void *arg);

#endif /* CT_PLUGIN_MAPS_H */
