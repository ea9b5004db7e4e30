/*
 * unwind.c - walk this thread's stack with cached CFI rules (see unwind.h).
 *
 * The walk keeps three registers, as the x86-64 SysV ABI and .eh_frame
 * describe a frame: for a pc, its rule gives CFA = rsp or rbp + offset; the
 * return address is at CFA - 8; rbp is unchanged or saved at CFA + k. The
 * caller's frame then has rip = [CFA - 8], rsp = CFA, rbp = restored. Every
 * load is an aligned word of this thread's stack between the current rsp
 * and the stack's top, and rsp grows at each frame: garbage ends the walk,
 * it cannot fault or loop.
 *
 * The cache maps a lookup address (return address - 1) to its rule in one
 * 64-bit word: tag, dlclose epoch, kind and rule packed together, so a
 * reader racing a writer sees an old word or a new one, never half of each.
 * Any thread fills it; nothing is freed. After a dlclose another module may
 * sit at a cached address: a word counts only if its epoch is the current
 * ct__names_epoch (dl_hook.c bumps it before and after the unmapping), and
 * the table is cleared when the epoch moves.
 */
#include "plugin/unwind.h"

#include <pthread.h> /* pthread_getattr_np */

#include "plugin/cfi.h"
#include "plugin/thread.h" /* ct__names_epoch */

/* Reading other functions' frames is what an unwinder does: not a bug for
 * AddressSanitizer, and only ever this thread's own stack for TSan. */
#define NO_SANITIZE_STACK __attribute__((no_sanitize_address, no_sanitize("thread")))

/* ---- stack bounds ---------------------------------------------------------- */

static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));

int ct__unwind_stack_bounds(uintptr_t *lo, uintptr_t *hi)
{
    if (!stack_hi) {
        pthread_attr_t attr;
        if (pthread_getattr_np(pthread_self(), &attr) != 0)
            return -1;
        void *addr;
        size_t size;
        int rc = pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
        if (rc != 0)
            return -1;
        stack_lo = (uintptr_t)addr;
        stack_hi = stack_lo + size;
    }
    *lo = stack_lo;
    *hi = stack_hi;
    return 0;
}

void ct__unwind_thread_init(void)
{
    if (!stack_hi && ct__origin.stack_hi) { /* told by its creation: no system call */
        stack_lo = ct__origin.stack_lo;
        stack_hi = ct__origin.stack_hi;
    }
    uintptr_t lo, hi;
    if (ct__unwind_stack_bounds(&lo, &hi) == 0)
        ct__thread_stack_learn(hi);
}

/* ---- the rule cache -------------------------------------------------------- */

/* A word: bits 0-1 kind (CT__CFI_*, 0: empty), 2 CFA is rbp-based, 3-15
 * CFA offset / 8, 16-23 -(rbp's offset) / 8 (0: rbp unchanged), 24-28 the
 * epoch's low bits, 29-63 the address >> 12. With the set index (the low 12
 * bits xored with bits of the tag: invertible), the tag names one address. */
#define SETS 4096u /* of 2 words: 8192 rules, 64 KiB */
#define SET_BITS 12
#define ADDR_BITS 47 /* user space; higher addresses are looked up uncached */
#define EPOCH_SHIFT 24
#define EPOCH_MASK 31u
#define TAG_SHIFT 29
#define CFA_OFF_MAX (1 << 13)
#define RBP_OFF_MAX (1 << 8)

static uint64_t cache[SETS][2]; /* atomic words */
static uint32_t cache_epoch;    /* atomic: the epoch the table was cleared for */

/* Shifts and xors only: this is on the walk's critical path. */
static uint64_t *set_of(uint64_t addr)
{
    return cache[(addr ^ (addr >> SET_BITS) ^ (addr >> 2 * SET_BITS)) & (SETS - 1)];
}

static uint64_t key_of(uint64_t addr, uint32_t epoch)
{
    return (addr >> SET_BITS) << TAG_SHIFT | (uint64_t)(epoch & EPOCH_MASK) << EPOCH_SHIFT;
}

/* The word for a verdict, or 0 when its rule does not fit (then it is
 * computed again each time: correct, only slower). */
static uint64_t encode(uint64_t key, int kind, const struct ct__cfi_rule *r)
{
    if (kind != CT__CFI_RULE)
        return key | (uint64_t)kind;
    if (r->cfa_off <= 0 || r->cfa_off % 8 != 0 || r->cfa_off / 8 >= CFA_OFF_MAX ||
        r->rbp_off > 0 || r->rbp_off % 8 != 0 || -r->rbp_off / 8 >= RBP_OFF_MAX)
        return 0;
    return key | (uint64_t)kind | (uint64_t)r->cfa_rbp << 2 | (uint64_t)(r->cfa_off / 8) << 3 |
           (uint64_t)(-r->rbp_off / 8) << 16;
}

void ct__unwind_cache_clear(void)
{
    for (unsigned i = 0; i < SETS; i++) {
        __atomic_store_n(&cache[i][0], 0, __ATOMIC_RELAXED);
        __atomic_store_n(&cache[i][1], 0, __ATOMIC_RELAXED);
    }
}

/* The epoch words must carry; clears the table when it moved. */
static uint32_t current_epoch(void)
{
    uint32_t epoch = __atomic_load_n(&ct__names_epoch, __ATOMIC_ACQUIRE);
    uint32_t seen = __atomic_load_n(&cache_epoch, __ATOMIC_RELAXED);
    if (__builtin_expect(seen != epoch, 0) &&
        __atomic_compare_exchange_n(&cache_epoch, &seen, epoch, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED))
        ct__unwind_cache_clear(); /* words of older epochs are ignored anyway: this is GC */
    return epoch;
}

/* The valid word for `addr`, or 0. Inlined into the walk: hence its
 * attributes (the cache words are only ever accessed atomically). */
static inline __attribute__((always_inline)) NO_SANITIZE_STACK uint64_t cached(uint64_t addr,
                                                                               uint64_t key)
{
    uint64_t *set = set_of(addr);
    uint64_t w = __atomic_load_n(&set[0], __ATOMIC_RELAXED);
    if ((w & ~(((uint64_t)1 << EPOCH_SHIFT) - 1)) == key && (w & 3))
        return w;
    w = __atomic_load_n(&set[1], __ATOMIC_RELAXED);
    if ((w & ~(((uint64_t)1 << EPOCH_SHIFT) - 1)) == key && (w & 3))
        return w;
    return 0;
}

/* The newest word goes first, the one it displaces second: a set keeps its
 * two most recent rules. */
static void insert(uint64_t addr, uint32_t epoch, uint64_t w)
{
    uint64_t *set = set_of(addr);
    __atomic_store_n(&set[1], __atomic_load_n(&set[0], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
    __atomic_store_n(&set[0], w, __ATOMIC_RELAXED);
    /* A dlclose while the rule was being read: it may describe an unmapped
     * module. Its epoch already keeps it from use; take it out as well. */
    if (__atomic_load_n(&ct__names_epoch, __ATOMIC_ACQUIRE) != epoch)
        __atomic_compare_exchange_n(&set[0], &w, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* A cache miss: read the rule from the CFI, and keep it. */
static __attribute__((noinline)) int rule_slow(uint64_t addr, uint32_t epoch,
                                               struct ct__cfi_rule *r)
{
    int kind = ct__cfi_rule_at(addr, r);
    /* No module now may be one after a dlopen: not kept. Nor are addresses
     * past the tag's bits. */
    if (kind != CT__CFI_NONE && !(addr >> ADDR_BITS)) {
        uint64_t w = encode(key_of(addr, epoch), kind, r);
        if (w)
            insert(addr, epoch, w);
    }
    return kind;
}

int ct__unwind_cached(uint64_t addr)
{
    uint64_t w = addr >> ADDR_BITS ? 0 : cached(addr, key_of(addr, current_epoch()));
    return (int)(w & 3);
}

/* ---- the walk -------------------------------------------------------------- */

typedef uint64_t __attribute__((may_alias)) stack_word;

struct regs {
    uintptr_t ip, sp, bp;
};

/* Move r to the caller's frame: CT__CFI_RULE, or what ended the walk
 * (CT__CFI_FALLBACK; anything else: this is the last frame). */
static inline __attribute__((always_inline)) NO_SANITIZE_STACK int
step(struct regs *r, uintptr_t hi, uint32_t epoch)
{
    uint64_t addr = r->ip - 1;
    uint64_t w = addr >> ADDR_BITS ? 0 : cached(addr, key_of(addr, epoch));
    uintptr_t cfa, saved; /* rbp was saved this far below the CFA; 0: unchanged */
    if (__builtin_expect(w != 0, 1)) {
        if ((w & 3) != CT__CFI_RULE)
            return (int)(w & 3);
        /* The fields sit where they decode cheaply: bits 3-15 hold the
         * offset / 8, so masking gives the offset itself. */
        cfa = ((w & 4) ? r->bp : r->sp) + (w & 0xfff8);
        saved = (w >> 13) & 0x7f8;
    } else {
        struct ct__cfi_rule rule;
        int kind = rule_slow(addr, epoch, &rule);
        if (kind != CT__CFI_RULE)
            return kind;
        cfa = (rule.cfa_rbp ? r->bp : r->sp) + (uintptr_t)(intptr_t)rule.cfa_off;
        saved = -(uintptr_t)(intptr_t)rule.rbp_off; /* above the CFA: fails below */
        if (saved & 7)
            return CT__CFI_END;
    }
    /* rsp is 8-aligned and grows: cfa - 8 >= rsp holds the return address,
     * and the saved rbp lies in this frame, at or above rsp. */
    if (cfa <= r->sp || cfa > hi || (cfa & 7) != 0 || saved > cfa - r->sp)
        return CT__CFI_END;
    /* Without a branch (frames with and without a saved rbp alternate, and
     * a mispredict costs more than a load): when rbp was not saved, read the
     * return address's slot again and keep rbp. */
    uintptr_t at = saved ? cfa - saved : cfa - 8;
    uint64_t ip = *(const stack_word *)(cfa - 8);
    uint64_t bp = *(const stack_word *)at;
    r->bp = saved ? bp : r->bp;
    r->ip = ip;
    r->sp = cfa;
    return CT__CFI_RULE;
}

/* From the program's first frame on, by frame pointers: records of {saved
 * rbp, return address}, each caller's above its callee's. */
static inline __attribute__((always_inline)) NO_SANITIZE_STACK unsigned
follow_frame_pointers(const struct regs *r, uintptr_t hi, uint64_t *pcs, unsigned n, unsigned max)
{
    uintptr_t fp = r->bp, floor = r->sp;
    while (n < max && fp >= floor && fp < hi && hi - fp >= 16 && (fp & 7) == 0) {
        const stack_word *record = (const stack_word *)fp;
        if (record[1] == 0)
            break;
        pcs[n++] = record[1];
        floor = fp + 16;
        fp = record[0];
    }
    return n;
}

NO_SANITIZE_STACK int ct__unwind_interrupted(uint64_t ip, uint64_t sp, uint64_t bp,
                                             uint64_t *pcs, unsigned max)
{
    if (max == 0)
        return 0;
    struct regs r = {ip + 1, sp, bp}; /* the leaf's rule is the one at ip itself */
    unsigned n = 0;
    pcs[n++] = r.ip;
#if defined(__x86_64__)
    /* The bounds attaching found: finding them here could allocate. */
    uintptr_t hi = stack_hi;
    if (hi == 0 || sp < stack_lo || sp >= hi || (sp & 7) != 0)
        return (int)n;
    uint32_t epoch = current_epoch();
    while (n < max && step(&r, hi, epoch) == CT__CFI_RULE && r.ip != 0)
        pcs[n++] = r.ip;
#endif
    return (int)n;
}

NO_SANITIZE_STACK __attribute__((noinline)) int
ct__unwind_capture(uint64_t caller, uint64_t *pcs, unsigned max, unsigned skip_max,
                   int frame_pointers)
{
#if defined(__x86_64__)
    /* This function's own frame is the first: rip, rsp and rbp read together,
     * so the rule found for this rip holds for this rsp and rbp. rip is the
     * address of the first mov; the lookup uses rip - 1, inside the lea, as
     * for any other frame: no instruction between them moves rsp. */
    struct regs r;
    __asm__ volatile("leaq 0(%%rip), %0\n\t"
                     "movq %%rsp, %1\n\t"
                     "movq %%rbp, %2"
                     : "=r"(r.ip), "=r"(r.sp), "=r"(r.bp));
    uintptr_t lo, hi;
    /* Unknown bounds, or running on an alternate signal stack. */
    if (ct__unwind_stack_bounds(&lo, &hi) != 0 || r.sp < lo || r.sp >= hi || (r.sp & 7) != 0)
        return CT__UNWIND_FALLBACK;
    uint32_t epoch = current_epoch();
    int kind;
    /* The tracer's frames, up to the program's. */
    for (unsigned skipped = 0; r.ip != caller; skipped++) {
        if (skipped == skip_max || (kind = step(&r, hi, epoch)) != CT__CFI_RULE)
            return skipped < skip_max && kind == CT__CFI_FALLBACK ? CT__UNWIND_FALLBACK : 0;
    }
    unsigned n = 0;
    if (frame_pointers) {
        pcs[n++] = r.ip;
        return (int)follow_frame_pointers(&r, hi, pcs, n, max);
    }
    while (r.ip != 0) {
        pcs[n++] = r.ip;
        if (n == max || (kind = step(&r, hi, epoch)) != CT__CFI_RULE)
            return n < max && kind == CT__CFI_FALLBACK ? CT__UNWIND_FALLBACK : (int)n;
    }
    return (int)n;
#else
    (void)caller, (void)pcs, (void)max, (void)skip_max, (void)frame_pointers;
    return CT__UNWIND_FALLBACK;
#endif
}
