/*
 * stack.h - the program's stack where it blocked, and per-thread stack
 * tables.
 *
 * Stacks are taken only on blocking (a wait that already cost a microsecond
 * or more), never on regions: capture is the expensive part of a tracer.
 * Like strings, a stack is defined by a STACK event in its thread's own
 * stream before a WAIT names it, so no lock is needed.
 */
#ifndef CT_PLUGIN_STACK_H
#define CT_PLUGIN_STACK_H

#include <stdint.h>

#include "plugin/thread.h"

/* How stacks are taken (CTRACE_STACKS). */
enum ct__stack_mode {
    CT__STACKS_UNWIND = 0, /* "unwind" (default): our DWARF unwinder (unwind.h), any
                            * code; libgcc's for stacks it cannot follow */
    CT__STACKS_FP = 1,     /* "fp": frame pointers, for programs built with them */
    CT__STACKS_OFF = 2,    /* "off": no stacks */
    CT__STACKS_LIBGCC = 3, /* "libgcc": the compiler runtime's _Unwind_Backtrace alone */
};
extern int ct__stack_mode;

/* Read CTRACE_STACKS and warm the unwinders up (libgcc's first use may load
 * libgcc_s or take the loader's lock: not inside a lock wrapper later). */
void ct__stack_init(void);

/* Load libgcc_s's unwinder if CTRACE_STACKS walks with it and it is not
 * loaded yet. ct__stack_init() does; a caller about to hold a lock of its
 * own across it calls this first (dlopen waits for the loader's lock, which
 * a constructor may hold while it waits for that lock). */
void ct__stack_prepare(void);

/* The calling program's return addresses, innermost first, starting at
 * `caller`: the return address of the interposed call, so the stack starts
 * at the program's frame, never inside the tracer. @return how many (at
 * most `max`), 0 with stacks off. */
unsigned ct__stack_capture(uint64_t caller, uint64_t *pcs, unsigned max);

/* The id of the stack pcs[0..n) in t's table, defining it with a STACK event
 * if it is new, the modules its frames are in noted first
 * (ct__modules_note()); 0 (no stack) for n == 0 or when out of memory. Room
 * for the definition must not be reserved by the caller. */
uint64_t ct__stack_intern(ct__thread *t, const uint64_t *pcs, unsigned n);

/* The stack where a signal interrupted the calling thread, from its
 * handler's `context` (a ucontext_t): pcs[0] is the interrupted address +
 * 1, then return addresses (unwind.h, async-signal-safe). @return how
 * many (at most CT_MAX_STACK_DEPTH); 0 with CTRACE_STACKS=off, or not on
 * x86-64. */
unsigned ct__stack_of_signal(const void *context, uint64_t pcs[CT_MAX_STACK_DEPTH]);

/* Forget t's stacks (a new session, or definitions lost in a drop); ids
 * keep growing. */
void ct__stacks_reset(ct__thread *t);

#endif /* CT_PLUGIN_STACK_H */
