/*
 * floor_tracer.h - the least an out-of-line tracer does for a region pair
 * (bench/floor_tracer.c), as bench/hotpath's reference beside libctrace.
 */
#ifndef CT_BENCH_FLOOR_TRACER_H
#define CT_BENCH_FLOOR_TRACER_H

#include <stdint.h>

/* The calling thread records from now on. */
void floor_tracer_start(void);

/* Begin a region named `name`; @return its serial, for floor_region_end(). */
uint64_t floor_region_begin(const char *name);

void floor_region_end(uint64_t serial);

#endif /* CT_BENCH_FLOOR_TRACER_H */
