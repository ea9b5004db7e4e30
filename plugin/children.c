/*
 * children.c - processes a test starts, traced as processes of their own
 * into the runner's pool (see children.h, format/FORMAT.md *Processes a
 * test starts*).
 */
#include "plugin/children.h"

#include <errno.h>       /* errno */
#include <fcntl.h>       /* open, fcntl */
#include <stdio.h>       /* snprintf */
#include <stdlib.h>      /* getenv, setenv, strtol */
#include <string.h>      /* strcmp, memcpy */
#include <sys/mman.h>    /* mmap */
#include <sys/stat.h>    /* fstat */
#include <sys/syscall.h> /* SYS_gettid */
#include <sys/wait.h>    /* WIFEXITED */
#include <unistd.h>      /* getpid, getppid, readlink, write */

#include <ctrace_collect.h> /* CT_ENV_* */

#include "common/clock.h"
#include "common/decimal.h" /* ct_decimal */
#include "plugin/interpose.h"
#include "plugin/session.h"
#include "plugin/thread.h"

uint32_t ct__proc_slot;
static int follow = 1;

void ct__children_read_env(void)
{
    const char *v = getenv(CT_ENV_FOLLOW_CHILDREN);
    if (v && strcmp(v, "off") == 0)
        follow = 0;
    /* Kept for the programs this one starts: they are not followed either. */
}

static void read_exe(ct_pool_proc *p)
{
    ssize_t n = readlink("/proc/self/exe", p->exe, sizeof p->exe - 1);
    p->exe[n > 0 ? n : 0] = '\0';
}

void ct__children_owner(ct_pool_header *pool, int fd)
{
    ct_pool_proc *self = &ct_pool_procs(pool)[0];
    read_exe(self);
    __atomic_store_n(&self->pid, (uint32_t)getpid(), __ATOMIC_RELEASE); /* after its exe */
    if (!follow) {
        close(fd);
        return;
    }
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC); /* no program inherits it */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), fd);
    setenv(CT_ENV_CHILD_POOL, path, 1);
}

ct_pool_proc *ct__children_self(void)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    return ct__proc_slot && pool ? &ct_pool_procs(pool)[ct__proc_slot] : NULL;
}

#define TABLE_FULL "the trace pool's process table is full (63 processes at once)\n"

/* "ctest-trace: process PID" and `what` on stderr, from a fork handler
 * too: no stdio. */
static void say(const char *what)
{
    static const char head[] = "ctest-trace: process ";
    char m[200];
    memcpy(m, head, sizeof head - 1);
    size_t n = sizeof head - 1 + ct_decimal(m + sizeof head - 1, (uint32_t)getpid());
    for (const char *s = what; *s && n < sizeof m; s++)
        m[n++] = *s;
    uint8_t was = ct__untraced_begin(); /* a child's chunk may still be its parent's */
    (void)!write(2, m, n);
    ct__untraced_end(was);
}

/* A free slot, claimed (CLAIMED), or NULL (said, as `who` is not traced:
 * the process itself, else a child it forks). */
static ct_pool_proc *claim(ct_pool_header *pool, uint32_t *index, int itself)
{
    ct_pool_proc *procs = ct_pool_procs(pool);
    for (uint32_t i = 1; i < CT_POOL_PROCS; i++) {
        uint32_t free_slot = CT_PROC_FREE;
        if (__atomic_compare_exchange_n(&procs[i].state, &free_slot, CT_PROC_CLAIMED, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            *index = i;
            return &procs[i];
        }
    }
    say(itself ? " is not traced: " TABLE_FULL
               : " forks a child that is not traced: " TABLE_FULL);
    return NULL;
}

/* Fill slot p of a process begun now under task `parent_task` of slot
 * `parent`, its task ids after `inherit`; RUNNING once its pid is set. */
static void fill(ct_pool_header *pool, ct_pool_proc *p, uint32_t parent, uint64_t parent_task,
                 uint64_t inherit)
{
    p->parent = parent;
    p->status = 0;
    p->parent_task = parent_task;
    p->inherit = inherit;
    __atomic_store_n(&p->next_task, inherit, __ATOMIC_RELAXED);
    __atomic_store_n(&p->cur_task, parent_task, __ATOMIC_RELAXED);
    p->dropped = p->stalls = p->stall_ns = p->end_ns = 0;
    ct__clock_pair(pool->clock_kind, &p->tsc0, &p->ns0);
    read_exe(p);
}

/* p is process `pid`: RUNNING from now (if its parent or itself did not say
 * so first: both may, the same). */
static void publish(ct_pool_proc *p, uint32_t pid)
{
    __atomic_store_n(&p->pid, pid, __ATOMIC_RELEASE); /* after what fill() wrote */
    uint32_t claimed = CT_PROC_CLAIMED;
    __atomic_compare_exchange_n(&p->state, &claimed, CT_PROC_RUNNING, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_RELAXED);
}

/* The pool a process forked now traces into, or NULL. */
static ct_pool_header *following(void)
{
    if (!follow || __atomic_load_n(&ct__session_mode, __ATOMIC_RELAXED) != CT_SESSION_RUNNER ||
        !__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE))
        return NULL;
    return __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
}

/* A slot for a child about to be forked by the calling thread (or just
 * forked: `itself`), filled but for its pid. */
static ct_pool_proc *prepare(ct_pool_header *pool, uint32_t *slot, int itself)
{
    ct_pool_proc *p = claim(pool, slot, itself);
    if (!p)
        return NULL;
    /* The tasks it knows are its parent's, up to the last id given. */
    uint64_t inherit = ct__proc_slot
                           ? __atomic_load_n(&ct_pool_procs(pool)[ct__proc_slot].next_task,
                                             __ATOMIC_RELAXED)
                           : ct__task_id_last();
    fill(pool, p, ct__proc_slot, ct__cur_task, inherit);
    return p;
}

/* The slot fork() prepared in the parent for the child (0: none), and
 * whether it tried (its child then claims none itself). */
static __thread uint32_t forking_slot;
static __thread uint8_t forking;

/* From the fork handlers' prepare to their end, the forking thread records
 * nothing. In the child, code runs before the fork handler made the
 * tracer's state its own: a signal handler (a SIGPROF that ThreadSanitizer
 * held back in the parent runs in the child, inside fork), a fork handler
 * registered before ours. Through the state it inherited, what it recorded
 * would go into the chunk its parent still writes (the pool is shared): two
 * writers in one chunk. Held busy, its events are lost (ct__enter_detour)
 * and a CPU sample parks; not attached, it cannot attach. What was held, to
 * give back: */
static __thread pid_t forking_pid; /* the process that forks; 0: no fork under way */
static __thread uint8_t held_self; /* 1: through its ct__thread's busy; 0: ct__thread_off */
static __thread uint8_t held_was;  /* what that was */

void ct__children_fork_hold(void)
{
    if (forking_pid)
        return; /* a fork from inside a fork handler: held already */
    forking_pid = getpid();
    ct__thread *t = ct__self;
    held_self = t != NULL;
    held_was = t ? t->busy : ct__thread_off;
    if (t)
        t->busy = 1;
    else
        ct__thread_off = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void ct__children_fork_done(void)
{
    if (!forking_pid)
        return;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    ct__thread *t = ct__self;
    if (!held_self)
        ct__thread_off = held_was;
    else if (t)
        t->busy = held_was;
    forking_pid = 0;
}

int ct__children_unready(void)
{
    return forking_pid != 0 && forking_pid != getpid();
}

CT_REAL(pid_t, fork, (void))

/* The parent claims the child's slot before the fork: the child may not
 * run before its parent exits (a test that leaves a process behind), and
 * the collector must know it is there. */
CT_EXPORT pid_t fork(void)
{
    ct_pool_header *pool = following();
    uint32_t slot = 0;
    ct_pool_proc *p = pool ? prepare(pool, &slot, 0) : NULL;
    forking_slot = slot;
    forking = 1;
    pid_t pid = get_fork()();
    if (pid == 0)
        return 0; /* the child: its fork handler took the slot */
    forking_slot = 0;
    forking = 0;
    if (p && pid > 0)
        publish(p, (uint32_t)pid);
    else if (p) /* no child */
        __atomic_store_n(&p->state, CT_PROC_FREE, __ATOMIC_RELEASE);
    return pid;
}

int ct__children_after_fork(ct_pool_header *pool)
{
    if (!follow || !pool)
        return 0;
    uint32_t slot = forking_slot;
    int tried = forking;
    forking_slot = 0;
    forking = 0;
    /* Forked other than by fork() (its slot not taken yet): take it now. */
    ct_pool_proc *p = slot ? &ct_pool_procs(pool)[slot] : tried ? NULL : prepare(pool, &slot, 1);
    if (!p)
        return 0;
    publish(p, (uint32_t)getpid());
    ct__proc_slot = slot;
    /* The forking thread is the new process's first thread. */
    ct__thread *t = ct__self;
    if (t) {
        t->parent_tid = t->tid;
        t->tid = (int32_t)syscall(SYS_gettid);
        t->start_fn = 0;
        t->serial = ct__thread_serial_new(pool);
        t->chunk = UINT32_MAX; /* its chunk is the parent's */
    }
    ct__origin.parent_tid = 0;
    ct__origin.start_fn = 0;
    return 1;
}

/* The slot of this process (its pid's, RUNNING: it was forked by a traced
 * process and now execs), else a new one under its parent process's slot
 * (the owner's if its parent is not traced). */
static int take_slot(ct_pool_header *pool)
{
    ct_pool_proc *procs = ct_pool_procs(pool);
    uint32_t pid = (uint32_t)getpid(), ppid = (uint32_t)getppid(), parent = 0;
    for (uint32_t i = 1; i < CT_POOL_PROCS; i++) {
        uint32_t state = __atomic_load_n(&procs[i].state, __ATOMIC_ACQUIRE);
        if (state != CT_PROC_RUNNING)
            continue;
        uint32_t its = __atomic_load_n(&procs[i].pid, __ATOMIC_ACQUIRE);
        if (its == pid) {
            ct__proc_slot = i;
            read_exe(&procs[i]);
            ct__cur_task = __atomic_load_n(&procs[i].cur_task, __ATOMIC_RELAXED);
            return 0;
        }
        if (its == ppid)
            parent = i;
    }
    uint32_t slot;
    ct_pool_proc *p = claim(pool, &slot, 1);
    if (!p)
        return -1;
    uint64_t task = __atomic_load_n(&procs[parent].cur_task, __ATOMIC_RELAXED);
    fill(pool, p, parent, task, task); /* it knows one task of its parent's: that one */
    publish(p, pid);
    ct__proc_slot = slot;
    ct__cur_task = task;
    return 0;
}

int ct__children_exec_attach(void)
{
    const char *path = getenv(CT_ENV_CHILD_POOL);
    if (!path || !follow)
        return 0;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0; /* its owner is gone, or not ours to open */
    struct stat st;
    void *mem = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mem == MAP_FAILED)
        return 0;
    ct_pool_header *pool = mem;
    /* Its owner is this very process: a second copy of libctrace in it (a
     * binary that links it statically), not a program a test started. */
    if (ct_pool_check(mem, (uint64_t)st.st_size) != 0 ||
        __atomic_load_n(&pool->owner_pid, __ATOMIC_ACQUIRE) == 0 ||
        __atomic_load_n(&pool->owner_pid, __ATOMIC_ACQUIRE) == (uint32_t)getpid() ||
        __atomic_load_n(&pool->closed, __ATOMIC_ACQUIRE) || take_slot(pool) != 0) {
        munmap(mem, (size_t)st.st_size);
        return 0;
    }
    ct__session_begin(pool, CT_SESSION_RUNNER);
    return 1;
}

/* Process p ended by now, if nothing said it ended earlier. */
static void note_end(ct_pool_proc *p)
{
    uint64_t none = 0;
    __atomic_compare_exchange_n(&p->end_ns, &none, ct__mono_ns(), 0, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
}

/* A child's exit (not _exit, nor a signal: its parent's wait says those). */
__attribute__((destructor)) static void child_exits(void)
{
    ct_pool_proc *p = ct__children_self();
    if (p)
        note_end(p);
}

void ct__children_reaped(pid_t pid, int status)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (!pool || pid <= 0 || !(WIFEXITED(status) || WIFSIGNALED(status)))
        return;
    ct_pool_proc *procs = ct_pool_procs(pool);
    for (uint32_t i = 1; i < CT_POOL_PROCS; i++) {
        if (__atomic_load_n(&procs[i].pid, __ATOMIC_ACQUIRE) != (uint32_t)pid ||
            procs[i].parent != ct__proc_slot ||
            __atomic_load_n(&procs[i].state, __ATOMIC_ACQUIRE) != CT_PROC_RUNNING)
            continue;
        uint32_t running = CT_PROC_RUNNING;
        note_end(&procs[i]);
        procs[i].status = (uint32_t)status; /* read once REAPED is seen */
        if (__atomic_compare_exchange_n(&procs[i].state, &running, CT_PROC_REAPED, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return;
    }
}

uint64_t ct__children_task_id_next(void)
{
    ct_pool_proc *p = ct__children_self();
    return p ? __atomic_add_fetch(&p->next_task, 1, __ATOMIC_RELAXED) : 0;
}

void ct__children_note_test(uint64_t id)
{
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (pool && ct__proc_slot == 0)
        __atomic_store_n(&ct_pool_procs(pool)[0].cur_task, id, __ATOMIC_RELAXED);
}
