/*
 * stacks_text.c - a killed process's thread stacks for people (stacks_text.h).
 *
 * One pass over the trace: the process's modules (to symbolize), its
 * threads' names and its open tasks' names (to say where each thread was),
 * and its THREAD_STACK events. Memory grows with its threads and open
 * tasks, not with the trace.
 */
#include "stacks_text.h"

#include <signal.h>      /* SIGRTMAX */
#include <stdio.h>       /* open_memstream, fprintf */
#include <stdlib.h>      /* malloc, free */
#include <string.h>      /* memcpy */
#include <sys/syscall.h> /* SYS_* */

#include <ctrace_reader.h>

#include "analysis/views/symbols.h" /* ctv_symbols */
#include "common/human.h"           /* ctv_escape_text */
#include "format/duration.h"        /* ct_format_go_duration */

#include "stacks_ask.h" /* RN_STACKS_WAIT_NS */

typedef struct named {
    uint64_t id; /* tid or task */
    char *name;  /* escaped */
} named;

typedef struct names {
    named *v;
    size_t n, cap;
} names;

typedef struct thread_stack {
    int32_t tid;
    uint64_t syscall; /* 1 + its number; 0 none known */
    char *task;       /* where it was: its task's name, or NULL */
    uint64_t *pcs;
    uint32_t npcs;
} thread_stack;

typedef struct gathered {
    names threads, tasks;
    thread_stack *v;
    size_t n, cap;
    ctv_symbols syms;
    int oom;
} gathered;

static char *escaped(const char *bytes, size_t len)
{
    size_t cap = len * 6 + 1; /* \u0085 is the longest escape of a byte */
    char *out = malloc(cap);
    if (out != NULL)
        ctv_escape_text(out, cap, bytes ? bytes : "", bytes ? len : 0);
    return out;
}

static named *find(names *s, uint64_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].id == id)
            return &s->v[i];
    return NULL;
}

/* Name `id` (a later name replaces an earlier). @return 0 or -1. */
static int name(names *s, uint64_t id, const char *bytes, size_t len)
{
    char *copy = escaped(bytes, len);
    if (copy == NULL)
        return -1;
    named *k = find(s, id);
    if (k == NULL) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8;
            named *v = realloc(s->v, cap * sizeof *v);
            if (v == NULL) {
                free(copy);
                return -1;
            }
            s->v = v;
            s->cap = cap;
        }
        k = &s->v[s->n++];
        k->id = id;
        k->name = NULL;
    }
    free(k->name);
    k->name = copy;
    return 0;
}

static void forget(names *s, uint64_t id)
{
    named *k = find(s, id);
    if (k == NULL)
        return;
    free(k->name);
    *k = s->v[--s->n];
}

static void names_free(names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].name);
    free(s->v);
    *s = (names){0};
}

static void stacks_clear(gathered *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->v[i].task);
        free(g->v[i].pcs);
    }
    g->n = 0;
}

static int add_stack(gathered *g, const ctr_event *ev)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        thread_stack *v = realloc(g->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        g->v = v;
        g->cap = cap;
    }
    named *task = ev->task ? find(&g->tasks, ev->task) : NULL;
    thread_stack s = {.tid = ev->tid, .syscall = ev->object, .npcs = ev->stack_len};
    s.pcs = malloc((ev->stack_len ? ev->stack_len : 1) * sizeof *s.pcs);
    s.task = task ? strdup(task->name) : NULL;
    if (s.pcs == NULL || (task && s.task == NULL)) {
        free(s.pcs);
        free(s.task);
        return -1;
    }
    if (ev->stack_len)
        memcpy(s.pcs, ev->stack, ev->stack_len * sizeof *s.pcs);
    g->v[g->n++] = s;
    return 0;
}

/* One event of the trace, for the process `pid` (the last begun with it). */
static int take(gathered *g, const ctr_event *ev, int pid, uint32_t *proc)
{
    if (ev->kind == CTR_PROCESS_BEGIN && ev->pid == pid) {
        /* A pid used again: the last process with it is the one killed. */
        stacks_clear(g);
        names_free(&g->threads);
        names_free(&g->tasks);
        ctv_symbols_free(&g->syms);
        ctv_symbols_init(&g->syms);
        g->syms.offline = 1; /* a run's output waits on no debuginfod server */
        *proc = ev->process;
        return 0;
    }
    if (ev->pid != pid || ev->process != *proc)
        return 0;
    switch (ev->kind) {
    case CTR_MODULE: return ctv_symbols_add(&g->syms, ev) == 0 ? 0 : -1;
    case CTR_THREAD_NAME: return name(&g->threads, (uint64_t)ev->tid, ev->name, ev->name_len);
    case CTR_TASK_BEGIN: return name(&g->tasks, ev->task, ev->name, ev->name_len);
    case CTR_TASK_END: forget(&g->tasks, ev->task); return 0;
    case CTR_THREAD_STACK: return add_stack(g, ev);
    default: return 0;
    }
}

/* A system call a thread can block in, by name. */
static const char *syscall_name(uint64_t nr)
{
    switch (nr) {
#define X(name) case SYS_##name: return #name;
        X(read) X(write) X(readv) X(writev) X(pread64) X(pwrite64) X(open) X(openat)
        X(poll) X(ppoll) X(select) X(pselect6) X(epoll_wait) X(epoll_pwait) X(futex)
        X(nanosleep) X(clock_nanosleep) X(restart_syscall) X(wait4) X(waitid) X(pause)
        X(rt_sigsuspend) X(rt_sigtimedwait) X(accept) X(accept4) X(connect) X(recvfrom)
        X(recvmsg) X(sendto) X(sendmsg) X(flock) X(fcntl) X(fsync) X(fdatasync)
        X(msgrcv) X(msgsnd) X(semop) X(semtimedop) X(io_getevents) X(sched_yield)
#undef X
    default: return NULL;
    }
}

/* One function of a frame: "fn (file:line)", else "fn (module+0xoff)". */
static void print_function(FILE *out, const ct_symbol *sym, const char *function,
                           const char *src, unsigned line, uint64_t pc, int inlined)
{
    char fn[512], file[1024];
    if (function)
        ctv_escape_text(fn, sizeof fn, function, strlen(function));
    else
        snprintf(fn, sizeof fn, "0x%llx", (unsigned long long)(pc - 1));
    const char *mark = inlined ? " [inlined]" : "";
    if (src && line) {
        ctv_escape_text(file, sizeof file, src, strlen(src));
        fprintf(out, "    %s (%s:%u)%s\n", fn, file, line, mark);
    } else if (sym && sym->module) {
        ctv_escape_text(file, sizeof file, sym->module, strlen(sym->module));
        fprintf(out, "    %s (%s+0x%llx)%s\n", fn, file, (unsigned long long)sym->module_offset,
                mark);
    } else {
        fprintf(out, "    %s%s\n", fn, mark);
    }
}

/* A return address: each function inlined there, innermost first, as Go's
 * traceback shows inlined calls, then the function it is in. */
static void print_frame(FILE *out, gathered *g, uint32_t proc, uint64_t pc)
{
    ct_symbol sym;
    int known = ctv_symbols_lookup(&g->syms, proc, pc, 1, &sym);
    if (known && ctv_symbols_is_tracer(&sym))
        return; /* libctrace's interposers and thread start, between the program's frames */
    if (!known) {
        print_function(out, NULL, NULL, NULL, 0, pc, 0);
        return;
    }
    if (sym.nframes == 0) {
        print_function(out, &sym, sym.function, sym.file, sym.line, pc, 0);
        return;
    }
    for (size_t i = 0; i < sym.nframes; i++) {
        const ct_symbol_frame *f = &sym.frames[i];
        print_function(out, &sym, f->function, f->file, f->line, pc, i + 1 < sym.nframes);
    }
}

static int by_tid(const void *a, const void *b)
{
    const thread_stack *x = a, *y = b;
    return (x->tid > y->tid) - (x->tid < y->tid);
}

static void print_thread(FILE *out, gathered *g, uint32_t proc, int pid, const thread_stack *s)
{
    named *n = find(&g->threads, (uint64_t)s->tid);
    fprintf(out, "\nthread %d", (int)s->tid);
    if (n != NULL)
        fprintf(out, " \"%s\"", n->name);
    if (s->tid == pid)
        fputs(" (main)", out);
    if (s->syscall) {
        const char *call = syscall_name(s->syscall - 1);
        if (call)
            fprintf(out, " [%s]", call);
        else
            fprintf(out, " [syscall %llu]", (unsigned long long)(s->syscall - 1));
    }
    if (s->task != NULL)
        fprintf(out, " in %s", s->task);
    fputs(":\n", out);
    if (s->npcs == 0)
        fputs("    (no stack: stacks are off, CTRACE_STACKS=off)\n", out);
    for (uint32_t i = 0; i < s->npcs; i++)
        print_frame(out, g, proc, s->pcs[i]);
}

/* A line for the threads that did not answer. */
static void print_unanswered(FILE *out, const rn_stacks_asked *asked, size_t shown)
{
    if (asked->asked == 0) {
        fputs("(no stacks: the binary's tracer takes no request for them: not traced, or "
              "every signal it could use is the program's)\n", out);
        return;
    }
    char sig[32], wait[48];
    if (asked->signal == SIGRTMAX)
        snprintf(sig, sizeof sig, "SIGRTMAX");
    else if (asked->signal >= SIGRTMIN && asked->signal < SIGRTMAX)
        snprintf(sig, sizeof sig, "SIGRTMAX-%d", SIGRTMAX - asked->signal);
    else
        snprintf(sig, sizeof sig, "%d", asked->signal);
    ct_format_go_duration(wait, sizeof wait, RN_STACKS_WAIT_NS);
    unsigned silent = asked->answered < asked->asked ? asked->asked - asked->answered : 0;
    if (silent > 0)
        fprintf(out, "%s(no stack from %u of its %u thread%s: asked with signal %s, %s not "
                "answer within %s: %s it, or %s not traced)\n", shown ? "\n" : "", silent,
                asked->asked, asked->asked == 1 ? "" : "s", sig, silent == 1 ? "it did" : "they did",
                wait, silent == 1 ? "it blocks" : "they block", silent == 1 ? "is" : "are");
    else if (shown < asked->answered)
        fprintf(out, "%s(no stack from %zu of its %u threads: they answered from inside the "
                "tracer, or were not traced)\n", shown ? "\n" : "",
                (size_t)asked->answered - shown, asked->answered);
}

char *rn_stacks_text(const char *path, int pid, const rn_stacks_asked *asked, size_t *len)
{
    gathered g = {0};
    ctv_symbols_init(&g.syms);
    g.syms.offline = 1; /* a run's output waits on no debuginfod server */
    uint32_t proc = UINT32_MAX;
    ctr_reader *r = NULL;
    if (path != NULL && ctr_open(&r, path) == 0) {
        ctr_event ev;
        while (!g.oom && ctr_next(r, &ev) == 1) /* damage: what came before it */
            g.oom = take(&g, &ev, pid, &proc) != 0;
    }
    char *text = NULL;
    FILE *out = g.oom ? NULL : open_memstream(&text, len);
    if (out != NULL) {
        if (g.n > 1) /* qsort() wants a non-NULL array */
            qsort(g.v, g.n, sizeof *g.v, by_tid);
        for (size_t i = 0; i < g.n; i++) /* the main thread first, as Go's first goroutine */
            if (g.v[i].tid == pid)
                print_thread(out, &g, proc, pid, &g.v[i]);
        for (size_t i = 0; i < g.n; i++)
            if (g.v[i].tid != pid)
                print_thread(out, &g, proc, pid, &g.v[i]);
        print_unanswered(out, asked, g.n);
        if (fclose(out) != 0) {
            free(text);
            text = NULL;
        }
    }
    ctr_close(r);
    stacks_clear(&g);
    free(g.v);
    names_free(&g.threads);
    names_free(&g.tasks);
    ctv_symbols_free(&g.syms);
    return text;
}
