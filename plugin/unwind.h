/*
 * unwind.h - a DWARF CFI unwinder for x86-64 with a per-process cache of
 * rules, for stacks at blocking calls (stack.c).
 *
 * libgcc's _Unwind_Backtrace rebuilds every frame's full register state from
 * .eh_frame on each call (150-250 ns a frame). A wait's stack needs far
 * less: for each return address, where the CFA is (rsp or rbp plus an
 * offset) and where rbp was saved. That rule depends only on the address, so
 * it is computed once (cfi.c) and kept in a lock-free table: a warm walk is
 * a table lookup and two loads per frame.
 *
 * Async-signal-safe: no allocation and no lock, except the first walk on a
 * thread the tracer has not seen yet (its stack bounds: see
 * ct__unwind_thread_init).
 */
#ifndef CT_PLUGIN_UNWIND_H
#define CT_PLUGIN_UNWIND_H

#include <stdint.h>

/* ct__unwind_capture could not follow this stack: a frame whose rule it
 * cannot express (a signal frame, a CFA expression), a stack it does not
 * know the bounds of (sigaltstack), or not x86-64. Ask libgcc. */
#define CT__UNWIND_FALLBACK (-1)

/* The calling program's return addresses, innermost first, from `caller`
 * on (frames of the tracer above it are skipped, at most `skip_max`), as
 * ct__stack_capture promises. With `frame_pointers`, the program's frames
 * are followed by their frame pointers (CTRACE_STACKS=fp), the tracer's
 * still by CFI: libctrace need not be built with frame pointers. @return
 * how many (at most `max`), 0 when the walk ended before reaching `caller`,
 * or CT__UNWIND_FALLBACK. */
int ct__unwind_capture(uint64_t caller, uint64_t *pcs, unsigned max, unsigned skip_max,
                       int frame_pointers);

/* The stack of the calling thread where a signal interrupted it: `ip`, `sp`
 * and `bp` are the interrupted rip, rsp and rbp (its ucontext). pcs[0] is
 * ip + 1, so that like the return addresses after it, which are the
 * frames' callers, it is looked up at address - 1. Follows the frames by
 * their CFI as far as the rules reach (a signal frame or an expression ends
 * it), and only within the thread's stack bounds as attaching found them
 * (unknown bounds: ip alone). Async-signal-safe: for a signal handler.
 * @return how many (at most `max`; 1 or more when max > 0). */
int ct__unwind_interrupted(uint64_t ip, uint64_t sp, uint64_t bp, uint64_t *pcs, unsigned max);

/* The calling thread's stack [*lo, *hi), found once per thread
 * (pthread_getattr_np, which may allocate: ct__unwind_thread_init calls it
 * where that is safe). @return 0, or -1 if unknown. */
int ct__unwind_stack_bounds(uintptr_t *lo, uintptr_t *hi);

/* Learn the calling thread's stack bounds now, outside any signal handler
 * or lock wrapper (thread attach, stack init): those its creation told
 * (ct__origin, pthread_hook.c), else pthread_getattr_np's. */
void ct__unwind_thread_init(void);

/* Forget every cached rule (benchmarks measure cold walks with it). */
void ct__unwind_cache_clear(void);

/* The cached verdict for the lookup address `addr` (a return address minus
 * one), valid now: a ct__cfi_kind, CT__CFI_NONE if none. For tests. */
int ct__unwind_cached(uint64_t addr);

#endif /* CT_PLUGIN_UNWIND_H */
