/*
 * ctrace.h - annotate a C program for ctest-trace: tasks, regions and logs.
 *
 * One tracer per process. Under `ctest-trace` the runner owns it and every
 * test case is a task; elsewhere ct_start() writes a trace file itself, or
 * ct_serve() answers live captures over HTTP.
 * Without a tracer every annotation is one load and an unlikely branch.
 *
 * Durations and timestamps are uint64_t nanoseconds.
 */
#ifndef CTRACE_H
#define CTRACE_H

#include <stdint.h> /* uint64_t, uint32_t */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#  define CT_API __attribute__((visibility("default")))
#  define CT__LIKELY(x) __builtin_expect(!!(x), 1)
#  define CT__UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define CT__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define CT_API
#  define CT__LIKELY(x) (x)
#  define CT__UNLIKELY(x) (x)
#  define CT__PRINTF(f, a)
#endif

#define CT_US(n) ((uint64_t)(n) * 1000u)
#define CT_MS(n) ((uint64_t)(n) * 1000000u)
#define CT_SEC(n) ((uint64_t)(n) * 1000000000u)

/* Every error of the library, once: the enum and ct_strerror() come from it. */
#define CT_ERROR_MAP(XX)                                                        \
    XX(ALREADY, -1, "tracing already enabled")                                  \
    XX(INVAL, -2, "invalid argument")                                           \
    XX(NOMEM, -3, "out of memory")                                              \
    XX(IO, -4, "input/output error")                                            \
    XX(NOTTRACE, -5, "not a ctrace trace file")                                 \
    XX(VERSION, -6, "trace written by a newer format version")                  \
    XX(DAMAGED, -7, "trace is damaged")                                         \
    XX(EMPTY, -8, "trace file is empty")                                        \
    XX(NOTRACER, -9, "no tracer is running")                                    \
    XX(SYSTEM, -10, "system call failed")

enum ct_error {
    CT_OK = 0,
#define CT__ERR_ENUM(name, code, text) CT_E##name = code,
    CT_ERROR_MAP(CT__ERR_ENUM)
#undef CT__ERR_ENUM
};

/*! ct_start() : start tracing this process into the trace file `path`.
 *  Events are written as per-thread buffers fill, and at ct_stop() or normal
 *  process exit (an atexit handler stops the tracer, so `exit()` loses nothing).
 *  [ext] Each traced thread's CPU time is sampled (a timer of its own sending
 *  it SIGPROF; CTRACE_CPU_HZ in ctrace_collect.h), unless the program handles
 *  SIGPROF itself. [ext] It returns once its drain thread runs, as ct_serve()
 *  does its listener: a fork right after it takes no lock of that start.
 *  @return 0, or CT_EALREADY when a tracer already runs (under ctest-trace,
 *  or a live capture of ct_serve()), CT_EINVAL for a NULL path, CT_EIO when the file cannot be
 *  created (errno tells why), CT_ENOMEM. */
CT_API int ct_start(const char *path);

/*! ct_stop() : flush every thread's events and close the trace.
 *  Safe to call twice, and from any thread.
 *  @return 0, CT_ENOTRACER when ct_start() did not start this tracer (also
 *  when the runner owns it: only the runner stops it; or a live capture of
 *  ct_serve(): its request ends it), CT_EIO on a write error. */
CT_API int ct_stop(void);

/*! ct_serve() : serve live captures, as Go's net/http/pprof: a thread of
 *  this process answers GET /debug/pprof/trace?seconds=N (N: default 1, up
 *  to 60, decimals allowed) with a trace of the next N seconds, as
 *  `curl -o trace.out URL` expects. `addr` is "127.0.0.1:PORT" (any
 *  127.0.0.0/8), "[::1]:PORT", "localhost:PORT" or "unix:/path" (a Unix
 *  socket, created 0600; a stale socket there is replaced, any other file
 *  is not); PORT 0 lets the kernel pick (ct_serve_address() tells).
 *  Anything else only spelled "public:HOST:PORT": a trace shows the
 *  program's names and logs to whoever fetches it. CTRACE_HTTP=ADDR in the
 *  environment does the same before main, for a program that does not call it.
 *  One capture at a time: another request, or one while ctest-trace or
 *  ct_start() owns the tracer, gets 409 with a text saying why. While no
 *  capture runs, nothing is traced and annotations cost what they cost
 *  untraced. A TCP request whose Host names neither localhost nor an IP
 *  address gets 403 (DNS rebinding); a capture ends early at 256 MiB. The
 *  tracer's CTRACE_* settings are read once, here. The server ends at exit
 *  (a capture still running is dropped); a forked child does not serve.
 *  It returns once the listener runs: a child forked at once inherits no
 *  lock its thread's start took (gcc 12's ASan allocates there, and takes
 *  no allocator lock around fork()).
 *  @return 0, CT_EALREADY when this process serves already, CT_EINVAL for
 *  an address not accepted above (or a path that is not a socket),
 *  CT_ESYSTEM when it cannot be bound (errno tells: EADDRINUSE...),
 *  CT_ENOMEM. */
CT_API int ct_serve(const char *addr);

/*! ct_serve_address() : the address ct_serve() listens on, its port
 *  chosen ("127.0.0.1:41234", "[::1]:6060", "unix:/run/x.sock"); NULL when
 *  not serving. Valid until exit. */
CT_API const char *ct_serve_address(void);

/*! ct_is_enabled() : 1 while a tracer records this process, else 0. */
CT_API int ct_is_enabled(void);

/*! ct_strerror() : a short English text for a CT_E* code; never NULL. */
CT_API const char *ct_strerror(int code);

/* ---- tasks: a logical operation, may span threads ------------------------- */

typedef struct ct_task ct_task; /* opaque handle; never dereference it */

/*! ct_task_begin() : begin a task named `name` under `parent`
 *  (NULL: the calling thread's current task, which may itself be NULL).
 *  The task does not become current: pass it to regions and logs, or make it
 *  current with ct_task_adopt(), which threads created afterwards inherit.
 *  @return the task, or NULL when not tracing. Handles stay valid forever:
 *  using a task after ct_task_end() is recorded, never a crash. */
CT_API ct_task *ct_task_begin(ct_task *parent, const char *name);

/*! ct_task_end() : end `task` (NULL is ignored). Any thread may end it. */
CT_API void ct_task_end(ct_task *task);

/*! ct_task_current() : the calling thread's current task: under ctest-trace
 *  the running test's task; in a thread, what its creator had current when it
 *  called pthread_create(); whatever ct_task_adopt() set last. NULL if none. */
CT_API ct_task *ct_task_current(void);

/*! ct_task_adopt() : make `task` current on the calling thread (NULL clears).
 *  @return the previous current task, to restore it later. */
CT_API ct_task *ct_task_adopt(ct_task *task);

/* ---- regions: a span of code on one thread, nesting LIFO ------------------- */

/* A value type: copy it, keep it on the stack. Fields are private. */
typedef struct ct_region {
    uint64_t ct__serial;  /* which region of its thread; 0 when not traced */
    uint32_t ct__thread;  /* thread that began it */
    uint16_t ct__session; /* tracer session that began it */
    uint16_t ct__done;    /* set by ct_region_end(); drives CT_WITH_REGION */
} ct_region;

/*! ct_region_begin() : begin region `name` in `task` (NULL: the thread's
 *  current task). Names are interned: a small set, usually literals. A
 *  string literal is recognised at compile time and known by its address
 *  alone; a name built at run time (a buffer that may be reused) is compared
 *  byte by byte at each begin, so it costs a little more. */
CT_API ct_region ct_region_begin(ct_task *task, const char *name);

/*! ct_region_end() : end a region. Ending it twice, on another thread or out
 *  of LIFO order is recorded and reported as a warning, never a crash. */
CT_API void ct_region_end(ct_region *region);

/* ---- logs: a point in time with a category and a message ----------------- */

/*! ct_log() : record `message` under `category` in `task` (NULL: current).
 *  Messages longer than 4096 bytes are cut there and marked truncated. */
CT_API void ct_log(ct_task *task, const char *category, const char *message);

/*! ct_logf() : ct_log() with a printf format. */
CT_API void ct_logf(ct_task *task, const char *category, const char *fmt, ...)
    CT__PRINTF(3, 4);

/* ---- inline fast paths ------------------------------------------------------
 * The exported functions above exist for FFI and function pointers; C callers
 * get these inline forms, which cost one load and a branch without a tracer. */

CT_API extern int ct__active; /* private: nonzero while a tracer records */
CT_API ct_region ct__region_begin(ct_task *task, const char *name);
/* `name` is a string literal: the tracer knows it by its address alone. */
CT_API ct_region ct__region_begin_literal(ct_task *task, const char *name);
CT_API void ct__region_end(ct_region *region);
CT_API void ct__log(ct_task *task, const char *category, const char *message);
CT_API void ct__logf(ct_task *task, const char *category, const char *fmt, ...)
    CT__PRINTF(3, 4);

#if defined(__GNUC__)
#  define CT__IS_ACTIVE() CT__UNLIKELY(__atomic_load_n(&ct__active, __ATOMIC_RELAXED))
#else
#  define CT__IS_ACTIVE() CT__UNLIKELY(ct__active)
#endif

/* 1 when `s` is a string literal (or NULL): its bytes cannot change, so the
 * tracer need not read them again at every event. */
#if defined(__GNUC__)
#  define CT__IS_LITERAL(s) __builtin_constant_p(s)
#else
#  define CT__IS_LITERAL(s) 0
#endif

#ifndef CT__BUILDING_LIBRARY
static inline ct_region ct__region_begin_inline(ct_task *task, const char *name, int literal)
{
    if (CT__IS_ACTIVE())
        return literal ? ct__region_begin_literal(task, name) : ct__region_begin(task, name);
    ct_region none = {0, 0, 0, 0};
    return none;
}

static inline void ct__region_end_inline(ct_region *region)
{
    if (CT__UNLIKELY(region->ct__serial != 0))
        ct__region_end(region);
    region->ct__done = 1;
}

#  define ct_region_begin(task, name)                                          \
      ct__region_begin_inline((task), (name), CT__IS_LITERAL(name))
#  define ct_region_end(region) ct__region_end_inline(region)
#  define ct_log(task, category, message)                                       \
      (CT__IS_ACTIVE() ? ct__log((task), (category), (message)) : (void)0)
#  define ct_logf(task, category, ...)                                          \
      (CT__IS_ACTIVE() ? ct__logf((task), (category), __VA_ARGS__) : (void)0)
#endif

#define CT__CAT2(a, b) a##b
#define CT__CAT(a, b) CT__CAT2(a, b)
/* A name unique in the file, even for two uses on one line (in a macro). */
#if defined(__COUNTER__)
#  define CT__UNIQ(prefix) CT__CAT(prefix, __COUNTER__)
#else
#  define CT__UNIQ(prefix) CT__CAT(prefix, __LINE__)
#endif

#if defined(__GNUC__)
/* Cleanup handler: ends the region however the scope is left (break, return,
 * goto), except by longjmp, which the trace closes at the test's end. */
static inline void ct__region_cleanup(ct_region *region)
{
    if (!region->ct__done && region->ct__serial != 0)
        ct__region_end(region);
}

/*! CT_WITH_REGION(task, name) { ... } : run the statement as region `name`;
 *  like trace.WithRegion. One statement, so it composes with for/if. The
 *  region ends however the block is left: `return`, `goto`, or `break`, which
 *  leaves the region (it is a loop inside) rather than an enclosing loop. */
#  define CT_WITH_REGION(task, name) CT__WITH_REGION(task, name, CT__UNIQ(ct__wr_))
#  define CT__WITH_REGION(task, name, r)                                        \
      for (ct_region r __attribute__((cleanup(ct__region_cleanup))) =           \
               ct_region_begin((task), (name));                                 \
           !r.ct__done; ct_region_end(&r))

/*! CT_REGION_SCOPE(task, name); : a region that ends with the enclosing scope. */
#  define CT_REGION_SCOPE(task, name) CT__REGION_SCOPE(task, name, CT__UNIQ(ct__rs_))
#  define CT__REGION_SCOPE(task, name, r)                                       \
      ct_region r __attribute__((cleanup(ct__region_cleanup))) = ct_region_begin((task), (name))
#else
#  define CT_WITH_REGION(task, name) CT__WITH_REGION(task, name, CT__UNIQ(ct__wr_))
#  define CT__WITH_REGION(task, name, r)                                        \
      for (ct_region r = ct_region_begin((task), (name)); !r.ct__done; ct_region_end(&r))
/* CT_REGION_SCOPE needs a compiler with __attribute__((cleanup)). */
#endif

#ifdef __cplusplus
}
#endif
#endif /* CTRACE_H */
