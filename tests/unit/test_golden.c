/*
 * test_golden.c - golden traces: tests/golden/NAME.txt is a trace in text
 * form, NAME.events what the reader must make of it.
 *
 *   test_golden DIR/NAME         check one case
 *   CTRACE_UPDATE_GOLDEN=1 ...   rewrite NAME.events from what the reader says
 *
 * Each case also checks the text form round trip: assembling NAME.txt and
 * dumping the result gives NAME.txt back (comments and blank lines aside).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ctrace_reader.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, k;
    char chunk[65536];
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + k + 1 > cap) {
            cap = (n + k + 1) * 2;
            buf = realloc(buf, cap);
        }
        memcpy(buf + n, chunk, k);
        n += k;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Where a "#" comment starts in line [p, p+len), outside quoted strings. */
static size_t comment_at(const char *p, size_t len)
{
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (quoted && p[i] == '\\')
            i++;
        else if (p[i] == '"')
            quoted = !quoted;
        else if (!quoted && p[i] == '#')
            return i;
    }
    return len;
}

/* Drop comments, blank lines and trailing blanks. */
static char *strip_comments(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        size_t keep = comment_at(p, len);
        while (keep > 0 && (p[keep - 1] == ' ' || p[keep - 1] == '\t'))
            keep--;
        if (keep > 0) {
            memcpy(o, p, keep);
            o += keep;
            *o++ = '\n';
        }
        p += len + (e ? 1 : 0);
    }
    *o = '\0';
    return out;
}

static void put_quoted(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* One canonical line per event. */
static void render(FILE *out, const ctr_event *e)
{
    fprintf(out, "%s ts=%llu proc=%u pid=%d tid=%d", ctr_kind_name(e->kind),
            (unsigned long long)e->ts_ns, e->process, e->pid, e->tid);
    if (e->task || e->kind == CTR_TASK_BEGIN || e->kind == CTR_REGION)
        fprintf(out, " task=%llu", (unsigned long long)e->task);
    if (e->kind == CTR_TASK_BEGIN)
        fprintf(out, " parent=%llu kind=%s", (unsigned long long)e->parent,
                ctr_task_kind_name(e->task_kind));
    if (e->kind == CTR_REGION || e->kind == CTR_TASK_END || e->kind == CTR_BLOCK)
        fprintf(out, " begin=%llu", (unsigned long long)e->begin_ns);
    if (e->kind == CTR_BLOCK) {
        const char *what = ctr_block_kind_name(e->block_kind);
        fprintf(out, " block=%s object=0x%llx", what ? what : "?",
                (unsigned long long)e->object);
        for (uint32_t i = 0; i < e->stack_len; i++)
            fprintf(out, "%s%llx", i ? "," : " stack=", (unsigned long long)e->stack[i]);
    }
    if (e->kind == CTR_THREAD_STACK) {
        fprintf(out, " syscall=%llu", (unsigned long long)e->object);
        for (uint32_t i = 0; i < e->stack_len; i++)
            fprintf(out, "%s%llx", i ? "," : " stack=", (unsigned long long)e->stack[i]);
    }
    if (e->kind == CTR_MODULE)
        fprintf(out, " bias=0x%llx lo=0x%llx hi=0x%llx", (unsigned long long)e->object,
                (unsigned long long)e->module_lo, (unsigned long long)e->module_hi);
    if (e->kind == CTR_SCHED_SOURCE)
        fprintf(out, " source=%s", ctr_sched_source_name((ctr_sched_source)e->object));
    if (e->kind == CTR_THREAD_BEGIN)
        fprintf(out, " parent_tid=%d", e->parent_tid);
    if (e->kind == CTR_PROCESS_BEGIN && e->object) /* a process a test started (1.8) */
        fprintf(out, " parent_proc=%llu parent=%llu", (unsigned long long)e->object - 1,
                (unsigned long long)e->parent);
    if (e->kind == CTR_TASK_STATUS)
        fprintf(out, " status=%s", ctr_status_name(e->status));
    if (e->kind == CTR_PROCESS_END)
        fprintf(out, " exit=%lld", (long long)e->exit_code);
    if (e->count)
        fprintf(out, " count=%llu", (unsigned long long)e->count);
    if (e->cut)
        fprintf(out, " cut=%llu", (unsigned long long)e->cut);
    if (e->stalls)
        fprintf(out, " stalls=%llu stall_ns=%llu", (unsigned long long)e->stalls,
                (unsigned long long)e->stall_ns);
    if (e->flags)
        fprintf(out, " flags=0x%x", e->flags);
    if (e->name) {
        fputs(" name=", out);
        put_quoted(out, e->name, e->name_len);
    }
    if (e->message) {
        fputs(" message=", out);
        put_quoted(out, e->message, e->message_len);
    }
    fputc('\n', out);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR/NAME\n", argv[0]);
        return 2;
    }
    char txt[4096], events[4096], trace[4096], err[1024];
    snprintf(txt, sizeof txt, "%s.txt", argv[1]);
    snprintf(events, sizeof events, "%s.events", argv[1]);
    const char *tmp = getenv("TMPDIR");
    const char *base = strrchr(argv[1], '/');
    snprintf(trace, sizeof trace, "%s/golden-%s-%d.out", tmp ? tmp : "/tmp",
             base ? base + 1 : argv[1], (int)getpid());

    if (ctr_text_assemble(txt, trace, err, sizeof err) != 0) {
        fprintf(stderr, "assemble: %s\n", err);
        return 1;
    }

    /* The events the reader delivers, and how the trace ends. */
    char *got = NULL;
    size_t got_len = 0;
    FILE *out = open_memstream(&got, &got_len);
    ctr_reader *r;
    int rc = ctr_open(&r, trace);
    if (rc != 0) {
        fprintf(out, "open: %s\n", ct_strerror(rc));
    } else {
        ctr_event ev;
        while ((rc = ctr_next(r, &ev)) == 1)
            render(out, &ev);
        fprintf(out, "end: %s\n", rc == 0 ? "clean" : ctr_damage(r) ? ctr_damage(r) : ct_strerror(rc));
        ctr_close(r);
    }
    fclose(out);

    int failed = 0;
    if (getenv("CTRACE_UPDATE_GOLDEN")) {
        FILE *f = fopen(events, "w");
        if (!f || fwrite(got, 1, got_len, f) != got_len) {
            perror(events);
            failed = 1;
        }
        if (f)
            fclose(f);
        fprintf(stderr, "rewrote %s\n", events);
    } else {
        size_t want_len;
        char *want = slurp(events, &want_len);
        if (!want || want_len != got_len || memcmp(want, got, got_len) != 0) {
            fprintf(stderr, "%s differs from what the reader says:\n%s", events, got);
            fprintf(stderr, "(CTRACE_UPDATE_GOLDEN=1 rewrites it after a deliberate change)\n");
            failed = 1;
        }
        free(want);
    }

    /* Round trip: dump(assemble(text)) == text. */
    char *dumped = NULL;
    size_t dumped_len = 0;
    out = open_memstream(&dumped, &dumped_len);
    ctr_text_dump(trace, out, err, sizeof err);
    fclose(out);
    size_t txt_len;
    char *text = slurp(txt, &txt_len);
    char *want = strip_comments(text), *have = strip_comments(dumped);
    if (strcmp(want, have) != 0) {
        fprintf(stderr, "text round trip differs:\n--- %s\n%s--- dumped\n%s", txt, want, have);
        failed = 1;
    }
    free(text);
    free(want);
    free(have);
    free(dumped);
    free(got);
    unlink(trace);
    return failed;
}
