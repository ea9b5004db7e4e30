/*
 * test_unwind.c - the cached-rule unwinder (plugin/unwind.c) against
 * libgcc's _Unwind_Backtrace from the same point: they must agree frame for
 * frame, cold and warm, on code without frame pointers (this file is built
 * with -fomit-frame-pointer), through libc, through an rbp-based frame
 * (a VLA), on another thread and through a dlopened module; threads keep
 * walking right while dlclose clears the rules; and by frame pointers past
 * the tracer's frames (CTRACE_STACKS=fp). Stacks it
 * cannot follow (a signal frame) go to libgcc, and a dlclosed module's rules
 * are forgotten. A thread made in a session takes its stack bounds from
 * its creation (pthread_hook.c): inside pthread_getattr_np's, and walked
 * as far. A wait in a module loaded during a session has the module in the
 * trace.
 *
 *     test_unwind PATH-OF-unwind_module.so
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dlfcn.h>   /* dlopen, dladdr */
#include <pthread.h>
#include <threads.h> /* thrd_create */
#include <signal.h>  /* raise, sigaction */
#include <stdio.h>
#include <stdlib.h>  /* qsort */
#include <string.h>  /* strstr */
#include <cmocka.h>

#include <ctrace.h>   /* ct_start: threads made in a session learn their bounds as made */
#include <unistd.h>   /* mkstemp, close, unlink */

#include "events.h"
#include "common/clock.h" /* ct__ticks */
#include "format/wire.h"  /* CT_BLOCK_SYNC, CT_MAX_STACK_DEPTH */
#include "plugin/api_internal.h" /* ct__enter, ct__wait_write */
#include "plugin/cfi.h"
#include "plugin/stack.h"
#include "plugin/unwind.h"

#define MAX_FRAMES 128
#define SKIP_MAX 16

static const char *module_path;

/* One stack taken both ways from the same point. */
struct both {
    uint64_t ours[MAX_FRAMES], gcc[MAX_FRAMES];
    int n_ours;
    unsigned n_gcc;
    unsigned max;  /* frames to ask for; 0: MAX_FRAMES */
    int ours_only; /* no libgcc walk: it switches the process-wide mode */
};

/* Both walks start at this function's return address: its caller's frame. */
static __attribute__((noinline)) void capture_both(struct both *b)
{
    uint64_t caller = (uint64_t)(uintptr_t)__builtin_return_address(0);
    unsigned max = b->max ? b->max : MAX_FRAMES;
    b->n_ours = ct__unwind_capture(caller, b->ours, max, SKIP_MAX, 0);
    if (b->ours_only)
        return;
    int mode = ct__stack_mode;
    ct__stack_mode = CT__STACKS_LIBGCC;
    b->n_gcc = ct__stack_capture(caller, b->gcc, max);
    ct__stack_mode = mode;
}

static const char *name_of(uint64_t pc)
{
    Dl_info info;
    if (dladdr((void *)(uintptr_t)pc, &info) && info.dli_sname)
        return info.dli_sname;
    return info.dli_fname ? info.dli_fname : "?";
}

static void print_stacks(const struct both *b)
{
    unsigned n = (unsigned)(b->n_ours > 0 ? b->n_ours : 0);
    for (unsigned i = 0; i < n || i < b->n_gcc; i++) {
        uint64_t ours = i < n ? b->ours[i] : 0, gcc = i < b->n_gcc ? b->gcc[i] : 0;
        print_error("  #%-2u ours %#-16llx libgcc %#-16llx %s%s\n", i, (unsigned long long)ours,
                    (unsigned long long)gcc, name_of(gcc ? gcc : ours),
                    ours == gcc ? "" : "  <-- differs");
    }
}

/* Ours followed the stack (no fallback) and found what libgcc found. */
static void assert_agree(const struct both *b, unsigned at_least)
{
    int same = b->n_ours == (int)b->n_gcc;
    for (unsigned i = 0; same && i < b->n_gcc; i++)
        same = b->ours[i] == b->gcc[i];
    if (!same || b->n_ours < (int)at_least) {
        print_error("ours: %d frames, libgcc: %u, wanted at least %u\n", b->n_ours, b->n_gcc,
                    at_least);
        print_stacks(b);
        fail();
    }
}

/* The first return address in a module whose path holds `name`, or 0. */
static uint64_t frame_in(const struct both *b, const char *name)
{
    for (int i = 0; i < b->n_ours; i++) {
        Dl_info info;
        if (dladdr((void *)(uintptr_t)b->ours[i], &info) && info.dli_fname &&
            strstr(info.dli_fname, name))
            return b->ours[i];
    }
    return 0;
}

/* Frames with a rule (with an rbp-based CFA if `rbp_based`). */
static int count_rules(const struct both *b, int rbp_based)
{
    int count = 0;
    for (unsigned i = 0; i < b->n_gcc; i++) {
        struct ct__cfi_rule r;
        if (ct__cfi_rule_at(b->gcc[i] - 1, &r) == CT__CFI_RULE && (!rbp_based || r.cfa_rbp))
            count++;
    }
    return count;
}

/* ---- deep recursion, no frame pointers ------------------------------------ */

static __attribute__((noinline)) int recurse(int depth, struct both *b)
{
    if (depth == 0) {
        capture_both(b);
        return 0;
    }
    /* Frames of different sizes, so the CFA offsets differ. */
    volatile char pad[64];
    pad[depth % 64] = (char)depth;
    int r = depth % 3 ? recurse(depth - 1, b) : recurse(depth - 1, b) + pad[depth % 64];
    __asm__ volatile("" : "+r"(r)); /* keeps the call from being a tail call or a loop */
    return r + 1;
}

static void test_deep_recursion_cold_and_warm(void **state)
{
    (void)state;
    struct both b = {0};
    ct__unwind_cache_clear();
    recurse(40, &b);
    assert_agree(&b, 42);
    recurse(40, &b); /* warm: the same return addresses, from the cache */
    assert_agree(&b, 42);
    assert_int_equal(ct__unwind_cached(b.ours[1] - 1), CT__CFI_RULE);
}

static void test_depth_is_cut_at_max(void **state)
{
    (void)state;
    struct both b = {.max = 5};
    recurse(40, &b);
    assert_agree(&b, 5);
    assert_int_equal(b.n_ours, 5);
    /* A caller that is not on the stack: nothing, after SKIP_MAX frames. */
    uint64_t pcs[5];
    assert_int_equal(ct__unwind_capture(0x1234, pcs, 5, SKIP_MAX, 0), 0);
}

/* ---- through libc ------------------------------------------------------------ */

static struct both *sort_capture;

static int compare(const void *x, const void *y)
{
    if (sort_capture) {
        capture_both(sort_capture);
        sort_capture = NULL;
    }
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

static void test_through_qsort_in_libc(void **state)
{
    (void)state;
    int v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (i * 37) % 64;
    struct both b = {0};
    sort_capture = &b;
    ct__unwind_cache_clear();
    qsort(v, 64, sizeof v[0], compare);
    assert_agree(&b, 4);
    assert_true(frame_in(&b, "libc.so") != 0);
}

/* ---- an rbp-based CFA ----------------------------------------------------- */

static __attribute__((noinline)) int with_vla(int n, struct both *b)
{
    volatile char buf[n]; /* a VLA: the compiler sets up rbp and the CFA follows it */
    buf[n - 1] = 1;
    int r = recurse(5, b);
    __asm__ volatile("" : "+r"(r));
    return r + buf[n - 1];
}

static void test_vla_frame_uses_rbp(void **state)
{
    (void)state;
    struct both b = {0};
    ct__unwind_cache_clear();
    with_vla(100, &b);
    assert_agree(&b, 8);
    assert_true(count_rules(&b, 1) >= 1);
    with_vla(3000, &b);
    assert_agree(&b, 8);
}

/* ---- another thread's stack ------------------------------------------------ */

static void *thread_main(void *arg)
{
    recurse(12, arg);
    return NULL;
}

static void test_thread_stack(void **state)
{
    (void)state;
    struct both b = {0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_main, &b), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    /* Down to clone3, whose return address is undefined: the outermost. */
    assert_agree(&b, 14);
}

/* ---- a thread's bounds as its creation told them ----------------------------- */

struct told {
    struct both b;
    uintptr_t lo, hi, true_lo, true_hi, sp;
    int known;
    int done; /* atomic: TSan does not see thrd_join's join (glibc's own call) */
};

static void *bounds_thread(void *arg)
{
    struct told *t = arg;
    ct__unwind_thread_init(); /* as attaching does (under TSan a thread attaches later) */
    t->known = ct__unwind_stack_bounds(&t->lo, &t->hi) == 0;
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            t->true_lo = (uintptr_t)addr;
            t->true_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    t->sp = (uintptr_t)__builtin_frame_address(0);
    recurse(12, &t->b);
    return NULL;
}

static int bounds_c11_thread(void *arg)
{
    struct told *t = arg;
    bounds_thread(t);
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Made in a session with `attr` (C11's thrd_create if `c11`): bounds inside
 * the true ones (never read past them), the same top, and the walk as long
 * as libgcc's. */
static void check_told_bounds_of(const pthread_attr_t *attr, int exact, int c11)
{
    struct told t;
    memset(&t, 0, sizeof t);
    /* No libgcc walk beside ours for C11's: it switches the process-wide
     * mode, which our thrd_join's wait reads, and TSan does not see the join. */
    t.b.ours_only = c11;
    if (c11) {
        thrd_t thread;
        assert_int_equal(thrd_create(&thread, bounds_c11_thread, &t), thrd_success);
        assert_int_equal(thrd_join(thread, NULL), thrd_success);
        assert_true(__atomic_load_n(&t.done, __ATOMIC_ACQUIRE));
    } else {
        pthread_t thread;
        assert_int_equal(pthread_create(&thread, attr, bounds_thread, &t), 0);
        assert_int_equal(pthread_join(thread, NULL), 0);
    }
    assert_true(t.known);
    assert_true(t.true_hi != 0);
    if (exact) {
        assert_true(t.lo == t.true_lo && t.hi == t.true_hi);
    } else {
        /* Learnt, not pthread_getattr_np's: 64 KiB kept off the low end. */
        assert_true(t.lo >= t.true_lo + (64 << 10) && t.hi == t.true_hi);
    }
    assert_true(t.sp >= t.lo && t.sp < t.hi);
    if (c11)
        assert_true(t.b.n_ours >= 14);
    else
        assert_agree(&t.b, 14); /* down to clone3, as test_thread_stack */
}

static void check_told_bounds(const pthread_attr_t *attr, int exact)
{
    check_told_bounds_of(attr, exact, 0);
}

static void test_thread_bounds_told_by_its_creation(void **state)
{
    (void)state;
    char path[] = "/tmp/ctrace-unwind-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ct_start(path), 0);

    check_told_bounds(NULL, 1); /* the first asks pthread_getattr_np: the others learn */
    check_told_bounds(NULL, 0); /* glibc's default stack */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    pthread_attr_setguardsize(&attr, 64 << 10);
    check_told_bounds(&attr, 0); /* a size and guard of the program's */
    pthread_attr_setstacksize(&attr, 64 << 10);
    check_told_bounds(&attr, 1); /* too small to estimate: pthread_getattr_np's */
    size_t size = 1 << 20;
    void *stack = malloc(size);
    assert_non_null(stack);
    pthread_attr_setstack(&attr, stack, size);
    check_told_bounds(&attr, 1); /* the program's own stack: exactly */
    pthread_attr_destroy(&attr);
#ifndef __SANITIZE_THREAD__ /* TSan sees no C11 join (glibc's own call): a new thread's id is a "dup" */
    check_told_bounds_of(NULL, 0, 1); /* C11's thrd_create */
#endif
    free(stack);

    ct_stop();
    unlink(path);
}

/* ---- a module, loaded and unloaded ------------------------------------------ */

typedef int module_call_fn(void (*)(void *), void *);

static void module_callback(void *arg)
{
    capture_both(arg);
}

static void test_dlclosed_module_rules_are_forgotten(void **state)
{
    (void)state;
    if (!module_path)
        skip();
    for (int round = 0; round < 2; round++) {
        void *m = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
        assert_non_null(m);
        module_call_fn *call = (module_call_fn *)dlsym(m, "unwind_module_call");
        assert_non_null(call);
        struct both b = {0};
        call(module_callback, &b);
        assert_agree(&b, 4);
        uint64_t pc = frame_in(&b, "unwind_module");
        assert_true(pc != 0);
        assert_int_equal(ct__unwind_cached(pc - 1), CT__CFI_RULE);
        assert_int_equal(dlclose(m), 0); /* dl_hook.c's: the epoch moves */
        assert_int_equal(ct__unwind_cached(pc - 1), CT__CFI_NONE);
    }
}

/* A wait recorded where the module called back: its stack holds a frame of
 * the module. */
static void wait_callback(void *arg)
{
    (void)arg;
    uint64_t pcs[CT_MAX_STACK_DEPTH];
    unsigned n = ct__stack_capture((uint64_t)(uintptr_t)__builtin_return_address(0), pcs,
                                   CT_MAX_STACK_DEPTH);
    struct ct__thread *t = ct__enter();
    assert_non_null(t);
    ct__wait_write(t, CT_BLOCK_SYNC, ct__ticks(), 1, 0, pcs, n);
    ct__leave(t);
}

/* A session in which `m` (just loaded) is called back into twice, each
 * call recording a wait; the next safe point (a task's begin) comes after
 * the least time between two looks at the modules (modules.c). Into
 * named[cap]: the MODULE of the trace holding the module's code ("" if
 * none). */
static void wait_in_module(void *m, const char *trace, char *named, size_t cap)
{
    module_call_fn *call = (module_call_fn *)dlsym(m, "unwind_module_call");
    assert_non_null(call);
    call(wait_callback, NULL);
    call(wait_callback, NULL);
    usleep(20000);
    ct_task_end(ct_task_begin(NULL, "after"));
    assert_int_equal(ct_stop(), 0);

    tevs t;
    assert_int_equal(tevs_read(&t, trace), 0);
    uint64_t pc = (uint64_t)(uintptr_t)call;
    size_t waits = 0;
    named[0] = '\0';
    for (size_t i = 0; i < t.n; i++) {
        const ctr_event *e = &t.v[i].ev;
        if (e->kind == CTR_BLOCK && e->block_kind == CTR_BLOCK_SYNC) { /* not usleep's */
            waits++;
            assert_true(e->stack_len >= 2);
        }
        if (e->kind == CTR_MODULE && e->module_lo <= pc && pc < e->module_hi)
            snprintf(named, cap, "%s", t.v[i].name);
    }
    assert_int_equal(waits, 2);
    tevs_free(&t);
}

/* A module loaded after the session began: the first wait with a frame in
 * it asks for the modules to be looked at again, and the next safe point
 * writes it, so the trace can name the frame. */
static void test_a_wait_in_a_module_loaded_later_names_it(void **state)
{
    (void)state;
    if (!module_path)
        skip();
    char trace[512], named[4096];
    temp_trace_path(trace, sizeof trace, "unwind-module");
    assert_int_equal(ct_start(trace), 0);
    void *m = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
    assert_non_null(m);
    wait_in_module(m, trace, named, sizeof named);
    assert_string_equal(named, module_path);
    assert_int_equal(dlclose(m), 0);
    unlink(trace);
}

/* Loaded by a relative path, which the loader keeps as given: the trace
 * names the file it is mapped from, wherever the program is by then. */
static void test_a_module_loaded_by_a_relative_path_is_named_in_full(void **state)
{
    (void)state;
    if (!module_path || module_path[0] != '/')
        skip();
    char trace[512], named[4096], cwd[4096], dir[4096];
    temp_trace_path(trace, sizeof trace, "unwind-relative");
    assert_non_null(getcwd(cwd, sizeof cwd));
    const char *base = strrchr(module_path, '/');
    snprintf(dir, sizeof dir, "%.*s", (int)(base - module_path), module_path);
    char relative[4096];
    snprintf(relative, sizeof relative, ".%s", base);
    assert_int_equal(ct_start(trace), 0);
    assert_int_equal(chdir(dir), 0);
    void *m = dlopen(relative, RTLD_NOW | RTLD_LOCAL);
    assert_int_equal(chdir(cwd), 0);
    assert_non_null(m);
    wait_in_module(m, trace, named, sizeof named);
    char *real = realpath(module_path, NULL);
    assert_non_null(real);
    assert_string_equal(named, real);
    free(real);
    assert_int_equal(dlclose(m), 0);
    unlink(trace);
}

/* ---- threads sharing the rules while modules come and go -------------------- */

static int stress_stop; /* atomic */

struct stress {
    int walks, bad;
};

/* The same stack again and again, while dlclose clears the rules: every
 * walk must find what the first found. */
static void *stress_thread(void *arg)
{
    struct stress *s = arg;
    struct both first = {.ours_only = 1}, b = {.ours_only = 1};
    for (struct both *into = &first;; into = &b) {
        recurse(8, into); /* one call site: the same return addresses */
        if (into == &first) {
            s->bad += first.n_ours < 10;
            continue;
        }
        s->bad += b.n_ours != first.n_ours ||
                  memcmp(b.ours, first.ours, sizeof b.ours[0] * (size_t)first.n_ours) != 0;
        if (++s->walks >= 200 && __atomic_load_n(&stress_stop, __ATOMIC_RELAXED))
            return NULL;
    }
}

static void test_threads_walk_while_modules_come_and_go(void **state)
{
    (void)state;
    enum { THREADS = 3 };
    pthread_t t[THREADS];
    struct stress s[THREADS] = {{0, 0}};
    __atomic_store_n(&stress_stop, 0, __ATOMIC_RELAXED);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, stress_thread, &s[i]), 0);
    for (int i = 0; i < 20 && module_path; i++) {
        void *m = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
        assert_non_null(m);
        module_call_fn *call = (module_call_fn *)dlsym(m, "unwind_module_call");
        struct both b = {.ours_only = 1};
        call(module_callback, &b);
        assert_true(frame_in(&b, "unwind_module") != 0);
        assert_int_equal(dlclose(m), 0);
    }
    __atomic_store_n(&stress_stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(s[i].bad, 0);
        assert_true(s[i].walks >= 200);
    }
}

/* ---- frame pointers --------------------------------------------------------- */

#define WITH_FRAME_POINTER __attribute__((noinline, optimize("no-omit-frame-pointer")))

static WITH_FRAME_POINTER void fp_capture(struct both *b)
{
    uint64_t caller = (uint64_t)(uintptr_t)__builtin_return_address(0);
    ct__stack_mode = CT__STACKS_FP;
    b->n_ours = (int)ct__stack_capture(caller, b->ours, 4);
    ct__stack_mode = CT__STACKS_LIBGCC;
    b->n_gcc = ct__stack_capture(caller, b->gcc, 4);
    ct__stack_mode = CT__STACKS_UNWIND;
}

static WITH_FRAME_POINTER int fp_chain(int depth, struct both *b)
{
    if (depth == 0)
        fp_capture(b);
    else
        depth = fp_chain(depth - 1, b);
    __asm__ volatile("" : "+r"(depth));
    return depth + 1;
}

/* CTRACE_STACKS=fp: the tracer's frames (built without frame pointers) are
 * passed by CFI, the program's followed by their frame records. */
static void test_frame_pointer_mode_passes_the_tracer(void **state)
{
    (void)state;
    struct both b = {0};
    fp_chain(2, &b); /* three frames with frame pointers, and their caller */
    assert_agree(&b, 4);
}

/* ---- what goes to libgcc ---------------------------------------------------- */

static struct both signal_capture;
static uint64_t signal_stack[MAX_FRAMES];
static unsigned signal_n;

static void on_signal(int sig)
{
    (void)sig;
    capture_both(&signal_capture);
    /* The default mode, as a wait in a handler would take it. */
    signal_n = ct__stack_capture((uint64_t)(uintptr_t)__builtin_return_address(0), signal_stack,
                                 MAX_FRAMES);
}

static void test_signal_frame_falls_back_to_libgcc(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = on_signal}, old;
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    raise(SIGUSR1);
    sigaction(SIGUSR1, &old, NULL);
    assert_int_equal(signal_capture.n_ours, CT__UNWIND_FALLBACK);
    assert_true(signal_capture.n_gcc >= 4); /* libgcc goes through the signal frame */
    /* The default mode gave libgcc's stack, from the handler's caller on. */
    assert_int_equal(signal_n + 1, signal_capture.n_gcc);
    assert_memory_equal(signal_stack, signal_capture.gcc + 1, signal_n * sizeof signal_stack[0]);
    /* The signal trampoline (the handler's caller, or under TSan further
     * up): its verdict is cached, so the next stack through it goes to
     * libgcc at once. */
    int fallbacks = 0;
    for (unsigned i = 0; i < signal_capture.n_gcc; i++)
        fallbacks += ct__unwind_cached(signal_capture.gcc[i] - 1) == CT__CFI_FALLBACK;
    assert_int_equal(fallbacks, 1);
}

int main(int argc, char **argv)
{
    module_path = argc > 1 ? argv[1] : NULL;
    ct__stack_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_recursion_cold_and_warm),
        cmocka_unit_test(test_depth_is_cut_at_max),
        cmocka_unit_test(test_through_qsort_in_libc),
        cmocka_unit_test(test_vla_frame_uses_rbp),
        cmocka_unit_test(test_thread_stack),
        cmocka_unit_test(test_thread_bounds_told_by_its_creation),
        cmocka_unit_test(test_dlclosed_module_rules_are_forgotten),
        cmocka_unit_test(test_a_wait_in_a_module_loaded_later_names_it),
        cmocka_unit_test(test_a_module_loaded_by_a_relative_path_is_named_in_full),
        cmocka_unit_test(test_threads_walk_while_modules_come_and_go),
        cmocka_unit_test(test_frame_pointer_mode_passes_the_tracer),
        cmocka_unit_test(test_signal_frame_falls_back_to_libgcc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
