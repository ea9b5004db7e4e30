/*
 * flags.c - Go-style command-line flags, and sizes (flags.h).
 */
#include "flags.h"

#include <errno.h>  /* errno, ERANGE */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf */
#include <stdlib.h> /* calloc, realloc, free, strtol */
#include <string.h> /* strcmp, strchr, strlen, strncmp */
#include <strings.h> /* strcasecmp */

#include "format/decimal.h"  /* ct_decimal_read, ct_decimal_scale */
#include "format/duration.h" /* ct_parse_go_duration */

static void set_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
    if (err == NULL || err_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

/* ---- value parsers ------------------------------------------------------- */

int rn_parse_bool(const char *s, int *v)
{
    static const char *const yes[] = {"1", "t", "true", "yes"};
    static const char *const no[] = {"0", "f", "false", "no"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *v = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *v = 0;
            return 0;
        }
    }
    return -1;
}

static const struct {
    const char *name;
    uint64_t bytes;
} size_units[] = {
    {"", 1ull},
    {"b", 1ull},
    {"k", 1ull << 10},
    {"kib", 1ull << 10},
    {"kb", 1000ull},
    {"m", 1ull << 20},
    {"mib", 1ull << 20},
    {"mb", 1000ull * 1000},
    {"g", 1ull << 30},
    {"gib", 1ull << 30},
    {"gb", 1000ull * 1000 * 1000},
    {"t", 1ull << 40},
    {"tib", 1ull << 40},
    {"tb", 1000ull * 1000 * 1000 * 1000},
};

int rn_parse_size(const char *s, uint64_t *bytes, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (s == NULL || *s == '\0') {
        *why = "empty size";
        return -1;
    }
    ct_decimal d;
    const char *p = ct_decimal_read(s, s + strlen(s), &d);
    if (d.nwhole == 0 && d.nfrac == 0) {
        *why = "invalid size (want a number and a unit, e.g. 64MiB, 10MB)";
        return -1;
    }
    if (d.overflow) {
        *why = "size out of range";
        return -1;
    }
    for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
        if (strcasecmp(p, size_units[i].name) == 0) {
            if (ct_decimal_scale(&d, size_units[i].bytes, bytes) != 0) {
                *why = "size out of range";
                return -1;
            }
            return 0;
        }
    }
    *why = "unknown unit in size (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    return -1;
}

/* ---- the flag parser ----------------------------------------------------- */

static const rn_flag *find_flag(const rn_flag *flags, size_t nflags,
                                const char *name, size_t len)
{
    for (size_t i = 0; i < nflags; i++) {
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    }
    return NULL;
}

static int list_push(rn_strlist *l, const char *s)
{
    const char **items = realloc(l->items, (l->n + 1) * sizeof *items);
    if (items == NULL)
        return -1;
    items[l->n++] = s;
    l->items = items;
    return 0;
}

/* Store `value` for flag `f`, written `arg` on the command line. */
static int set_value(const rn_flag *f, const char *arg, const char *value,
                     char *err, size_t err_size)
{
    const char *why = NULL;
    switch (f->kind) {
    case RN_FLAG_BOOL: {
        int v;
        if (rn_parse_bool(value, &v) != 0) {
            set_err(err, err_size, "invalid boolean value \"%s\" for flag %s", value, arg);
            return -1;
        }
        *(int *)f->value = v;
        return 0;
    }
    case RN_FLAG_STRING:
        *(const char **)f->value = value;
        return 0;
    case RN_FLAG_LIST:
        if (list_push(f->value, value) != 0) {
            set_err(err, err_size, "out of memory");
            return -1;
        }
        return 0;
    case RN_FLAG_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (*value == '\0' || *end != '\0' || v < 0 || errno == ERANGE) {
            set_err(err, err_size,
                    "invalid value \"%s\" for flag %s: want a whole number >= 0",
                    value, arg);
            return -1;
        }
        *(long *)f->value = v;
        return 0;
    }
    case RN_FLAG_DURATION:
        if (ct_parse_go_duration(value, f->value, &why) != 0) {
            set_err(err, err_size, "invalid value \"%s\" for flag %s: %s", value, arg, why);
            return -1;
        }
        return 0;
    case RN_FLAG_SIZE:
        if (rn_parse_size(value, f->value, &why) != 0) {
            set_err(err, err_size, "invalid value \"%s\" for flag %s: %s", value, arg, why);
            return -1;
        }
        return 0;
    }
    set_err(err, err_size, "internal error: flag %s has no kind", arg);
    return -1;
}

int rn_flags_parse(const rn_flag *flags, size_t nflags, int argc, char **argv,
                   rn_args *out, char *err, size_t err_size)
{
    *out = (rn_args){0};
    if (argc < 0)
        argc = 0;
    out->pos = calloc((size_t)argc + 1, sizeof *out->pos);
    if (out->pos == NULL) {
        set_err(err, err_size, "out of memory");
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            out->dashdash = 1;
            out->rest = argv + i + 1;
            out->nrest = (size_t)(argc - i - 1);
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0') { /* "-" alone is positional */
            out->pos[out->npos++] = arg;
            continue;
        }
        const char *name = arg + 1;
        if (*name == '-')
            name++;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        /* The flag as written, without any "=value", for messages. */
        char shown[128];
        snprintf(shown, sizeof shown, "%.*s", (int)(name - arg + name_len), arg);
        if (name_len == 0 || *name == '-' || *name == '=') {
            set_err(err, err_size, "bad flag syntax: %s", arg);
            goto fail;
        }
        const rn_flag *f = find_flag(flags, nflags, name, name_len);
        if (f == NULL) {
            set_err(err, err_size, "unknown flag: %s", shown);
            goto fail;
        }
        const char *value;
        if (eq != NULL) {
            value = eq + 1;
        } else if (f->kind == RN_FLAG_BOOL) {
            value = "true";
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            set_err(err, err_size, "flag needs an argument: %s", shown);
            goto fail;
        }
        if (set_value(f, shown, value, err, err_size) != 0)
            goto fail;
    }
    return 0;
fail:
    rn_args_free(out);
    return -1;
}

void rn_flags_words(const rn_flag *flags, size_t nflags, int argc, char **argv,
                    rn_flag_words_fn *fn, void *ctx)
{
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--") == 0)
            return;
        if (arg[0] != '-' || arg[1] == '\0')
            continue;
        const char *name = arg + 1 + (arg[1] == '-');
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const rn_flag *f = find_flag(flags, nflags, name, name_len);
        if (f == NULL)
            continue; /* rn_flags_parse() refused such a line */
        size_t n = eq == NULL && f->kind != RN_FLAG_BOOL && i + 1 < argc ? 2 : 1;
        fn(ctx, f->name, argv + i, n);
        i += (int)n - 1;
    }
}

void rn_args_free(rn_args *a)
{
    free(a->pos);
    *a = (rn_args){0};
}

void rn_strlist_free(rn_strlist *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}
