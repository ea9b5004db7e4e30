/* events.c - see events.h. */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tevs_read(tevs *out, const char *path)
{
    memset(out, 0, sizeof *out);
    ctr_reader *r;
    int rc = ctr_open(&r, path);
    if (rc != 0)
        return rc;
    size_t cap = 0;
    ctr_event ev;
    while ((rc = ctr_next(r, &ev)) == 1) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 256;
            out->v = realloc(out->v, cap * sizeof *out->v);
        }
        tev *t = &out->v[out->n++];
        t->ev = ev;
        t->name = strndup(ev.name ? ev.name : "", ev.name ? ev.name_len : 0);
        t->message = strndup(ev.message ? ev.message : "", ev.message ? ev.message_len : 0);
        t->ev.name = t->name;
        t->ev.message = t->message;
        t->stack = NULL;
        if (ev.stack_len && (t->stack = malloc(ev.stack_len * sizeof *t->stack)) != NULL)
            memcpy(t->stack, ev.stack, ev.stack_len * sizeof *t->stack);
        t->ev.stack = t->stack;
        t->ev.stack_len = t->stack ? ev.stack_len : 0;
    }
    out->rc = rc;
    if (ctr_damage(r))
        snprintf(out->damage, sizeof out->damage, "%s", ctr_damage(r));
    ctr_close(r);
    return 0;
}

void tevs_free(tevs *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].name);
        free(t->v[i].message);
        free(t->v[i].stack);
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}

const tev *tevs_find(const tevs *t, ctr_kind kind, const char *name, size_t nth)
{
    for (size_t i = 0; i < t->n; i++) {
        const tev *e = &t->v[i];
        if (e->ev.kind == kind && (!name || strcmp(e->name, name) == 0) && nth-- == 0)
            return e;
    }
    return NULL;
}

size_t tevs_count(const tevs *t, ctr_kind kind, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->v[i].ev.kind == kind && (!name || strcmp(t->v[i].name, name) == 0);
    return n;
}

void temp_trace_path(char *buf, size_t cap, const char *tag)
{
    const char *dir = getenv("TMPDIR");
    snprintf(buf, cap, "%s/ctrace-test-%s-%d.out", dir ? dir : "/tmp", tag, (int)getpid());
}

char *trace_text(const char *path)
{
    char *text = NULL, err[256];
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    int rc = ctr_text_dump(path, out, err, sizeof err);
    fclose(out);
    if (rc != 0) {
        free(text);
        return NULL;
    }
    return text;
}
