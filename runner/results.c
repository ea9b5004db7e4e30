/* results.c - the list of test results (results.h). */
#include "results.h"

#include <stdlib.h> /* malloc, realloc, free */
#include <string.h> /* memcpy, strdup */

char *rn_dup_bytes(const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (c != NULL) {
        if (n)
            memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

void rn_results_add(rn_results *rs, const rn_result *r)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        rn_result *v = realloc(rs->v, cap * sizeof *v);
        if (v == NULL) {
            rs->oom = 1;
            return;
        }
        rs->v = v;
        rs->cap = cap;
    }
    rn_result *c = &rs->v[rs->n];
    *c = *r;
    c->name = rn_dup_bytes(r->name ? r->name : "", r->name_len);
    c->group = rn_dup_bytes(r->group ? r->group : "", r->group_len);
    c->output = r->output ? rn_dup_bytes(r->output, r->output_len) : NULL;
    c->gate = NULL; /* the gate judges after the test */
    c->attachment = r->attachment ? strdup(r->attachment) : NULL;
    c->attachment_note = r->attachment_note ? strdup(r->attachment_note) : NULL;
    if (c->name == NULL || c->group == NULL) {
        free(c->name);
        free(c->group);
        free(c->output);
        free(c->attachment);
        free(c->attachment_note);
        rs->oom = 1;
        return;
    }
    rs->n++;
}

void rn_results_free(rn_results *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].name);
        free(rs->v[i].group);
        free(rs->v[i].output);
        free(rs->v[i].gate);
        free(rs->v[i].attachment);
        free(rs->v[i].attachment_note);
    }
    free(rs->v);
    *rs = (rn_results){0};
}
