/*
 * pthread_hook.c - threads inherit their creator's current task.
 *
 * pthread_create is interposed (libctrace comes before libc in the lookup
 * order whether it is linked or preloaded). The new thread starts with the
 * creator's current task and knows its creator, so work on spawned threads
 * is attributed without passing anything by hand.
 *
 * C11's thrd_create too. glibc's makes the thread from inside libc, past
 * our pthread_create (and past ThreadSanitizer's, which then crashes in the
 * new thread): ours makes it with pthread_create instead, as glibc's does
 * underneath, with a start routine that hands back the int result the way
 * glibc's does (thrd_join and thrd_exit then work unchanged).
 *
 * The new thread's stack bounds come from here too, without the system
 * call and allocation pthread_getattr_np makes (about 0.5 us of a 10 us
 * thread start): see stack_of().
 */
#include <dlfcn.h>       /* dlsym, RTLD_NEXT */
#include <errno.h>       /* EAGAIN, ENOMEM, ETIMEDOUT, EBUSY */
#include <pthread.h>     /* pthread_create */
#include <stdlib.h>      /* malloc, free */
#include <string.h>      /* memset */
#include <sys/syscall.h> /* SYS_gettid */
#include <threads.h>     /* thrd_create */
#include <unistd.h>      /* syscall */

#include "plugin/session.h"
#include "plugin/thread.h"

/* Referenced from session.c, so that a static link always takes this file:
 * otherwise a pthread_create found earlier (libasan's, say) leaves it out. */
const char ct__pthread_hook_linked = 1;

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                  void *);

struct start_info {
    void *(*fn)(void *);   /* a pthread's start routine, or */
    int (*c11_fn)(void *); /* a C11 thread's */
    void *arg;
    uint64_t task;
    int32_t parent_tid;
    /* The stack: the program's own [lo, hi) (user_hi != 0), else its size
     * and guard from the attributes (size 0: unknown). */
    uintptr_t user_lo, user_hi;
    size_t size, guard;
    int in_block; /* at the start of a ct__thread's memory, for the new thread to keep */
};
_Static_assert(sizeof(struct start_info) <= sizeof(ct__thread), "a start fits a thread's block");

/* ThreadSanitizer's pthread_create comes before ours and sets up its thread
 * state only inside the start routine we wrap: until then the new thread must
 * run no instrumented code and allocate nothing of ours. With TSan in the
 * process, a thread attaches at its first event instead of at its start. */
static int tsan_in_process; /* atomic: set with `real`, before any thread we wrap */

static pthread_create_fn real_pthread_create(void)
{
    static pthread_create_fn real; /* atomic: set once, same value by every thread */
    pthread_create_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
        __atomic_store_n(&tsan_in_process, dlsym(RTLD_DEFAULT, "__tsan_init") != NULL,
                         __ATOMIC_RELAXED);
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

static pthread_attr_t defaults; /* sizes 0: glibc answers with its current defaults */

static void init_defaults(void)
{
    pthread_attr_init(&defaults);
}

/* What the attributes say of the new thread's stack (no system call). */
static void stack_of_attr(struct start_info *info, const pthread_attr_t *attr)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    void *addr;
    size_t size;
    /* glibc gives addr + size 0 when the program set no stack address. */
    if (attr && pthread_attr_getstack(attr, &addr, &size) == 0 && (uintptr_t)addr + size != 0) {
        if (size != 0) { /* its own stack, whole */
            info->user_lo = (uintptr_t)addr;
            info->user_hi = (uintptr_t)addr + size;
        } /* else an address alone (pthread_attr_setstackaddr): not known here */
        info->size = 0;
        return;
    }
    if (!attr) {
        pthread_once(&once, init_defaults);
        attr = &defaults;
    }
    if (pthread_attr_getstacksize(attr, &info->size) != 0 ||
        pthread_attr_getguardsize(attr, &info->guard) != 0)
        info->size = 0;
}

/* A new thread's start, with what it inherits. In a session (and not
 * under ThreadSanitizer, before whose start nothing of ours may run in the
 * thread) at the start of the memory of its ct__thread, which the thread
 * then keeps: it allocates and frees nothing itself. */
static int inherits_something(void)
{
    return ct__cur_task || __atomic_load_n(&ct__active, __ATOMIC_RELAXED);
}

static struct start_info *start_info_alloc(void)
{
    int in_block = inherits_something() && !__atomic_load_n(&tsan_in_process, __ATOMIC_RELAXED);
    struct start_info *info = in_block ? ct__thread_block_take() : malloc(sizeof *info);
    if (info) {
        memset(info, 0, sizeof *info);
        info->in_block = in_block;
        info->task = ct__cur_task;
        ct__thread *self = ct__self; /* knows its tid: no system call */
        info->parent_tid = self ? self->tid : (int32_t)syscall(SYS_gettid);
    }
    return info;
}

/* A start no thread took (pthread_create failed). */
static void start_info_free(struct start_info *info)
{
    if (info->in_block)
        ct__thread_block_keep(info);
    else
        free(info);
}

/* What a new pthread inherits, or NULL: nothing to inherit, or no memory
 * (then the thread is created as if we were not here). */
static struct start_info *start_info_new(void)
{
    return inherits_something() ? start_info_alloc() : NULL;
}

/* How far above the thread's descriptor (pthread_self()) the top of its
 * stack lies: the same for every stack glibc maps, which puts the
 * descriptor at a fixed place under the top (static TLS and every frame
 * below it, whatever interposers start the thread). Learnt from the first
 * such thread's pthread_getattr_np (ct__thread_stack_learn); 0: not yet. */
static uintptr_t top_above_self; /* atomic */

enum { PAGE = 4096, LOW_MARGIN = 64 << 10, MAX_ABOVE_SELF = 64 << 10 };

/* The thread's stack bounds, from the attributes, its descriptor and
 * `frame`, its start routine's frame. The low bound is kept 64 KiB above
 * the guard: a stack as deep as that is walked no further (its unwinder
 * falls back), never read past its end. A layout that does not fit (the
 * top not on a page, the start routine in the last 64 KiB: TLS as large as
 * the stack) is left to pthread_getattr_np at attach. Run before
 * ThreadSanitizer knows the thread, as adopt(): not instrumented. */
__attribute__((no_sanitize("thread"))) static void stack_of(const struct start_info *info,
                                                            uintptr_t frame)
{
    if (info->user_hi) {
        ct__origin.stack_lo = info->user_lo;
        ct__origin.stack_hi = info->user_hi;
        return;
    }
    if (info->size < info->guard + 4 * LOW_MARGIN)
        return; /* small or unknown stacks: pthread_getattr_np at attach */
    uintptr_t above = __atomic_load_n(&top_above_self, __ATOMIC_RELAXED);
    if (!above) {
        ct__origin.learn = 1;
        return;
    }
    uintptr_t hi = (uintptr_t)pthread_self() + above;
    if ((hi & (PAGE - 1)) != 0 || hi <= frame || hi < info->size)
        return;
    uintptr_t lo = hi - info->size + info->guard + LOW_MARGIN;
    if (frame < lo || frame - lo < LOW_MARGIN)
        return;
    ct__origin.stack_lo = lo;
    ct__origin.stack_hi = hi;
}

void ct__thread_stack_learn(uintptr_t hi)
{
    if (!ct__origin.learn)
        return;
    ct__origin.learn = 0;
    uintptr_t self = (uintptr_t)pthread_self();
    if (hi > self && hi - self < MAX_ABOVE_SELF && (hi & (PAGE - 1)) == 0) {
        uintptr_t none = 0;
        __atomic_compare_exchange_n(&top_above_self, &none, hi - self, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
    }
}

/* First thing on the new thread: take what it inherits. */
__attribute__((no_sanitize("thread"))) static struct start_info adopt(void *arg, uintptr_t frame)
{
    struct start_info info = *(struct start_info *)arg;
    if (info.in_block)
        ct__origin.block = arg; /* attaching takes it (never under TSan: see start_info_alloc) */
    else
        free(arg);
    stack_of(&info, frame);
    ct__cur_task = info.task;
    ct__origin.parent_tid = info.parent_tid;
    ct__origin.start_fn =
        info.fn ? (uint64_t)(uintptr_t)info.fn : (uint64_t)(uintptr_t)info.c11_fn;
    /* Attach now, so the thread is in the trace even if it records nothing. */
    if (!__atomic_load_n(&tsan_in_process, __ATOMIC_RELAXED)) {
        ct__origin.starting = 1;
        ct__thread_get();
        ct__origin.starting = 0;
    }
    if (ct__origin.block) { /* not attached (its session ended): for another */
        ct__thread_block_keep(ct__origin.block);
        ct__origin.block = NULL;
    }
    return info;
}

__attribute__((no_sanitize("thread"))) static void *start_thread(void *arg)
{
    struct start_info info = adopt(arg, (uintptr_t)__builtin_frame_address(0));
    return info.fn(info.arg);
}

/* glibc's own C11 threads return their int result as a pointer-sized
 * word, which thrd_join turns back into an int. */
__attribute__((no_sanitize("thread"))) static void *start_c11_thread(void *arg)
{
    struct start_info info = adopt(arg, (uintptr_t)__builtin_frame_address(0));
    return (void *)(intptr_t)info.c11_fn(info.arg);
}

__attribute__((visibility("default"))) int pthread_create(pthread_t *thread,
                                                          const pthread_attr_t *attr,
                                                          void *(*fn)(void *), void *arg)
{
    pthread_create_fn real = real_pthread_create();
    if (!real)
        return EAGAIN; /* no libc pthread_create to call */
    struct start_info *info = start_info_new();
    if (!info)
        return real(thread, attr, fn, arg);
    info->fn = fn;
    info->arg = arg;
    stack_of_attr(info, attr);
    int rc = real(thread, attr, start_thread, info);
    if (rc != 0)
        start_info_free(info);
    return rc;
}

/* pthread_create's error as thrd_create says it (glibc's thrd_err_map). */
static int thrd_result(int err)
{
    switch (err) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

__attribute__((visibility("default"))) int thrd_create(thrd_t *thread, thrd_start_t fn,
                                                       void *arg)
{
    pthread_create_fn real = real_pthread_create();
    if (!real)
        return thrd_error; /* no libc pthread_create to call */
    struct start_info *info = start_info_alloc(); /* always: the int result needs it */
    if (!info)
        return thrd_nomem;
    info->c11_fn = fn;
    info->arg = arg;
    stack_of_attr(info, NULL);
    int rc = real((pthread_t *)thread, NULL, start_c11_thread, info);
    if (rc != 0)
        start_info_free(info);
    return thrd_result(rc);
}

typedef int (*setname_fn)(pthread_t, const char *);

/* A thread renamed: each thread writes its name again at its next poll of
 * ct__names_changed (thread.h), the renamed one among them; the one renamed
 * here, now. */
__attribute__((visibility("default"))) int pthread_setname_np(pthread_t thread, const char *name)
{
    static setname_fn real; /* atomic: set once, same value by every thread */
    setname_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = (setname_fn)dlsym(RTLD_NEXT, "pthread_setname_np");
        if (!fn)
            return ENOSYS;
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    int rc = fn(thread, name);
    if (rc == 0 && __atomic_load_n(&ct__active, __ATOMIC_RELAXED)) {
        __atomic_add_fetch(&ct__names_changed, 1, __ATOMIC_RELAXED);
        ct__thread *t = ct__self;
        if (t && pthread_equal(thread, pthread_self()) && !t->busy &&
            t->session == __atomic_load_n(&ct__session_id, __ATOMIC_RELAXED)) {
            t->busy = 1;
            ct__thread_name_refresh(t);
            t->busy = 0;
        }
    }
    return rc;
}
