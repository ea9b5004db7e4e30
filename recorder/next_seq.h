/*
 * next_seq.h - for each thread of a pool, the chunk it sends next.
 *
 * A drain pass reads the chunk descriptors one after the other while threads
 * go on: a thread can fill chunk k and take chunk k+1 while the pass is
 * between them, so the pass sees k+1 without k. The drainer writes a chunk
 * only when it is the one its thread sends next, so no thread's events are
 * ever written out of order; k waits for the next pass.
 *
 * Keyed by thread serial, open addressing, in mmap'd memory: a pass never
 * calls malloc (with ct_start it runs while a thread of the program may
 * wait for room holding malloc's lock). Grows with the threads, never with
 * the events.
 */
#ifndef CT_RECORDER_NEXT_SEQ_H
#define CT_RECORDER_NEXT_SEQ_H

#include <stddef.h> /* size_t */
#include <stdint.h>

typedef struct ct_next_seq_slot {
    uint32_t thread; /* 0: empty */
    uint32_t unused;
    uint64_t next;   /* the seq of the chunk it sends next */
} ct_next_seq_slot;

typedef struct ct_next_seq {
    ct_next_seq_slot *slots;
    size_t cap, used; /* cap a power of two */
} ct_next_seq;

/* @return 0, or -1 out of memory. */
int ct_next_seq_init(ct_next_seq *s);
void ct_next_seq_free(ct_next_seq *s);

/* Where thread `thread` (not 0) is: its slot, added with next 0 when new;
 * NULL when out of memory. The slot is valid until the next call. */
ct_next_seq_slot *ct_next_seq_of(ct_next_seq *s, uint32_t thread);

#endif /* CT_RECORDER_NEXT_SEQ_H */
