/*
 * session.c - the tracer session, and attaching to a runner's pool before
 * main when the runner put CTRACE_POOL_FD in the environment.
 */
#include "plugin/session.h"

#include <dlfcn.h>    /* dlsym */
#include <errno.h>    /* errno */
#include <pthread.h>  /* pthread_atfork */
#include <stdio.h>    /* setvbuf */
#include <stdlib.h>   /* getenv, strtol, unsetenv */
#include <string.h>   /* strspn, memcpy */
#include <sys/mman.h> /* mmap */
#include <sys/stat.h> /* fstat */
#include <sys/syscall.h> /* SYS_gettid */
#include <unistd.h>   /* close, getpid */

#include <ctrace_collect.h> /* CT_ENV_* */

#include "assertions/live.h"
#include "assertions/rules_eval.h"
#include "plugin/children.h"
#include "plugin/interpose.h" /* ct__interpose_find_sanitizer */
#include "common/clock.h"
#include "common/shuffle.h" /* ct_shuffle_parse_seed */
#include "plugin/cpu_sample.h"
#include "plugin/modules.h"
#include "plugin/sched.h"
#include "plugin/serve.h"
#include "plugin/stack.h"
#include "plugin/test_program.h"
#include "plugin/thread.h"
#include "plugin/thread_dump.h"

/* Pull the interposers into static links (see there). */
extern const char ct__pthread_hook_linked, ct__dl_hook_linked, ct__block_sync_linked,
    ct__block_syscall_linked, ct__block_net_linked, ct__block_file_linked,
    ct__block_open_linked, ct__block_c11_linked, ct__block_wait_linked,
    ct__block_flock_linked, ct__signal_hook_linked;
__attribute__((used)) static const char *const keep_hooks[] = {
    &ct__pthread_hook_linked, &ct__dl_hook_linked,    &ct__block_sync_linked,
    &ct__block_syscall_linked, &ct__block_net_linked, &ct__block_file_linked,
    &ct__block_open_linked,   &ct__block_c11_linked,  &ct__block_wait_linked,
    &ct__block_flock_linked,  &ct__signal_hook_linked};

int ct__active;
uint32_t ct__session_id = 1;
ct_pool_header *ct__pool;
int ct__session_mode;
int ct__markers;
char ct__marker_nonce[CT_MARKER_NONCE_MAX + 1];
static uint64_t next_task_id; /* atomic */

uint64_t ct__task_id_next(void)
{
    if (ct__proc_slot) /* a child: its slot counts on after the ids it inherited */
        return ct__children_task_id_next();
    return __atomic_add_fetch(&next_task_id, 1, __ATOMIC_RELAXED);
}

uint64_t ct__task_id_last(void)
{
    return __atomic_load_n(&next_task_id, __ATOMIC_RELAXED);
}

void ct__session_begin(ct_pool_header *pool, int mode)
{
    ct__stack_init();
    ct__modules_scan();
    ct__sched_session_begin();
    ct__cpu_session_begin();
    __atomic_store_n(&ct__clock_kind, pool->clock_kind, __ATOMIC_RELAXED);
    ct__live_session_begin(pool->clock_kind, pool->tsc_hz);
    ct__live_test_begin(ct__ticks()); /* outside any test: the window is the session */
    if (!ct__live_is_armed() && ct__program_calls_checks())
        ct__live_arm(0);
    /* Atomic: a live capture's listener starts and ends sessions while the
     * program's threads fork (children.c reads it). */
    __atomic_store_n(&ct__session_mode, mode, __ATOMIC_RELAXED);
    __atomic_store_n(&ct__pool, pool, __ATOMIC_RELEASE);
    __atomic_add_fetch(&ct__session_id, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&ct__active, 1, __ATOMIC_RELEASE);
}

void ct__session_end(void)
{
    __atomic_store_n(&ct__active, 0, __ATOMIC_RELEASE);
    ct__cpu_stop_self(); /* other threads' timers stop at their next tick */
    __atomic_add_fetch(&ct__session_id, 1, __ATOMIC_ACQ_REL);
    ct_pool_header *pool = __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE);
    if (pool) /* threads waiting for room: there will be none in this session */
        ct_pool_note_freed(pool);
    __atomic_store_n(&ct__pool, NULL, __ATOMIC_RELEASE);
    __atomic_store_n(&ct__session_mode, CT_SESSION_NONE, __ATOMIC_RELAXED);
}

/* A forked child is a process of its own: under a runner it claims a slot
 * of the pool's process table and its threads attach afresh (children.c);
 * else (ct_start, --follow-children=off, no slot free) it runs untraced:
 * its writes would interleave with the parent's in the same chunks. */
static void after_fork_in_child(void)
{
    ct__markers = 0;
    ct__sched_forget_inherited();
    ct__cpu_forget_inherited(); /* timers are not inherited: its threads arm their own */
    ct_pool_header *pool = ct__session_mode == CT_SESSION_RUNNER
                               ? __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE)
                               : NULL;
    if (__atomic_load_n(&ct__active, __ATOMIC_ACQUIRE) && ct__children_after_fork(pool)) {
        ct__session_id++; /* every thread attaches again, in chunks of its own */
        ct__children_fork_done();
        return;
    }
    __atomic_store_n(&ct__active, 0, __ATOMIC_RELEASE);
    ct__session_id++;
    ct__pool = NULL;
    ct__session_mode = CT_SESSION_NONE;
    ct__thread *self = ct__self;
    if (self) /* the parent's thread's tid: a thread it creates takes its creator's from here */
        self->tid = (int32_t)syscall(SYS_gettid);
    ct__children_fork_done();
}

/* CTRACE_MARKERS: the runner's nonce, 1 to 32 lowercase hex digits. */
static int read_marker_nonce(void)
{
    const char *nonce = getenv(CT_ENV_MARKERS);
    if (!nonce)
        return 0;
    size_t n = strspn(nonce, "0123456789abcdef");
    int ok = n > 0 && n <= CT_MARKER_NONCE_MAX && nonce[n] == '\0';
    if (ok)
        memcpy(ct__marker_nonce, nonce, n + 1);
    unsetenv(CT_ENV_MARKERS); /* programs this one starts print no markers */
    return ok;
}

unsigned long ct__run_count = 1;
unsigned long ct__run_resume;
const char *ct__run_filter, *ct__skip_filter;
ct_shard ct__run_shard;
const char *ct__run_list;
int ct__run_failfast;
int ct__run_shuffled;
int64_t ct__run_shuffle_seed;

/* CTRACE_SHARD, if set; a bad value is said, and then every test runs. */
static void read_shard(const char *text)
{
    const char *why;
    if (text && ct_shard_parse(text, &ct__run_shard, &why) != 0)
        fprintf(stderr, "ctrace: warning: %s=\"%.40s\": %s: every test runs\n", CT_ENV_SHARD,
                text, why);
}

/* A string from the runner's environment, kept and removed (see take_count). */
static const char *take_string(const char *name)
{
    const char *text = getenv(name);
    char *copy = text ? strdup(text) : NULL;
    unsetenv(name);
    return copy;
}

/* A count from the runner's environment, removed so that programs this one
 * starts do not see it. */
static unsigned long take_count(const char *name, unsigned long fallback)
{
    const char *text = getenv(name);
    if (!text)
        return fallback;
    char *endp;
    errno = 0;
    unsigned long v = strtoul(text, &endp, 10);
    unsetenv(name);
    return errno || *endp || endp == text ? fallback : v;
}

/* A binary that links libctrace statically, run under the runner, holds two
 * copies: the preloaded one attached first, and this one records nothing.
 * Say so rather than lose the binary's own annotations silently. */
int ct__other_copy_traces(void)
{
    int (*other)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "ct_is_enabled");
    return other && other != ct_is_enabled && other();
}

static void warn_if_another_copy_traces(void)
{
    if (ct__other_copy_traces())
        fprintf(stderr, "ctest-trace: warning: this binary contains its own copy of libctrace "
                        "(linked statically): its annotations are not recorded; link the "
                        "shared library (pkg-config --libs ctrace)\n");
}

static void claim_runner_pool(const char *fd_text);

/* The runner's pool was left at the start (a program without cmocka in
 * it): 1 until a cmocka group runs here, or never. */
static int left_pool;

/* Map the runner's pool. Before main: one thread, no tracing yet.
 * @return 0, or 1 when this program only leads to the test binary (a
 * wrapper): everything the runner passed is left to the program it runs. */
static int attach_to_runner(void)
{
    const char *fd_text = getenv(CT_ENV_POOL_FD);
    if (fd_text && !ct__program_runs_tests()) {
        left_pool = 1;
        return 1;
    }
    ct__children_read_env();
    if (!fd_text && ct__children_exec_attach())
        return 0; /* a program a test started: a process of the test's trace */
    if (!fd_text) {
        /* Not under the runner: a filter set by hand still applies. */
        ct__run_filter = getenv(CT_ENV_RUN);
        ct__skip_filter = getenv(CT_ENV_SKIP);
        read_shard(getenv(CT_ENV_SHARD));
        ct__rules_load(getenv(CT_ENV_ASSERT)); /* judged once ct_start() traces */
        warn_if_another_copy_traces();
        return 0;
    }
    claim_runner_pool(fd_text);
    return 0;
}

void ct__session_attach_late(void)
{
    if (!__atomic_exchange_n(&left_pool, 0, __ATOMIC_ACQ_REL))
        return;
    const char *fd_text = getenv(CT_ENV_POOL_FD);
    if (!fd_text || __atomic_load_n(&ct__pool, __ATOMIC_ACQUIRE))
        return; /* passed on to a program it ran, or traced by ct_start() */
    ct__children_read_env();
    claim_runner_pool(fd_text);
}

/* Take the pool named by CTRACE_POOL_FD (fd_text), and the runner's
 * variables, and begin the runner's session. */
static void claim_runner_pool(const char *fd_text)
{
    char *endp;
    errno = 0;
    long fd = strtol(fd_text, &endp, 10);
    unsetenv(CT_ENV_POOL_FD); /* programs this one starts are not traced in it */
    if (errno || *endp || fd < 0 || fd > 1 << 20)
        return;
    struct stat st;
    if (fstat((int)fd, &st) != 0 || st.st_size <= 0) {
        close((int)fd);
        return;
    }
    void *mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    if (mem == MAP_FAILED) {
        close((int)fd);
        return;
    }
    ct_pool_header *pool = mem;
    uint32_t nobody = 0;
    if (ct_pool_check(mem, (uint64_t)st.st_size) != 0 ||
        !__atomic_compare_exchange_n(&pool->owner_pid, &nobody, (uint32_t)getpid(), 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        munmap(mem, (size_t)st.st_size);
        close((int)fd);
        return;
    }
    ct__children_owner(pool, (int)fd); /* kept for the programs its tests start, or closed */
    ct__markers = read_marker_nonce();
    ct__run_count = take_count(CT_ENV_COUNT, 1);
    ct__run_resume = take_count(CT_ENV_RESUME, 0);
    ct__run_filter = take_string(CT_ENV_RUN);
    ct__skip_filter = take_string(CT_ENV_SKIP);
    char *shard = (char *)take_string(CT_ENV_SHARD);
    read_shard(shard);
    free(shard);
    char *rules = (char *)take_string(CT_ENV_ASSERT);
    ct__rules_load(rules);
    free(rules);
    if (ct__run_count == 0)
        ct__run_count = 1;
    ct__run_list = take_string(CT_ENV_LIST);
    ct__run_failfast = take_count(CT_ENV_FAILFAST, 0) != 0;
    char *seed = (char *)take_string(CT_ENV_SHUFFLE);
    ct__run_shuffled = seed && ct_shuffle_parse_seed(seed, &ct__run_shuffle_seed) == 0;
    free(seed);
    if (ct__markers) /* as on a terminal: in order with stderr, whole lines */
        setvbuf(stdout, NULL, _IOLBF, 0);
    ct__session_begin(pool, CT_SESSION_RUNNER);
    ct__thread_dump_install(pool); /* the runner may ask for every stack before a kill */
}

__attribute__((constructor)) static void start_tracer(void)
{
    /* Before main registers the program's: of theirs and ours, our prepare
     * runs last before the fork, our parent and child handlers first after. */
    pthread_atfork(ct__children_fork_hold, ct__children_fork_done, after_fork_in_child);
    ct__interpose_find_sanitizer(); /* before any wait is recorded */
    if (attach_to_runner())
        return; /* a wrapper: the test binary it runs serves, if asked */
    ct__serve_from_env(); /* under the runner too: each capture then says it cannot */
}
