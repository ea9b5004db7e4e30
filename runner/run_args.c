/*
 * run_args.c - which arguments are binaries, which are theirs; the output
 * format (run_args.h).
 */
#include "run_args.h"

#include <stdlib.h>  /* getenv, free */
#include <string.h>  /* strcmp, strncmp */
#include <strings.h> /* strcasecmp */

#include "cli.h"    /* rn_usage_error */
#include "marker.h" /* rn_escape_name */

void rn_run_args_command(rn_args *a)
{
    if (a->npos != 0 || !a->dashdash || a->nrest == 0)
        return;
    a->pos[a->npos++] = a->rest[0]; /* pos has room for every argument */
    a->rest++;
    a->nrest--;
}

/* The shortest prefix of argv that fails ends at the bad argument; the one
 * before it parses, and tells whether a binary came first. */
int rn_run_args_unknown_after(const rn_flag *flags, size_t nflags, int argc, char **argv)
{
    char err[256];
    rn_args a;
    for (int k = 1; k <= argc; k++) {
        if (rn_flags_parse(flags, nflags, k, argv, &a, err, sizeof err) == 0) {
            rn_args_free(&a);
            continue;
        }
        if (strncmp(err, "unknown flag", 12) != 0 ||
            rn_flags_parse(flags, nflags, k - 1, argv, &a, err, sizeof err) != 0)
            return 0;
        int after = a.npos > 0;
        rn_args_free(&a);
        return after;
    }
    return 0;
}

int rn_run_format(const char *format, int json, rn_format *out)
{
    *out = json ? RN_FORMAT_JSON : RN_FORMAT_TEXT;
    if (format == NULL) {
        const char *cmocka = getenv("CMOCKA_MESSAGE_OUTPUT");
        if (!json && cmocka != NULL && strcasecmp(cmocka, "tap") == 0)
            *out = RN_FORMAT_TAP;
        return 0;
    }
    static const struct {
        const char *name;
        rn_format format;
    } formats[] = {{"text", RN_FORMAT_TEXT}, {"json", RN_FORMAT_JSON}, {"tap", RN_FORMAT_TAP}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(format, formats[i].name) != 0)
            continue;
        if (json && formats[i].format != RN_FORMAT_JSON)
            return rn_usage_error("--json and --format=%s cannot be combined", format);
        *out = formats[i].format;
        return 0;
    }
    char *shown = rn_escape_name(format, strlen(format));
    rn_usage_error("invalid value \"%s\" for flag --format: must be text, json or tap",
                   shown ? shown : "?");
    free(shown);
    return RN_EXIT_USAGE;
}
