/*
 * place.c - name the place in the program where a thread waited, inside the
 * test process: "cache_get (cache.c:88)".
 *
 * Only a failing assertion gets here, so the symbolizer is made for the one
 * message and freed: the first lookup in a module reads its symbols and line
 * table (milliseconds for a test binary), which a passing test never pays.
 */
#include "assertions/place.h"

#include <stdio.h>  /* snprintf */
#include <string.h> /* strrchr, strncmp */

#include "common/symbolize.h"
#include "common/human.h" /* ctv_escape_text */
#include "plugin/modules.h"
#include "plugin/thread.h" /* ct__untraced_begin */

static void add_module(void *arg, const char *path, const uint8_t *build_id, size_t build_id_len,
                       uint64_t bias, uint64_t lo, uint64_t hi)
{
    ct_symbolizer_add_module(arg, path, build_id, build_id_len, bias, lo, hi);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The C library and the loader: a wait inside them (a lock stdio takes) is
 * better named by the program's frame that called them. */
static int is_system_module(const char *path)
{
    const char *b = base_name(path);
    return strncmp(b, "libc.so", 7) == 0 || strncmp(b, "libc-", 5) == 0 ||
           strncmp(b, "libpthread", 10) == 0 || strncmp(b, "ld-linux", 8) == 0;
}

static char *safe(char *buf, size_t cap, const char *text)
{
    const char *s = text ? text : "";
    ctv_escape_text(buf, cap, s, strlen(s));
    return buf;
}

static int rank(const ct_symbol *s)
{
    if (s->module && is_system_module(s->module))
        return s->function ? 1 : 0;
    return s->file && s->line ? 3 : s->function ? 2 : 0;
}

void ct__place_name(const uint64_t *pcs, unsigned n, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    if (n == 0 || cap == 0)
        return;
    uint8_t was = ct__untraced_begin(); /* reading ELF files is not the test's I/O */
    if (ct__modules_known(pcs, n) < n)
        ct__modules_scan(); /* a library loaded since the last snapshot */
    ct_symbolizer *sym = ct_symbolizer_new();
    if (sym != NULL) /* in the test process: never wait on a debuginfod server */
        ct_symbolizer_offline(sym);
    if (sym) {
        ct__modules_each(add_module, sym);
        /* The first frame with a file and line, else with a name. */
        ct_symbol best = {0};
        int best_rank = -1;
        uint64_t best_pc = pcs[0];
        for (unsigned i = 0; i < n && best_rank < 3; i++) {
            ct_symbol s;
            ct_symbolizer_lookup(sym, pcs[i], 1, &s);
            int r = rank(&s);
            if (r > best_rank) {
                best = s;
                best_rank = r;
                best_pc = pcs[i];
            }
        }
        /* Names read from files: escaped like any untrusted text. */
        char function[256], file[256];
        safe(function, sizeof function, best.function);
        if (best.function && best.file && best.line)
            snprintf(out, cap, "%s (%s:%u)", function, safe(file, sizeof file,
                                                             base_name(best.file)), best.line);
        else if (best.function && best.module)
            snprintf(out, cap, "%s (%s)", function,
                     safe(file, sizeof file, base_name(best.module)));
        else if (best.module)
            snprintf(out, cap, "0x%llx (%s)", (unsigned long long)best_pc,
                     safe(file, sizeof file, base_name(best.module)));
        ct_symbolizer_free(sym);
    }
    if (!out[0])
        snprintf(out, cap, "0x%llx", (unsigned long long)pcs[0]);
    ct__untraced_end(was);
}
