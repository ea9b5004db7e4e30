/*
 * test_window.c - a flight recorder's window (recorder/window.h): batches
 * leave it oldest first, folded into what the rest needs to be read alone,
 * and the traces written from it read without damage or misuse, with every
 * time as it was, what was cut counted, and a task begun before the window
 * marked cut.
 *
 * The batches are made here, as a tracer writes them into its pool's chunks
 * (32 KiB, each with its clock pair) and a drainer takes them (in pieces of
 * a few KiB), on a clock of 1 tick = 1 ns from tick 1000.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <ctrace_collect.h> /* CT_WINDOW_MIN_BYTES */
#include <ctrace_reader.h>

#include "events.h"
#include "format/pool.h"
#include "format/wire.h"
#include "recorder/trace_writer.h"
#include "recorder/window.h"

#define PIECE 2048u  /* bytes a drain pass takes of a chunk at most */
#define STEP 10u     /* ticks between events */

/* One thread of the made-up process. */
typedef struct maker {
    ct_window *w;
    uint32_t thread;
    uint8_t chunk[CT_CHUNK_BYTES];
    size_t len, sent;  /* bytes in the chunk; handed to the window */
    uint64_t seq;
    ct_wclock clock;
    uint64_t tick;     /* of the last event */
    int open;
} maker;

static uint64_t now_tick = 1000;

static void send(maker *m)
{
    if (m->sent < m->len)
        assert_int_equal(ct_window_add(m->w, m->thread, m->seq, m->sent, m->clock,
                                       m->chunk + m->sent, m->len - m->sent), 0);
    m->sent = m->len;
}

/* Room for an event of up to `n` bytes: a new chunk when this one is full. */
static void room(maker *m, size_t n)
{
    if (m->open && m->len + n <= sizeof m->chunk)
        return;
    if (m->open) {
        send(m);
        m->seq++;
    }
    m->open = 1;
    m->len = m->sent = 0;
    m->clock = (ct_wclock){now_tick, now_tick};
    m->tick = now_tick;
}

static void put_u(maker *m, uint64_t v)
{
    m->len = (size_t)(ct_put_uvarint(m->chunk + m->len, v) - m->chunk);
}

/* A timed event of `code`, STEP ticks after the process's last, with
 * `n` varint fields. @return its tick. */
static uint64_t timed(maker *m, uint8_t code, int n, ...)
{
    room(m, 1 + 8 * CT_UVARINT_MAX);
    now_tick += STEP;
    m->chunk[m->len++] = code;
    put_u(m, now_tick - m->tick);
    m->tick = now_tick;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        put_u(m, va_arg(ap, uint64_t));
    va_end(ap);
    if (m->len - m->sent >= PIECE)
        send(m);
    return now_tick;
}

static void string(maker *m, uint64_t id, const char *s)
{
    room(m, 2 * CT_UVARINT_MAX + strlen(s) + 1);
    m->chunk[m->len++] = CT_EV_STRING;
    put_u(m, id);
    put_u(m, strlen(s));
    memcpy(m->chunk + m->len, s, strlen(s));
    m->len += strlen(s);
}

/* LOG "step" with message `i` in task `task`. */
static uint64_t log_index(maker *m, uint64_t task, int i)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%d", i);
    room(m, 8 * CT_UVARINT_MAX + (size_t)n);
    now_tick += STEP;
    m->chunk[m->len++] = CT_EV_LOG;
    put_u(m, now_tick - m->tick);
    m->tick = now_tick;
    put_u(m, task);
    put_u(m, 4); /* "step" */
    put_u(m, (uint64_t)n);
    memcpy(m->chunk + m->len, text, (size_t)n);
    m->len += (size_t)n;
    put_u(m, 0);
    if (m->len - m->sent >= PIECE)
        send(m);
    return now_tick;
}

#define STEPS 8000 /* work regions of each test, a log after each */

/* What the made-up process did, as written. */
typedef struct story {
    uint64_t step_tick[2][STEPS]; /* when each log of each test was */
    uint64_t outer_begin, test_b_begin, test_b_end;
    uint64_t events;              /* timed events but THREAD_BEGIN (those cut may count) */
    uint64_t helper_events;
} story;

static void thread_begin(maker *m, uint64_t tid)
{
    timed(m, CT_EV_THREAD_BEGIN, 5, tid, (uint64_t)7, (uint64_t)0, (uint64_t)0, (uint64_t)0);
}

/* Thread 1 runs TestA, then TestB (in which region "outer" stays open
 * around its steps, and which fails), then `after` steps outside tests;
 * thread 2 begins, works a little and ends during TestA. */
static void tell_more(ct_window *w, story *s, int after)
{
    maker *m = calloc(2, sizeof *m);
    m[0].w = m[1].w = w;
    m[0].thread = 1;
    m[1].thread = 2;
    now_tick = 1000;
    memset(s, 0, sizeof *s);
    thread_begin(&m[0], 7);
    string(&m[0], 1, "TestA");
    string(&m[0], 2, "work");
    string(&m[0], 3, "TestB");
    string(&m[0], 4, "step");
    string(&m[0], 5, "outer");
    for (int test = 0; test < 2; test++) {
        uint64_t task = (uint64_t)test + 1;
        uint64_t at = timed(&m[0], CT_EV_TASK_BEGIN, 4, task, (uint64_t)0, (uint64_t)(test ? 3 : 1),
                            (uint64_t)1);
        s->events++;
        if (test) {
            s->test_b_begin = at;
            s->outer_begin = timed(&m[0], CT_EV_REGION_BEGIN, 2, task, (uint64_t)5);
            s->events++;
        }
        for (int i = 0; i < STEPS; i++) {
            timed(&m[0], CT_EV_REGION_BEGIN, 2, task, (uint64_t)2);
            timed(&m[0], CT_EV_REGION_END, 1, (uint64_t)0);
            s->step_tick[test][i] = log_index(&m[0], task, i);
            s->events += 3;
            if (!test && i == 100) { /* the helper thread's whole life */
                thread_begin(&m[1], 8);
                string(&m[1], 1, "helper");
                for (int k = 0; k < 50; k++) {
                    timed(&m[1], CT_EV_REGION_BEGIN, 2, task, (uint64_t)1);
                    timed(&m[1], CT_EV_REGION_END, 1, (uint64_t)0);
                }
                timed(&m[1], CT_EV_THREAD_END, 0);
                send(&m[1]);
                s->helper_events = 101;
                s->events += 101;
            }
        }
        if (test) {
            timed(&m[0], CT_EV_REGION_END, 1, (uint64_t)STEPS); /* "outer", STEPS regions on */
            s->events++;
        }
        timed(&m[0], CT_EV_TASK_STATUS, 3, task, (uint64_t)(test ? 2 : 1), (uint64_t)0);
        uint64_t end = timed(&m[0], CT_EV_TASK_END, 1, task);
        s->events += 2;
        if (test)
            s->test_b_end = end;
    }
    for (int i = 0; i < after; i++) {
        timed(&m[0], CT_EV_REGION_BEGIN, 2, (uint64_t)0, (uint64_t)2);
        timed(&m[0], CT_EV_REGION_END, 1, (uint64_t)0);
    }
    send(&m[0]);
    free(m);
}

static void tell(ct_window *w, story *s)
{
    tell_more(w, s, 0);
}

/* A trace of window w (of task `task`) written to `path`, read back: whole,
 * and with no warning unless `warnings`. */
static void read_window(ct_window *w, uint64_t task, const char *path, tevs *t,
                        ct_window_report *r, int warnings)
{
    ct_trace_writer *tw;
    assert_int_equal(ct_tw_open(&tw, path, 0), 0);
    ct_window_proc p = {.proc = 0, .pid = 7, .exe = "/made/up", .clock = CT_CLOCK_MONOTONIC,
                        .hz = 1000000000u, .tsc0 = 1000, .ns0 = 1000, .how = CT_EXIT_STOPPED,
                        .end_ns = now_tick + 1000};
    assert_int_equal(ct_window_write(w, tw, &p, task, r), 0);
    assert_int_equal(ct_tw_close(tw), 0);
    assert_int_equal(tevs_read(t, path), 0);
    if (t->rc)
        fprintf(stderr, "%s: %s\n", path, t->damage);
    assert_int_equal(t->rc, 0); /* read to its clean end: no damage */
    if (!warnings)
        assert_int_equal(tevs_count(t, CTR_WARNING, NULL), 0);
}

static void write_and_read(ct_window *w, uint64_t task, const char *path, tevs *t,
                           ct_window_report *r)
{
    read_window(w, task, path, t, r, 0);
}

/* The events the program wrote that the trace holds (those `tell` counts):
 * a region is two, unless the trace closed it. */
static uint64_t held(const tevs *t)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ctr_event *ev = &t->v[i].ev;
        switch (ev->kind) {
        case CTR_REGION: n += ev->flags & CTR_F_UNENDED ? 1 : 2; break;
        case CTR_TASK_END: n += !(ev->flags & CTR_F_UNENDED); break;
        case CTR_TASK_BEGIN: case CTR_TASK_STATUS: case CTR_LOG: case CTR_THREAD_END: n++; break;
        default: break;
        }
    }
    return n;
}

/* Every log read back was when it was written, and they are steps
 * first..STEPS-1 of test `test` with none missing. @return first. */
static int check_steps(const tevs *t, const story *s, int test)
{
    int first = -1, n = 0;
    for (size_t i = 0; i < t->n; i++) {
        const ctr_event *ev = &t->v[i].ev;
        if (ev->kind != CTR_LOG || (ev->task & 0xffffffffffull) != (uint64_t)test + 1)
            continue;
        int index = atoi(t->v[i].message);
        if (first < 0)
            first = index;
        assert_int_equal(index, first + n);
        assert_int_equal(ev->ts_ns, s->step_tick[test][index]);
        n++;
    }
    assert_true(first >= 0);
    assert_int_equal(first + n, STEPS);
    return first;
}

static uint64_t process_cut(const tevs *t)
{
    const tev *end = tevs_find(t, CTR_PROCESS_END, NULL, 0);
    assert_non_null(end);
    return end->ev.cut;
}

/* A window of `limit` bytes that was told the story, and a path for its
 * traces. */
typedef struct scene {
    ct_window *w;
    story s;
    char path[4096];
} scene;

static scene *scene_open(size_t limit, const char *tag)
{
    static scene sc; /* the story is large: not on the stack */
    sc.w = ct_window_new(limit);
    assert_non_null(sc.w);
    tell(sc.w, &sc.s);
    temp_trace_path(sc.path, sizeof sc.path, tag);
    return &sc;
}

static void scene_close(scene *sc)
{
    unlink(sc->path);
    ct_window_free(sc->w);
}

/* A window too small for TestB: its begin and first steps are cut; what is
 * left reads whole, "outer" keeps its begin, TestB is marked cut, and the
 * events cut are counted exactly. */
static void test_task_begun_before_the_window(void **state)
{
    (void)state;
    scene *sc = scene_open(64u << 10, "window-cut");
    const story *s = &sc->s;
    tevs t;
    ct_window_report r;
    write_and_read(sc->w, 2, sc->path, &t, &r);

    assert_true(r.found);
    assert_true(r.task_cut);
    assert_int_equal(r.begin_ns, s->test_b_begin);
    assert_true(r.kept_from_ns > r.begin_ns);
    int first = check_steps(&t, s, 1);
    assert_true(first > 0);
    assert_int_equal(tevs_count(&t, CTR_LOG, NULL), STEPS - first); /* nothing of TestA */
    const tev *b = tevs_find(&t, CTR_TASK_END, "TestB", 0);
    assert_non_null(b);
    assert_true(b->ev.flags & CTR_F_CUT);
    assert_false(b->ev.flags & CTR_F_UNENDED);
    assert_int_equal(b->ev.begin_ns, s->test_b_begin);
    assert_int_equal(b->ev.ts_ns, s->test_b_end);
    const tev *outer = tevs_find(&t, CTR_REGION, "outer", 0);
    assert_non_null(outer);
    assert_int_equal(outer->ev.begin_ns, s->outer_begin);
    assert_int_equal(outer->ev.flags, 0);
    /* Every event written is in the trace or counted as cut, once. */
    assert_int_equal(process_cut(&t) + held(&t), s->events);
    assert_int_equal(r.cut, process_cut(&t));
    assert_true(tevs_count(&t, CTR_CUT, NULL) >= 2); /* the jump to "outer", the rest */
    tevs_free(&t);
    scene_close(sc);
}

/* A window that holds it all: TestB's trace is TestB whole, what came
 * before cut, nothing after; the whole window has both tests and no cut. */
static void test_task_that_fits(void **state)
{
    (void)state;
    scene *sc = scene_open(4u << 20, "window-fits");
    const story *s = &sc->s;
    tevs t;
    ct_window_report r;
    write_and_read(sc->w, 2, sc->path, &t, &r);
    assert_true(r.found);
    assert_false(r.task_cut);
    assert_int_equal(check_steps(&t, s, 1), 0);
    assert_null(tevs_find(&t, CTR_TASK_BEGIN, "TestA", 0));
    const tev *b = tevs_find(&t, CTR_TASK_END, "TestB", 0);
    assert_non_null(b);
    assert_int_equal(b->ev.flags, 0);
    /* TestA's events and the helper's were cut: they came before. */
    uint64_t before = 1 + 3 * STEPS + 2 + s->helper_events;
    assert_int_equal(process_cut(&t), before);
    assert_int_equal(process_cut(&t) + held(&t), s->events);
    tevs_free(&t);

    /* TestA alone: its events, the helper's (begun and ended in it), none of TestB. */
    write_and_read(sc->w, 1, sc->path, &t, &r);
    assert_int_equal(check_steps(&t, s, 0), 0);
    assert_null(tevs_find(&t, CTR_TASK_BEGIN, "TestB", 0));
    assert_int_equal(tevs_count(&t, CTR_REGION, "helper"), 50);
    assert_int_equal(process_cut(&t), 0);
    assert_int_equal(held(&t), 1 + 3 * STEPS + 2 + s->helper_events);
    tevs_free(&t);

    write_and_read(sc->w, 0, sc->path, &t, &r);
    assert_false(r.found);
    assert_int_equal(check_steps(&t, s, 0), 0);
    assert_int_equal(check_steps(&t, s, 1), 0);
    assert_int_equal(process_cut(&t), 0);
    assert_int_equal(tevs_count(&t, CTR_CUT, NULL), 0);
    assert_int_equal(held(&t), s->events);
    tevs_free(&t);
    scene_close(sc);
}

/* A task whose begin left the window after it ended: its trace holds none
 * of the process's events (not the window, of other tasks), all of them
 * counted as cut. */
static void test_task_no_longer_held(void **state)
{
    (void)state;
    scene *sc = scene_open(64u << 10, "window-gone");
    tevs t;
    ct_window_report r;
    write_and_read(sc->w, 1, sc->path, &t, &r);
    assert_false(r.found);
    assert_int_equal(tevs_count(&t, CTR_TASK_BEGIN, NULL), 0);
    assert_int_equal(tevs_count(&t, CTR_LOG, NULL), 0);
    assert_int_equal(tevs_count(&t, CTR_THREAD_BEGIN, NULL), 0);
    assert_int_equal(process_cut(&t), sc->s.events);
    assert_int_equal(r.cut, sc->s.events);
    tevs_free(&t);
    scene_close(sc);
}

/* A test cut into while another thread, idle but for a tick now and then
 * in no task, holds a region open: what the trace holds of the test is
 * told from the test's thread's cut, not the other's later one. */
static void test_cut_note_counts_the_tests_threads(void **state)
{
    (void)state;
    char path[4096];
    temp_trace_path(path, sizeof path, "window-idle");
    ct_window *w = ct_window_new(64u << 10);
    maker *m = calloc(2, sizeof *m);
    assert_true(w && m);
    m[0] = (maker){.w = w, .thread = 1};
    m[1] = (maker){.w = w, .thread = 2};
    now_tick = 1000;
    thread_begin(&m[1], 8);
    string(&m[1], 1, "session");
    string(&m[1], 2, "tick");
    timed(&m[1], CT_EV_REGION_BEGIN, 2, (uint64_t)0, (uint64_t)1);
    send(&m[1]);
    thread_begin(&m[0], 7);
    string(&m[0], 1, "TestA");
    string(&m[0], 2, "work");
    string(&m[0], 4, "step");
    timed(&m[0], CT_EV_TASK_BEGIN, 4, (uint64_t)1, (uint64_t)0, (uint64_t)1, (uint64_t)1);
    for (int i = 0; i < STEPS; i++) {
        timed(&m[0], CT_EV_REGION_BEGIN, 2, (uint64_t)1, (uint64_t)2);
        timed(&m[0], CT_EV_REGION_END, 1, (uint64_t)0);
        log_index(&m[0], 1, i);
        if (i % 4 == 1) { /* drained while the test's thread's piece fills */
            timed(&m[1], CT_EV_REGION_BEGIN, 2, (uint64_t)0, (uint64_t)2);
            timed(&m[1], CT_EV_REGION_END, 1, (uint64_t)0);
            send(&m[1]);
        }
    }
    timed(&m[0], CT_EV_TASK_STATUS, 3, (uint64_t)1, (uint64_t)2, (uint64_t)0);
    timed(&m[0], CT_EV_TASK_END, 1, (uint64_t)1);
    send(&m[0]);
    tevs t;
    ct_window_report r;
    write_and_read(w, 1, path, &t, &r); /* "session" cut off where it ends: no warning */
    assert_true(r.found && r.task_cut);
    uint64_t first_log = UINT64_MAX;
    for (size_t i = 0; i < t.n; i++)
        if (t.v[i].ev.kind == CTR_LOG && t.v[i].ev.ts_ns < first_log)
            first_log = t.v[i].ev.ts_ns;
    assert_true(first_log != UINT64_MAX);
    assert_true(r.kept_from_ns > r.begin_ns);
    assert_true(r.kept_from_ns <= first_log); /* the test's events from there are held */
    assert_true(first_log - r.kept_from_ns < 100 * STEP);
    const tev *session = tevs_find(&t, CTR_REGION, "session", 0);
    assert_non_null(session);
    assert_int_equal(session->ev.flags, CTR_F_UNENDED | CTR_F_CUT);
    tevs_free(&t);
    free(m);
    unlink(path);
    ct_window_free(w);
}

/* A task that never ended (its process died in it): from its begin to the
 * end of the window. */
static void test_task_that_never_ended(void **state)
{
    (void)state;
    scene *sc = scene_open(4u << 20, "window-died");
    maker m = {.w = sc->w, .thread = 1, .seq = 1000};
    timed(&m, CT_EV_TASK_BEGIN, 4, (uint64_t)9, (uint64_t)0, (uint64_t)1, (uint64_t)1);
    timed(&m, CT_EV_REGION_BEGIN, 2, (uint64_t)9, (uint64_t)2);
    send(&m);
    tevs t;
    ct_window_report r;
    read_window(sc->w, 9, sc->path, &t, &r, 1); /* its open region: "never ended" */
    assert_true(r.found);
    assert_int_equal(tevs_count(&t, CTR_TASK_BEGIN, NULL), 1);
    const tev *k = tevs_find(&t, CTR_TASK_END, "TestA", 0);
    assert_non_null(k);
    assert_true(k->ev.flags & CTR_F_UNENDED);
    const tev *open = tevs_find(&t, CTR_REGION, "work", 0);
    assert_non_null(open);
    assert_true(open->ev.flags & CTR_F_UNENDED);
    tevs_free(&t);
    scene_close(sc);
}

/* Each call of the hook of test_failed_test_is_written_before_it_leaves. */
typedef struct written_early {
    ct_window *w;
    const char *path;
    uint64_t task;
    ct_window_report r;
    int calls;
} written_early;

static void write_early(void *ctx, uint64_t task)
{
    written_early *e = ctx;
    e->calls++;
    e->task = task;
    ct_trace_writer *tw;
    assert_int_equal(ct_tw_open(&tw, e->path, 0), 0);
    ct_window_proc p = {.pid = 7, .clock = CT_CLOCK_MONOTONIC, .hz = 1000000000u,
                        .how = CT_EXIT_STOPPED};
    assert_int_equal(ct_window_write(e->w, tw, &p, task, &e->r), 0);
    assert_int_equal(ct_tw_close(tw), 0);
}

/* A test that failed, in a window the events after it would push it out
 * of: the window says so (the hook) before its begin leaves, and a trace
 * written then holds it whole; one that passed, or was written, is not
 * said again. */
static void test_failed_test_is_written_before_it_leaves(void **state)
{
    (void)state;
    static story s;
    char path[4096];
    temp_trace_path(path, sizeof path, "window-early");
    ct_window *w = ct_window_new(256u << 10); /* TestB fits, with what follows it not */
    assert_non_null(w);
    written_early e = {.w = w, .path = path};
    ct_window_on_failed(w, write_early, &e);
    tell_more(w, &s, 60000);
    assert_int_equal(e.calls, 1);
    assert_int_equal(e.task, 2);
    assert_true(e.r.found);
    assert_false(e.r.task_cut);
    tevs t;
    assert_int_equal(tevs_read(&t, path), 0);
    assert_int_equal(check_steps(&t, &s, 1), 0); /* every step of TestB */
    tevs_free(&t);
    uint64_t tasks[4];
    assert_int_equal(ct_window_take_failed(w, tasks, 4), 0);
    unlink(path);
    ct_window_free(w);

    /* Nothing pushes it out: it waits to be taken. */
    w = ct_window_new(256u << 10);
    tell(w, &s);
    assert_int_equal(ct_window_take_failed(w, tasks, 4), 1);
    assert_int_equal(tasks[0], 2);
    assert_int_equal(ct_window_take_failed(w, tasks, 4), 0);
    ct_window_free(w);
}

static void count_failed(void *ctx, uint64_t task)
{
    uint64_t *seen = ctx;
    assert_int_equal(task, seen[0] + 1); /* each once, in order */
    seen[0]++;
}

/* More failed tests than it keeps notes of, in a window that holds them
 * all: each is handed to the hook, none forgotten. */
static void test_many_failures_are_all_said(void **state)
{
    (void)state;
    ct_window *w = ct_window_new(4u << 20);
    assert_non_null(w);
    uint64_t seen[1] = {0};
    ct_window_on_failed(w, count_failed, seen);
    maker *m = calloc(1, sizeof *m);
    m->w = w;
    m->thread = 1;
    now_tick = 1000;
    thread_begin(m, 7);
    string(m, 1, "TestF");
    uint64_t n = 3 * CT_WINDOW_FAILED_MAX + 5;
    for (uint64_t task = 1; task <= n; task++) {
        timed(m, CT_EV_TASK_BEGIN, 4, task, (uint64_t)0, (uint64_t)1, (uint64_t)1);
        timed(m, CT_EV_TASK_STATUS, 3, task, (uint64_t)2, (uint64_t)0);
        timed(m, CT_EV_TASK_END, 1, task);
    }
    send(m);
    uint64_t tasks[CT_WINDOW_FAILED_MAX];
    size_t left = ct_window_take_failed(w, tasks, CT_WINDOW_FAILED_MAX);
    for (size_t i = 0; i < left; i++)
        count_failed(seen, tasks[i]);
    assert_int_equal(seen[0], n);
    free(m);
    ct_window_free(w);
}

/* The ring itself: whatever the sizes, what is kept is the most recent,
 * in order, and never more than the limit. */
static void test_ring_keeps_the_latest(void **state)
{
    (void)state;
    ct_window *w = ct_window_new(CT_WINDOW_MIN_BYTES);
    assert_non_null(w);
    assert_null(ct_window_new(1024)); /* not even a chunk's worth */
    uint8_t bytes[CT_CHUNK_BYTES];
    memset(bytes, CT_EV_STRING, sizeof bytes); /* never parsed: thread 0 is no thread */
    uint64_t added = 0;
    for (unsigned i = 0; i < 400; i++) {
        size_t len = 1 + (i * 7919u) % CT_CHUNK_BYTES;
        assert_int_equal(ct_window_add(w, 0, i, 0, (ct_wclock){0, 0}, bytes, 0), 0);
        assert_int_equal(ct_window_add(w, 0, i, 0, (ct_wclock){0, 0}, bytes, len), 0);
        added++;
        ct_wcursor c;
        ct_wbatch b;
        ct_window_first(w, &c);
        uint64_t held = 0, prev = 0;
        int n = 0;
        while (ct_window_next(w, &c, &b)) {
            if (n++)
                assert_int_equal(b.seq, prev + 1);
            prev = b.seq;
            held += CT_WINDOW_BATCH_OVERHEAD + b.len;
        }
        assert_int_equal(prev, i);
        assert_true(held <= CT_WINDOW_MIN_BYTES);
    }
    ct_window_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_begun_before_the_window),
        cmocka_unit_test(test_task_that_fits),
        cmocka_unit_test(test_task_no_longer_held),
        cmocka_unit_test(test_cut_note_counts_the_tests_threads),
        cmocka_unit_test(test_task_that_never_ended),
        cmocka_unit_test(test_many_failures_are_all_said),
        cmocka_unit_test(test_failed_test_is_written_before_it_leaves),
        cmocka_unit_test(test_ring_keeps_the_latest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
