/*
 * test_reader_batch.c - ctr_next_batch() gives the events ctr_next() gives,
 * in the same order, whatever its capacity, with every text intact while
 * the batch is held: on each golden trace named on the command line (misuse,
 * damage, a step that makes several events), and on one of many records,
 * logs among the regions, so that batches meet the refills of the reader's
 * buffer. The names of regions and tasks stay put until ctr_close().
 * With ctr_set_kinds(), the events of those kinds, the same, and the same
 * counts, duration and damage as without; ctr_next_spans(), the regions,
 * the same, after any number of events read as events. Every kind alone and
 * every kind left out, the same again, on the goldens and on a trace of
 * tests, user tasks across threads, logs, waits and regions with some
 * misuse among them: an event not wanted is skimmed, and what it leaves
 * for later events must be all there. Decompressed ahead by a thread
 * (CTRACE_READ_AHEAD=on), the same events as without, records larger than
 * the room kept before a block's bytes too.
 *
 *   test_reader_batch DIR/NAME.txt...
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

#include <ctrace_reader.h>

#include "analysis/reader_skim.h"
#include "events.h"

static int g_argc;
static char **g_argv;

/* One event as delivered, its texts copied (they may go at the next call). */
typedef struct seen {
    ctr_event ev;
    char *name, *message;
} seen;

typedef struct run {
    seen *v;
    size_t n, cap;
    int rc;
    char damage[512];
    uint64_t events_read, wire_events, duration_ns;
} run;

static char *copy(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    assert_non_null(c);
    if (n)
        memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

static void keep(run *r, const ctr_event *ev)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        assert_non_null(r->v);
    }
    seen *s = &r->v[r->n++];
    s->ev = *ev;
    s->name = copy(ev->name ? ev->name : "", ev->name ? ev->name_len : 0);
    s->message = copy(ev->message ? ev->message : "", ev->message ? ev->message_len : 0);
}

/* Names that must stay until ctr_close(): where they were, what they said. */
typedef struct kept_name {
    const char *at;
    char *was;
    size_t len;
} kept_name;

static int stays(ctr_kind kind)
{
    return kind == CTR_REGION || kind == CTR_TASK_BEGIN || kind == CTR_TASK_END ||
           kind == CTR_THREAD_NAME || kind == CTR_LOG;
}

/* How reading rd ended, into r. */
static void ended(run *r, const ctr_reader *rd)
{
    const char *d = ctr_damage(rd);
    snprintf(r->damage, sizeof r->damage, "%s", d ? d : "");
    ctr_info info;
    ctr_get_info(rd, &info);
    r->events_read = ctr_events_read(rd);
    r->wire_events = info.wire_events;
    r->duration_ns = info.duration_ns;
}

/* Read `path` with ctr_next() (cap 0) or batches of `cap`, events of
 * `kinds` only (ctr_set_kinds()). */
static void read_all(run *r, const char *path, size_t cap, uint64_t kinds)
{
    memset(r, 0, sizeof *r);
    ctr_reader *rd;
    assert_int_equal(ctr_open(&rd, path), 0);
    if (kinds != CTR_ALL_KINDS)
        ctr_set_kinds(rd, kinds);
    kept_name *names = NULL;
    size_t nnames = 0, names_cap = 0;
    ctr_event *evs = calloc(cap ? cap : 1, sizeof *evs);
    assert_non_null(evs);
    for (;;) {
        size_t n = 0;
        int rc;
        if (cap == 0) {
            rc = ctr_next(rd, evs);
            n = rc == 1;
        } else {
            rc = ctr_next_batch(rd, evs, cap, &n);
            assert_true(rc == 1 ? n >= 1 && n <= cap : n == 0);
        }
        /* Every text of the batch read after the whole batch was made. */
        for (size_t i = 0; i < n; i++) {
            keep(r, &evs[i]);
            if (stays(evs[i].kind) && evs[i].name_len) {
                if (nnames == names_cap) {
                    names_cap = names_cap ? names_cap * 2 : 256;
                    names = realloc(names, names_cap * sizeof *names);
                    assert_non_null(names);
                }
                names[nnames++] = (kept_name){evs[i].name, copy(evs[i].name, evs[i].name_len),
                                              evs[i].name_len};
            }
        }
        if (rc != 1) {
            r->rc = rc;
            break;
        }
    }
    /* Further calls return the same. */
    size_t n = 7;
    assert_int_equal(ctr_next_batch(rd, evs, cap ? cap : 1, &n), r->rc);
    assert_int_equal(n, 0);
    for (size_t i = 0; i < nnames; i++) {
        assert_memory_equal(names[i].at, names[i].was, names[i].len);
        free(names[i].was);
    }
    free(names);
    ended(r, rd);
    free(evs);
    ctr_close(rd);
}

/* Read `path` with ctr_next_spans() in calls of `cap`, after `first`
 * events of every kind by ctr_next() (then spans take over from events
 * made and not delivered yet): each event kept, a span as the CTR_REGION
 * event it stands for (name, flags, begin and end; the rest 0). */
static void read_spans(run *r, const char *path, size_t cap, size_t first)
{
    memset(r, 0, sizeof *r);
    ctr_reader *rd;
    assert_int_equal(ctr_open(&rd, path), 0);
    int rc = 1;
    for (size_t i = 0; i < first && rc == 1; i++) {
        ctr_event ev;
        if ((rc = ctr_next(rd, &ev)) == 1)
            keep(r, &ev);
    }
    ctr_span *spans = calloc(cap, sizeof *spans);
    assert_non_null(spans);
    while (rc == 1) {
        size_t n = 0;
        rc = ctr_next_spans(rd, spans, cap, &n);
        assert_true(rc == 1 ? n >= 1 && n <= cap : n == 0);
        for (size_t i = 0; i < n; i++)
            keep(r, &(ctr_event){.kind = CTR_REGION, .flags = spans[i].flags,
                                 .ts_ns = spans[i].end_ns, .begin_ns = spans[i].begin_ns,
                                 .name = spans[i].name, .name_len = spans[i].name_len});
    }
    r->rc = rc;
    size_t n = 7;
    assert_int_equal(ctr_next_spans(rd, spans, cap, &n), r->rc);
    assert_int_equal(n, 0);
    ended(r, rd);
    free(spans);
    ctr_close(rd);
}

/* b ended as a did: status, damage, counts, duration. */
static void assert_ended_alike(const run *a, const run *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_string_equal(a->damage, b->damage);
    assert_int_equal(a->events_read, b->events_read);
    assert_int_equal(a->wire_events, b->wire_events);
    assert_int_equal(a->duration_ns, b->duration_ns);
}

/* b, read by read_spans() after `first` events, holds a's first events,
 * then a's regions, their names, flags and times the same, and ended as a
 * did. */
static void assert_same_spans(const run *a, const run *b, size_t first)
{
    assert_ended_alike(a, b);
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        const ctr_event *x = &a->v[i].ev;
        if (i >= first && x->kind != CTR_REGION)
            continue;
        assert_true(j < b->n);
        const ctr_event *y = &b->v[j].ev;
        assert_string_equal(a->v[i].name, b->v[j].name);
        if (x->kind != y->kind || x->flags != y->flags || x->ts_ns != y->ts_ns ||
            x->begin_ns != y->begin_ns || x->name_len != y->name_len)
            fail_msg("event %zu (%s %s) differs as a span: flags %u %u, %llu-%llu ns, "
                     "%llu-%llu ns", i, ctr_kind_name(x->kind), a->v[i].name, x->flags,
                     y->flags, (unsigned long long)x->begin_ns, (unsigned long long)x->ts_ns,
                     (unsigned long long)y->begin_ns, (unsigned long long)y->ts_ns);
        j++;
    }
    assert_int_equal(j, b->n);
}

static void free_run(run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].name);
        free(r->v[i].message);
    }
    free(r->v);
}

/* b holds the events of a of `kinds`, and ended as a did. */
static void assert_same(const run *a, const run *b, uint64_t kinds)
{
    assert_ended_alike(a, b);
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (!(kinds & CTR_KIND_BIT(a->v[i].ev.kind)))
            continue;
        assert_true(j < b->n);
        ctr_event x = a->v[i].ev, y = b->v[j].ev;
        assert_string_equal(a->v[i].name, b->v[j].name);
        assert_string_equal(a->v[i].message, b->v[j].message);
        j++;
        /* Pointers aside, the same event field by field. */
        x.name = y.name = NULL;
        x.message = y.message = NULL;
        x.stack = y.stack = NULL;
        if (memcmp(&x, &y, sizeof x) != 0)
            fail_msg("event %zu (%s, %s) differs: tid %d %d, ts %llu %llu", i,
                     ctr_kind_name(x.kind), ctr_kind_name(y.kind), x.tid, y.tid,
                     (unsigned long long)x.ts_ns, (unsigned long long)y.ts_ns);
    }
    assert_int_equal(j, b->n);
}

static const size_t caps[] = {1, 2, 3, 5, 64, 1000};

/* What the views ask for: regions alone; tasks and regions, waits and what
 * names them (profile); warnings; nothing; all but regions. */
static const uint64_t kind_sets[] = {
    CTR_KIND_BIT(CTR_REGION),
    CTR_KIND_BIT(CTR_TASK_BEGIN) | CTR_KIND_BIT(CTR_REGION),
    CTR_KIND_BIT(CTR_MODULE) | CTR_KIND_BIT(CTR_THREAD_BEGIN) | CTR_KIND_BIT(CTR_SCHED_SOURCE) |
        CTR_KIND_BIT(CTR_BLOCK),
    CTR_KIND_BIT(CTR_WARNING),
    0,
    CTR_ALL_KINDS & ~CTR_KIND_BIT(CTR_REGION),
};

static void check_trace(const char *trace)
{
    run one;
    setenv("CTRACE_READ_AHEAD", "off", 1);
    read_all(&one, trace, 0, CTR_ALL_KINDS);
    assert_true(one.n > 0);
    run ahead; /* a thread decompresses the trace */
    setenv("CTRACE_READ_AHEAD", "on", 1);
    read_all(&ahead, trace, 64, CTR_ALL_KINDS);
    unsetenv("CTRACE_READ_AHEAD");
    assert_same(&one, &ahead, CTR_ALL_KINDS);
    free_run(&ahead);
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        run batched;
        read_all(&batched, trace, caps[k], CTR_ALL_KINDS);
        assert_same(&one, &batched, CTR_ALL_KINDS);
        free_run(&batched);
    }
    /* As spans: in calls of each size, decompressed ahead or not, and
     * after events of every kind, some left made and not delivered. */
    static const struct { size_t cap, first; const char *ahead; } span_reads[] = {
        {1, 0, "off"}, {3, 7, "on"}, {64, 40, "off"}, {64, 1, "on"},
    };
    for (size_t k = 0; k < sizeof span_reads / sizeof span_reads[0]; k++) {
        run spans;
        setenv("CTRACE_READ_AHEAD", span_reads[k].ahead, 1);
        read_spans(&spans, trace, span_reads[k].cap, span_reads[k].first);
        assert_same_spans(&one, &spans, span_reads[k].first);
        free_run(&spans);
    }
    unsetenv("CTRACE_READ_AHEAD");
    for (size_t k = 0; k < sizeof kind_sets / sizeof kind_sets[0]; k++) {
        run some;
        read_all(&some, trace, k % 2 ? 64 : 1, kind_sets[k]); /* batches, one at a time */
        assert_same(&one, &some, kind_sets[k]);
        free_run(&some);
    }
    free_run(&one);
}

/* check() each golden trace named on the command line, assembled. */
static void each_golden(void (*check)(const char *trace))
{
    assert_true(g_argc > 1);
    for (int i = 1; i < g_argc; i++) {
        char trace[512], err[512];
        temp_trace_path(trace, sizeof trace, "batch-golden");
        if (ctr_text_assemble(g_argv[i], trace, err, sizeof err) != 0)
            fail_msg("%s: %s", g_argv[i], err);
        check(trace);
        unlink(trace);
    }
}

static void test_golden_traces_read_the_same_in_batches(void **state)
{
    (void)state;
    each_golden(check_trace);
}

/* A trace written in text form (to *f, then assembled by assemble()). */
typedef struct text_trace {
    char txt[512], trace[512];
    FILE *f;
} text_trace;

static void begin_text(text_trace *tt, const char *tag, const char *head)
{
    char txt_tag[64];
    snprintf(txt_tag, sizeof txt_tag, "%s-txt", tag);
    temp_trace_path(tt->txt, sizeof tt->txt, txt_tag);
    temp_trace_path(tt->trace, sizeof tt->trace, tag);
    tt->f = fopen(tt->txt, "w");
    assert_non_null(tt->f);
    fputs(head, tt->f);
}

static void assemble(text_trace *tt)
{
    char err[512];
    fputs("trace_end batches=0 event_bytes=0\n", tt->f);
    fclose(tt->f);
    if (ctr_text_assemble(tt->txt, tt->trace, err, sizeof err) != 0)
        fail_msg("%s", err);
    unlink(tt->txt);
}

/* `batches` records of `rounds` rounds of events each (a round is ~40
 * bytes), read every way check_trace() reads. */
static void check_records(int batches, int rounds)
{
    text_trace tt;
    begin_text(&tt, "batch-many",
               "ctrace 1.0\n"
               "trace_begin major=1 minor=0 writer=\"test\" mono_ns=1000 realtime_ns=0\n"
               "schema\n"
               "process_begin proc=0 pid=7 exe=\"/t\" clock=1 hz=3000000000 tsc0=1000 ns0=1000\n");
    FILE *f = tt.f;
    unsigned long long ticks[3] = {1000, 1000, 1000};
    for (int b = 0; b < batches; b++) {
        int thread = 1 + b % 3;
        /* A chunk each, begun where the thread's last one ended. */
        fprintf(f, "batch proc=0 thread=%d seq=%d offset=0 tsc=%llu ns=%llu\n", thread, b / 3,
                ticks[b % 3], 1000 + (ticks[b % 3] - 1000) / 3);
        if (b < 3)
            fprintf(f, "  thread_begin +0 tid=%d ptid=0 task=0 fn=0 rserial=0\n"
                       "  string id=1 bytes=\"outer\"\n  string id=2 bytes=\"inner\"\n"
                       "  string id=3 bytes=\"cat\"\n",
                    10 + thread);
        for (int i = 0; i < rounds; i++)
            fprintf(f, "  region_begin +%d task=0 name=1\n  region_begin +70000 task=0 name=2\n"
                       "  log +5 task=0 category=3 message=\"batch %d round %d\" flags=0\n"
                       "  region_end +3 back=0\n  region_end +400000 back=0\n",
                    1 + i * 977, b, i);
        for (int i = 0; i < rounds; i++)
            ticks[b % 3] += 1 + i * 977 + 70000 + 5 + 3 + 400000;
    }
    fputs("process_end proc=0 how=0 code=0 dropped=0\n", f);
    assemble(&tt);
    check_trace(tt.trace);
    unlink(tt.trace);
}

static void test_many_records_read_the_same_in_batches(void **state)
{
    (void)state;
    check_records(400, 60); /* records of a few KiB: many buffer refills */
}

static void test_large_records_read_the_same_in_batches(void **state)
{
    (void)state;
    check_records(8, 4000); /* records of ~170 KiB: most of a block, begun in one */
}

/* Every kind alone, and all kinds but one: b read with each holds the
 * events of a of those kinds, and ended as a did. */
static void check_every_kinds_mask(const char *trace)
{
    run all;
    read_all(&all, trace, 64, CTR_ALL_KINDS);
    for (int k = CTR_PROCESS_BEGIN; k <= CTR_CPU_SOURCE; k++) {
        const uint64_t masks[] = {CTR_KIND_BIT(k), CTR_ALL_KINDS & ~CTR_KIND_BIT(k)};
        for (int m = 0; m < 2; m++) {
            run some;
            read_all(&some, trace, k % 2 ? 64 : 5, masks[m]);
            assert_same(&all, &some, masks[m]);
            free_run(&some);
        }
    }
    free_run(&all);
}

/* A trace of `batches` records (threads 1-3 in turn, `rounds` rounds
 * each): thread 1 runs a test per record; every thread begins user tasks in
 * it (ended on the next thread now and then), with regions, logs, waits
 * with a stack and blocks; now and then a log naming a string never
 * defined, a task begun twice, a task ended that never began, a region
 * ended twice. A TSC clock: ticks are not ns. */
static void write_mixed(text_trace *tt, int batches, int rounds)
{
    begin_text(tt, "batch-mixed",
               "ctrace 1.3\n"
               "trace_begin major=1 minor=3 writer=\"test\" mono_ns=1000 realtime_ns=0\n"
               "schema\n"
               "process_begin proc=0 pid=7 exe=\"/t\" clock=1 hz=3000000000 tsc0=1000 ns0=1000\n");
    FILE *f = tt->f;
    unsigned long long ticks[3] = {1000, 1000, 1000};
    for (int b = 0; b < batches; b++) {
        int th = b % 3, test = 900000 + b / 3;
        unsigned long long *tk = &ticks[th];
        fprintf(f, "batch proc=0 thread=%d seq=%d offset=0 tsc=%llu ns=%llu\n", th + 1, b / 3,
                *tk, 1000 + (*tk - 1000) / 3);
        if (b < 3)
            fprintf(f, "  thread_begin +0 tid=%d ptid=0 task=0 fn=0 rserial=0\n"
                       "  string id=1 bytes=\"outer\"\n  string id=2 bytes=\"inner\"\n"
                       "  string id=3 bytes=\"cat\"\n  string id=4 bytes=\"request\"\n"
                       "  string id=5 bytes=\"TestMixed\"\n  stack id=1 pcs=0x1010,0x10a0\n",
                    10 + th);
        if (th == 0)
            fprintf(f, "  task_begin +1 task=%d parent=0 name=5 kind=1\n", test);
        for (int i = 0; i < rounds; i++) {
            int id = (th + 1) * 100000 + (b / 3) * 1000 + i, odd = (b + i) % 7 == 3;
            fprintf(f, "  task_begin +%d task=%d parent=%d name=4 kind=0\n"
                       "  region_begin +%d task=%d name=1\n"
                       "  log +5 task=%d category=%d message=\"b%d r%d\" flags=%d\n"
                       "  wait +7 task=%d kind=1 wait=3 object=9 stack=%d ago=%d\n"
                       "  region_begin +70000 task=%d name=2\n"
                       "  block +3 task=%d kind=2 wait=2 object=3\n"
                       "  region_end +3 back=0\n  region_end +400 back=1\n",
                    1 + i, id, th == 0 ? test : 0, 1 + i * 977, id, id, odd ? 99 : 3, b, i,
                    i % 5 == 0, id, odd ? 7 : 1, i % 3, id, id);
            *tk += 1 + i + 1 + i * 977 + 5 + 7 + 70000 + 3 + 3 + 400;
            if (odd) { /* misuse: each the general path's to tell */
                fprintf(f, "  task_begin +1 task=%d parent=0 name=4 kind=0\n"
                           "  task_end +1 task=%d\n  region_end +1 back=0\n",
                        id, id + 500);
                *tk += 3;
            }
            if (i % 4 != 1) { /* else ended by the next thread */
                fprintf(f, "  task_end +2 task=%d\n", id);
                *tk += 2;
            }
            if (i % 4 == 1 && b > 0) /* the one the thread before began */
                fprintf(f, "  task_end +0 task=%d\n", ((b - 1) % 3 + 1) * 100000 +
                                                      ((b - 1) / 3) * 1000 + i);
        }
        if (th == 0) {
            fprintf(f, "  task_end +9 task=%d\n", test);
            *tk += 9;
        }
    }
    fputs("process_end proc=0 how=0 code=0 dropped=0\n", f);
    assemble(tt);
}

static void test_every_kinds_mask_reads_the_same(void **state)
{
    (void)state;
    each_golden(check_every_kinds_mask);
    text_trace tt;
    write_mixed(&tt, 30, 40);
    check_every_kinds_mask(tt.trace);
    unlink(tt.trace);
}

/* The kinds a thread table skims (analysis/views/thread_walk.c). */
#define SKIMMED                                                                           \
    (CTR_KIND_BIT(CTR_REGION) | CTR_KIND_BIT(CTR_LOG) | CTR_KIND_BIT(CTR_TASK_BEGIN) |     \
     CTR_KIND_BIT(CTR_TASK_END) | CTR_KIND_BIT(CTR_TASK_STATUS))

/* Read `trace` skimming SKIMMED with their times kept: each thread's times
 * are those of its events of those kinds as all of them read give them.
 * @return what ctr__skim_times() said at its end (-1: they cannot stand in). */
static int check_skim_times(const char *trace)
{
    run all;
    read_all(&all, trace, 64, CTR_ALL_KINDS);
    ctr_reader *rd;
    assert_int_equal(ctr_open(&rd, trace), 0);
    ctr_set_kinds(rd, CTR_ALL_KINDS & ~(uint64_t)SKIMMED);
    ctr__keep_skim_times(rd);
    ctr_event evs[7];
    size_t n;
    while (ctr_next_batch(rd, evs, 7, &n) == 1)
        for (size_t i = 0; i < n; i++)
            assert_false(SKIMMED >> evs[i].kind & 1);
    size_t cursor = 0, threads = 0;
    ctr__skimmed_thread s;
    int got;
    while ((got = ctr__skim_times(rd, &cursor, &s)) == 1) {
        threads++;
        uint64_t first = UINT64_MAX, last = 0;
        for (size_t i = 0; i < all.n; i++) {
            const ctr_event *ev = &all.v[i].ev;
            if (!(SKIMMED >> ev->kind & 1) || ev->process != s.process || ev->thread != s.thread ||
                ev->tid == 0)
                continue;
            assert_int_equal(ev->tid, s.tid);
            assert_int_equal(ev->pid, s.pid);
            uint64_t from = ev->kind == CTR_REGION ? ev->begin_ns : ev->ts_ns;
            first = from < first ? from : first;
            last = ev->ts_ns > last ? ev->ts_ns : last;
        }
        assert_int_equal(s.first_ns, first);
        assert_int_equal(s.last_ns, last);
    }
    if (got == 0) { /* and no thread with such events left out */
        for (size_t i = 0; i < all.n; i++) {
            const ctr_event *ev = &all.v[i].ev;
            if (!(SKIMMED >> ev->kind & 1) || ev->tid == 0)
                continue;
            size_t c = 0;
            int found = 0;
            while (!found && ctr__skim_times(rd, &c, &s) == 1)
                found = s.process == ev->process && s.thread == ev->thread;
            assert_true(found);
        }
    }
    ctr_close(rd);
    free_run(&all);
    return got < 0 ? -1 : (int)threads;
}

static void check_skim_times_golden(const char *trace)
{
    check_skim_times(trace); /* -1 is allowed: a golden may be odd */
}

static void test_skim_times_stand_for_the_events(void **state)
{
    (void)state;
    each_golden(check_skim_times_golden);
    text_trace tt;
    write_mixed(&tt, 30, 40);
    assert_int_equal(check_skim_times(tt.trace), 3);
    unlink(tt.trace);
    /* A region after its thread's end: its times cannot stand in. */
    begin_text(&tt, "skim-late",
               "ctrace 1.0\n"
               "trace_begin major=1 minor=0 writer=\"test\" mono_ns=0 realtime_ns=0\n"
               "process_begin proc=0 pid=7 exe=\"/t\" clock=0 hz=1000000000 tsc0=0 ns0=0\n"
               "batch proc=0 thread=1 seq=0 offset=0 tsc=0 ns=0\n"
               "  thread_begin +5 tid=8 ptid=0 task=0 fn=0 rserial=0\n"
               "  string id=1 bytes=\"r\"\n"
               "  region_begin +5 task=0 name=1\n  region_end +5 back=0\n"
               "  thread_end +5\n"
               "  region_begin +5 task=0 name=1\n  region_end +5 back=0\n"
               "process_end proc=0 how=0 code=0 dropped=0\n");
    assemble(&tt);
    assert_int_equal(check_skim_times(tt.trace), -1);
    unlink(tt.trace);
}

static void test_a_batch_of_none_is_refused(void **state)
{
    (void)state;
    text_trace tt;
    begin_text(&tt, "batch-zero",
               "ctrace 1.0\n"
               "trace_begin major=1 minor=0 writer=\"test\" mono_ns=0 realtime_ns=0\n"
               "process_begin proc=0 pid=7 exe=\"/t\" clock=0 hz=1000000000 tsc0=0 ns0=0\n"
               "process_end proc=0 how=0 code=0 dropped=0\n");
    assemble(&tt);
    ctr_reader *rd;
    assert_int_equal(ctr_open(&rd, tt.trace), 0);
    ctr_event ev;
    size_t n = 9;
    assert_int_equal(ctr_next_batch(rd, &ev, 0, &n), CT_EINVAL);
    assert_int_equal(n, 0);
    assert_int_equal(ctr_next_batch(rd, &ev, 1, &n), 1); /* nothing was taken */
    assert_int_equal(ev.kind, CTR_PROCESS_BEGIN);
    ctr_close(rd);
    unlink(tt.trace);
}

/* A thread that stays idle keeps every test's end waiting on it (any
 * thread may end a region): a test leaving a region open each time, 5000
 * times, reads as 5000 regions closed at their test's end with a warning
 * each, the reader keeping at most MAX_DEFERRED of them open meanwhile,
 * not as a thread with more than MAX_DEPTH regions open. */
static void test_regions_kept_for_a_lagging_thread_are_bounded(void **state)
{
    (void)state;
    enum { TESTS = 5000 };
    text_trace tt;
    begin_text(&tt, "lagging",
               "ctrace 1.1\n"
               "trace_begin major=1 minor=1 writer=\"test\" mono_ns=1000 realtime_ns=0\n"
               "schema\n"
               "process_begin proc=0 pid=7 exe=\"/t\" clock=0 hz=1000000000 tsc0=1000 ns0=1000\n"
               "batch proc=0 thread=2 seq=0 offset=0 tsc=1000 ns=1000\n"
               "  thread_begin +0 tid=8 ptid=7 task=0 fn=0 rserial=0\n"
               "batch proc=0 thread=1 seq=0 offset=0 tsc=1000 ns=1000\n"
               "  thread_begin +1 tid=7 ptid=0 task=0 fn=0 rserial=0\n"
               "  string id=1 bytes=\"TestLeaves\"\n  string id=2 bytes=\"left open\"\n");
    for (int i = 1; i <= TESTS; i++)
        fprintf(tt.f, "  task_begin +1 task=%d parent=0 name=1 kind=1\n"
                      "  region_begin +1 task=%d name=2\n  task_end +1 task=%d\n", i, i, i);
    fputs("process_end proc=0 how=0 code=0 dropped=0 end_ns=900000000\n", tt.f);
    assemble(&tt);
    run all;
    read_all(&all, tt.trace, 64, CTR_ALL_KINDS);
    size_t unended = 0, never = 0, other = 0;
    for (size_t i = 0; i < all.n; i++) {
        const seen *e = &all.v[i];
        if (e->ev.kind == CTR_REGION)
            unended += (e->ev.flags & CTR_F_UNENDED) != 0;
        else if (e->ev.kind == CTR_WARNING &&
                 strstr(e->message, "was never ended; closed at the end of"))
            never++;
        else if (e->ev.kind == CTR_WARNING)
            other++;
    }
    assert_int_equal(unended, TESTS);
    assert_int_equal(never, TESTS);
    assert_int_equal(other, 0);
    free_run(&all);
    unlink(tt.trace);
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_traces_read_the_same_in_batches),
        cmocka_unit_test(test_many_records_read_the_same_in_batches),
        cmocka_unit_test(test_large_records_read_the_same_in_batches),
        cmocka_unit_test(test_every_kinds_mask_reads_the_same),
        cmocka_unit_test(test_skim_times_stand_for_the_events),
        cmocka_unit_test(test_a_batch_of_none_is_refused),
        cmocka_unit_test(test_regions_kept_for_a_lagging_thread_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
