/*
 * symbols.c - one symbolizer per process of a trace (see symbols.h).
 */
#include "symbols.h"

#include <stdlib.h> /* realloc, free */
#include <string.h> /* memset, strrchr, strncmp */

#include <ctrace.h> /* CT_ENOMEM */

#include "common/human.h" /* ctv_print_text */

void ctv_symbols_init(ctv_symbols *s)
{
    memset(s, 0, sizeof *s);
}

int ctv_symbols_add(ctv_symbols *s, const ctr_event *ev)
{
    if (ev->kind != CTR_MODULE || s->failed)
        return 0;
    if (ev->process >= s->count) {
        uint32_t count = ev->process + 1;
        ct_symbolizer **grown = realloc(s->by_process, count * sizeof *grown);
        if (!grown)
            goto nomem;
        memset(grown + s->count, 0, (count - s->count) * sizeof *grown);
        s->by_process = grown;
        s->count = count;
    }
    ct_symbolizer **sym = &s->by_process[ev->process];
    if (!*sym && !(*sym = ct_symbolizer_new()))
        goto nomem;
    if (s->offline)
        ct_symbolizer_offline(*sym);
    /* The path is untrusted bytes: a NUL inside would cut it, nothing worse. */
    char *path = malloc(ev->name_len + 1);
    if (!path)
        goto nomem;
    memcpy(path, ev->name, ev->name_len);
    path[ev->name_len] = '\0';
    int rc = ct_symbolizer_add_module(*sym, path, (const uint8_t *)ev->message,
                                      ev->message_len, ev->object, ev->module_lo,
                                      ev->module_hi);
    free(path);
    if (rc != 0)
        goto nomem;
    return 0;
nomem:
    s->failed = 1;
    return CT_ENOMEM;
}

int ctv_symbols_lookup(ctv_symbols *s, uint32_t process, uint64_t pc, int is_return_address,
                       ct_symbol *out)
{
    memset(out, 0, sizeof *out);
    if (process >= s->count || !s->by_process[process])
        return 0;
    return ct_symbolizer_lookup(s->by_process[process], pc, is_return_address, out);
}

int ctv_symbols_is_tracer(const ct_symbol *sym)
{
    if (!sym->module)
        return 0;
    const char *base = strrchr(sym->module, '/');
    base = base ? base + 1 : sym->module;
    return strncmp(base, "libctrace.so", 12) == 0;
}

void ctv_symbols_warn(ctv_symbols *s, FILE *err)
{
    for (uint32_t i = 0; i < s->count; i++) {
        if (!s->by_process[i])
            continue;
        const char *w;
        while ((w = ct_symbolizer_next_warning(s->by_process[i])) != NULL) {
            fputs("ctest-trace: warning: ", err);
            ctv_print_text(err, w, strlen(w));
            fputc('\n', err);
        }
    }
}

void ctv_symbols_free(ctv_symbols *s)
{
    for (uint32_t i = 0; i < s->count; i++)
        ct_symbolizer_free(s->by_process[i]);
    free(s->by_process);
    memset(s, 0, sizeof *s);
}
