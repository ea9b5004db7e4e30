/*
 * cpu_sample.c - CPU profile samples of every traced thread (cpu_sample.h).
 *
 * Timers are made with the raw system calls: glibc's wrappers add nothing
 * for SIGEV_THREAD_ID, and the handler must disarm a timer (timer_settime)
 * with what is async-signal-safe. A timer counts its thread's CPU time, so
 * it fires while the thread runs, never while it sleeps; SA_RESTART keeps
 * the calls it interrupts going (those the kernel never restarts, such as
 * poll or nanosleep, are seldom interrupted: the thread is then not running).
 */
#include "plugin/cpu_sample.h"

#include <errno.h>       /* errno */
#include <signal.h>      /* sigaction, SIGPROF, SI_TIMER */
#include <stdio.h>       /* fprintf */
#include <stdlib.h>      /* getenv, strtoul */
#include <string.h>      /* memset, memcpy */
#include <sys/syscall.h> /* SYS_timer_* */
#include <time.h>        /* CLOCK_THREAD_CPUTIME_ID, struct itimerspec */
#include <unistd.h>      /* syscall */

#include "format/wire.h"
#include "plugin/api_internal.h" /* ct__enter, ct__leave */
#include "plugin/sched.h" /* ct__sched_on_cpu_sample */
#include "plugin/session.h"
#include "plugin/stack.h"
#include "plugin/thread_dump.h" /* CT_THREAD_DUMP_CHECK_NS */

/* Read at a session's start; atomic: read by threads attaching. */
static uint32_t cpu_hz;     /* the rate asked for, 0: off */
static uint32_t cpu_state;  /* ct_cpu_state for threads that attach now */
static uint64_t checked_ns; /* ct__cpu_check's last look */
static pid_t session_pid;   /* the process that began the session (not a fork of it) */

/* Every armed thread's timer (its kernel id + 1; 0: a free slot), so that
 * a program that takes SIGPROF later gets no tick of ours from any thread:
 * ct__cpu_check() deletes them all. Whoever empties a slot (its thread
 * detaching, or the check) deletes its timer, and no one else: an id may
 * be the program's once deleted. A thread that finds no slot keeps its
 * timer unlisted. */
#define TIMER_SLOTS 4096u
static uint32_t timer_slots[TIMER_SLOTS]; /* atomic */

static void on_sigprof(int sig, siginfo_t *si, void *context);

/* CTRACE_CPU_HZ: 0 to CT_CPU_HZ_MAX; a bad value is said, and the default used. */
static uint32_t hz_from_env(void)
{
    const char *text = getenv(CT_ENV_CPU_HZ);
    if (text == NULL || *text == '\0')
        return CT_CPU_HZ_DEFAULT;
    char *end;
    errno = 0;
    unsigned long hz = strtoul(text, &end, 10);
    if (errno || *end || text[0] == '-' || hz > CT_CPU_HZ_MAX) {
        fprintf(stderr, "ctrace: warning: %s=%.40s is not a rate from 0 to %d: sampling at %d Hz\n",
                CT_ENV_CPU_HZ, text, CT_CPU_HZ_MAX, CT_CPU_HZ_DEFAULT);
        return CT_CPU_HZ_DEFAULT;
    }
    return (uint32_t)hz;
}

static int handler_is_ours(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) && sa->sa_sigaction == on_sigprof;
}

/* Async-signal-safe: said from the program's sigaction (signal_hook.c). */
static void say_taken(void)
{
    static const char line[] = "ctrace: the program handles SIGPROF itself: CPU samples are off\n";
    uint8_t untraced = ct__untraced_begin(); /* not the program's write */
    (void)!syscall(SYS_write, 2, line, sizeof line - 1);
    ct__untraced_end(untraced);
}

void ct__cpu_session_begin(void)
{
    uint32_t hz = hz_from_env(), state = hz ? CT_CPU_ON : CT_CPU_OFF;
    struct sigaction old;
    if (hz && sigaction(SIGPROF, NULL, &old) == 0 && !handler_is_ours(&old)) {
        if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) {
            state = CT_CPU_TAKEN; /* the program's (or ignored by it): left alone */
            say_taken();
        } else {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = on_sigprof;
            sa.sa_flags = SA_SIGINFO | SA_RESTART;
            sigemptyset(&sa.sa_mask);
            uint8_t untraced = ct__untraced_begin(); /* the tracer's own (signal_hook.c) */
            if (sigaction(SIGPROF, &sa, NULL) != 0)
                state = CT_CPU_FAILED;
            ct__untraced_end(untraced);
        }
    }
    __atomic_store_n(&cpu_hz, hz, __ATOMIC_RELAXED);
    __atomic_store_n(&cpu_state, state, __ATOMIC_RELAXED);
    __atomic_store_n(&checked_ns, 0, __ATOMIC_RELAXED);
    session_pid = getpid();
}

/* The program has SIGPROF from now on: stop sampling, and delete every
 * thread's timer so that none of their ticks reaches the program's handler
 * (or its default action, which would end it). Async-signal-safe. */
static void let_go(void)
{
    if (__atomic_exchange_n(&cpu_state, CT_CPU_TAKEN, __ATOMIC_RELAXED) != CT_CPU_ON)
        return;
    /* Said by the process the run is about: a child it forked that resets
     * its signals (before an exec) lets go of its own timers only. */
    if (__atomic_load_n(&ct__active, __ATOMIC_RELAXED) && getpid() == session_pid)
        say_taken();
    ct__cpu_stop_self(); /* this thread's ticks would go to the program's handler */
    for (uint32_t i = 0; i < TIMER_SLOTS; i++) { /* and the other threads' */
        uint32_t slot = __atomic_exchange_n(&timer_slots[i], 0, __ATOMIC_ACQ_REL);
        if (slot)
            syscall(SYS_timer_delete, (int)(slot - 1));
    }
}

void ct__cpu_program_takes_sigprof(void)
{
    int saved_errno = errno;
    let_go();
    errno = saved_errno;
}

void ct__cpu_check(uint64_t now_ns)
{
    if (__atomic_load_n(&cpu_state, __ATOMIC_RELAXED) != CT_CPU_ON ||
        now_ns - __atomic_load_n(&checked_ns, __ATOMIC_RELAXED) < CT_THREAD_DUMP_CHECK_NS)
        return;
    __atomic_store_n(&checked_ns, now_ns, __ATOMIC_RELAXED);
    /* What signal_hook.c does not see: libc's own calls (profil), raw
     * system calls. */
    struct sigaction now;
    if (sigaction(SIGPROF, NULL, &now) == 0 && !handler_is_ours(&now))
        let_go();
}

/* ---- each thread's timer ---------------------------------------------------------- */

void ct__cpu_emit_source(ct__thread *t)
{
    /* Lost with a drop, it is written again once the drop ends (chunk.c). */
    uint8_t *p = ct__meta_begin(t, CT_EV_CPU_SOURCE, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, t->cpu.state);
    p = ct_put_uvarint(p, __atomic_load_n(&cpu_hz, __ATOMIC_RELAXED));
    ct__commit(t, p);
    if (t->dropping)
        t->source_lost = 1;
}

static int arm(ct__thread *t, uint32_t hz)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGPROF;
    sev.sigev_value.sival_ptr = t; /* the handler knows its own timer by it */
    sev._sigev_un._tid = t->tid;
    int id;
    if (syscall(SYS_timer_create, CLOCK_THREAD_CPUTIME_ID, &sev, &id) != 0)
        return -1;
    long period = 1000000000L / hz;
    struct itimerspec its = {{period / 1000000000L, period % 1000000000L},
                             {period / 1000000000L, period % 1000000000L}};
    if (syscall(SYS_timer_settime, id, 0, &its, NULL) != 0) {
        syscall(SYS_timer_delete, id);
        return -1;
    }
    t->cpu.timer = id;
    t->cpu.slot = -1;
    for (uint32_t i = 0, at = (uint32_t)t->tid % TIMER_SLOTS; i < TIMER_SLOTS; i++) {
        uint32_t free_slot = 0;
        if (__atomic_compare_exchange_n(&timer_slots[(at + i) % TIMER_SLOTS], &free_slot,
                                        (uint32_t)id + 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            t->cpu.slot = (int32_t)((at + i) % TIMER_SLOTS);
            break;
        }
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->cpu.armed = 1;
    return 0;
}

void ct__cpu_attach(ct__thread *t)
{
    int saved_errno = errno;
    /* A sample parked in an earlier session (its stop came first) is not
     * this one's: its task and stack are of that trace. */
    __atomic_store_n(&t->cpu.parked, 0, __ATOMIC_RELAXED);
    t->cpu_parked = 0;
    uint32_t hz = __atomic_load_n(&cpu_hz, __ATOMIC_RELAXED);
    uint32_t state = __atomic_load_n(&cpu_state, __ATOMIC_RELAXED);
    if (state == CT_CPU_ON && !t->cpu.armed && arm(t, hz) != 0)
        state = CT_CPU_FAILED;
    if (state == CT_CPU_ON && __atomic_load_n(&cpu_state, __ATOMIC_ACQUIRE) != CT_CPU_ON) {
        ct__cpu_detach(t); /* the program took SIGPROF as the timer was made */
        state = CT_CPU_TAKEN;
    }
    t->cpu.state = (uint8_t)state;
    ct__cpu_emit_source(t);
    errno = saved_errno;
}

void ct__cpu_detach(ct__thread *t)
{
    if (!t->cpu.armed)
        return;
    int saved_errno = errno;
    t->cpu.armed = 0; /* first: a handler from here on leaves the id alone */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    uint32_t mine = (uint32_t)t->cpu.timer + 1;
    if (t->cpu.slot < 0 || __atomic_compare_exchange_n(&timer_slots[t->cpu.slot], &mine, 0, 0,
                                                       __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        syscall(SYS_timer_delete, t->cpu.timer); /* else ct__cpu_check() deleted it */
    errno = saved_errno;
}

void ct__cpu_stop_self(void)
{
    ct__thread *t = ct__self;
    if (t)
        ct__cpu_detach(t);
}

void ct__cpu_forget_inherited(void)
{
    ct__thread *t = ct__self;
    if (t)
        t->cpu.armed = 0;
    memset(timer_slots, 0, sizeof timer_slots); /* the parent's: the child has none */
}

/* ---- samples ------------------------------------------------------------------------- */

/* The CPU_SAMPLE event of `count` samples (t busy). */
static void write_sample(ct__thread *t, uint64_t task, const uint64_t *pcs, unsigned n,
                         uint64_t count)
{
    uint64_t stack = ct__stack_intern(t, pcs, n); /* its modules noted if new */
    uint8_t *p = ct__event_begin(t, CT_EV_CPU_SAMPLE, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, task);
    p = ct_put_uvarint(p, stack);
    p = ct_put_uvarint(p, count);
    ct__commit(t, p);
}

void ct__cpu_flush_parked(ct__thread *t)
{
    t->cpu_parked = 0;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ct__cpu *c = &t->cpu;
    if (__atomic_load_n(&c->parked, __ATOMIC_RELAXED) == 0)
        return;
    /* The slot is not rewritten while `parked` is non-zero: copy it, then
     * take the count; a sample after that parks afresh. */
    uint64_t pcs[CT_MAX_STACK_DEPTH];
    unsigned n = c->parked_n < CT_MAX_STACK_DEPTH ? c->parked_n : CT_MAX_STACK_DEPTH;
    uint64_t task = c->parked_task;
    memcpy(pcs, c->parked_pcs, n * sizeof *pcs);
    uint64_t count = __atomic_exchange_n(&c->parked, 0, __ATOMIC_RELAXED);
    write_sample(t, task, pcs, n, count);
}

/* The thread is inside the tracer: keep the sample for its next entry (a
 * second one before then is counted at the first one's stack). */
static void park(ct__thread *t, const uint64_t *pcs, unsigned n, uint64_t count)
{
    ct__cpu *c = &t->cpu;
    if (__atomic_load_n(&c->parked, __ATOMIC_RELAXED) != 0) {
        __atomic_add_fetch(&c->parked, count, __ATOMIC_RELAXED);
        return;
    }
    memcpy(c->parked_pcs, pcs, n * sizeof *pcs);
    c->parked_n = n;
    c->parked_task = ct__cur_task;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&c->parked, count, __ATOMIC_RELAXED);
    t->cpu_parked = 1; /* its next entry takes the detour that writes it */
}

static void sample(ct__thread *t, const void *context, uint64_t count)
{
    uint64_t pcs[CT_MAX_STACK_DEPTH];
    unsigned n = ct__stack_of_signal(context, pcs);
    if (t->busy) {
        park(t, pcs, n, count);
        return;
    }
    /* ct__enter() without its attach: t is attached in this session (the
     * handler looked), and attaching would allocate. */
    if (t->detour) {
        if (ct__enter_detour(t) == NULL) /* a parked sample is written first */
            return;
    } else {
        t->busy = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }
    write_sample(t, ct__cur_task, pcs, n, count);
    ct__sched_on_cpu_sample(t); /* a thread with no poll point: its source may be due */
    ct__leave(t);
}

static void on_sigprof(int sig, siginfo_t *si, void *context)
{
    (void)sig;
    ct__thread *t = ct__self;
    /* Only this thread's own timer: not a SIGPROF sent by hand, nor a
     * timer of the program's. */
    if (si == NULL || si->si_code != SI_TIMER || t == NULL || si->si_value.sival_ptr != t ||
        ct__thread_off || !t->cpu.armed)
        return;
    int saved = errno;
    if (t->session != __atomic_load_n(&ct__session_id, __ATOMIC_ACQUIRE) ||
        !__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE)) {
        /* Its session ended (ct_stop): stop the timer until the thread
         * attaches again (which makes a new one). */
        struct itimerspec off;
        memset(&off, 0, sizeof off);
        syscall(SYS_timer_settime, t->cpu.timer, 0, &off, NULL);
    } else {
        /* The kernel checks CPU timers at its tick (often 4 ms): a shorter
         * period expires several times a tick, one signal telling how many
         * more (the overrun). Each is a sample's worth of CPU time here. */
        uint64_t more = si->si_overrun > 0 ? (uint64_t)si->si_overrun : 0;
        sample(t, context, 1 + (more < CT_CPU_HZ_MAX ? more : CT_CPU_HZ_MAX));
    }
    errno = saved;
}
