/*
 * floor_tracer.c - the least an out-of-line tracer does for a region pair,
 * as bench/hotpath's reference beside libctrace: a shared library, called
 * through the PLT as libctrace is. Each begin and end finds the thread's
 * state (an initial-exec TLS load), guards against a signal handler nesting
 * (a flag), makes room, reads the TSC, writes a 3-byte event (kind, tick
 * delta, a name id or the serial's distance) and publishes its length with
 * a release store, as libctrace's hot path does (plugin/thread.h).
 *
 * What it leaves out, and libctrace does: interning names (a literal known
 * by its address, a run-time name checked byte by byte), a session check,
 * the region's task, nesting and its serial kept per thread, the test's live
 * aggregates that trace assertions judge, a pool shared with a collector
 * (the ring here wraps, nothing drains it), drops and losses counted.
 */
#include "floor_tracer.h"

#include "format/wire.h" /* ct_put_uvarint: libctrace's own encoding */

#if defined(__x86_64__) || defined(__i386__)
#  include <x86intrin.h> /* __rdtsc */
#  define FLOOR_TICKS() __rdtsc()
#else
#  include <time.h>
static uint64_t floor_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#  define FLOOR_TICKS() floor_ticks()
#endif

#define RING_BYTES (64u << 10)
#define EVENT_MAX 32u

typedef struct floor_thread {
    uint8_t *pos, *end, *base;
    uint32_t committed; /* what a collector would read up to */
    uint64_t last_ticks, serial;
    uint8_t busy, on;
} floor_thread;

static __thread floor_thread self __attribute__((tls_model("initial-exec")));
static uint8_t ring[RING_BYTES]; /* one thread records: the one that started */

void floor_tracer_start(void)
{
    self.base = self.pos = ring;
    self.end = ring + RING_BYTES;
    self.last_ticks = FLOOR_TICKS();
    self.on = 1;
}

/* The event's kind and tick delta written; returns where its field goes. */
static inline uint8_t *stamp(floor_thread *t, uint8_t kind)
{
    if (t->end - t->pos < (long)EVENT_MAX)
        t->pos = t->base; /* a collector would have taken the chunk */
    uint64_t now = FLOOR_TICKS();
    uint64_t delta = now > t->last_ticks ? now - t->last_ticks : 0;
    t->last_ticks += delta;
    uint8_t *p = t->pos;
    *p++ = kind;
    return ct_put_uvarint(p, delta);
}

static inline void commit(floor_thread *t, uint8_t *p)
{
    t->pos = p;
    __atomic_store_n(&t->committed, (uint32_t)(p - t->base), __ATOMIC_RELEASE);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->busy = 0;
}

uint64_t floor_region_begin(const char *name)
{
    floor_thread *t = &self;
    if (!t->on || t->busy)
        return 0;
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint8_t *p = stamp(t, 8);
    p = ct_put_uvarint(p, (uintptr_t)name >> 4 & 0x7f); /* an id: one byte, as a small table's */
    commit(t, p);
    return ++t->serial;
}

void floor_region_end(uint64_t serial)
{
    floor_thread *t = &self;
    if (!t->on || t->busy || serial == 0)
        return;
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint8_t *p = stamp(t, 9);
    p = ct_put_uvarint(p, t->serial - serial);
    commit(t, p);
}
