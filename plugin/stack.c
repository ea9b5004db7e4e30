/*
 * stack.c - capture the program's stack at a blocking call, and intern it
 * per thread (see stack.h).
 *
 * Three ways to walk: our DWARF unwinder with cached rules (unwind.c, about
 * 8 ns a frame once warm; x86-64), the compiler runtime's
 * (_Unwind_Backtrace, .eh_frame: any code, about 200 ns a frame, and what
 * ours falls back to), or frame pointers (a few ns a frame, right only for
 * code built with -fno-omit-frame-pointer; unwind.c passes the tracer's own
 * frames by CFI, as libctrace is built without). The walk starts inside the
 * tracer; frames are dropped until the interposed call's return address,
 * which is where the program called the blocking function.
 *
 * libgcc's unwinder is looked up, not linked: libgcc_s's constructor probes
 * the CPU with cpuid, which a VM traps (about 0.1 ms a process here), and a
 * program that loads libctrace but never traces, or the ctest-trace
 * command, should not pay it. It is loaded as a session starts (not in a
 * signal handler, not on an event's path: dlopen takes the loader's lock).
 */
#include "plugin/stack.h"

#include <dlfcn.h>   /* dlopen, dlsym */
#include <stdio.h>   /* fprintf */
#include <stdlib.h>
#include <string.h>  /* strcmp, memcpy, memcmp */
#include <ucontext.h> /* ucontext_t, REG_RIP */
#include <unwind.h>  /* _Unwind_Backtrace */

#include "plugin/modules.h" /* ct__modules_note */
#include "plugin/unwind.h"
#include "common/env_once.h"

#define MAX_TRACER_FRAMES 16u       /* frames of ours above the program's, at most */

int ct__stack_mode;

/* libgcc's unwinder, once loaded (libgcc_bind): atomic, set once. */
typedef _Unwind_Reason_Code (*backtrace_fn)(_Unwind_Trace_Fn, void *);
typedef _Unwind_Ptr (*get_ip_fn)(struct _Unwind_Context *);
static backtrace_fn libgcc_backtrace;
static get_ip_fn libgcc_get_ip;

/* Load libgcc_s (already there in most programs: the C++ runtime's, glibc's
 * for cancellation) and find its unwinder. @return 0, or -1: stacks it
 * would have walked are their call site alone. */
static int libgcc_bind(void)
{
    if (__atomic_load_n(&libgcc_backtrace, __ATOMIC_ACQUIRE))
        return 0;
    uint8_t was = ct__untraced_begin(); /* its open, mmap and read are the tracer's */
    void *lib = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_LOCAL); /* kept: never closed */
    get_ip_fn get_ip = lib ? (get_ip_fn)dlsym(lib, "_Unwind_GetIP") : NULL;
    backtrace_fn backtrace = lib ? (backtrace_fn)dlsym(lib, "_Unwind_Backtrace") : NULL;
    ct__untraced_end(was);
    if (!get_ip || !backtrace)
        return -1;
    __atomic_store_n(&libgcc_get_ip, get_ip, __ATOMIC_RELAXED);
    __atomic_store_n(&libgcc_backtrace, backtrace, __ATOMIC_RELEASE);
    return 0;
}

/* CTRACE_STACKS's mode (CT__STACKS_*). */
static int mode_from_env(void)
{
    const char *text = ct_env("CTRACE_STACKS");
    if (text && strcmp(text, "off") == 0)
        return CT__STACKS_OFF;
    if (text && strcmp(text, "fp") == 0)
        return CT__STACKS_FP;
    if (text && strcmp(text, "libgcc") == 0)
        return CT__STACKS_LIBGCC;
    return CT__STACKS_UNWIND;
}

/* The modes that walk with libgcc's unwinder (alone, or where ours stops). */
static int uses_libgcc(int mode)
{
    return mode == CT__STACKS_UNWIND || mode == CT__STACKS_LIBGCC;
}

void ct__stack_prepare(void)
{
    if (uses_libgcc(mode_from_env()))
        libgcc_bind();
}

/* ---- capture ----------------------------------------------------------------- */

struct walk {
    uint64_t caller; /* the first frame to keep */
    uint64_t *pcs;
    unsigned n, max, skipped;
    int found;
};

static _Unwind_Reason_Code unwind_frame(struct _Unwind_Context *ctx, void *arg)
{
    struct walk *w = arg;
    uint64_t ip = (uint64_t)__atomic_load_n(&libgcc_get_ip, __ATOMIC_RELAXED)(ctx);
    if (!w->found) {
        if (ip != w->caller)
            return ++w->skipped > MAX_TRACER_FRAMES ? _URC_END_OF_STACK : _URC_NO_REASON;
        w->found = 1;
    }
    if (ip == 0 || w->n >= w->max)
        return _URC_END_OF_STACK;
    w->pcs[w->n++] = ip;
    return _URC_NO_REASON;
}

/* Frame records are {saved frame pointer, return address}, each caller's
 * above its callee's. Anything else (code without frame pointers) ends the
 * walk. Where unwind.c cannot walk (not x86-64), from here: right only if
 * the tracer's own frames keep frame pointers too. */
static __attribute__((noinline)) void walk_frame_pointers(struct walk *w)
{
    uintptr_t stack_lo, stack_hi;
    if (ct__unwind_stack_bounds(&stack_lo, &stack_hi) != 0)
        return;
    uintptr_t *fp = __builtin_frame_address(0);
    while ((uintptr_t)fp >= stack_lo && (uintptr_t)(fp + 2) <= stack_hi &&
           ((uintptr_t)fp & (sizeof(uintptr_t) - 1)) == 0) {
        uint64_t ip = fp[1];
        if (!w->found && ip == w->caller)
            w->found = 1;
        if (w->found) {
            if (ip == 0 || w->n >= w->max)
                break;
            w->pcs[w->n++] = ip;
        } else if (++w->skipped > MAX_TRACER_FRAMES) {
            break;
        }
        uintptr_t *next = (uintptr_t *)fp[0];
        if (next <= fp)
            break;
        fp = next;
    }
}

unsigned ct__stack_capture(uint64_t caller, uint64_t *pcs, unsigned max)
{
    if (ct__stack_mode == CT__STACKS_OFF || max == 0 || caller == 0)
        return 0;
    if (ct__stack_mode == CT__STACKS_UNWIND || ct__stack_mode == CT__STACKS_FP) {
        /* 0: it ended before `caller` (libgcc may know better); or it fell back. */
        int n = ct__unwind_capture(caller, pcs, max, MAX_TRACER_FRAMES,
                                   ct__stack_mode == CT__STACKS_FP);
        if (n > 0)
            return (unsigned)n;
    }
    struct walk w = {caller, pcs, 0, max, 0, 0};
    backtrace_fn backtrace = __atomic_load_n(&libgcc_backtrace, __ATOMIC_ACQUIRE);
    if (ct__stack_mode == CT__STACKS_FP)
        walk_frame_pointers(&w);
    else if (backtrace)
        backtrace(unwind_frame, &w);
    if (!w.found) { /* the walk could not pass the tracer: the call site at least */
        pcs[0] = caller;
        return 1;
    }
    return w.n;
}

void ct__stack_init(void)
{
    int mode = mode_from_env();
    /* Stored only when it changes: a live server starts a session per
     * capture while threads of the last one may still read it. */
    if (ct__stack_mode != mode)
        ct__stack_mode = mode;
    ct__unwind_thread_init();
    uint64_t pcs[4];
    if (uses_libgcc(ct__stack_mode)) {
        if (libgcc_bind() == 0) { /* a first walk: libgcc sets itself up outside any handler */
            struct walk w = {0, pcs, 0, 4, 0, 1};
            __atomic_load_n(&libgcc_backtrace, __ATOMIC_ACQUIRE)(unwind_frame, &w);
        } else if (ct__stack_mode == CT__STACKS_LIBGCC) {
            fprintf(stderr, "ctrace: warning: CTRACE_STACKS=libgcc: libgcc_s.so.1 could not be "
                            "loaded: a wait's stack is its call site alone\n");
        }
    }
    /* Binds _dl_find_object and caches the rules of our own frames. */
    if (ct__stack_mode != CT__STACKS_OFF)
        ct__unwind_capture(0, pcs, 4, MAX_TRACER_FRAMES, 0);
}

/* ---- per-thread table ------------------------------------------------------- */

/* A wait may be recorded in a signal handler (a handler's write to a pipe):
 * the table allocates nothing. It lives in the thread's state, made at
 * attach, and keeps no addresses, only two 64-bit hashes of them: a stack is
 * known again when both match (a wrong match would take two independent
 * 64-bit collisions within one thread's few hundred stacks). */

/* A rotate and an xor a pc, and a sum of products by distinct odd numbers:
 * neither is a chain of multiplies as long as the walk, and a stack would
 * have to fool both. */
static void hash_pcs(const uint64_t *pcs, unsigned n, uint64_t *h1, uint64_t *h2)
{
    uint64_t a = 0x9E3779B97F4A7C15ull ^ n, b = n;
    for (unsigned i = 0; i < n; i++) {
        a = ((a << 7) | (a >> 57)) ^ pcs[i];
        b += pcs[i] * (0xff51afd7ed558ccdull + 2 * (uint64_t)i);
    }
    a ^= a >> 33;
    a *= 0xc4ceb9fe1a85ec53ull;
    a ^= a >> 33;
    b ^= b >> 29;
    b *= 0xbf58476d1ce4e5b9ull;
    b ^= b >> 32;
    *h1 = a | 1; /* never 0: 0 marks a free slot */
    *h2 = b;
}

void ct__stacks_reset(ct__thread *t)
{
    t->stacks_zeroed = 0; /* cleared at its next use: many threads never use it */
    t->stacks_used = 0;
}

/* The STACK event: id, then the return addresses as varints in one string. */
static void define(ct__thread *t, uint64_t id, const uint64_t *pcs, unsigned n)
{
    uint8_t body[CT_MAX_STACK_DEPTH * CT_UVARINT_MAX], *q = body;
    for (unsigned i = 0; i < n; i++)
        q = ct_put_uvarint(q, pcs[i]);
    uint8_t *p = t->pos;
    *p++ = CT_EV_STACK; /* untimed */
    p = ct_put_uvarint(p, id);
    p = ct_put_uvarint(p, (uint64_t)(q - body));
    memcpy(p, body, (size_t)(q - body));
    ct__commit(t, p + (q - body));
}

uint64_t ct__stack_intern(ct__thread *t, const uint64_t *pcs, unsigned n)
{
    if (n == 0)
        return 0;
    if (n > CT_MAX_STACK_DEPTH)
        n = CT_MAX_STACK_DEPTH;
    int noted = 0;
again:
    /* Room for a definition first, before the table is looked at. */
    ct__reserve(t, CT_SMALL_EVENT + CT_MAX_STACK_DEPTH * CT_UVARINT_MAX);
    if (t->stacks_used >= CT_STACK_SLOTS * 3 / 4) /* many blocking sites: start over */
        ct__stacks_reset(t);
    if (!t->stacks_zeroed) {
        memset(t->stacks, 0, sizeof t->stacks);
        t->stacks_zeroed = 1;
    }
    uint64_t h1, h2;
    hash_pcs(pcs, n, &h1, &h2);
    uint32_t i = (uint32_t)h1 & (CT_STACK_SLOTS - 1);
    struct ct__stack_slot *e;
    for (;; i = (i + 1) & (CT_STACK_SLOTS - 1)) {
        e = &t->stacks[i];
        if (e->h1 == h1 && e->h2 == h2)
            return e->id;
        if (e->h1 == 0)
            break;
    }
    if (!noted) {
        /* A stack new to the thread: the modules its frames are in first,
         * their MODULE events before its STACK (a stack seen before had
         * them noted then: a wait at a known place skips the lookups). A
         * module event may take a new chunk, and a drop's end starts the
         * table over: look again. */
        ct__modules_note(t, pcs, n);
        noted = 1;
        goto again;
    }
    e->h1 = h1;
    e->h2 = h2;
    e->id = ++t->next_stack_id;
    t->stacks_used++;
    define(t, e->id, pcs, n);
    return e->id;
}

unsigned ct__stack_of_signal(const void *context, uint64_t pcs[CT_MAX_STACK_DEPTH])
{
#if defined(__x86_64__)
    const ucontext_t *uc = context;
    if (ct__stack_mode != CT__STACKS_OFF)
        return (unsigned)ct__unwind_interrupted((uint64_t)uc->uc_mcontext.gregs[REG_RIP],
                                                (uint64_t)uc->uc_mcontext.gregs[REG_RSP],
                                                (uint64_t)uc->uc_mcontext.gregs[REG_RBP], pcs,
                                                CT_MAX_STACK_DEPTH);
#else
    (void)context;
    (void)pcs;
#endif
    return 0;
}
