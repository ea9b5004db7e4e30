/*
 * reader_skim.h - what the reader offers the views beyond ctrace_reader.h:
 * the times of the events it skims (ctr_set_kinds()), thread by thread, for
 * a view that wants of them only where each thread's life began and ended
 * (threads, the report's thread table). Not part of the public API.
 */
#ifndef CT_ANALYSIS_READER_SKIM_H
#define CT_ANALYSIS_READER_SKIM_H

#include <stddef.h> /* size_t */
#include <stdint.h>

#include <ctrace_reader.h>

/* The times of one thread's events not made, as a view taking each would
 * see them. */
typedef struct ctr__skimmed_thread {
    uint32_t process, thread; /* the events' process and thread */
    int32_t pid, tid;
    uint64_t first_ns; /* the earliest of their begin_ns (regions, waits), ts_ns (others) */
    uint64_t last_ns;  /* the latest of their ts_ns */
} ctr__skimmed_thread;

/* Keep, for each thread, the times of its events not made (ctr_set_kinds()),
 * but for those of no thread (tid 0) and process begins and ends, modules
 * and warnings. Call it before reading. */
void ctr__keep_skim_times(ctr_reader *r);

/* After reading (to the end or damage), the skimmed times of the next
 * thread, from *cursor (0 to begin; advanced). @return 1 with *out set; 0
 * when there are no more; -1 if the times cannot stand in for the events:
 * some were made after their thread's THREAD_END or their process's
 * PROCESS_END, under a second tid of one thread, or left from a
 * ctr_next_batch() call by ctr_next_spans() (the view then reads the trace
 * again, taking those events). */
int ctr__skim_times(ctr_reader *r, size_t *cursor, ctr__skimmed_thread *out);

#endif /* CT_ANALYSIS_READER_SKIM_H */
