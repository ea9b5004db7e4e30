/*
 * flags.c - Go-style command-line flags, durations and sizes (flags.h).
 */
#include "flags.h"

#include <errno.h>  /* errno, ERANGE */
#include <stdarg.h> /* va_list */
#include <stdio.h>  /* vsnprintf */
#include <stdlib.h> /* calloc, realloc, free, strtol */
#include <string.h> /* strcmp, strchr, strlen, strncmp */
#include <strings.h> /* strcasecmp */

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

/* Digits at *p as an integer; stops accumulating (but keeps reading) once
 * more would overflow, so the caller sees *overflow. */
static const char *read_int(const char *p, uint64_t *v, int *ndigits, int *overflow)
{
    *v = 0;
    *ndigits = 0;
    for (; *p >= '0' && *p <= '9'; p++, (*ndigits)++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (*v > (UINT64_MAX - d) / 10)
            *overflow = 1;
        else
            *v = *v * 10 + d;
    }
    return p;
}

/* Digits after a '.' as f / scale; digits past what fits are ignored. */
static const char *read_fraction(const char *p, uint64_t *f, long double *scale,
                                 int *ndigits)
{
    *f = 0;
    *scale = 1;
    *ndigits = 0;
    int full = 0;
    for (; *p >= '0' && *p <= '9'; p++, (*ndigits)++) {
        if (full)
            continue;
        uint64_t d = (uint64_t)(*p - '0');
        if (*f > (UINT64_MAX - d) / 10) {
            full = 1;
            continue;
        }
        *f = *f * 10 + d;
        *scale *= 10;
    }
    return p;
}

/* v * unit + f / scale * unit, or -1 on overflow. */
static int scale_value(uint64_t v, uint64_t f, long double scale, uint64_t unit,
                       uint64_t *out)
{
    if (v != 0 && unit > UINT64_MAX / v)
        return -1;
    uint64_t whole = v * unit;
    long double frac = (long double)f * ((long double)unit / scale);
    if (frac >= 18446744073709551616.0L) /* 2^64 */
        return -1;
    uint64_t add = (uint64_t)frac;
    if (whole > UINT64_MAX - add)
        return -1;
    *out = whole + add;
    return 0;
}

static const struct {
    const char *name;
    uint64_t ns;
} duration_units[] = {
    {"ns", 1ull},
    {"us", 1000ull},
    {"\xc2\xb5s", 1000ull}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000ull}, /* U+03BC Greek mu */
    {"ms", 1000000ull},
    {"s", 1000000000ull},
    {"m", 60ull * 1000000000ull},
    {"h", 3600ull * 1000000000ull},
};

int rn_parse_duration(const char *s, uint64_t *ns, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    if (s == NULL || *s == '\0') {
        *why = "empty duration";
        return -1;
    }
    const char *p = s;
    if (*p == '-') {
        *why = "negative duration";
        return -1;
    }
    if (*p == '+')
        p++;
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (*p == '\0') {
        *why = "invalid duration";
        return -1;
    }
    uint64_t total = 0;
    while (*p != '\0') {
        if (!(*p == '.' || (*p >= '0' && *p <= '9'))) {
            *why = "invalid duration (want a number and a unit, e.g. 500ms, 1m30s)";
            return -1;
        }
        uint64_t v = 0, f = 0;
        long double scale = 1;
        int nint = 0, nfrac = 0, overflow = 0;
        p = read_int(p, &v, &nint, &overflow);
        if (*p == '.')
            p = read_fraction(p + 1, &f, &scale, &nfrac);
        if (nint == 0 && nfrac == 0) {
            *why = "invalid duration (a '.' needs digits)";
            return -1;
        }
        if (overflow) {
            *why = "duration out of range";
            return -1;
        }
        const char *u = p;
        while (*p != '\0' && *p != '.' && !(*p >= '0' && *p <= '9'))
            p++;
        size_t ulen = (size_t)(p - u);
        if (ulen == 0) {
            *why = "missing unit in duration (ns, us, ms, s, m, h)";
            return -1;
        }
        uint64_t unit = 0;
        for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
            if (strlen(duration_units[i].name) == ulen &&
                strncmp(duration_units[i].name, u, ulen) == 0) {
                unit = duration_units[i].ns;
                break;
            }
        }
        if (unit == 0) {
            *why = "unknown unit in duration (ns, us, ms, s, m, h)";
            return -1;
        }
        uint64_t part;
        if (scale_value(v, f, scale, unit, &part) != 0 || total > UINT64_MAX - part) {
            *why = "duration out of range";
            return -1;
        }
        total += part;
    }
    *ns = total;
    return 0;
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
    const char *p = s;
    uint64_t v = 0, f = 0;
    long double scale = 1;
    int nint = 0, nfrac = 0, overflow = 0;
    p = read_int(p, &v, &nint, &overflow);
    if (*p == '.')
        p = read_fraction(p + 1, &f, &scale, &nfrac);
    if (nint == 0 && nfrac == 0) {
        *why = "invalid size (want a number and a unit, e.g. 64MiB, 10MB)";
        return -1;
    }
    if (overflow) {
        *why = "size out of range";
        return -1;
    }
    for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
        if (strcasecmp(p, size_units[i].name) == 0) {
            if (scale_value(v, f, scale, size_units[i].bytes, bytes) != 0) {
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
        if (rn_parse_duration(value, f->value, &why) != 0) {
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
    case RN_FLAG_PLANNED:
        break; /* refused before a value is looked for */
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
        if (f->kind == RN_FLAG_PLANNED) {
            set_err(err, err_size, "%s: not implemented in this version (%s)", shown,
                    CT_VERSION);
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
