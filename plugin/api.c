/*
 * api.c - the annotation API of ctrace.h: tasks, regions, logs.
 *
 * A task handle is its id cast to a pointer: nothing to allocate or free, and
 * a stale handle is just an id the trace knows ended.
 */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf */
#include <string.h> /* memcpy */

#include <ctrace.h>

#include "plugin/api_internal.h"
#include "plugin/children.h"
#include "plugin/modules.h"
#include "plugin/sched.h"
#include "plugin/session.h"
#include "plugin/stack.h"
#include "plugin/thread.h"

static inline uint64_t task_id(ct_task *task)
{
    return (uint64_t)(uintptr_t)task;
}

static inline ct_task *task_handle(uint64_t id)
{
    return (ct_task *)(uintptr_t)id;
}

/* Enter the tracer on this thread, or NULL: not tracing, or a signal handler
 * interrupted this thread inside the tracer (its event is counted lost
 * rather than corrupting the one being written). Drops and losses to report
 * take the detour (chunk.c). */
static inline ct__thread *enter(void)
{
    ct__thread *t = ct__thread_get();
    if (__builtin_expect(t == NULL || t->busy || t->detour, 0))
        return ct__enter_detour(t);
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return t;
}

static inline void leave(ct__thread *t)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->busy = 0;
}

ct__thread *ct__enter(void)
{
    return enter();
}

void ct__leave(ct__thread *t)
{
    leave(t);
}

static inline ct__live_who who_of(const ct__thread *t)
{
    ct__live_who w = {t->serial, t->tid};
    return w;
}

int ct_is_enabled(void)
{
    return __atomic_load_n(&ct__active, __ATOMIC_RELAXED) != 0;
}

/* ---- tasks ---------------------------------------------------------------- */

/* A test's name, used once in a run of each test: defined apart from the
 * string table (a table of thousands of names each used once would cost a
 * cache miss a test). With -count each is used again: the table then, or a
 * reader would keep a definition a run. */
static uint32_t test_name_id(ct__thread *t, const char *name)
{
    return ct__run_count > 1 ? ct__intern(t, name) : ct__intern_once(t, name);
}

uint64_t ct__task_begin_kind(uint64_t parent, const char *name, unsigned kind, uint64_t *at)
{
    /* A forked child that runs on in its parent's group (its test returned
     * rather than exit): its tests and fixtures are none of the run's. */
    if (kind != CT__TASK_USER && ct__proc_slot)
        return 0;
    ct__thread *t = enter();
    if (!t)
        return 0;
    ct__sched_poll(t);
    ct__modules_settle(t);
    ct__thread_name_refresh(t);
    uint64_t id = ct__task_id_next();
    uint32_t name_id = kind == CT__TASK_TEST ? test_name_id(t, name ? name : "")
                                             : ct__intern(t, name ? name : "");
    uint8_t *p = ct__event_begin(t, CT_EV_TASK_BEGIN, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, id);
    p = ct_put_uvarint(p, parent);
    p = ct_put_uvarint(p, name_id);
    p = ct_put_uvarint(p, kind);
    ct__commit(t, p);
    if (at) /* before leave(): a sample after it moves last_ticks */
        *at = t->last_ticks;
    if (kind == CT__TASK_USER) { /* tests and fixtures are timed by the cmocka hook */
        if (ct__live_is_armed())
            ct__live_task_begin(id, name, t->last_ticks);
    } else { /* programs started from now on are under it */
        ct__children_note_test(id);
    }
    leave(t);
    return id;
}

uint64_t ct__task_end_id(uint64_t id)
{
    if (id == 0) /* a test not recorded (above) */
        return 0;
    ct__thread *t = enter();
    if (!t)
        return 0;
    ct__sched_read_all(t); /* the waits in the task, before it ends */
    ct__modules_settle(t);
    ct__thread_name_refresh(t);
    uint8_t *p = ct__event_begin(t, CT_EV_TASK_END, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, id);
    ct__commit(t, p);
    uint64_t at = t->last_ticks; /* before leave(): a sample after it moves last_ticks */
    if (ct__live_is_armed())
        ct__live_task_end(id, at, who_of(t));
    leave(t);
    return at;
}

void ct__wait_write(ct__thread *t, unsigned kind, uint64_t end_ticks, uint64_t wait,
                    uint64_t object, const uint64_t *pcs, unsigned n)
{
    uint64_t stack = ct__stack_intern(t, pcs, n); /* its modules noted if new */
    uint8_t *p = ct__event_begin(t, CT_EV_WAIT, CT_SMALL_EVENT);
    uint64_t now = t->last_ticks;
    p = ct_put_uvarint(p, ct__cur_task);
    p = ct_put_uvarint(p, kind);
    p = ct_put_uvarint(p, wait);
    p = ct_put_uvarint(p, object);
    p = ct_put_uvarint(p, stack);
    p = ct_put_uvarint(p, now > end_ticks ? now - end_ticks : 0);
    ct__commit(t, p);
    /* Waits that began in the current test count in its aggregates, when
     * they are kept. The generation first: a test's start is stored before
     * its generation. */
    if (!ct__live_is_armed())
        return;
    uint32_t gen = __atomic_load_n(&ct__live_gen, __ATOMIC_ACQUIRE);
    if (end_ticks >= wait &&
        end_ticks - wait >= __atomic_load_n(&ct__live_test_start, __ATOMIC_RELAXED)) {
        ct__shard *s = ct__live_wait_shard(&t->live, kind);
        if (s)
            ct__live_add(s, gen, ct__live_ticks_to_ns(wait), end_ticks, who_of(t), pcs, n);
    }
}

void ct__block_end(unsigned kind, uint64_t begin_ticks, uint64_t object, uint64_t caller)
{
    if (!ct_is_enabled())
        return;
    /* The wait ended now: what the tracer does next is not part of it. */
    uint64_t end = ct__ticks();
    /* The walk first: it reads only this thread's stack. */
    uint64_t pcs[CT_MAX_STACK_DEPTH];
    unsigned n = ct__stack_capture(caller, pcs, CT_MAX_STACK_DEPTH);
    ct__thread *t = enter();
    if (!t)
        return;
    ct__sched_read_all(t); /* what came before this wait, first */
    ct__thread_name_refresh(t);
    ct__wait_write(t, kind, end, end > begin_ticks ? end - begin_ticks : 0, object, pcs, n);
    leave(t);
}

void ct__task_status(uint64_t id, unsigned status, const char *message)
{
    if (id == 0)
        return;
    ct__thread *t = enter();
    if (!t)
        return;
    size_t len = message ? strnlen(message, CT_MAX_LOG_BYTES) : 0;
    uint8_t *p = ct__event_begin(t, CT_EV_TASK_STATUS, CT_SMALL_EVENT + len);
    p = ct_put_uvarint(p, id);
    p = ct_put_uvarint(p, status);
    p = ct_put_uvarint(p, len);
    if (len)
        memcpy(p, message, len);
    ct__commit(t, p + len);
    leave(t);
}

uint64_t ct__window_lost_note(uint64_t task)
{
    uint64_t lost = ct__live_window_lost();
    ct__thread *t = lost ? enter() : NULL;
    if (!t)
        return lost;
    uint8_t *p = ct__meta_begin(t, CT_EV_WINDOW_LOST, CT_SMALL_EVENT);
    p = ct_put_uvarint(p, task);
    p = ct_put_uvarint(p, lost);
    ct__commit(t, p);
    if (t->dropping) { /* lost with the drop: written again once it ends */
        t->window_unsaid_task = task;
        t->window_unsaid_lost = lost;
    }
    leave(t);
    return lost;
}

ct_task *ct_task_begin(ct_task *parent, const char *name)
{
    if (!ct_is_enabled())
        return NULL;
    uint64_t parent_id = parent ? task_id(parent) : ct__cur_task;
    return task_handle(ct__task_begin_kind(parent_id, name, CT__TASK_USER, NULL));
}

void ct_task_end(ct_task *task)
{
    if (task && ct_is_enabled())
        ct__task_end_id(task_id(task));
}

ct_task *ct_task_current(void)
{
    return task_handle(ct__cur_task);
}

ct_task *ct_task_adopt(ct_task *task)
{
    uint64_t old = ct__cur_task;
    if (ct_is_enabled() && old != task_id(task)) {
        ct__thread *t = enter();
        if (t) {
            ct__sched_poll(t); /* waits so far belong to the old task */
            ct__cur_task = task_id(task);
            uint8_t *p = ct__event_begin(t, CT_EV_TASK_ADOPT, CT_SMALL_EVENT);
            p = ct_put_uvarint(p, ct__cur_task);
            ct__commit(t, p);
            leave(t);
        }
    }
    ct__cur_task = task_id(task); /* traced or not */
    return task_handle(old);
}

/* ---- regions -------------------------------------------------------------- */

/* The thread's timing shard for regions named `name` (string id `id`),
 * remembered in the name's cache slot: a begin then looks it up with the
 * name, not by a probe of the live map by id. */
static inline ct__shard *region_shard(ct__thread *t, const char *name, uint32_t id)
{
    ct__name_slot *slot = ct__name_slot_of(t, name);
    int cached = slot->ptr == name && slot->id == id;
    if (__builtin_expect(cached && slot->live_shard != NULL, 1))
        return slot->live_shard;
    ct__shard *s = ct__live_region_shard(&t->live, id, name);
    if (cached)
        slot->live_shard = s;
    return s;
}

/* A REGION_BEGIN's fields after its stamp, and the handle of the region t
 * begins with it: the quick path's and the whole begin's. */
static inline uint8_t *put_region_begin(uint8_t *p, ct_task *task, uint32_t name_id)
{
    p = ct_put_uvarint(p, task ? task_id(task) : ct__cur_task);
    return ct_put_uvarint(p, name_id);
}

static inline ct_region new_region(ct__thread *t)
{
    ct_region r = {.ct__serial = ++t->region_serial,
                   .ct__thread = t->serial,
                   .ct__session = (uint16_t)t->session}; /* the public struct keeps 16 bits */
    return r;
}

static inline __attribute__((always_inline)) ct_region region_begin(ct_task *task,
                                                                    const char *name,
                                                                    int literal)
{
    ct_region r = {0, 0, 0, 0};
    ct__thread *t = enter();
    if (!t)
        return r;
    if (!name) {
        name = "";
        literal = 1;
    }
    uint32_t name_id = literal ? ct__intern_literal(t, name) : ct__intern(t, name);
    ct__shard *shard = ct__live_is_armed() ? region_shard(t, name, name_id) : NULL;
    uint8_t *p = ct__event_begin(t, CT_EV_REGION_BEGIN, CT_SMALL_EVENT);
    ct__commit(t, put_region_begin(p, task, name_id));
    r = new_region(t);
    ct__live_region_begin(&t->live, r.ct__serial, t->last_ticks, shard);
    leave(t);
    return r;
}

ct_region ct__region_begin(ct_task *task, const char *name)
{
    return region_begin(task, name, 0);
}

/* The quick paths below leave every other case to these, by a tail call:
 * they then need no register of their caller's saved. */
static __attribute__((noinline)) ct_region region_begin_literal_slow(ct_task *task,
                                                                      const char *name)
{
    return region_begin(task, name, 1);
}

static void region_end_slow(ct_region *region);

/* Whether the process's settings let events take a quick path: no
 * aggregates to keep (assertions/live.h) and the TSC as the clock. Asked
 * first, in one branch, so that a suite that asserts goes its way at once. */
#if CT_HAVE_TSC
#define CT__QUICK_SETTINGS()                                                                  \
    ((ct__live_is_armed() |                                                                   \
      (__atomic_load_n(&ct__clock_kind, __ATOMIC_RELAXED) ^ CT_CLOCK_TSC)) == 0)
#define CT__QUICK_TICKS() __rdtsc()
#else /* the quick paths are never taken */
#define CT__QUICK_SETTINGS() 0
#define CT__QUICK_TICKS() 0
#endif

/* Enter the tracer on t for a quick path: the settings allow it, t is
 * attached in this session, not inside the tracer, and, once inside (a
 * signal handler that came before could have written or begun a drop),
 * has nothing to report first and room for it. @return 1 entered (leave()
 * it), 0 not (untouched). */
static inline int quick_enter(ct__thread *t)
{
    if (!CT__QUICK_SETTINGS() || t == NULL ||
        t->session != __atomic_load_n(&ct__session_id, __ATOMIC_RELAXED) || t->busy)
        return 0;
    t->busy = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (__builtin_expect(!t->detour && ct__has_room(t, CT_SMALL_EVENT), 1))
        return 1;
    leave(t);
    return 0;
}

/* A region named by a string literal already interned, in the usual
 * state: the whole begin without a call. */
ct_region ct__region_begin_literal(ct_task *task, const char *name)
{
    ct__thread *t = ct__self;
    if (__builtin_expect(name == NULL || !quick_enter(t), 0))
        return region_begin_literal_slow(task, name);
    ct__name_slot *slot = ct__name_slot_of(t, name);
    if (__builtin_expect(slot->ptr != name ||
                             slot->literal_epoch !=
                                 __atomic_load_n(&ct__names_epoch, __ATOMIC_RELAXED),
                         0)) {
        leave(t);
        return region_begin_literal_slow(task, name);
    }
    uint8_t *p = ct__event_stamp_at(t, CT_EV_REGION_BEGIN, CT__QUICK_TICKS());
    ct__commit(t, put_region_begin(p, task, slot->id));
    ct_region r = new_region(t);
    leave(t);
    return r;
}

/* A region ended on the thread that began it, in the usual state: the
 * whole end without a call. */
void ct__region_end(ct_region *region)
{
    ct__thread *t = ct__self;
    if (__builtin_expect(!quick_enter(t), 0)) {
        region_end_slow(region);
        return;
    }
    if (__builtin_expect(region->ct__session != (uint16_t)t->session ||
                             region->ct__thread != t->serial,
                         0)) {
        leave(t);
        region_end_slow(region);
        return;
    }
    uint8_t *p = ct__event_stamp_at(t, CT_EV_REGION_END, CT__QUICK_TICKS());
    p = ct_put_uvarint(p, t->region_serial - region->ct__serial);
    ct__commit(t, p);
    leave(t);
}

static __attribute__((noinline)) void region_end_slow(ct_region *region)
{
    ct__thread *t = enter();
    if (!t)
        return;
    if (region->ct__session != (uint16_t)t->session) {
        leave(t); /* begun in an earlier session: that trace is closed */
        return;
    }
    uint8_t *p;
    int own = region->ct__thread == t->serial;
    if (__builtin_expect(own, 1)) {
        p = ct__event_begin(t, CT_EV_REGION_END, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, t->region_serial - region->ct__serial);
    } else {
        p = ct__event_begin(t, CT_EV_REGION_END_FOREIGN, CT_SMALL_EVENT);
        p = ct_put_uvarint(p, region->ct__thread);
        p = ct_put_uvarint(p, region->ct__serial);
    }
    ct__commit(t, p);
    /* Its duration, in the test's aggregates if it began in the test. Ended
     * on another thread (misuse) it is not timed: assertions/live.h. */
    if (__builtin_expect(own, 1) && ct__live_is_armed())
        ct__live_region_end(&t->live, region->ct__serial, t->last_ticks, who_of(t));
    leave(t);
}

ct_region(ct_region_begin)(ct_task *task, const char *name)
{
    if (!ct_is_enabled()) {
        ct_region none = {0, 0, 0, 0};
        return none;
    }
    return ct__region_begin(task, name);
}

void(ct_region_end)(ct_region *region)
{
    if (region->ct__serial != 0)
        ct__region_end(region);
    region->ct__done = 1;
}

/* ---- logs ----------------------------------------------------------------- */

static void log_bytes(ct_task *task, const char *category, const char *msg, size_t len,
                      unsigned flags)
{
    ct__thread *t = enter();
    if (!t)
        return;
    uint32_t cat_id = ct__intern(t, category ? category : "");
    uint64_t tid = task ? task_id(task) : ct__cur_task;
    uint8_t *p = ct__event_begin(t, CT_EV_LOG, CT_SMALL_EVENT + len);
    p = ct_put_uvarint(p, tid);
    p = ct_put_uvarint(p, cat_id);
    p = ct_put_uvarint(p, len);
    memcpy(p, msg, len);
    p = ct_put_uvarint(p + len, flags);
    ct__commit(t, p);
    if (ct__live_is_armed())
        ct__live_log(&t->live, category, msg, len, t->last_ticks, who_of(t));
    leave(t);
}

void ct__log(ct_task *task, const char *category, const char *message)
{
    if (!message)
        message = "";
    size_t len = strnlen(message, CT_MAX_LOG_BYTES + 1);
    unsigned flags = 0;
    if (len > CT_MAX_LOG_BYTES) {
        len = CT_MAX_LOG_BYTES;
        flags |= CT_LOG_TRUNCATED;
    }
    log_bytes(task, category, message, len, flags);
}

static void vlogf(ct_task *task, const char *category, const char *fmt, va_list ap)
{
    char buf[CT_MAX_LOG_BYTES + 1];
    int n = vsnprintf(buf, sizeof buf, fmt ? fmt : "", ap);
    if (n < 0)
        return;
    size_t len = (size_t)n;
    unsigned flags = 0;
    if (len > CT_MAX_LOG_BYTES) {
        len = CT_MAX_LOG_BYTES;
        flags |= CT_LOG_TRUNCATED;
    }
    log_bytes(task, category, buf, len, flags);
}

void ct__logf(ct_task *task, const char *category, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlogf(task, category, fmt, ap);
    va_end(ap);
}

void(ct_log)(ct_task *task, const char *category, const char *message)
{
    if (ct_is_enabled())
        ct__log(task, category, message);
}

void(ct_logf)(ct_task *task, const char *category, const char *fmt, ...)
{
    if (!ct_is_enabled())
        return;
    va_list ap;
    va_start(ap, fmt);
    vlogf(task, category, fmt, ap);
    va_end(ap);
}
