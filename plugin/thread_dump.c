/*
 * thread_dump.c - every thread's stack, on the runner's request, before it
 * kills the process for time (as Go's "test timed out" panic prints every
 * goroutine), so that a hang says where it hung.
 *
 * Under a runner the tracer takes a real-time signal (the highest few that
 * the program leaves at their default) and says which in the pool
 * (stack_signal). The runner sends it to each thread of the process
 * (tgkill: a thread blocked in a system call is interrupted too, and its
 * call restarts), waits a bounded time for them to answer, then kills. On
 * each thread the handler walks the stack where the signal interrupted it
 * (unwind.h: no allocation, no lock) and writes a THREAD_STACK event into
 * the thread's own stream, after the STACK it names. A signal from anyone
 * but the runner is ignored; a thread inside the tracer (mid-event) cannot
 * write, and its event is counted lost, as for any signal handler there.
 *
 * Having answered, a thread stays in the handler until the kill: a call the
 * signal interrupted that the kernel does not restart (sleep, poll, a timed
 * wait) would return early, and the test that was out of time could go on,
 * even pass. Every stack is then also of one moment.
 */
#include "plugin/thread_dump.h"

#include <errno.h>    /* errno */
#include <signal.h>   /* sigaction, SIGRTMAX */
#include <stdint.h>
#include <time.h>     /* nanosleep */
#include <ucontext.h> /* ucontext_t, REG_RIP */
#include <unistd.h>   /* getpid */

#include "format/wire.h"
#include "plugin/api_internal.h" /* ct__enter, ct__leave */
#include "plugin/children.h"       /* ct__children_unready */
#include "plugin/modules.h"
#include "plugin/stack.h"
#include "plugin/thread.h"

#define CANDIDATES 4 /* SIGRTMAX - 3 ... SIGRTMAX: the first the program left alone */
/* How long an answered thread waits for the kill: well past the runner's
 * wait for answers (RN_STACKS_WAIT_NS, 1 s), in case the runner is gone. */
#define HOLD_MS 10000

/* 1 + the system call the interrupted thread was blocked in, 0 if none is
 * known. A call the kernel restarts after the handler is rewound to its
 * syscall instruction (0f 05) with its number back in rax. */
static uint64_t blocked_in(const ucontext_t *uc)
{
#if defined(__x86_64__)
    const uint8_t *ip = (const uint8_t *)(uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uint64_t rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
    if (ip != NULL && ip[0] == 0x0f && ip[1] == 0x05 && rax < 4096)
        return rax + 1;
#else
    (void)uc;
#endif
    return 0;
}

static void write_stack(const ucontext_t *uc)
{
    /* Attached in this session, and not mid-attach: anything else would
     * allocate (ct__thread_get_slow). */
    ct__thread *self = ct__self;
    if (self == NULL || self->session != __atomic_load_n(&ct__session_id, __ATOMIC_ACQUIRE))
        return;
    uint64_t pcs[CT_MAX_STACK_DEPTH];
    unsigned n = ct__stack_of_signal(uc, pcs);
    ct__thread *t = ct__enter(); /* NULL: inside the tracer; counted lost */
    if (t == NULL)
        return;
    ct__modules_note(t, pcs, n);
    uint64_t stack = ct__stack_intern(t, pcs, n);
    uint8_t *p = ct__event_begin(t, CT_EV_THREAD_STACK, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, ct__cur_task);
    p = ct_put_uvarint(p, stack);
    p = ct_put_uvarint(p, blocked_in(uc));
    ct__commit(t, p);
    ct__leave(t);
}

static void on_request(int sig, siginfo_t *si, void *context)
{
    (void)sig;
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (pool == NULL || si == NULL || si->si_code != SI_TKILL ||
        (uint32_t)si->si_pid != pool->collector_pid || ct__children_unready())
        return; /* not the runner's request (or its parent's, held back by TSan) */
    int saved = errno;
    write_stack(context);
    __atomic_add_fetch(&pool->stacks_answered, 1, __ATOMIC_RELEASE);
    /* Every signal is blocked here (sa_mask): only SIGKILL ends the wait. */
    struct timespec tick = {0, 10 * 1000000};
    for (int waited = 0; waited < HOLD_MS; waited += 10)
        nanosleep(&tick, NULL);
    errno = saved;
}

/* The process whose handler the pool names: a process forked from it
 * shares the pool, and what it does with its own dispositions is none of
 * the pool's business. */
static pid_t installed_by;

void ct__thread_dump_install(ct_pool_header *pool)
{
    for (int sig = SIGRTMAX; sig > SIGRTMAX - CANDIDATES && sig >= SIGRTMIN; sig--) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
            old.sa_handler != SIG_DFL)
            continue; /* the program's, or a sanitizer's */
        struct sigaction sa = {0};
        sa.sa_sigaction = on_request;
        /* All blocked while it runs: a second request waits its turn. On
         * the thread's own stack: a small sigaltstack could not hold the
         * unwinder's frame. */
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (sigaction(sig, &sa, NULL) == 0) {
            installed_by = getpid();
            pool->stack_signal = (uint32_t)sig;
            return;
        }
    }
}

void ct__thread_dump_check(uint64_t now_ns)
{
    static uint64_t checked_ns; /* atomic: groups may run on several threads */
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (pool == NULL || pool->stack_signal == 0 ||
        now_ns - __atomic_load_n(&checked_ns, __ATOMIC_RELAXED) < CT_THREAD_DUMP_CHECK_NS ||
        getpid() != installed_by)
        return;
    __atomic_store_n(&checked_ns, now_ns, __ATOMIC_RELAXED);
    struct sigaction now;
    if (sigaction((int)pool->stack_signal, NULL, &now) == 0 && (now.sa_flags & SA_SIGINFO) &&
        now.sa_sigaction == on_request)
        return;
    /* The program took the signal since (its own handler, or the default,
     * which would kill): the runner must not send it. */
    __atomic_store_n(&pool->stack_signal, 0, __ATOMIC_RELEASE);
}

void ct__thread_dump_program_takes(int sig)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (pool != NULL && sig > 0 &&
        __atomic_load_n(&pool->stack_signal, __ATOMIC_RELAXED) == (uint32_t)sig &&
        getpid() == installed_by)
        __atomic_store_n(&pool->stack_signal, 0, __ATOMIC_RELEASE);
}
